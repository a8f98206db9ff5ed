"""Preprocessing carried inside a model: feature scaling, target scaling, labels, the task.

Feature scaling: z = (x - mean) / scale, where scale is the standard deviation, or 1 for a
constant column (so it maps to 0 instead of dividing by zero). Regression targets get the same
treatment so the network trains on unit-scale values and predicts in the caller's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InvalidInputError

MAX_STANDARDIZED = 1e6
"""Bound of standardized features: a million standard deviations is already far outside."""

MAX_AUTO_CLASSES = 20
"""Integer-valued targets with at most this many distinct values are taken as class labels."""


@dataclass(frozen=True)
class Scaler:
    """Per-column mean and scale, arrays of shape (n_columns,) in float64."""

    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        # Raw values outside [low, high] standardize beyond +-MAX_STANDARDIZED: clipping them
        # first keeps a finite but absurd input (1e308) finite, with no overflow to guard.
        with np.errstate(over="ignore"):
            object.__setattr__(self, "_low", self.mean - MAX_STANDARDIZED * self.scale)
            object.__setattr__(self, "_high", self.mean + MAX_STANDARDIZED * self.scale)

    @classmethod
    def fit(cls, x: np.ndarray) -> Scaler:
        """Column means and standard deviations, accumulated in float64 over row chunks (two
        passes, temporaries of one chunk only)."""
        n = len(x)
        mean = sum(chunk.sum(axis=0, dtype=np.float64) for chunk in _row_chunks(x)) / n
        squares = sum(((chunk - mean) ** 2).sum(axis=0) for chunk in _row_chunks(x))
        std = np.sqrt(squares / n)
        return cls(mean, np.where(std > 0, std, 1.0))

    def _standardize(self, x: np.ndarray) -> np.ndarray:
        """(x - mean) / scale in float64, clipped to +-``MAX_STANDARDIZED``; a new array."""
        z = np.clip(x, self._low, self._high, dtype=np.float64)
        z -= self.mean
        z /= self.scale
        return z

    def transform(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """(n, n_columns) -> standardized, C-contiguous, in ``dtype``.

        Big matrices go one chunk of rows at a time, written straight into the result, so the
        float64 temporaries stay small.
        """
        if x.size <= CHUNK_VALUES:
            return np.ascontiguousarray(self._standardize(x), dtype=dtype)
        out = np.empty(x.shape, dtype=dtype)
        start = 0
        for chunk in _row_chunks(x):
            out[start : start + len(chunk)] = self._standardize(chunk)
            start += len(chunk)
        return out

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z, np.float64) * self.scale + self.mean


CHUNK_VALUES = 1 << 20
"""Values per chunk when scaling big matrices (8 MiB of float64): temporaries stay small."""


def _row_chunks(x: np.ndarray):
    """Consecutive row blocks of ``x`` of about ``CHUNK_VALUES`` values each."""
    rows = max(1, CHUNK_VALUES // max(1, x.shape[1] if x.ndim > 1 else 1))
    for start in range(0, len(x), rows):
        yield x[start : start + rows]


def infer_task(y: np.ndarray) -> str:
    """``"classification"`` or ``"regression"`` for targets ``y`` (1-D, or 2-D with >= 2 columns).

    The rule: a 2-D matrix of only 0s and 1s is multi-label classification, any other 2-D
    matrix is regression; a 1-D ``y`` of strings, booleans or other non-numbers is
    classification; numeric 1-D ``y`` is classification when every value is a whole number
    and there are at most ``MAX_AUTO_CLASSES`` (20) distinct values, regression otherwise.
    """
    if y.ndim == 2:
        return "classification" if is_binary_matrix(y) else "regression"
    if y.dtype.kind not in "iuf":
        return "classification"
    whole = y.dtype.kind in "iu" or bool(np.all(np.mod(y, 1) == 0))
    return "classification" if whole and len(np.unique(y)) <= MAX_AUTO_CLASSES else "regression"


def is_binary_matrix(y: np.ndarray) -> bool:
    return y.dtype.kind in "iufb" and bool(np.isin(y, (0, 1)).all())


def as_regression_targets(y: np.ndarray) -> np.ndarray:
    """Float64 targets of shape (n, n_targets); strings are refused with the value seen."""
    try:
        values = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(f"regression targets must be numbers, got values of type {y.dtype}") from None
    return values.reshape(len(values), -1)


def label_list(classes: np.ndarray) -> list:
    """Classes as plain Python values (int, float, bool or str) for JSON and for callers."""
    return [value.item() if isinstance(value, np.generic) else value for value in classes]


def encode_labels(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Class indices (n,) of ``y`` in ``classes`` (sorted); unknown labels raise."""
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if unknown.any():
        raise InvalidInputError(
            f"y has a label the model does not know: {y[np.argmax(unknown)]!r} (known: {label_list(classes)})"
        )
    return index.astype(np.intp)


def decode_labels(proba: np.ndarray, classes: np.ndarray, multilabel: bool) -> np.ndarray:
    """Predicted labels from probabilities (n, n_classes): the inverse of ``encode_labels``.

    Single-label: the most probable class, as a label of ``classes`` (n,). Multi-label: 0/1
    int64 (n, n_labels), 1 where a label's probability is at least 0.5.
    """
    if multilabel:
        return (proba >= 0.5).astype(np.int64)
    return classes[proba.argmax(axis=1)]


def unique_labels(y: np.ndarray) -> np.ndarray:
    """Sorted distinct labels; mixed types (e.g. 1 and "1") are refused."""
    try:
        return np.unique(y)
    except TypeError:
        raise InvalidInputError("y mixes label types (e.g. numbers and strings)") from None
