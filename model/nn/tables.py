"""``as_table``: every form of table a library caller has, as one matrix of raw values.

Forms: a 2-D array (or nested lists), a dict of columns ``{name: sequence}``, a list of
records ``[{name: value}]``, or a pandas DataFrame (duck-typed: ``.columns``, ``.to_numpy``
and ``df[name]``; pandas is not a dependency). The result is the raw-values matrix every way
in produces (``features`` encodes it):

- all-numeric data: float32 or float64 (a float array is used as it is, no copy), NaN = missing;
- anything with text: object, cells are numbers, text or None; booleans become ``"True"`` /
  ``"False"`` (categorical).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from .errors import InvalidInputError
from .rows import rows_to_matrix
from .validation import check_feature_names


class Columns(NamedTuple):
    """A dict of columns or DataFrame with text, kept as its columns (``as_table(...,
    keep_columns=True)``): numbers stay float64 instead of becoming one Python object per cell
    in an object matrix. ``FeatureSchema.encode`` takes it in place of the matrix.

    Attributes
    ----------
    arrays : tuple of ndarray of shape (n_rows,)
        Each column: float64 (NaN = missing) or object (numbers, text or None).
    """

    arrays: tuple[np.ndarray, ...]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.arrays[0]), len(self.arrays)

    def column(self, j: int) -> np.ndarray:
        return self.arrays[j]

    def rows(self) -> list[list[Any]]:
        """The cells row by row, as ``ndarray.tolist`` gives them."""
        return [list(row) for row in zip(*(array.tolist() for array in self.arrays), strict=True)]


def as_table(
    X: Any, feature_names: Sequence[str] | None = None, *, keep_columns: bool = False
) -> tuple[np.ndarray | Columns, tuple[str, ...]]:
    """``X`` as raw values (n_rows, n_features) and the features' names.

    ``keep_columns=True`` (the predict path): a dict of columns or DataFrame with text comes back
    as ``Columns`` rather than one object matrix.

    Parameters
    ----------
    X : array-like, dict of columns, list of records or DataFrame
    feature_names : sequence of str, optional
        Arrays: the columns' names (default ``x0 .. x{n-1}``); their number must match.
        Named forms: the columns to take, in this order (default: all, in the given order);
        a missing name, or (when given) a column not named, is refused.

    Raises
    ------
    InvalidInputError
        Wrong shape, no rows or columns, columns of different lengths, names that do not match.
    """
    if type(X) is np.ndarray and X.dtype in _FLOATS and X.ndim == 2 and X.size:  # the fast path
        if feature_names is not None and len(feature_names) != X.shape[1]:
            raise InvalidInputError(f"X must have {len(feature_names)} features, got {X.shape[1]}")
        return X, _names(feature_names, X.shape[1])
    if isinstance(X, Mapping):
        return _columns(dict(X), feature_names, keep_columns)
    if hasattr(X, "columns") and hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):
        return _columns({str(name): _series(X[name]) for name in X.columns}, feature_names, keep_columns)
    if isinstance(X, Sequence) and not isinstance(X, str | bytes) and len(X) and isinstance(X[0], Mapping):
        rows = rows_to_matrix(X, feature_names)
        return rows.x, rows.feature_names
    if isinstance(X, list | tuple) and X and isinstance(X[0], Sequence) and not isinstance(X[0], str | bytes):
        names = None if feature_names is None else tuple(feature_names)
        if names is not None and len(X[0]) != len(names):
            raise InvalidInputError(f"X must have {len(names)} features, got {len(X[0])}")
        rows = rows_to_matrix(X, names)  # nested lists: numbers stay fast, text becomes object
        return _check_shape(rows.x), rows.feature_names
    x = _check_shape(_raw_array(X))
    if feature_names is not None and len(feature_names) != x.shape[1]:
        raise InvalidInputError(f"X must have {len(feature_names)} features, got {x.shape[1]}")
    return x, _names(feature_names, x.shape[1])


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _names(feature_names: Sequence[str] | None, width: int) -> tuple[str, ...]:
    """``check_feature_names``, remembered for tuples: a model checks its own names once."""
    if feature_names is None or type(feature_names) is tuple:
        return _checked_names(feature_names, width)
    return check_feature_names(feature_names, width)


@lru_cache(maxsize=64)
def _checked_names(feature_names: tuple[str, ...] | None, width: int) -> tuple[str, ...]:
    return check_feature_names(feature_names, width)


def _raw_array(X: Any) -> np.ndarray:
    try:
        array = np.asarray(X)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"X must be a 2-D table of values: {error}") from None
    if array.dtype in (np.float32, np.float64) or array.dtype == object:
        return array
    if array.dtype.kind in "iuf":
        return array.astype(np.float64)
    if array.dtype.kind in "bUS":
        return array.astype(str).astype(object)  # booleans as "True"/"False"
    raise InvalidInputError(f"X must be a 2-D table of numbers or text, got values of type {array.dtype}")


def _check_shape(x: np.ndarray) -> np.ndarray:
    if x.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_features), got {x.ndim}-D with shape {x.shape}")
    if x.shape[0] == 0:
        raise InvalidInputError("X is empty: at least one row is needed")
    if x.shape[1] == 0:
        raise InvalidInputError("X has no feature columns")
    return x


def _series(series: Any) -> np.ndarray:
    """A DataFrame column's values; pandas' own missing markers (NA, NaT) become None."""
    values = series.to_numpy()
    if values.dtype == object or values.dtype.kind not in "biufUS":
        values = series.to_numpy(dtype=object, na_value=None)
    return values


def _columns(
    columns: dict[Any, Any], feature_names: Sequence[str] | None, keep_columns: bool = False
) -> tuple[np.ndarray | Columns, tuple[str, ...]]:
    """A dict of columns as raw values, in ``feature_names`` order (else the dict's)."""
    given = {str(name): values for name, values in columns.items()}
    names = tuple(given) if feature_names is None else tuple(str(name) for name in feature_names)
    absent = [name for name in names if name not in given]
    extra = [name for name in given if name not in names] if feature_names is not None else []
    if absent or extra:
        detail = (f"no column {absent}" if absent else "") + ("; " if absent and extra else "")
        detail += f"columns the model does not know: {extra}" if extra else ""
        raise InvalidInputError(f"X's columns do not match the features: {detail}")
    if not names:
        raise InvalidInputError("X has no feature columns")
    arrays = [np.asarray(given[name]) for name in names]
    for name, array in zip(names, arrays, strict=True):
        if array.ndim != 1 or len(array) != len(arrays[0]):
            raise InvalidInputError(
                f"column {name!r} must be 1-D with as many rows as the first column ({len(arrays[0])}), "
                f"got shape {array.shape}"
            )
    if all(array.dtype.kind in "iuf" for array in arrays):
        dtype = np.result_type(*arrays)
        dtype = dtype if dtype in (np.float32, np.float64) else np.float64
        x = np.column_stack(arrays).astype(dtype, copy=False)  # (n_rows, n_features)
        return _check_shape(x), check_feature_names(names, len(names))
    arrays = [_raw_column(array) for array in arrays]
    if keep_columns:
        _check_shape(np.empty((len(arrays[0]), len(arrays)), bool))
        return Columns(tuple(arrays)), check_feature_names(names, len(names))
    x = np.empty((len(arrays[0]), len(arrays)), dtype=object)  # (n_rows, n_features)
    for j, array in enumerate(arrays):
        x[:, j] = array
    return _check_shape(x), check_feature_names(names, len(names))


def _raw_column(array: np.ndarray) -> np.ndarray:
    """A column of a table with text: numbers as float64, text and booleans as str objects."""
    if array.dtype.kind in "iuf":
        return array.astype(np.float64)
    if array.dtype.kind in "bUS":
        return array.astype(str).astype(object)
    return array
