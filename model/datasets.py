"""Tabular datasets: read a CSV file into arrays, and the datasets bundled with the project.

``read_csv(source, target)`` reads a comma-separated file whose first row names the columns.
Every column that is not a target is a feature and must hold finite numbers. A target column
is parsed as integers when every cell is an integer, else as floats when every cell is a
number, else kept as strings (class labels). Several target columns (regression, or a 0/1
multi-label matrix) must all be numeric.

Row numbers in messages are the file's own: the header is row 1, the first data row is row 2
(a spreadsheet shows the same numbers). Blank lines are skipped but still counted. Columns
are named by their header.

``BUNDLED`` maps a name (what a caller may ask for, never a path) to a file in ``data/``;
``load_bundled(name)`` reads it. ``data/`` is the repository's, or ``$MLP_DATA_DIR`` if set.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .nn.errors import InvalidInputError

DEFAULT_DATASET = "digits"
"""The bundled dataset trained on when no data is given."""


class DataError(InvalidInputError):
    """A dataset cannot be read: missing file, malformed CSV, non-numeric or missing cell..."""


@dataclass(frozen=True)
class Table:
    """A dataset as arrays.

    Attributes
    ----------
    x : ndarray of shape (n_samples, n_features), float64
        The features, all finite.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        One target column as int64, float64 or strings; several as int64 or float64.
    feature_names : tuple of str
        One name per column of ``x``.
    target_names : tuple of str
        One name per target column.
    source : str
        Where it came from, for messages and reports: a bundled name or a file path.
    load_seconds : float
        Time spent reading and parsing.
    """

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    source: str
    load_seconds: float = 0.0

    @property
    def n_samples(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class BundledDataset:
    """A CSV file shipped in ``data/`` and its target column."""

    file: str
    target: str
    description: str


BUNDLED: dict[str, BundledDataset] = {
    "digits": BundledDataset("digits.csv", "label", "8x8 images of handwritten digits 0-9, 1797 rows"),
    "iris": BundledDataset("iris.csv", "species", "iris flowers, 3 species as strings, 150 rows"),
}


def data_dir() -> Path:
    """The directory of the bundled datasets: ``$MLP_DATA_DIR``, else the repository's ``data/``."""
    configured = os.environ.get("MLP_DATA_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[1] / "data"


def load_bundled(name: str) -> Table:
    """Read the bundled dataset ``name`` (a key of ``BUNDLED``); unknown names raise ``DataError``."""
    if name not in BUNDLED:
        raise DataError(f"unknown dataset {name!r}; bundled datasets: {', '.join(sorted(BUNDLED))}")
    entry = BUNDLED[name]
    table = read_csv(data_dir() / entry.file, entry.target)
    return Table(table.x, table.y, table.feature_names, table.target_names, name, table.load_seconds)


def read_csv(
    source: str | os.PathLike[str],
    target: str | Sequence[str] | None = None,
    *,
    name: str | None = None,
) -> Table:
    """Read a CSV file (a path) or CSV text into a ``Table``.

    Parameters
    ----------
    source : str or os.PathLike
        A path (``pathlib.Path``, or a ``str`` without a newline), or the CSV text itself
        (a ``str`` holding at least one newline).
    target : str, sequence of str, or None
        The target column(s); None takes the last column.
    name : str, optional
        What messages call the source; defaults to the path, or ``"CSV text"``.

    Raises
    ------
    DataError
        Naming the source, and the row and column where that applies.
    """
    started = time.perf_counter()
    is_text = isinstance(source, str) and "\n" in source
    label = name or ("CSV text" if is_text else str(source))
    text = source if is_text else _read_text(Path(source), label)
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1) if row]
    if not rows:
        raise DataError(f"{label}: the file is empty (expected a header row of column names)")
    header = _check_header(rows[0][1], label)
    targets = _target_columns(header, target, label)
    body = rows[1:]
    if not body:
        raise DataError(f"{label}: no data rows after the header")
    for number, row in body:
        if len(row) != len(header):
            raise DataError(f"{label}: row {number} has {len(row)} cell(s), the header has {len(header)}")
    features = [i for i in range(len(header)) if i not in targets]
    x = _numeric_block(body, features, header, label)
    y = _targets(body, targets, header, label)
    feature_names = tuple(header[i] for i in features)
    target_names = tuple(header[i] for i in targets)
    return Table(x, y, feature_names, target_names, label, time.perf_counter() - started)


