"""The mini-batch training loop: shuffling, optimizer steps, validation, early stopping.

``train`` updates a ``Parameters`` in place and returns a ``History``. It knows nothing of
labels or scaling: it sees standardized features in the training dtype and encoded targets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .activations import ACTIVATIONS
from .backprop import Backprop
from .dense import Parameters
from .errors import ModelError
from .optimizers import OPTIMIZERS, make_optimizer
from .options import Options, option
from .schedules import SCHEDULES

MAX_PARAMETER = 1e8
"""A parameter this large (on standardized inputs) means training has diverged."""


class TrainingDivergedError(ModelError):
    """The loss became NaN or infinite: the learning rate is too high for this data."""


@dataclass(frozen=True)
class TrainingConfig(Options):
    """Hyperparameters of one ``fit`` call (stored in the artifact to explain the model).

    The defaults are the application's measured ones (``model.pipeline.TrainOptions``): one
    default per option wherever it is set. Early stopping is on by default (a 10 % validation
    part); ``val_fraction=0`` trains on every row. ``max_categories`` is read by
    ``Network.fit`` (the feature schema), not by the loop.
    """

    epochs: int = option(200, "most passes over the training rows", int, ge=1)
    batch_size: int = option(64, "rows per gradient step", int, ge=1)
    learning_rate: float = option(1e-3, "step size", float, gt=0)
    optimizer: str = option("adam", "update rule", str, choices=tuple(sorted(OPTIMIZERS)))
    momentum: float = option(0.9, "sgd momentum", float, ge=0, lt=1)
    nesterov: bool = option(False, "Nesterov momentum (sgd)", bool)
    l2: float = option(1e-3, "weight decay: l2/2 * sum of squared weights", float, ge=0)
    lr_schedule: str = option(
        "constant", "learning-rate schedule over the epochs", str, choices=tuple(sorted(SCHEDULES))
    )
    val_fraction: float = option(
        0.1, "rows held out of training for early stopping; 0 turns it off", float, ge=0, lt=1
    )
    patience: int = option(10, "epochs without validation-loss improvement before stopping", int, ge=1)
    min_delta: float = option(
        0.0, "smallest validation-loss decrease that counts as improvement", float, ge=0
    )
    max_categories: int = option(
        50,
        "levels a categorical feature keeps, most frequent first; rarer ones share an 'other' level",
        int,
        ge=2,
    )


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch did; ``epoch`` counts from 1. Validation fields are None without it."""

    epoch: int
    train_loss: float
    val_loss: float | None
    val_metric: float | None
    learning_rate: float
    seconds: float


@dataclass
class History:
    """Per-epoch records of a ``fit``, and why it stopped."""

    metric_name: str
    records: list[EpochRecord] = field(default_factory=list)
    best_epoch: int | None = None
    stop_reason: str = "completed"  # "completed" | "early_stopping" | "callback"
    # Indices (into the X given to fit) of the rows held out for validation; not serialized.
    validation_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        return {
            "metric_name": self.metric_name,
            "best_epoch": self.best_epoch,
            "stop_reason": self.stop_reason,
            "epochs": [asdict(record) for record in self.records],
        }


Callback = Callable[[EpochRecord], bool | None]
Evaluate = Callable[[Parameters], tuple[float, float]]


def train(
    params: Parameters,
    activation_name: str,
    output_loss_name: str,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainingConfig,
    rng: np.random.Generator,
    history: History,
    evaluate: Evaluate | None = None,
    callback: Callback | None = None,
) -> History:
    """Train ``params`` in place on standardized ``x`` (n, n_in) and encoded ``y`` (n, ...).

    ``evaluate(params) -> (val_loss, val_metric)`` turns on early stopping on the validation
    loss: training stops after ``patience`` epochs without an improvement larger than
    ``min_delta``, and the best parameters are restored. ``callback(record)`` runs after each
    epoch; returning True stops training (``stop_reason = "callback"``).
    """
    from .losses import OUTPUT_LOSSES  # local: keeps module import graph flat

    n = len(x)
    batch_size = min(config.batch_size, n)
    backprop = Backprop(
        params, ACTIVATIONS[activation_name], OUTPUT_LOSSES[output_loss_name], batch_size, config.l2
    )
    optimizer = make_optimizer(
        config.optimizer, params.flat.size, params.dtype, config.momentum, config.nesterov
    )
    schedule = SCHEDULES[config.lr_schedule]
    # Each batch is gathered into these buffers (contiguous, cache-sized); no shuffled copy
    # of the whole set per epoch.
    x_batch = np.empty((batch_size, *x.shape[1:]), x.dtype)
    y_batch = np.empty((batch_size, *y.shape[1:]), y.dtype)
    best_loss, best_flat, stale = math.inf, None, 0
    for epoch in range(config.epochs):
        started = time.perf_counter()
        rate = schedule(config.learning_rate, epoch, config.epochs)
        order = rng.permutation(n)
        total = 0.0
        # A diverging run overflows; that is detected just below and reported as one error.
        with np.errstate(over="ignore", invalid="ignore"):
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                m = len(rows)
                xb, yb = x_batch[:m], y_batch[:m]
                np.take(x, rows, axis=0, out=xb)
                np.take(y, rows, axis=0, out=yb)
                total += backprop.loss_and_gradient(xb, yb) * m
                optimizer.step(params.flat, backprop.grad, rate)
        train_loss = total / n
        # max/min need no temporary; a NaN fails both comparisons.
        if not (math.isfinite(train_loss) and params.flat.max() < MAX_PARAMETER > -params.flat.min()):
            raise TrainingDivergedError(
                f"training diverged at epoch {epoch + 1} (loss {train_loss}): "
                f"lower the learning rate (now {config.learning_rate})"
            )
        val_loss, val_metric = evaluate(params) if evaluate else (None, None)
        record = EpochRecord(epoch + 1, train_loss, val_loss, val_metric, rate, time.perf_counter() - started)
        history.records.append(record)
        if val_loss is not None:
            if val_loss < best_loss - config.min_delta:
                best_loss, best_flat, stale = val_loss, params.flat.copy(), 0
                history.best_epoch = epoch + 1
            else:
                stale += 1
        if callback is not None and callback(record):
            history.stop_reason = "callback"
            break
        if stale >= config.patience:
            history.stop_reason = "early_stopping"
            break
    if best_flat is not None:
        params.flat[...] = best_flat
    return history
