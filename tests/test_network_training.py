"""Training behaviour: seeds, validation, early stopping, callbacks, warm start, statelessness."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from conftest import make_moons

from model import Network, TrainingDivergedError


@pytest.fixture(scope="module")
def moons() -> tuple[np.ndarray, np.ndarray]:
    return make_moons(400, noise=0.2, seed=11)


def test_the_same_seed_and_data_give_bit_identical_parameters(moons) -> None:
    x, y = moons
    first, second = Network(hidden=(8, 8), seed=42), Network(hidden=(8, 8), seed=42)
    first.fit(x, y, epochs=5, val_fraction=0.2)
    second.fit(x, y, epochs=5, val_fraction=0.2)
    assert first.params.flat.tobytes() == second.params.flat.tobytes()
    other = Network(hidden=(8, 8), seed=43)
    other.fit(x, y, epochs=5, val_fraction=0.2)
    assert other.params.flat.tobytes() != first.params.flat.tobytes()


def test_history_has_one_record_per_epoch_with_validation_figures(moons) -> None:
    x, y = moons
    history = Network(hidden=(8,), seed=0).fit(x, y, epochs=7, val_fraction=0.25, patience=100)
    assert [r.epoch for r in history.records] == list(range(1, 8))
    assert all(r.val_loss is not None and 0 <= r.val_metric <= 1 for r in history.records)
    assert all(r.seconds >= 0 and r.learning_rate == 1e-3 for r in history.records)
    assert history.metric_name == "accuracy"


def test_early_stopping_stops_after_patience_and_restores_the_best_weights(moons) -> None:
    x, y = moons
    net = Network(hidden=(64, 64), seed=0)
    history = net.fit(x, y, epochs=2000, batch_size=16, learning_rate=3e-2, val_fraction=0.3, patience=5)
    assert history.stop_reason == "early_stopping"
    assert len(history.records) == history.best_epoch + 5
    best = history.records[history.best_epoch - 1].val_loss
    assert best == min(r.val_loss for r in history.records)
    assert net.validation_metrics["log_loss"] == pytest.approx(best, rel=1e-3)


def test_validation_split_is_stratified(moons) -> None:
    x, y = moons
    net = Network(hidden=(4,), seed=0)
    net.fit(x, y, epochs=1, val_fraction=0.2)
    matrix = np.array(net.validation_metrics["confusion_matrix"])
    assert matrix.sum(axis=1).tolist() == [40, 40]


def test_a_callback_returning_true_stops_training_cleanly(moons) -> None:
    x, y = moons
    seen = []
    history = Network(hidden=(4,), seed=0).fit(
        x, y, epochs=50, callback=lambda r: seen.append(r.epoch) or r.epoch == 3
    )
    assert seen == [1, 2, 3]
    assert history.stop_reason == "callback"


def test_an_interrupted_fit_leaves_the_previous_model_untouched(moons) -> None:
    x, y = moons
    net = Network(hidden=(4,), seed=0)
    net.fit(x, y, epochs=3)
    before = net.params.flat.copy()

    def interrupt(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        net.fit(x, y, epochs=3, callback=interrupt, warm_start=True)
    np.testing.assert_array_equal(net.params.flat, before)


def test_warm_start_continues_from_the_current_parameters_and_keeps_labels(iris) -> None:
    x, y = iris
    net = Network(hidden=(8,), seed=0)
    net.fit(x, y, epochs=5, learning_rate=1e-2)
    loss_after_first = net.history.records[-1].train_loss
    mean_before = net.x_scaler.mean.copy()
    net.fit(x[:60] + 0.1, y[:60], epochs=1, learning_rate=1e-3, warm_start=True)
    assert net.history.records[0].train_loss < 2 * loss_after_first  # not a fresh network
    np.testing.assert_array_equal(net.x_scaler.mean, mean_before)
    assert net.classes.tolist() == ["setosa", "versicolor", "virginica"]
    with pytest.raises(ValueError, match="label the model does not know"):
        net.fit(x[:3], ["setosa", "daisy", "setosa"], epochs=1, warm_start=True)


def test_a_diverging_run_raises_instead_of_returning_nonsense() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, 2.0, 3.0]) * 1e3
    with pytest.raises(TrainingDivergedError, match="lower the learning rate"):
        Network(hidden=(64,), activation="identity", seed=0).fit(
            x, y, epochs=200, optimizer="sgd", momentum=0.9, learning_rate=50.0, batch_size=8
        )


def test_predict_keeps_no_state_so_threads_can_share_one_model(moons) -> None:
    x, y = moons
    net = Network(hidden=(16,), seed=0)
    net.fit(x, y, epochs=5)
    expected = net.predict_proba(x)
    params_before = net.params.flat.copy()
    results: list[np.ndarray] = []

    def worker() -> None:
        for _ in range(20):
            results.append(net.predict_proba(x))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80 and all(np.array_equal(r, expected) for r in results)
    np.testing.assert_array_equal(net.params.flat, params_before)


def test_inputs_of_magnitude_1e4_train_and_predict_without_warnings() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(scale=1e4, size=(300, 4))
    y = (x[:, 0] > 0).astype(int)
    for activation in ("relu", "sigmoid", "tanh", "gelu"):
        net = Network(hidden=(8,), activation=activation, seed=0)
        net.fit(x, y, epochs=5)
        assert np.isfinite(net.predict_proba(x * 100)).all()
