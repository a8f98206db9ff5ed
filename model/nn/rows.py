"""Rows to the network's matrix: the one place where caller rows are checked and converted.

Two ways in, one set of checks, one error (``RowsError``, a list of located ``Problem``):

- ``rows_to_matrix(rows, feature_names)``: rows as lists (values in feature order) or as
  mappings (values by feature name), as JSON requests, the console and CSV files give them;
  ``feature_names=None`` learns the features from the first row (its keys, or its width).
- ``as_feature_matrix(x, n_features)`` / ``feature_matrix``: arrays, the library's fast path
  for ``Network.fit``/``predict`` (no copy of a float32 or float64 array).

Locations are relative to the rows (``(i,)``, ``(i, j)``, ``(i, "name")``); every front door
prefixes its own path. At most ``MAX_PROBLEMS`` problems are collected: enough to fix a batch
in one go, bounded whatever the batch. The happy path is whole-array work plus one ``len``
per row (lists) or one key comparison per row (mappings); cells are looked at one by one only
to locate a problem numpy found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from .errors import Problem, RowsError

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class RowMatrix:
    """Rows as the model's input.

    Attributes
    ----------
    x : ndarray of shape (n_rows, n_features)
        Finite values, columns in ``feature_names`` order.
    feature_names : tuple of str
        The columns' names: the ones given, or those learned from the first row.
    """

    x: np.ndarray
    feature_names: tuple[str, ...]


def rows_to_matrix(
    rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]],
    feature_names: Sequence[str] | None = None,
    *,
    max_rows: int | None = None,
    dtype: Any = np.float64,
) -> RowMatrix:
    """Rows as a finite matrix (n_rows, n_features) in the model's feature order.

    Parameters
    ----------
    rows : sequence of sequences, or sequence of mappings
        Every row in the form of the first: values in feature order, or values by name (its
        keys must be exactly the feature names).
    feature_names : sequence of str or None
        The model's features. None learns them from the first row: a mapping's keys in their
        order, or ``x0 .. x{n-1}`` for a row of n values.
    max_rows : int, optional
        Refuse more rows than this (one problem at ``()``, kind ``too_long``).
    dtype : numpy dtype
        Of the matrix; values beyond its range become inf and are refused as not finite.

    Raises
    ------
    RowsError
        With up to ``MAX_PROBLEMS`` problems: a row's length, a missing or unknown feature,
        a value that is not a number or not finite.
    """
    if len(rows) == 0:
        raise RowsError([Problem((), "no rows: at least one is needed", "too_short")])
    if max_rows is not None and len(rows) > max_rows:
        raise too_many_rows(max_rows, n_rows=len(rows))
    keyed = isinstance(rows[0], Mapping)
    if keyed:
        names = tuple(rows[0]) if feature_names is None else tuple(feature_names)
        _raise_if(_key_problems(rows, names))
        values: Sequence[Sequence[Any]] = [[row[name] for name in names] for row in rows]
    else:
        width = len(rows[0]) if feature_names is None else len(feature_names)
        names = tuple(f"x{j}" for j in range(width)) if feature_names is None else tuple(feature_names)
        _raise_if(_width_problems(rows, width))
        values = rows
    if not names:
        raise RowsError([Problem((0,), "no features: a row needs at least one value", "too_short")])
    columns = names if keyed else None
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # out of dtype's range: inf, refused below
            x = np.array(values, dtype=dtype)  # (n_rows, n_features)
    except (TypeError, ValueError):
        x = None
    if x is None or x.ndim != 2:
        problems = _cell_problems(values, dtype, columns)
        raise RowsError(problems or [Problem((), "rows must hold numbers", "number")])
    check_finite(x, columns)
    return RowMatrix(x, names)


def too_many_rows(max_rows: int, n_rows: int | None = None, n_features: int | None = None) -> RowsError:
    """More rows than a caller allows; ``n_features`` when the limit is on the values too."""
    limit = f"at most {max_rows} rows" + (f" of {n_features} features" if n_features else "")
    got = "" if n_rows is None else f", got {n_rows}"
    return RowsError([Problem((), f"{limit}{got}", "too_long")])


def check_finite(x: np.ndarray, columns: Sequence[str] | None = None, message: str | None = None) -> None:
    """Refuse NaN and infinities in ``x`` (n_rows, n_features), located at ``(row, column)``.

    ``columns`` names the columns in locations (rows given by name); ``message`` replaces the
    error's text (the library's own wording for arrays).
    """
    if np.isfinite(x).all():
        return
    found = np.argwhere(~np.isfinite(x))[:MAX_PROBLEMS].tolist()
    rule = _finite_rule(x.dtype)
    problems = [Problem((i, j if columns is None else columns[j]), rule, "finite") for i, j in found]
    raise RowsError(problems, message)


def _finite_rule(dtype: np.dtype) -> str:
    # Named when not float64: a value within float64's range may be beyond float32's.
    return "must be a finite number" if dtype == np.float64 else f"must be a finite {dtype} number"


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise RowsError(problems)


def _width_problems(rows: Sequence[Any], width: int) -> list[Problem]:
    problems = []
    for i, row in enumerate(rows):
        if type(row) is list and len(row) == width:  # the common case, at the cost of one len
            continue
        if isinstance(row, Mapping | str | bytes) or not isinstance(row, Sequence | np.ndarray):
            problems.append(Problem((i,), "expected a list of values, like the first row", "type"))
        elif len(row) != width:
            problems.append(Problem((i,), f"expected {width} features, got {len(row)}", "length"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _key_problems(rows: Sequence[Any], names: tuple[str, ...]) -> list[Problem]:
    expected = dict.fromkeys(names).keys()
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        if type(row) is dict and row.keys() == expected:  # the common case
            continue
        if not isinstance(row, Mapping):
            problems.append(Problem((i,), "expected an object of values by name, like the first row", "type"))
        else:
            problems += [
                Problem((i, name), "missing feature", "missing") for name in names if name not in row
            ]
            problems += [
                Problem((i, str(key)), "unknown feature", "unknown_feature")
                for key in row
                if key not in expected
            ]
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems[:MAX_PROBLEMS]


def _cell_problems(
    values: Sequence[Sequence[Any]], dtype: Any, columns: Sequence[str] | None
) -> list[Problem]:
    """Locate the cells numpy could not convert (the slow path: only after it failed)."""
    problems = []
    for i, row in enumerate(values):
        for j, cell in enumerate(row):
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    value = np.asarray(cell, dtype=dtype)
            except (TypeError, ValueError):
                value = None
            loc = (i, j if columns is None else columns[j])
            if value is None or value.ndim != 0:
                problems.append(Problem(loc, "must be a number", "number"))
            elif not np.isfinite(value):
                problems.append(Problem(loc, _finite_rule(value.dtype), "finite"))
            if len(problems) >= MAX_PROBLEMS:
                return problems
    return problems


# ---------------------------------------------------------------- arrays (the library's fast path)
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
        _refuse(f"X must be a 2-D array of numbers: {error}", "number")
    if array.ndim != 2:
        _refuse(
            f"X must be 2-D (n_samples, n_features), got {array.ndim}-D with shape {array.shape}", "shape"
        )
    if array.shape[0] == 0:
        _refuse("X is empty: at least one row is needed", "too_short")
    if array.shape[1] == 0:
        _refuse("X has no feature columns", "too_short")
    if n_features is not None and array.shape[1] != n_features:
        _refuse(f"X must have {n_features} features, got {array.shape[1]}", "length")
    return array


def _refuse(message: str, kind: str) -> NoReturn:
    raise RowsError([Problem((), message, kind)], message)


def _refuse_non_finite(array: np.ndarray) -> NoReturn:
    row, column = np.argwhere(~np.isfinite(array))[0]
    check_finite(array, message=f"X must be finite: row {row}, column {column} is {array[row, column]}")
    raise AssertionError("unreachable: the array holds a non-finite value")  # pragma: no cover
