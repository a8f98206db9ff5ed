"""``Network``: a feed-forward neural network estimator (fit, predict, evaluate, save).

The estimator only orchestrates: validation (``validation``), preprocessing
(``preprocessing``), the training loop (``training``), the math (``dense``, ``backprop``,
``activations``, ``losses``), what a fitted network holds (``state``) and the file format
(``artifact``) live in their own modules. ``load``/``loads`` rebuild a network from a file.

Output layer and loss follow the task, as pairs:

- more than two classes: softmax + categorical cross-entropy, one output per class;
- two classes: sigmoid + binary cross-entropy, one output (the second class's probability);
- multi-label (a 0/1 matrix ``y``): sigmoid + binary cross-entropy, one output per label;
- regression (one or several targets): identity + mean squared error on standardized targets.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, BinaryIO

import numpy as np

from . import artifact, metrics
from .activations import ACTIVATIONS
from .dense import Parameters, forward
from .errors import ArtifactError, InvalidConfigError, InvalidInputError, ModelError, NotFittedError
from .features import Encoded, FeatureSchema
from .initializers import INITIALIZERS
from .losses import OUTPUT_LOSSES
from .options import NetworkConfig
from .preprocessing import (
    Scaler,
    as_regression_targets,
    decode_labels,
    encode_labels,
    infer_task,
    is_binary_matrix,
    label_list,
    unique_labels,
)
from .splitting import train_validation_split
from .state import Hyperparameters, InState, NetworkState, check
from .tables import as_table
from .training import Callback, History, TrainingConfig, train
from .validation import as_target_array

_DEFAULTS = NetworkConfig()  # the declared defaults, shown in the signature below
TASKS = ("classification", "regression")


class Network:
    """A dense feed-forward network for classification or regression.

    Parameters
    ----------
    hidden : sequence of int
        Widths of the hidden layers, e.g. ``(128, 64)``; ``()`` gives a linear model.
    activation : str
        Hidden activation: one of ``ACTIVATIONS`` (relu, leaky_relu, tanh, sigmoid,
        identity, gelu).
    task : {"classification", "regression"} or None
        None infers it from ``y`` at the first ``fit`` (rule: ``preprocessing.infer_task``).
    init : str
        Weight initialization, one of ``INITIALIZERS`` (pytorch, glorot, he).
    dtype : {"float32", "float64"}
        Precision of parameters and computation.
    seed : int or None
        Seeds the one ``np.random.Generator`` behind init, splits and shuffles: the same seed
        and data give bit-identical parameters.

    What ``fit`` learns (``task`` once inferred, ``params``, ``classes``, the scalers, the
    feature schema, the training record...) is read as attributes and kept in ``state``
    (a ``NetworkState``).

    ``fit``, ``predict``, ``predict_proba`` and ``evaluate`` take a table in any form
    ``tables.as_table`` accepts: a 2-D array, a dict of columns, a list of records or a pandas
    DataFrame. Features may be numeric or categorical and values may be missing; the feature
    schema (``schema``, see ``features``) encodes them into the network's inputs.
    """

    # Set by fit (or by from_state); the unfitted defaults are NetworkState's.
    task = InState()
    params = InState()
    output_loss = InState()
    classes = InState()
    multilabel = InState()
    n_targets = InState()  # regression: 1-D y gives None, (n, k) gives k
    target_names = InState()  # y's column names, when known
    feature_names = InState()  # the original features (before encoding)
    schema = InState()  # FeatureSchema: each feature's type, categories or range, missing share
    x_scaler = InState()
    y_scaler = InState()
    n_train_samples = InState()
    history = InState()
    training_config = InState()
    validation_metrics = InState()
    created_at = InState()  # set when first saved; a fit clears it

    def __init__(
        self,
        hidden: Sequence[int] = _DEFAULTS.hidden,
        activation: str = _DEFAULTS.activation,
        task: str | None = None,
        *,
        init: str = _DEFAULTS.init,
        dtype: str = _DEFAULTS.dtype,
        seed: int | None = _DEFAULTS.seed,
    ) -> None:
        # The one set of defaults and rules of these options (``mlp-train`` and ``/train`` too).
        config = NetworkConfig(hidden=hidden, activation=activation, init=init, dtype=dtype, seed=seed)
        if task is not None:
            _check_choice("task", task, TASKS)
        self.hidden = config.hidden
        self.activation = config.activation
        self.init = config.init
        self.dtype = config.dtype
        self.seed = config.seed
        self.state = NetworkState(task=task)

    @classmethod
    def from_state(cls, hyperparameters: Hyperparameters, state: NetworkState) -> Network:
        """The fitted network of ``hyperparameters`` and ``state`` (which it then owns); raises
        ``InvalidConfigError`` when they do not fit together."""
        if state.params is None:
            raise NotFittedError("a network is rebuilt from a fitted state only")
        net = cls(**asdict(hyperparameters), task=state.task)
        check(net.hyperparameters, state)
        net.state = state
        return net

    @property
    def hyperparameters(self) -> Hyperparameters:
        return Hyperparameters(self.hidden, self.activation, self.init, self.dtype, self.seed)

    # ------------------------------------------------------------------ properties
    @property
    def is_fitted(self) -> bool:
        return self.params is not None

    @property
    def n_features(self) -> int:
        """Features a row has (before encoding)."""
        self._require_fitted()
        return len(self.feature_names)

    @property
    def n_inputs(self) -> int:
        """Inputs of the network (after encoding: one-hot levels, missing indicators)."""
        self._require_fitted()
        return self.params.sizes[0]

    @property
    def feature_min(self) -> np.ndarray:
        """The training minimum of each feature (n_features,), NaN for categorical ones."""
        return None if self.schema is None else self.schema.feature_min

    @property
    def feature_max(self) -> np.ndarray:
        """The training maximum of each feature (n_features,), NaN for categorical ones."""
        return None if self.schema is None else self.schema.feature_max

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        """(n_inputs, *hidden, n_outputs) once fitted."""
        self._require_fitted()
        return self.params.sizes

    @property
    def metric_name(self) -> str:
        return "accuracy" if self.task == "classification" else "r2"

    @property
    def loss_name(self) -> str:
        """The key of ``evaluate`` that ranks models on the same rows, lower is better: log_loss
        (single-label), brier (multi-label) or mse (regression)."""
        if self.task == "regression":
            return "mse"
        return "brier" if self.multilabel else "log_loss"

    # ------------------------------------------------------------------ training
    def fit(
        self,
        X: Any,
        y: Any,
        *,
        feature_names: Sequence[str] | None = None,
        target_names: Sequence[str] | None = None,
        feature_types: dict[str, str] | None = None,
        callback: Callback | None = None,
        warm_start: bool = False,
        **hyperparameters: Any,
    ) -> History:
        """Train on ``X`` (n_samples, n_features) and targets ``y``; return the history.

        ``X``: any form ``as_table`` takes; ``feature_names`` names an array's columns, or
        picks (and orders) the columns of a named form. ``feature_types`` forces types
        (``{"zip": "categorical"}``); the rest are inferred (``features``). ``y``: 1-D labels
        (ints, strings...) or values, or a 2-D 0/1 matrix (multi-label) or float matrix
        (several regression targets). Hyperparameters are ``TrainingConfig``'s fields (epochs,
        batch_size, learning_rate, optimizer, momentum, nesterov, l2, lr_schedule,
        val_fraction, patience, min_delta, max_categories). ``warm_start=True`` continues from
        the current parameters, keeping the preprocessing, the schema (its numeric ranges
        widen), labels and task. ``target_names``
        names ``y``'s columns (one per column; for multi-label they become the ``classes``).
        """
        unknown = set(hyperparameters) - set(TrainingConfig.names())
        if unknown:
            raise InvalidConfigError(
                f"unknown hyperparameter(s) {sorted(unknown)}; known: {list(TrainingConfig.names())}"
            )
        config = TrainingConfig(**hyperparameters)
        warm = warm_start and self.is_fitted
        if warm and feature_names is not None and tuple(feature_names) != self.feature_names:
            raise InvalidInputError("feature_names differ from the model's; warm start keeps them")
        if warm and feature_types is not None:
            raise InvalidConfigError("warm start keeps the feature schema: feature_types cannot change it")
        raw, names = as_table(X, self.feature_names if warm else feature_names)  # (n_samples, n_features)
        y_array = as_target_array(y, len(raw))
        if warm:
            schema = self.schema.widened(raw)
        else:
            self.target_names = _target_names(target_names, y_array)
            self._set_up_targets(y_array)
            schema = FeatureSchema.fit(raw, names, feature_types, config.max_categories)
        x = schema.encode(raw, flags=False).x  # (n_samples, n_inputs); float input: raw itself
        y_encoded = self._encode_targets(y_array)
        rng = np.random.default_rng(self.seed)
        stratify = y_encoded if self.output_loss == "softmax_cross_entropy" or self.state.is_binary else None
        train_idx, val_idx = train_validation_split(len(x), config.val_fraction, rng, _flat_labels(stratify))
        # No copy when every row trains (no validation split).
        x_train = x if len(val_idx) == 0 else x[train_idx]
        y_train = y_encoded if len(val_idx) == 0 else y_encoded[train_idx]
        if not warm:
            self.x_scaler = Scaler.fit(x_train)
            if self.task == "regression":
                self.y_scaler = Scaler.fit(y_train)
            self.feature_names = names
        self.schema = schema
        params = self._initial_parameters(x.shape[1], rng, warm)
        evaluate = None
        if len(val_idx):
            x_val = self.x_scaler.transform(x[val_idx], self.dtype)
            y_val = self._training_targets(y_encoded[val_idx])
            evaluate = self._validation_scorer(x_val, y_val)
        history = History(self.metric_name, validation_rows=val_idx)
        train(
            params, self.activation, self.output_loss,
            self.x_scaler.transform(x_train, self.dtype), self._training_targets(y_train),
            config, rng, history, evaluate, callback,
        )  # fmt: skip
        self.params, self.history, self.training_config = params, history, config
        self.created_at = None  # new parameters: a new model, dated when saved
        self.n_train_samples = len(train_idx) + (self.n_train_samples if warm else 0)
        held_out = Encoded(x[val_idx], {})  # encoded above: not again
        self.validation_metrics = self.evaluate(held_out, y_array[val_idx]) if len(val_idx) else {}
        return history

    def _set_up_targets(self, y: np.ndarray) -> None:
        task = self.task or infer_task(y)
        if task not in TASKS:
            raise InvalidConfigError(f"task must be one of {TASKS}, got {task!r}")
        self.task = task
        self.multilabel = task == "classification" and y.ndim == 2
        if task == "regression":
            self.classes = None
            self.n_targets = None if y.ndim == 1 else y.shape[1]
            self.output_loss = "identity_squared_error"
        elif self.multilabel:
            if not is_binary_matrix(y):
                raise InvalidInputError("a 2-D classification y must be a 0/1 (multi-label) matrix")
            self.classes = np.array(self.target_names) if self.target_names else np.arange(y.shape[1])
            self.output_loss = "sigmoid_binary_cross_entropy"
        else:
            self.classes = unique_labels(y)
            if len(self.classes) < 2:
                raise InvalidInputError(
                    "classification needs at least 2 classes in y, "
                    f"got {len(self.classes)}: {label_list(self.classes)}"
                )
            self.output_loss = (
                "sigmoid_binary_cross_entropy" if len(self.classes) == 2 else "softmax_cross_entropy"
            )

    def _encode_targets(self, y: np.ndarray) -> np.ndarray:
        """Class indices (n,), a 0/1 matrix (n, k) or float targets (n, k), before scaling."""
        if self.task == "regression":
            values = as_regression_targets(y)
            if values.shape[1] != self.state.n_outputs:
                raise InvalidInputError(
                    f"y must have {self.state.n_outputs} target column(s), got {values.shape[1]}"
                )
            return values
        if self.multilabel:
            if y.ndim != 2 or y.shape[1] != len(self.classes) or not is_binary_matrix(y):
                raise InvalidInputError(f"y must be a 0/1 matrix with {len(self.classes)} columns")
            return y.astype(np.float64)
        if y.ndim != 1:
            raise InvalidInputError(f"y must be 1-D class labels, got shape {y.shape}")
        return encode_labels(y, self.classes)

    def _training_targets(self, y_encoded: np.ndarray) -> np.ndarray:
        """What the loss consumes: indices for softmax, float columns otherwise."""
        if self.output_loss == "softmax_cross_entropy":
            return y_encoded
        if self.task == "regression":
            return self.y_scaler.transform(y_encoded, self.dtype)
        return np.ascontiguousarray(y_encoded.reshape(len(y_encoded), -1), dtype=self.dtype)

    def _initial_parameters(self, n_features: int, rng: np.random.Generator, warm: bool) -> Parameters:
        if warm:
            return self.params.copy()  # train a copy: an interrupted fit leaves the model whole
        sizes = (n_features, *self.hidden, self.state.n_outputs)
        return Parameters.initialize(sizes, INITIALIZERS[self.init], rng, np.dtype(self.dtype))

    def _validation_scorer(self, x_val: np.ndarray, y_val: np.ndarray):
        output_loss, activation = OUTPUT_LOSSES[self.output_loss], ACTIVATIONS[self.activation]

        def evaluate(params: Parameters) -> tuple[float, float]:
            logits = forward(params, activation, x_val)
            loss = output_loss.loss(logits, y_val)
            if self.task == "regression":
                return loss, metrics.r2_score(y_val, logits)
            if self.output_loss == "softmax_cross_entropy":
                return loss, metrics.accuracy(y_val, logits.argmax(axis=1))
            return loss, metrics.accuracy(y_val > 0.5, logits > 0)

        return evaluate

    # ------------------------------------------------------------------ prediction
    def encode(self, X: Any, columns: Sequence[str] | None = None, *, flags: bool = True) -> Encoded:
        """``X`` (any form ``as_table`` takes) as the network's inputs (n_samples, n_inputs),
        before standardization, with the flags of its values (``FeatureSchema.encode``).

        ``predict``, ``predict_proba`` and ``evaluate`` accept the result in place of ``X``, so
        a caller wanting flags and predictions encodes once (``inference.infer``).
        """
        self._require_fitted()
        if isinstance(X, Encoded):
            return X
        raw, _ = as_table(X, self.feature_names, keep_columns=True)
        return self.schema.encode(raw, None if columns is None else tuple(columns), flags=flags)

    def _outputs(self, X: Any) -> np.ndarray:
        """Output-layer activations (n_samples, n_outputs); reads the model, writes nothing."""
        x = self.encode(X, flags=False).x  # (n_samples, n_inputs)
        x = self.x_scaler.transform(x, self.dtype)
        logits = forward(self.params, ACTIVATIONS[self.activation], x)
        return OUTPUT_LOSSES[self.output_loss].output(logits)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes``.

        Single-label rows sum to 1; multi-label columns are independent probabilities.
        """
        self._require_fitted()
        if self.task != "classification":
            raise InvalidInputError("predict_proba is for classifiers; this model is a regressor")
        p = self._outputs(X)
        if self.state.is_binary:
            p = np.hstack([1 - p, p])  # (n, 2): P(classes[0]), P(classes[1])
        return p

    def predict(self, X: Any) -> np.ndarray:
        """Labels in the caller's own terms (classifiers) or values in target units (regressors).

        Shapes: (n,) labels; (n, n_labels) 0/1 for multi-label; (n,) or (n, n_targets) values.
        """
        if self.task == "regression":
            values = self.y_scaler.inverse(self._outputs(X))
            return values if self.n_targets else values[:, 0]
        return decode_labels(self.predict_proba(X), self.classes, self.multilabel)

    def evaluate(self, X: Any, y: Any) -> dict[str, Any]:
        """Metrics on (X, y): accuracy, log_loss, confusion_matrix (row = true class, column =
        predicted, in ``classes`` order; only up to ``metrics.MAX_CONFUSION_CLASSES`` classes)
        for single-label classifiers; accuracy (exact rows)
        and brier for multi-label; mse, mae, r2 for regressors (in target units)."""
        x = self.encode(X, flags=False)
        y_array = as_target_array(y, len(x.x))
        if self.task == "regression":
            truth = as_regression_targets(y_array)
            predicted = self.predict(x).reshape(len(x.x), -1)
            return {
                "mse": metrics.mean_squared_error(truth, predicted),
                "mae": metrics.mean_absolute_error(truth, predicted),
                "r2": metrics.r2_score(truth, predicted),
            }
        if self.multilabel:
            truth, proba = self._encode_targets(y_array), self.predict_proba(x)
            return {
                "accuracy": metrics.accuracy(truth, decode_labels(proba, self.classes, multilabel=True)),
                "brier": metrics.brier_score(truth, proba),
            }
        truth = encode_labels(y_array, self.classes)
        proba = self.predict_proba(x)
        predicted = proba.argmax(axis=1)
        scores: dict[str, Any] = {
            "accuracy": metrics.accuracy(truth, predicted),
            "log_loss": metrics.log_loss(truth, proba),
        }
        if len(self.classes) <= metrics.MAX_CONFUSION_CLASSES:
            matrix = metrics.confusion_matrix(truth, predicted, len(self.classes))
            scores["confusion_matrix"] = matrix.tolist()
        return scores

    # ------------------------------------------------------------------ persistence
    def describe(self) -> dict[str, Any]:
        """JSON-ready summary (the model card): architecture, task, the feature schema (each
        feature's type, categories or range, missing share), classes, training."""
        self._require_fitted()
        return artifact.describe(self.hyperparameters, self.state)

    def save(self, path: str | os.PathLike | BinaryIO) -> None:
        """Write the model to one self-describing ``.npz`` file (no pickle); see ``artifact``.

        The first save dates the model (``created_at``); a fit clears the date again.
        """
        self._require_fitted()
        self.created_at = self.created_at or datetime.now(UTC).isoformat(timespec="seconds")
        artifact.save(self.hyperparameters, self.state, path)

    def _require_fitted(self) -> None:
        if self.params is None:
            raise NotFittedError("this Network is not trained yet: call fit first")

    def __repr__(self) -> str:
        state = f"task={self.task!r}, sizes={self.params.sizes}" if self.is_fitted else "unfitted"
        return f"Network(hidden={self.hidden}, activation={self.activation!r}, {state})"


def load(path: str | os.PathLike) -> Network:
    """Read and validate a model file; return the ``Network``. Raises ``ArtifactError``."""
    return _rebuild(*artifact.read(path))


def loads(raw: bytes) -> Network:
    """``load`` from the bytes of a model file."""
    return _rebuild(*artifact.reads(raw))


def _rebuild(hyperparameters: Hyperparameters, state: NetworkState) -> Network:
    try:
        return Network.from_state(hyperparameters, state)
    except ModelError as error:
        raise ArtifactError(f"model file is inconsistent: {error}") from None


def _check_choice(name: str, value: object, choices: Any) -> None:
    if value not in choices:
        raise InvalidConfigError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def _target_names(names: Sequence[str] | None, y: np.ndarray) -> tuple[str, ...] | None:
    if names is None:
        return None
    names = tuple(str(name) for name in names)
    columns = 1 if y.ndim == 1 else y.shape[1]
    if len(names) != columns or len(set(names)) != columns or not all(names):
        raise InvalidInputError(f"target_names must be {columns} distinct non-empty names, got {len(names)}")
    return names


def _flat_labels(y: np.ndarray | None) -> np.ndarray | None:
    return None if y is None else np.asarray(y).reshape(len(y), -1)[:, 0]
