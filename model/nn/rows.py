"""Rows to the model's raw values: the one place where caller rows are checked and converted.

``rows_to_matrix(rows, feature_names)`` takes rows as lists (values in feature order) or as
mappings (values by feature name), as JSON requests, the console, CSV files and the library's
records give them; ``feature_names=None`` learns the features from the first row (its keys, or
its width). One error, ``RowsError``, a list of located ``Problem``s.

The result is the raw-values matrix the feature schema encodes (``features``): float (NaN =
missing) when every cell is a number (or numeric text), else object with the cells as given
(numbers, text, None). A missing value (None, NaN) is not a problem here; an infinity, or a
cell that is neither a number, text nor null, is. Whether text may stand in a feature is the
schema's question (``FeatureSchema.encode``). ``numbers_only=True`` keeps the strict rule
(every cell a finite number), for callers that have no schema to ask.

Locations are relative to the rows (``(i,)``, ``(i, j)``, ``(i, "name")``); every front door
prefixes its own path. At most ``MAX_PROBLEMS`` problems are collected: enough to fix a batch
in one go, bounded whatever the batch. The happy path is whole-array work plus one ``len``
per row (lists) or one key comparison per row (mappings), and, for rows with text, one type
check per cell; cells are looked at one by one otherwise only to locate a problem numpy found.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import Problem, RowsError

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class RowMatrix:
    """Rows as the model's input.

    Attributes
    ----------
    x : ndarray of shape (n_rows, n_features)
        Raw values, columns in ``feature_names`` order: float (NaN = missing), or object.
    feature_names : tuple of str
        The columns' names: the ones given, or those learned from the first row.
    columns : tuple of str or None
        The names to locate later problems by (``FeatureSchema.encode(x, columns)``): the
        feature names for rows given by name, None (by index) for rows given as lists.
    """

    x: np.ndarray
    feature_names: tuple[str, ...]
    columns: tuple[str, ...] | None = None


def rows_to_matrix(
    rows: Sequence[Sequence[Any]] | Sequence[Mapping[str, Any]],
    feature_names: Sequence[str] | None = None,
    *,
    max_rows: int | None = None,
    dtype: Any = np.float64,
    numbers_only: bool = False,
    numeric: Sequence[bool] | None = None,
) -> RowMatrix:
    """Rows as raw values (n_rows, n_features) in the model's feature order.

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
        Of a numeric matrix; values beyond its range become inf and are refused as not finite.
    numbers_only : bool
        Refuse text (kind ``number``) and missing values (kind ``finite``), as before text
        and missing values were features.
    numeric : sequence of bool, optional
        Per feature, whether it is numeric, for cells typed as JSON gives them (a request's
        rows): text in a numeric feature is refused (kind ``number``), numeric-looking text
        ("0.2", "NaN") included, since a number there is sent as a number. Every cell's type
        is looked at (the object path); callers whose rows cannot hold text pass None. None:
        text is the feature schema's to judge (CSV cells are all text).

    Raises
    ------
    RowsError
        With up to ``MAX_PROBLEMS`` problems: a row's length, a missing or unknown feature,
        an infinite value, a cell that is a list or an object (kind ``number``).
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
    if numeric is not None:
        return _typed_matrix(values, names, columns, numeric)
    try:
        if np.dtype(dtype) == np.float64:  # Python floats are float64: nothing can overflow
            x = np.array(values, dtype=dtype)  # (n_rows, n_features)
        else:
            with np.errstate(over="ignore", invalid="ignore"):  # out of dtype's range: inf, refused below
                x = np.array(values, dtype=dtype)
    except (TypeError, ValueError):
        x = None
    if x is not None and x.ndim == 2:
        check_finite(x, columns, allow_missing=not numbers_only)
        return RowMatrix(x, names, columns)
    if not numbers_only:
        raw = _object_matrix(values, len(names))
        if raw is not None:
            _raise_if(_object_problems(raw, columns))
            return RowMatrix(raw, names, columns)
    problems = _cell_problems(values, dtype, columns, numbers_only)
    raise RowsError(problems or [Problem((), "rows must hold numbers", "number")])


