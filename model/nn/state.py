"""What a ``Network`` is, as plain values: how it is built and what ``fit`` taught it.

``Hyperparameters`` are the constructor's architecture arguments; ``NetworkState`` is everything
``fit`` learns (task and labels, parameters, preprocessing, the training record). ``Network``
keeps its fitted attributes in one ``NetworkState`` (``net.state``); the artifact saves the two
values and ``Network.from_state`` rebuilds a network from them, after ``check`` has verified
that they fit together. Neither the network nor the artifact reaches into the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .dense import Parameters
from .errors import InvalidConfigError
from .features import FeatureSchema
from .losses import OUTPUT_LOSSES
from .preprocessing import Scaler
from .training import History, TrainingConfig

# The output function and loss each task uses (``Network``'s module docstring gives the rule).
TASK_OUTPUT_LOSSES = {
    "classification": ("softmax_cross_entropy", "sigmoid_binary_cross_entropy"),
    "regression": ("identity_squared_error",),
}


@dataclass(frozen=True)
class Hyperparameters:
    """The architecture arguments of ``Network(...)`` (the task is part of the state)."""

    hidden: tuple[int, ...]
    activation: str
    init: str
    dtype: str
    seed: int | None


@dataclass
class NetworkState:
    """Everything a fitted ``Network`` learned; the defaults describe an unfitted one.

    Attributes
    ----------
    task : {"classification", "regression"} or None
        None until ``fit`` infers it (when the constructor left it open).
    params : Parameters or None
        Weights and biases, layer sizes (n_inputs, *hidden, n_outputs).
    output_loss : str or None
        Key of ``OUTPUT_LOSSES``: the output function and loss pair of the task.
    classes : ndarray of shape (n_classes,) or None
        Labels in output order (multi-label: the label names or 0..k-1).
    n_targets : int or None
        Regression with a 2-D ``y``: its number of columns; None for 1-D targets.
    feature_names : tuple of str
        The original features (n_features,), as the caller names them.
    schema : FeatureSchema or None
        Each feature's type, range or categories, median and missing share: how rows become
        the network's inputs (n_inputs,).
    x_scaler, y_scaler : Scaler
        Standardization of the inputs (n_inputs,) and, for regression, targets (n_targets,).
    created_at : str or None
        ISO time the model was first saved; None for a model no file holds yet.
    """

    task: str | None = None
    params: Parameters | None = None
    output_loss: str | None = None
    multilabel: bool = False
    classes: np.ndarray | None = None
    n_targets: int | None = None
    target_names: tuple[str, ...] | None = None
    feature_names: tuple[str, ...] = ()
    schema: FeatureSchema | None = None
    x_scaler: Scaler | None = None
    y_scaler: Scaler | None = None
    n_train_samples: int = 0
    history: History | None = None
    training_config: TrainingConfig | None = None
    validation_metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None

    @property
    def is_binary(self) -> bool:
        """Single-label classification of two classes: one sigmoid output."""
        return self.task == "classification" and not self.multilabel and len(self.classes) == 2

    @property
    def n_outputs(self) -> int:
        """Width of the output layer the task and labels call for."""
        if self.task == "regression":
            return self.n_targets or 1
        return 1 if self.is_binary else len(self.classes)


class InState:
    """An attribute of ``Network`` read from and written to its ``state``, so the state is the one
    copy of what ``fit`` learns (``task = InState()`` in the class body)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, net: Any, owner: type | None = None) -> Any:
        return self if net is None else getattr(net.state, self.name)

    def __set__(self, net: Any, value: Any) -> None:
        setattr(net.state, self.name, value)


def check(hyperparameters: Hyperparameters, state: NetworkState) -> None:
    """Verify that a fitted ``state`` fits ``hyperparameters`` and itself; raise
    ``InvalidConfigError`` naming the first disagreement."""
    params, sizes = state.params, state.params.sizes
    if state.task not in TASK_OUTPUT_LOSSES or state.output_loss not in TASK_OUTPUT_LOSSES[state.task]:
        raise InvalidConfigError(f"output {state.output_loss!r} does not serve the task {state.task!r}")
    if hyperparameters.activation not in ACTIVATIONS or state.output_loss not in OUTPUT_LOSSES:
        raise InvalidConfigError(
            f"unknown functions: {hyperparameters.activation!r}, {state.output_loss!r}"
        )
    if sizes[1:-1] != hyperparameters.hidden or params.dtype != np.dtype(hyperparameters.dtype):
        raise InvalidConfigError("the architecture disagrees with the parameters")
    if (state.task == "classification") != (state.classes is not None):
        raise InvalidConfigError("classes are given exactly for classifiers")
    if state.n_outputs != sizes[-1]:
        raise InvalidConfigError("the output size disagrees with the classes or targets")
    n_inputs = sizes[0]
    for name, vector in {"x_mean": state.x_scaler.mean, "x_scale": state.x_scaler.scale}.items():
        if np.shape(vector) != (n_inputs,):
            raise InvalidConfigError(f"{name} must have shape ({n_inputs},), got {np.shape(vector)}")
    if state.schema is None or state.schema.n_inputs != n_inputs:
        raise InvalidConfigError(f"the feature schema must give the network's {n_inputs} inputs")
    if state.schema.names != state.feature_names or (state.x_scaler.scale <= 0).any():
        raise InvalidConfigError("the feature names or scales are invalid")
    if (state.task == "regression") != (state.y_scaler is not None):
        raise InvalidConfigError("a target scaler is given exactly for regressors")
    if state.y_scaler is not None and np.shape(state.y_scaler.mean) != (state.n_outputs,):
        raise InvalidConfigError(f"the target scaler must have shape ({state.n_outputs},)")