def _read_text(path: Path, label: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{label}: is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise DataError(f"{label}: not a UTF-8 text file") from None
    except OSError as error:
        raise DataError(f"{label}: cannot be read: {error.strerror or error}") from None


def _check_header(header: list[str], label: str) -> list[str]:
    header = [cell.strip() for cell in header]
    if all(is_number(cell) for cell in header):
        first = ", ".join(header[:3])
        raise DataError(f"{label}: the first row must be a header of column names, got numbers: {first}...")
    if not all(header):
        raise DataError(f"{label}: header column {header.index('') + 1} has no name")
    duplicates = sorted({cell for cell in header if header.count(cell) > 1})
    if duplicates:
        raise DataError(f"{label}: duplicate column name(s) in the header: {', '.join(duplicates)}")
    return header


def _target_columns(header: list[str], target: str | Sequence[str] | None, label: str) -> list[int]:
    names = [header[-1]] if target is None else [target] if isinstance(target, str) else list(target)
    if not names:
        raise DataError(f"{label}: no target column named")
    unknown = [name for name in names if name not in header]
    if unknown:
        raise DataError(f"{label}: no column {unknown[0]!r}; columns are: {', '.join(header)}")
    if len(set(names)) != len(names):
        raise DataError(f"{label}: a target column is named twice: {names}")
    if len(names) == len(header):
        raise DataError(f"{label}: every column is a target; at least one feature column is needed")
    return [header.index(name) for name in names]


def _numeric_block(
    body: list[tuple[int, list[str]]], columns: list[int], header: list[str], label: str
) -> np.ndarray:
    """Cells of ``columns`` as finite float64 (n_rows, len(columns)); the first bad cell raises."""
    try:
        values = np.array([[row[i] for i in columns] for _, row in body], dtype=np.float64)
    except ValueError:  # numpy parses strings as float() does; find the culprit cell by cell
        values = None
    if values is None or not np.isfinite(values).all():
        values = _parse_cell_by_cell(body, columns, header, label)
    return values


def _parse_cell_by_cell(
    body: list[tuple[int, list[str]]], columns: list[int], header: list[str], label: str
) -> np.ndarray:
    values = np.empty((len(body), len(columns)))  # (n_rows, n_columns)
    for r, (number, row) in enumerate(body):
        for c, i in enumerate(columns):
            cell = row[i].strip()
            where = f"{label}: row {number}, column {header[i]!r}"
            if not cell:
                raise DataError(f"{where}: missing value (cells must be numbers)")
            if not is_number(cell):
                raise DataError(f"{where}: {shorten(cell)!r} is not a number")
            values[r, c] = float(cell)
            if not np.isfinite(values[r, c]):
                raise DataError(f"{where}: {cell!r} is not a finite number")
    return values


def _targets(
    body: list[tuple[int, list[str]]], columns: list[int], header: list[str], label: str
) -> np.ndarray:
    """One column: int64, float64 or str (n,); several: int64 or float64 (n, k)."""
    for number, row in body:
        for i in columns:
            if not row[i].strip():
                raise DataError(f"{label}: row {number}, column {header[i]!r}: missing target value")
    cells = [[row[i].strip() for i in columns] for _, row in body]
    flat = [cell for row in cells for cell in row]
    if all(_is_integer(cell) for cell in flat):
        y = np.array(cells, dtype=np.int64)
    elif all(is_number(cell) for cell in flat):
        y = _numeric_block(body, columns, header, label)
    elif len(columns) > 1:
        where = _first_text_cell(body, columns, header)
        raise DataError(f"{label}: several target columns must all be numeric, got text at {where}")
    else:
        y = np.array(cells, dtype=str)
    return y[:, 0] if len(columns) == 1 else y


def _first_text_cell(body: list[tuple[int, list[str]]], columns: list[int], header: list[str]) -> str:
    for number, row in body:
        for i in columns:
            if not is_number(row[i].strip()):
                return f"row {number}, column {header[i]!r}"
    raise AssertionError("no text cell found")  # pragma: no cover


def is_number(cell: object) -> bool:
    """True when ``float(cell)`` works (a CSV cell, or a label read from one)."""
    return _parses(float, cell)


def _is_integer(cell: str) -> bool:
    return _parses(int, cell)


def _parses(convert: type, cell: object) -> bool:
    try:
        convert(cell)
    except (ValueError, OverflowError):  # OverflowError: float() of a whole number beyond its range
        return False
    return True


def shorten(cell: str, limit: int = 40) -> str:
    return cell if len(cell) <= limit else cell[: limit - 3] + "..."