def _typed_matrix(
    values: Sequence[Sequence[Any]],
    names: tuple[str, ...],
    columns: tuple[str, ...] | None,
    numeric: Sequence[bool],
) -> RowMatrix:
    """``rows_to_matrix`` for typed cells: the object matrix, without text in numeric features."""
    raw = _object_matrix(values, len(names))
    if raw is None:  # a cell that is a list or an object
        problems = _cell_problems(values, np.float64, columns, numbers_only=False)
        raise RowsError(problems or [Problem((), "rows must hold numbers, texts or null", "number")])
    problems = _object_problems(raw, columns)
    for j in np.flatnonzero(numeric).tolist():
        rule = f"feature {names[j]!r} is numeric: must be a number or null"
        texts = [i for i, cell in enumerate(raw[:, j].tolist()) if type(cell) is str]
        problems += [Problem((i, j if columns is None else columns[j]), rule, "number") for i in texts]
    if problems:
        raise RowsError(sorted(problems)[:MAX_PROBLEMS])
    return RowMatrix(raw, names, columns)


def too_many_rows(max_rows: int, n_rows: int | None = None, n_features: int | None = None) -> RowsError:
    """More rows than a caller allows; ``n_features`` when the limit is on the values too."""
    limit = f"at most {max_rows} rows" + (f" of {n_features} features" if n_features else "")
    got = "" if n_rows is None else f", got {n_rows}"
    return RowsError([Problem((), f"{limit}{got}", "too_long")])


def check_finite(
    x: np.ndarray,
    columns: Sequence[str] | None = None,
    message: str | None = None,
    *,
    allow_missing: bool = False,
) -> None:
    """Refuse NaN and infinities in ``x`` (n_rows, n_features), located at ``(row, column)``.

    ``columns`` names the columns in locations (rows given by name); ``message`` replaces the
    error's text (the library's own wording for arrays); ``allow_missing`` lets NaN through
    (a missing value) and refuses only infinities.
    """
    if np.isfinite(x).all():
        return
    bad = np.isinf(x) if allow_missing else ~np.isfinite(x)
    if not bad.any():
        return
    found = np.argwhere(bad)[:MAX_PROBLEMS].tolist()
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


_CELL_TYPES = frozenset({str, float, int, bool, type(None)})
_INFINITIES = (math.inf, -math.inf)


def _object_matrix(values: Sequence[Sequence[Any]], width: int) -> np.ndarray | None:
    """Rows with text as an object matrix (n_rows, width), or None when a cell is a sequence."""
    try:
        raw = np.array(values, dtype=object)
    except (TypeError, ValueError):
        return None
    return raw if raw.shape == (len(values), width) else None


def _object_problems(raw: np.ndarray, columns: Sequence[str] | None) -> list[Problem]:
    """Cells that are neither a number, text nor null, and infinities.

    The check is two C loops (the set of cell types; a comparison with +-inf); cells are looked
    at one by one only to locate a problem found.
    """
    flat = raw.ravel().tolist()
    infinite = (raw == math.inf) | (raw == -math.inf)  # (n_rows, width), False for text and None
    if set(map(type, flat)) <= _CELL_TYPES and not infinite.any():
        return []
    bad = [k for k, cell in enumerate(flat) if type(cell) not in _CELL_TYPES or cell in _INFINITIES]
    problems = []
    for k in bad:  # numpy scalars (library records) pass here unless infinite
        i, j = divmod(k, raw.shape[1])
        cell, loc = flat[k], (i, j if columns is None else columns[j])
        if isinstance(cell, numbers.Real) and math.isinf(cell):
            problems.append(Problem(loc, _finite_rule(np.dtype(np.float64)), "finite"))
        elif not isinstance(cell, numbers.Real | np.bool_ | str):
            problems.append(Problem(loc, "must be a number, a text or null", "number"))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _cell_problems(
    values: Sequence[Sequence[Any]], dtype: Any, columns: Sequence[str] | None, numbers_only: bool = True
) -> list[Problem]:
    """Locate the cells numpy could not convert (the slow path: only after it failed)."""
    problems = []
    for i, row in enumerate(values):
        for j, cell in enumerate(row):
            if not numbers_only and (cell is None or isinstance(cell, str)):
                continue
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    value = np.asarray(cell, dtype=dtype)
            except (TypeError, ValueError):
                value = None
            loc = (i, j if columns is None else columns[j])
            if value is None or value.ndim != 0:
                problems.append(Problem(loc, "must be a number", "number"))
            elif not np.isfinite(value) and (numbers_only or not np.isnan(value)):
                problems.append(Problem(loc, _finite_rule(value.dtype), "finite"))
            if len(problems) >= MAX_PROBLEMS:
                return problems
    return problems
