"""``scripts/bench_tabular.py`` as a subprocess with tiny settings: both tables, both models
trained and scored on the same rows, the speed table printed. Its figures are benchmarks, read
by hand; here only that it runs and that both sides learn something. Needs scikit-learn (the
``bench`` extra)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the bench extra (scikit-learn) is not installed")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_tabular.py"
TINY = ["--seeds", "1", "--set", "epochs=20", "--rows", "300", "--repeats", "1"]
SCORE = r"(-?\d\.\d{4}) \[-?\d\.\d{4}--?\d\.\d{4}\]"


def test_the_tabular_benchmark_scores_both_models_on_both_tables_and_times_their_predictions() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLP_")}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *TINY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    scores = {
        match[1]: (float(match[3]), float(match[4]))
        for match in re.finditer(rf"^(\w+) +(\w+) +{SCORE} +{SCORE} .*(PASS|MISSED)$", done.stdout, re.M)
    }
    assert set(scores) == {"penguins", "cars"}, done.stdout
    assert min(scores["penguins"]) > 0.6, done.stdout  # 3 species: chance is about 0.44
    assert min(scores["cars"]) > 0.0, done.stdout  # R^2 above predicting the mean
    timing = r"object matrix +[\d.]+ +[\d.]+ +[\d.]+x +[\d.]+x  (PASS|MISSED)$"
    speed_rows = re.findall(rf"^(penguins|cars) +{timing}", done.stdout, re.M)
    assert [table for table, _ in speed_rows] == ["penguins", "cars"], done.stdout
    assert re.search(r"^quality: (PASS|MISSED); speed: (PASS|MISSED)$", done.stdout, re.M), done.stdout
