"""The suite's polling helper: returns as soon as a condition holds, fails at its deadline."""

from __future__ import annotations

import itertools

import pytest
from helpers import wait_for


def test_wait_for_returns_the_first_truthy_value_of_the_condition() -> None:
    calls = itertools.count()
    assert wait_for(lambda: [n for n in [next(calls)] if n >= 3], interval=0) == [3]


def test_wait_for_fails_at_its_deadline_naming_the_condition_and_the_last_value() -> None:
    with pytest.raises(AssertionError, match=r"the flag: not within 0.05 s \(last: \[\]\)"):
        wait_for(list, timeout=0.05, interval=0.01, message=lambda: "the flag")


def test_an_error_in_the_condition_propagates_at_once() -> None:
    def broken() -> bool:
        raise RuntimeError("server exited")

    with pytest.raises(RuntimeError, match="server exited"):
        wait_for(broken, timeout=60)
