"""The job runner's activation policy as pure functions, and the store's compare-and-set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from model import Network
from model.datasets import Table
from model.pipeline import TrainOptions, held_out_count, train_model
from model.store import ModelStore
from service.job_runner import compare, decide, incomparable
from service.schemas import Comparison

ACTIVE = "20250101T000000000000Z-aaaaaa"


def comparison(new_loss: float, active_loss: float | None, rows: int = 40, **changes) -> Comparison:
    values = {
        "loss": "log_loss",
        "new_loss": new_loss,
        "active_loss": active_loss,
        "metric": "accuracy",
        "new": 0.9,
        "active": None if active_loss is None else 0.9,
        "rows": rows,
        "active_version": ACTIVE,
    }
    return Comparison(**{**values, **changes})


@pytest.mark.parametrize(
    ("policy", "compared", "activated", "fragment"),
    [
        ("always", None, True, "always"),
        ("never", comparison(0.1, 0.5), False, "never"),
        ("if_better", None, False, "no held-out rows"),
        ("if_better", comparison(0.5, None, active_version=None), True, "no active model"),
        ("if_better", comparison(0.1, 0.5), True, "lower loss"),
        ("if_better", comparison(0.5, 0.1), False, "not lower"),
        # A tie keeps the active model, also within float noise.
        ("if_better", comparison(0.3, 0.3), False, "not lower"),
        ("if_better", comparison(0.3 * (1 - 1e-9), 0.3), False, "not lower"),
        # Equal accuracy (the old comparison's tie) but a worse loss: kept out.
        ("if_better", comparison(0.9, 0.1, new=0.97, active=0.97), False, "not lower"),
        ("if_better", comparison(0.1, 0.5, rows=29), False, "29 held-out rows, fewer than the 30"),
        ("if_better", comparison(0.1, None), False, "cannot score these rows"),
    ],
)
def test_decide_activates_only_on_a_strictly_lower_loss_over_enough_rows(
    policy, compared, activated, fragment
) -> None:
    decision, reason = decide(policy, compared, min_rows=30)
    assert decision is activated
    assert fragment in reason


def fitted(x: np.ndarray, y: np.ndarray, **fit) -> Network:
    net = Network((4,), seed=0)
    net.fit(x, y, epochs=2, val_fraction=0, **fit)
    return net


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(40, 3))


def test_models_with_another_task_shape_or_labels_are_not_comparable(rows) -> None:
    x = rows
    two_targets = fitted(x, x[:, :2] * 10)
    cases = {
        "one target vs two": (two_targets, fitted(x, x[:, 0] * 10.5)),
        "multi-label vs binary 0/1": (
            fitted(x, (x[:, 0] > 0).astype(int)),
            fitted(x, (x[:, :2] > 0).astype(int)),
        ),
        "labels 0/1 vs '0'/'1'": (
            fitted(x, (x[:, 0] > 0).astype(int)),
            fitted(x, (x[:, 0] > 0).astype(int).astype(str)),
        ),
        "other features": (
            fitted(x, x[:, 0] * 10.5),
            fitted(x, x[:, 0] * 10.5, feature_names=["a", "b", "c"]),
        ),
        "other target names": (
            fitted(x, x[:, :2] * 10, target_names=["a", "b"]),
            fitted(x, x[:, :2] * 10, target_names=["a", "c"]),
        ),
    }
    for name, (active, new) in cases.items():
        assert incomparable(active, new) is not None, name
    assert incomparable(two_targets, fitted(x, x[:, :2] * 3)) is None


def regression_table(n: int = 100, targets: int = 1) -> Table:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 3))
    y = x[:, :targets] * 2.5 + 0.1 if targets > 1 else x[:, 0] * 2.5 + 0.1
    return Table(x, y, ("x0", "x1", "x2"), tuple(f"t{i}" for i in range(targets)), "test")


def test_compare_scores_both_models_on_every_held_out_row_with_the_loss_beside_the_metric() -> None:
    table = regression_table()
    options = TrainOptions(hidden=(4,), epochs=3, val_fraction=0.2, test_fraction=0.2)
    result = train_model(table, options)
    active = train_model(table, TrainOptions(hidden=(4,), epochs=1, learning_rate=1e-6)).net
    compared = compare(result, table, active, ACTIVE)
    assert compared.rows == held_out_count(table, options, "regression") == 20 + 16
    assert compared.loss == "mse" and compared.metric == "r2"
    assert compared.new_loss < compared.active_loss
    assert decide("if_better", compared, min_rows=30)[0] is True


def test_a_two_target_active_model_does_not_score_a_one_target_job() -> None:
    one = regression_table(n=200, targets=1)
    two = regression_table(n=200, targets=2)
    active = train_model(two, TrainOptions(hidden=(4,), epochs=3)).net
    result = train_model(one, TrainOptions(hidden=(4,), epochs=3))
    compared = compare(result, one, active, ACTIVE)
    assert compared.active_loss is None
    assert decide("if_better", compared, min_rows=30) == (
        False,
        "if_better: the active model cannot score these rows (other task, features or targets)",
    )


def test_a_multi_label_job_is_compared_by_brier_score() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(100, 3))
    table = Table(x, (x[:, :2] > 0).astype(int), ("x0", "x1", "x2"), ("a", "b"), "test")
    result = train_model(table, TrainOptions(hidden=(4,), epochs=3))
    compared = compare(result, table, result.net, ACTIVE)
    assert compared.loss == "brier" and compared.new_loss == compared.active_loss
    assert decide("if_better", compared, min_rows=30)[0] is False


# ---------------------------------------------------------------- store compare-and-set
def writer(path: Path) -> None:
    path.write_bytes(b"artifact")


def test_publish_with_activate_if_activates_only_when_the_pointer_still_names_the_expected_version(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "store")
    first = store.publish(writer, {}).version
    second = store.publish(writer, {}).version  # e.g. a rollback or another job in between
    seen: list[str | None] = []

    def still_first(current: str | None) -> bool:
        seen.append(current)
        return current == first

    refused = store.publish(writer, {}, activate_if=still_first)
    assert seen == [second] and not refused.active and store.active_version() == second
    accepted = store.publish(writer, {}, activate_if=lambda current: current == second)
    assert accepted.active and store.active_version() == accepted.version
