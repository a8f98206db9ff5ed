"""Checks at the library's boundary: targets and feature names, or raise clearly.

Every function raises ``InvalidInputError`` whose message names the rule and the value seen.
Feature rows (lists, mappings or arrays) are checked in ``rows``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .errors import InvalidInputError


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
