"""``scripts/fault_drill.py`` as a subprocess: its cheapest drill (hostile bodies) passes, and
bad ``--only`` values are usage errors. The other drills (3, 4, 5) take 5-50 s each and are
covered by their own tests (test_service_train, test_gunicorn); run them by hand."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "fault_drill.py"


def run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MLP_", "GUNICORN_"))}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_hostile_body_drill_passes_with_one_line_per_endpoint() -> None:
    done = run("--only", "1", timeout=180)
    lines = [line for line in done.stdout.splitlines() if line.split()[:1] in (["PASS"], ["FAIL"], ["SKIP"])]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [line.split()[:4] for line in lines] == [
        ["PASS", "1", "POST", "/predict"],
        ["PASS", "1", "POST", "/train"],
    ], done.stdout
    assert all("peak RSS" in line and "(bound 256)" in line for line in lines)


@pytest.mark.parametrize("only", ["2", "1,9", ",", "all"])
def test_an_unknown_finding_is_a_usage_error(only: str) -> None:
    done = run("--only", only, timeout=60)
    assert done.returncode == 2
    assert "--only takes findings from 1,3,4,5" in done.stderr
    assert done.stdout == ""
