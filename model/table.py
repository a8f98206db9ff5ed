"""A dataset as arrays (``Table``) and the error every data reader raises (``DataError``).

Readers: ``model.csvfile`` (CSV files and text), ``model.datasets`` (the bundled files), the
service's ``/train`` (inline rows). The features are raw values, as the network's feature
schema takes them: a float64 matrix with NaN for missing, or an object matrix of ``float``,
``str`` and ``None`` (missing) cells.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .nn import InvalidInputError


class DataError(InvalidInputError):
    """A dataset cannot be read: missing file, malformed CSV, no usable feature or target..."""


class ColumnOptionError(DataError):
    """A column named by ``drop`` or ``categorical`` cannot be (not in the file, or a target):
    a bad option rather than bad data; ``field`` names the option."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Table:
    """A dataset as arrays.

    Attributes
    ----------
    x : ndarray of shape (n_samples, n_features)
        The features as raw values: float64 with NaN for missing when every feature is
        numeric, else object with ``float``, ``str`` and ``None`` (missing) cells.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        One target column as int64, float64 or strings; several as int64 or float64. Never
        missing: rows without a target are skipped.
    feature_names : tuple of str
        One name per column of ``x``.
    target_names : tuple of str
        One name per target column.
    source : str
        Where it came from, for messages and reports: a bundled name or a file path.
    load_seconds : float
        Time spent reading and parsing.
    feature_types : mapping of str to str
        Types the caller forced (``{"zip": "categorical"}``); the others are inferred at fit.
    skipped_rows : int
        Data rows left out because their target was missing.
    dropped_columns : tuple of str
        Columns left out: asked for (``drop``), or with no value at all.
    notes : tuple of str
        One sentence per thing left out or guessed, for the report.
    """

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    source: str
    load_seconds: float = 0.0
    feature_types: Mapping[str, str] = field(default_factory=dict)
    skipped_rows: int = 0
    dropped_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        return len(self.x)


def is_number(cell: object) -> bool:
    """True when ``float(cell)`` works (a CSV cell, or a label read from one)."""
    return _parses(float, cell)


def is_integer(cell: str) -> bool:
    """True when ``int(cell)`` works: a CSV cell holding a whole number."""
    return _parses(int, cell)


def _parses(convert: type, cell: object) -> bool:
    try:
        convert(cell)
    except (ValueError, OverflowError):  # OverflowError: float() of a whole number beyond its range
        return False
    return True


def shorten(cell: str, limit: int = 40) -> str:
    """``cell`` cut to ``limit`` characters for a message."""
    return cell if len(cell) <= limit else cell[: limit - 3] + "..."
