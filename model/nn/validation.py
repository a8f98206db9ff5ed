"""Checks at the library's boundary: turn caller data into clean arrays or raise clearly.

Every function raises ``InvalidInputError`` whose message names the rule and the value seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import InvalidInputError


def as_feature_matrix(x: Any, n_features: int | None = None) -> np.ndarray:
    """``x`` as a finite float array of shape (n_samples, n_features).

    float32 and float64 arrays are used as they are (no copy: a 60 000 x 784 float32 set
    stays 180 MiB); anything else becomes float64. A single 1-D row is refused rather than
    guessed at: callers pass ``[row]``.
    """
    array = _float_matrix(x, n_features)
    if not np.isfinite(array).all():
        _refuse_non_finite(array)
    return array


def feature_matrix(x: Any, n_features: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``as_feature_matrix`` plus the column minima and maxima (n_features,), for training.

    NaN and inf propagate into the minima/maxima, so they double as the finiteness check: two
    passes and no full temporary.
    """
    array = _float_matrix(x, n_features)
    low, high = array.min(axis=0), array.max(axis=0)
    if not (np.isfinite(low).all() and np.isfinite(high).all()):
        _refuse_non_finite(array)
    return array, low, high


def _float_matrix(x: Any, n_features: int | None) -> np.ndarray:
    try:
        array = np.asarray(x)
        if array.dtype not in (np.float32, np.float64):
            array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"X must be a 2-D array of numbers: {error}") from None
    if array.ndim != 2:
        raise InvalidInputError(
            f"X must be 2-D (n_samples, n_features), got {array.ndim}-D with shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise InvalidInputError("X is empty: at least one row is needed")
    if array.shape[1] == 0:
        raise InvalidInputError("X has no feature columns")
    if n_features is not None and array.shape[1] != n_features:
        raise InvalidInputError(f"X must have {n_features} features, got {array.shape[1]}")
    return array


def _refuse_non_finite(array: np.ndarray) -> None:
    row, column = np.argwhere(~np.isfinite(array))[0]
    raise InvalidInputError(f"X must be finite: row {row}, column {column} is {array[row, column]}")


def as_target_array(y: Any, n_samples: int) -> np.ndarray:
    """``y`` as an array of n_samples rows: 1-D labels or values, or a 2-D matrix."""
    array = np.asarray(y)
    if array.ndim == 0 or array.ndim > 2:
        raise InvalidInputError(f"y must be 1-D or 2-D, got shape {array.shape}")
    if len(array) != n_samples:
        raise InvalidInputError(f"X and y must have as many rows: X has {n_samples}, y has {len(array)}")
    if array.ndim == 2 and array.shape[1] == 0:
        raise InvalidInputError("y has no target columns")
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.dtype.kind in "fc" and not np.isfinite(array).all():
        raise InvalidInputError(f"y must be finite: row {int(np.argwhere(~np.isfinite(array))[0][0])} is not")
    if array.dtype.kind == "O" and any(value is None for value in array.ravel()):
        raise InvalidInputError("y must not contain missing (None) values")
    return array


def check_feature_names(names: Sequence[str] | None, n_features: int) -> tuple[str, ...]:
    """Given names, checked (one per column, unique, non-empty); else ``x0 .. x{n-1}``."""
    if names is None:
        return tuple(f"x{i}" for i in range(n_features))
    names = tuple(str(name) for name in names)
    if len(names) != n_features:
        raise InvalidInputError(f"feature_names must have {n_features} names, got {len(names)}")
    if len(set(names)) != len(names) or not all(names):
        raise InvalidInputError("feature_names must be unique and non-empty")
    return names
