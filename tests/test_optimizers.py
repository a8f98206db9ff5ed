"""Optimizer steps against the textbook formulas worked independently."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import SCHEDULES
from model.nn.errors import InvalidConfigError
from model.nn.optimizers import OPTIMIZERS, SGD, Adam, make_optimizer


def test_two_adam_steps_follow_the_bias_corrected_textbook_update() -> None:
    p = np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.5, 0.1, -1.0]), np.array([-0.2, 0.3, 0.4])]
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    expected, m, v = p.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        expected = expected - lr * m_hat / (np.sqrt(v_hat) + eps)
    adam = Adam(3, np.dtype(np.float64))
    for g in grads:
        adam.step(p, g, lr)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    # The first Adam step moves each parameter by lr against its gradient's sign.
    first = np.array([1.0, -2.0, 0.5])
    Adam(3, np.dtype(np.float64)).step(first, grads[0], lr)
    np.testing.assert_allclose(first, [0.9, -2.1, 0.6], rtol=1e-6)


def test_sgd_momentum_matches_hand_computed_steps() -> None:
    # v1 = g1 = 1; p1 = 1 - 0.1 * 1 = 0.9. v2 = 0.9 * 1 + 2 = 2.9; p2 = 0.9 - 0.29 = 0.61.
    p = np.array([1.0])
    sgd = SGD(1, np.dtype(np.float64), momentum=0.9)
    sgd.step(p, np.array([1.0]), 0.1)
    assert p[0] == pytest.approx(0.9)
    sgd.step(p, np.array([2.0]), 0.1)
    assert p[0] == pytest.approx(0.61)


def test_sgd_nesterov_matches_hand_computed_steps() -> None:
    # v1 = 1; p1 = 1 - 0.1 * (1 + 0.9 * 1) = 0.81. v2 = 2.9; p2 = 0.81 - 0.1 * (2 + 2.61) = 0.349.
    p = np.array([1.0])
    sgd = SGD(1, np.dtype(np.float64), momentum=0.9, nesterov=True)
    sgd.step(p, np.array([1.0]), 0.1)
    assert p[0] == pytest.approx(0.81)
    sgd.step(p, np.array([2.0]), 0.1)
    assert p[0] == pytest.approx(0.349)


def test_plain_sgd_is_p_minus_lr_times_g() -> None:
    p = np.array([1.0, 2.0])
    SGD(2, np.dtype(np.float64), momentum=0.0).step(p, np.array([0.5, -1.0]), 0.2)
    np.testing.assert_allclose(p, [0.9, 2.2])


def test_schedules_start_at_the_base_rate_and_the_decaying_ones_decrease() -> None:
    for name, schedule in SCHEDULES.items():
        assert schedule(0.1, 0, 10) == pytest.approx(0.1), name
        if name != "constant":
            assert schedule(0.1, 9, 10) < 0.1, name
    assert SCHEDULES["cosine"](1.0, 5, 10) == pytest.approx(0.5)
    assert SCHEDULES["invscaling"](1.0, 3, 10) == pytest.approx(1 / math.sqrt(4))


def test_make_optimizer_builds_whatever_the_registry_names(monkeypatch: pytest.MonkeyPatch) -> None:
    class Frozen(SGD):
        """Leaves every parameter where it is."""

        def step(self, params: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
            pass

    monkeypatch.setitem(OPTIMIZERS, "frozen", Frozen)
    optimizer = make_optimizer("frozen", 3, np.dtype(np.float64), momentum=0.5, nesterov=True)
    assert type(optimizer) is Frozen and (optimizer.momentum, optimizer.nesterov) == (0.5, True)
    assert type(make_optimizer("adam", 3, np.dtype(np.float64))) is Adam


def test_make_optimizer_refuses_a_name_the_registry_does_not_hold() -> None:
    with pytest.raises(InvalidConfigError, match="optimizer must be one of"):
        make_optimizer("rmsprop", 3, np.dtype(np.float64))
