"""Bad input raises a ValueError subclass whose message names the rule and the value."""

from __future__ import annotations

import re

import numpy as np
import pytest

from model import InvalidConfigError, InvalidInputError, Network, NotFittedError

X = np.arange(20, dtype=float).reshape(10, 2)
Y = np.array([0, 1] * 5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"activation": "swish"}, "activation must be one of"),
        ({"hidden": (10, 0)}, "hidden must be layer widths (integers >= 1)"),
        ({"hidden": (10, -3)}, "hidden must be layer widths (integers >= 1)"),
        ({"hidden": (2.5,)}, "hidden must be layer widths (integers >= 1)"),
        ({"init": "zeros"}, "init must be one of"),
        ({"dtype": "float16"}, "dtype must be one of"),
        ({"task": "ranking"}, "task must be one of"),
        ({"seed": -1}, "seed must be an integer >= 0"),
    ],
)
def test_bad_constructor_arguments_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=re.escape(message)):
        Network(**kwargs)


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"learning_rate": 0}, "learning_rate must be a number > 0, got 0"),
        ({"learning_rate": -1e-3}, "learning_rate must be a number > 0"),
        ({"learning_rate": float("nan")}, "learning_rate must be a number > 0, got nan"),
        ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        ({"batch_size": 0}, "batch_size must be an integer >= 1"),
        ({"momentum": 1.0}, "momentum must be a number in"),
        ({"l2": -1.0}, "l2 must be a number >= 0"),
        ({"val_fraction": 1.0}, "val_fraction must be a number in"),
        ({"patience": 0}, "patience must be an integer >= 1"),
        ({"lr_schedule": "warmup"}, "lr_schedule must be one of"),
        ({"epoch": 5}, "unknown hyperparameter"),
    ],
)
def test_bad_hyperparameters_are_refused(hyperparameters: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message):
        Network().fit(X, Y, **hyperparameters)


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        (np.empty((0, 2)), [], "X is empty"),
        (X[:, :0], Y, "no feature columns"),
        (X[0], Y, "X must be 2-D"),
        (np.where(X == 3, np.inf, X), Y, r"feature 'x1' must be finite: row 1 is inf"),
        (np.where(X == 3, -np.inf, X).astype(object), Y, r"feature 'x1' must be finite: row 1 is -inf"),
        ([[1.0, None]] * 10, Y, r"feature 'x1' is missing in every row: drop it"),
        ({"a": ["x", "NA"] * 5, "b": [None] * 10}, Y, r"feature 'b' is missing in every row"),
        ({}, Y, "X has no feature columns"),
        ({"a": [1, 2], "b": [1]}, Y, r"column 'b' must be 1-D with as many rows"),
        (np.array([[1 + 2j]] * 10), Y, "X must be a 2-D table of numbers or text"),
        (X, Y[:9], "X has 10, y has 9"),
        (X, np.zeros(10, dtype=int), "at least 2 classes in y, got 1"),
        (X, np.array([1.5, np.nan] * 5), "y must be finite"),
        (X, np.array([1, "a"] * 5, dtype=object), "mixes label types"),
        (X, np.array([0, None] * 5, dtype=object), "missing"),
    ],
)
def test_bad_training_data_is_refused_with_the_rule_and_the_value(x, y, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        Network(hidden=(2,)).fit(x, y, epochs=1)


def test_too_few_rows_for_the_validation_split_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="empty training or validation set"):
        Network(hidden=(2,)).fit(X[:3], [0.5, 1.5, 2.5], epochs=1, val_fraction=0.1)


def test_predicting_with_the_wrong_feature_count_names_both_counts() -> None:
    net = Network(hidden=(2,))
    net.fit(X, Y, epochs=1)
    with pytest.raises(InvalidInputError, match="X must have 2 features, got 3"):
        net.predict(np.ones((1, 3)))


def test_an_unfitted_network_cannot_predict() -> None:
    with pytest.raises(NotFittedError, match="call fit first"):
        Network().predict(X)


def test_a_regressor_has_no_class_probabilities() -> None:
    net = Network(hidden=(2,), task="regression")
    net.fit(X, np.linspace(0, 1, 10), epochs=1)
    with pytest.raises(InvalidInputError, match="predict_proba is for classifiers"):
        net.predict_proba(X)


def test_string_targets_cannot_be_forced_into_regression() -> None:
    with pytest.raises(InvalidInputError, match="regression targets must be numbers"):
        Network(hidden=(2,), task="regression").fit(X, np.array(["a", "b"] * 5), epochs=1)


@pytest.mark.parametrize(
    ("y", "task"),
    [
        (np.array(["cat", "dog"] * 5), "classification"),
        (np.array([0, 1, 2, 3, 4] * 2), "classification"),
        (np.array([0.0, 1.0] * 5), "classification"),
        (np.linspace(0, 1, 10), "regression"),
        (np.arange(30), "regression"),
        (np.ones((10, 2)) * np.array([0, 1]), "classification"),
        (np.linspace(0, 1, 20).reshape(10, 2), "regression"),
    ],
)
def test_the_task_is_inferred_from_y_by_the_documented_rule(y: np.ndarray, task: str) -> None:
    from model import infer_task

    assert infer_task(y) == task
