"""One column of raw values at a time: its numbers, or its values as text keys.

Raw columns are float (NaN = missing) or object (cells: numbers, text, None). Work is done
per distinct value, not per cell: the column becomes text in one numpy (C) loop, ``np.unique``
finds the distinct texts and where each row's value is, and each distinct value is judged once.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

MISSING_TOKENS = ("", "NA", "N/A", "NaN", "nan", "null", "None", "?")
"""Text that means a missing value (besides None and NaN)."""

_MISSING = frozenset(MISSING_TOKENS)


def cell_key(cell: Any) -> str | None:
    """The text a cell stands for, or None when it is missing.

    Text is itself (unless a missing token); booleans are ``"True"``/``"False"``; numbers
    their shortest text (``4.0`` -> ``"4"``, ``0.5`` -> ``"0.5"``), so a number matches the
    same value written as text.
    """
    if cell is None:
        return None
    if isinstance(cell, str):
        return None if cell in _MISSING else cell
    if isinstance(cell, bool | np.bool_):
        return str(bool(cell))
    if isinstance(cell, int | np.integer):
        return str(int(cell))
    if isinstance(cell, float | np.floating):
        value = float(cell)
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(cell)
    return None if text in _MISSING else text


def distinct(column: np.ndarray) -> tuple[list[Any], np.ndarray]:
    """The column's distinct values (one representative cell each) and each row's index into them.

    Returns
    -------
    representatives : list of length n_distinct
    inverse : ndarray of shape (n_rows,), intp
    """
    text = column.astype(str)  # (n_rows,) numpy's C loop; None -> "None", NaN -> "nan": both missing
    _, first, inverse = np.unique(text, return_index=True, return_inverse=True)
    return column[first].tolist(), inverse.reshape(-1)


def column_keys(column: np.ndarray) -> tuple[list[str | None], np.ndarray]:
    """Keys (``cell_key``) of the distinct values and each row's index into them."""
    representatives, inverse = distinct(column)
    return [cell_key(cell) for cell in representatives], inverse


def numeric_values(column: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The column as float64 (n_rows,) with NaN where missing, and the rows holding text that is
    not a number (a bool mask, or None when there are none).

    Infinities stay in the values: callers refuse them with their location.
    """
    if column.dtype != object:
        return column.astype(np.float64, copy=False), None
    try:
        return column.astype(np.float64), None  # numbers and numeric text, in one C loop
    except (TypeError, ValueError, OverflowError):
        pass  # None, missing tokens or text: judged once per distinct value
    representatives, inverse = distinct(column)
    parsed = np.array([_number(cell) for cell in representatives], np.float64)  # NaN: missing or text
    text = np.array([_is_text(cell) for cell in representatives], bool)
    bad = text[inverse]
    return parsed[inverse], (bad if bad.any() else None)


def _number(cell: Any) -> float:
    if cell_key(cell) is None:
        return math.nan
    try:
        return float(cell)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _is_text(cell: Any) -> bool:
    """A present value that is not a number (booleans are text)."""
    if isinstance(cell, bool | np.bool_):
        return True
    if cell_key(cell) is None:
        return False
    try:
        float(cell)
    except (TypeError, ValueError, OverflowError):
        return True
    return False


def holds_text(column: np.ndarray) -> bool:
    """Whether a present value of ``column`` is text that is not a number, or a boolean (the
    rule that makes a feature categorical)."""
    if column.dtype != object:
        return False
    try:
        column.astype(np.float64)
    except (TypeError, ValueError, OverflowError):
        return numeric_values(column)[1] is not None
    return bool(np.isin(column.astype(str), ["True", "False"]).any())  # booleans pass float()
