"""Output activations paired with their losses, registered by name.

The output activation and the loss are chosen together so that the gradient of the loss with
respect to the output layer's pre-activation ``z`` is simple and exact:

=============================  ==========================  =============================
pair                           loss L (mean over samples)  dL/dz
=============================  ==========================  =============================
softmax + cross-entropy        -log softmax(z)[y]          (softmax(z) - onehot(y)) / m
sigmoid + binary cross-entropy -sum_k y log s + (1-y)      (sigmoid(z) - y) / m
                               log(1 - s)
identity + squared error       mean over samples and       2 (z - y) / (m * n_targets)
                               targets of (z - y)^2
=============================  ==========================  =============================

``m`` is the number of samples in the batch. Losses are computed from the logits ``z``
(log-sum-exp, softplus), never from clipped probabilities, so they are exact and finite for
any finite ``z``. Targets: class indices of shape ``(m,)`` for softmax; 0/1 floats of shape
``(m, n_outputs)`` for sigmoid; floats of shape ``(m, n_targets)`` for identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .activations import sigmoid


@dataclass(frozen=True)
class OutputLoss:
    """An output activation and the loss it is trained with."""

    name: str
    output: Callable[[np.ndarray], np.ndarray]
    loss: Callable[[np.ndarray, np.ndarray], float]
    delta: Callable[[np.ndarray, np.ndarray], np.ndarray]
    # Both at once, sharing the passes over z (the training step's path); overwrites z.
    loss_and_delta: Callable[[np.ndarray, np.ndarray], tuple[float, np.ndarray]]


NARROW = 8
"""Below this many columns (and from ``MANY_ROWS`` rows), row-wise max and sum go column by
column: a reduction along a short axis costs numpy a loop call per row (5x slower for 3 classes
on 10 000 rows), and for fewer than 8 values its sum adds them in the same order, so the results
are the same bits. A few rows keep the reduction, which has less fixed cost."""
MANY_ROWS = 64


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``z`` (n_samples, n_classes), shifted by the row max for stability."""
    if z.shape[1] >= NARROW or len(z) < MANY_ROWS:
        e = np.exp(z - z.max(axis=1, keepdims=True))
        e /= e.sum(axis=1, keepdims=True)
        return e
    columns = z.T  # (n_classes, n_samples) views, one per class
    top = columns[0].copy()
    for column in columns[1:]:
        np.maximum(top, column, out=top)
    e = np.exp(z - top[:, None])  # (n_samples, n_classes)
    total = e[:, 0].copy()
    for j in range(1, e.shape[1]):
        total += e[:, j]
    e /= total[:, None]
    return e


def log_sum_exp(z: np.ndarray) -> np.ndarray:
    """log(sum(exp(z), axis=1)) of shape (n_samples,), computed without overflow."""
    z_max = z.max(axis=1)
    return z_max + np.log(np.exp(z - z_max[:, None]).sum(axis=1))


def _softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    picked = np.take_along_axis(z, y[:, None], axis=1)[:, 0]  # (m,)
    return float(np.mean(log_sum_exp(z) - picked))


def _softmax_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Overwrites ``z`` with dL/dz = (softmax(z) - onehot(y)) / m."""
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    z[np.arange(len(y)), y] -= 1
    z /= len(y)
    return z


def _softmax_loss_and_delta(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    m = len(y)
    rows = np.arange(m)
    z -= z.max(axis=1, keepdims=True)
    picked = z[rows, y]  # (m,) shifted logit of the true class
    np.exp(z, out=z)
    sums = z.sum(axis=1)  # (m,)
    loss = (float(np.log(sums).sum()) - float(picked.sum())) / m
    sums *= m  # (softmax - onehot) / m in one pass: divide by m * sums, subtract 1 / m
    z /= sums[:, None]
    z[rows, y] -= 1.0 / m
    return loss, z


def _binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> float:
    # -[y log s(z) + (1 - y) log(1 - s(z))] = softplus(z) - y z, softplus(z) = max(z, 0) +
    # log1p(exp(-|z|)): no overflow for any z.
    per_entry = np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))
    return float(per_entry.sum() / len(z))


def _sigmoid_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Overwrites ``z`` with dL/dz = (sigmoid(z) - y) / m."""
    sigmoid(z, out=z)
    z -= y
    z /= len(y)
    return z


def _sigmoid_loss_and_delta(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    return _binary_cross_entropy(z, y), _sigmoid_delta(z, y)


def _squared_error(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((z - y) ** 2))


def _identity_delta(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Overwrites ``z`` with dL/dz = 2 (z - y) / (m * n_targets)."""
    z -= y
    z *= 2.0 / z.size
    return z


def _identity_loss_and_delta(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    z -= y
    flat = z.ravel()
    loss = float(np.dot(flat, flat)) / z.size
    z *= 2.0 / z.size
    return loss, z


OUTPUT_LOSSES: dict[str, OutputLoss] = {
    pair.name: pair
    for pair in (
        OutputLoss(
            "softmax_cross_entropy", softmax, _softmax_cross_entropy, _softmax_delta, _softmax_loss_and_delta
        ),
        OutputLoss(
            "sigmoid_binary_cross_entropy",
            sigmoid,
            _binary_cross_entropy,
            _sigmoid_delta,
            _sigmoid_loss_and_delta,
        ),
        OutputLoss(
            "identity_squared_error", np.array, _squared_error, _identity_delta, _identity_loss_and_delta
        ),
    )
}
