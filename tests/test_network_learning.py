"""The network learns: XOR, moons, sin(x), the bundled digits, and every task's shapes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_moons

from model import Network


def test_xor_is_learned_to_100_percent() -> None:
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    net = Network(hidden=(8,), activation="tanh", seed=0)
    net.fit(x, y, epochs=300, batch_size=4, learning_rate=0.05, l2=0, val_fraction=0)  # all 4 rows train
    assert net.predict(x).tolist() == [0, 1, 1, 0]


def test_two_moons_reach_at_least_97_percent_on_held_out_points() -> None:
    x, y = make_moons(1200, noise=0.1, seed=0)
    x_test, y_test = make_moons(400, noise=0.1, seed=1)
    net = Network(hidden=(32, 32), seed=0)
    net.fit(x, y, epochs=150, batch_size=32, learning_rate=3e-3)
    assert net.evaluate(x_test, y_test)["accuracy"] >= 0.97


def test_sin_regression_reaches_a_small_mean_squared_error() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-np.pi, np.pi, size=(800, 1))
    y = np.sin(x[:, 0])
    net = Network(hidden=(32, 32), activation="tanh", seed=0)
    net.fit(x, y, epochs=300, batch_size=32, learning_rate=3e-3)
    grid = np.linspace(-3, 3, 50)[:, None]
    assert net.task == "regression"
    assert net.evaluate(grid, np.sin(grid[:, 0]))["mse"] < 2e-3


def test_bundled_digits_reach_97_percent_test_accuracy_with_documented_settings(digits) -> None:
    # Documented settings (docs/library.md): hidden (100,), relu, Adam lr 1e-3, batch 200, no L2,
    # no validation part, 50 epochs.
    x, y = digits
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1400], order[1400:]
    net = Network(hidden=(100,), activation="relu", seed=0)
    net.fit(x[train], y[train], epochs=50, batch_size=200, learning_rate=1e-3, l2=0, val_fraction=0)
    assert net.evaluate(x[test], y[test])["accuracy"] >= 0.97


def test_string_labels_come_back_as_strings_with_probabilities_in_class_order(iris) -> None:
    x, y = iris
    net = Network(hidden=(16,), seed=0)
    net.fit(x, y, epochs=200, batch_size=16, learning_rate=1e-2)
    assert net.classes.tolist() == ["setosa", "versicolor", "virginica"]
    proba = net.predict_proba(x)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert net.predict(x).tolist() == net.classes[proba.argmax(axis=1)].tolist()
    assert net.evaluate(x, y)["accuracy"] > 0.95


def test_binary_labels_use_one_sigmoid_output_and_two_probability_columns() -> None:
    x, y = make_moons(400, noise=0.1, seed=3)
    labels = np.where(y == 1, "yes", "no")
    net = Network(hidden=(16,), seed=0)
    net.fit(x, labels, epochs=60, batch_size=32, learning_rate=1e-2)
    assert net.output_loss == "sigmoid_binary_cross_entropy"
    assert net.layer_sizes[-1] == 1
    proba = net.predict_proba(x)
    assert proba.shape == (400, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert set(net.predict(x).tolist()) <= {"no", "yes"}
    assert net.evaluate(x, labels)["confusion_matrix"][0][0] > 150


def test_multi_label_targets_give_a_0_1_matrix_of_predictions() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(500, 3))
    y = np.column_stack([x[:, 0] > 0, x[:, 1] > 0, x[:, 0] + x[:, 2] > 0]).astype(int)
    net = Network(hidden=(16,), seed=0)
    net.fit(x, y, epochs=100, batch_size=32, learning_rate=1e-2)
    assert net.multilabel and net.task == "classification"
    predicted = net.predict(x)
    assert predicted.shape == (500, 3) and set(np.unique(predicted)) <= {0, 1}
    assert net.evaluate(x, y)["accuracy"] > 0.9


def test_regression_targets_in_the_hundreds_come_back_in_the_same_units() -> None:
    rng = np.random.default_rng(6)
    x = rng.uniform(0, 10, size=(600, 2))
    prices = 300 + 40 * x[:, 0] - 15 * x[:, 1]  # 150 .. 700
    net = Network(hidden=(16,), seed=0)
    net.fit(x, prices, epochs=200, batch_size=32, learning_rate=1e-2)
    assert net.task == "regression"
    assert net.evaluate(x, prices)["mae"] < 5.0
    two_targets = np.column_stack([prices, -prices / 100])
    multi = Network(hidden=(16,), task="regression", seed=0)
    multi.fit(x, two_targets, epochs=200, batch_size=32, learning_rate=1e-2)
    assert multi.predict(x).shape == (600, 2)
    assert multi.evaluate(x, two_targets)["r2"] > 0.99


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_every_optimizer_and_schedule_reduces_the_training_loss(optimizer: str, schedule: str) -> None:
    x, y = make_moons(300, noise=0.1, seed=7)
    net = Network(hidden=(16,), seed=0)
    rate = 1e-2 if optimizer == "adam" else 0.1
    history = net.fit(
        x, y, epochs=30, batch_size=32, learning_rate=rate, optimizer=optimizer, lr_schedule=schedule
    )
    assert history.records[-1].train_loss < 0.6 * history.records[0].train_loss


def test_float64_training_is_available_and_learns() -> None:
    x, y = make_moons(300, noise=0.1, seed=8)
    net = Network(hidden=(16,), dtype="float64", seed=0)
    net.fit(x, y, epochs=60, batch_size=32, learning_rate=1e-2)
    assert net.params.flat.dtype == np.float64
    assert net.evaluate(x, y)["accuracy"] > 0.95
