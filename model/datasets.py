"""Tabular datasets: read a CSV file into arrays, and the datasets bundled with the project.

``read_csv(path, target)`` reads a comma-separated file whose first row names the columns;
``parse_csv(text, target)`` reads the same from a string. Every column that is not a target
is a feature and must hold finite numbers (checked by the library's rows check,
``rows_to_matrix``; this module words its problems for files). A target column is parsed as
integers when every cell is an integer, else as floats when every cell is a number, else kept
as strings (class labels). Several target columns (regression, or a 0/1 multi-label matrix)
must all be numeric.

Row numbers in messages are the file's own: the header is row 1, the first data row is row 2
(a spreadsheet shows the same numbers). Blank lines are skipped but still counted. Columns
are named by their header.

``BUNDLED`` maps a name (what a caller may ask for, never a path) to a file in a data
directory; ``load_bundled(name, data_dir)`` reads it, from the repository's ``data/``
(``BUNDLED_DIR``) unless told otherwise. Nothing here reads the environment: the service's
``Settings.data_dir`` and ``mlp-train`` (``cli.run``) pass ``$MLP_DATA_DIR`` on.
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

from .nn import InvalidInputError, RowsError, rows_to_matrix

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


BUNDLED_DIR = Path(__file__).resolve().parents[1] / "data"
"""The repository's ``data/``, where the bundled datasets are unless a caller says otherwise."""


def load_bundled(name: str, data_dir: str | os.PathLike[str] | None = None) -> Table:
    """Read the bundled dataset ``name`` (a key of ``BUNDLED``) from ``data_dir`` (default
    ``BUNDLED_DIR``); unknown names raise ``DataError``."""
    if name not in BUNDLED:
        raise DataError(f"unknown dataset {name!r}; bundled datasets: {', '.join(sorted(BUNDLED))}")
    entry = BUNDLED[name]
    table = read_csv(Path(data_dir or BUNDLED_DIR) / entry.file, entry.target)
    return Table(table.x, table.y, table.feature_names, table.target_names, name, table.load_seconds)


def read_csv(
    path: str | os.PathLike[str], target: str | Sequence[str] | None = None, *, name: str | None = None
) -> Table:
    """Read the CSV file at ``path`` into a ``Table``.

    Parameters
    ----------
    path : str or os.PathLike
        The file (UTF-8, an optional byte-order mark).
    target : str, sequence of str, or None
        The target column(s); None takes the last column.
    name : str, optional
        What messages call the file; defaults to the path.

    Raises
    ------
    DataError
        Naming the file, and the row and column where that applies.
    """
    started = time.perf_counter()
    label = name or str(path)
    return _parse(_read_text(Path(path), label), target, label, started)


def parse_csv(text: str, target: str | Sequence[str] | None = None, *, name: str = "CSV text") -> Table:
    """``read_csv`` for CSV text already in memory; messages call it ``name``."""
    return _parse(text, target, name, time.perf_counter())


def _parse(text: str, target: str | Sequence[str] | None, label: str, started: float) -> Table:
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
        cells = [[row[i] for i in columns] for _, row in body]
        return rows_to_matrix(cells, [header[i] for i in columns], numbers_only=True).x
    except RowsError as error:
        r, c = error.problems[0].loc  # the first cell numpy could not take, row-major
        number, row = body[r]
        cell = row[columns[c]].strip()
        where = f"{label}: row {number}, column {header[columns[c]]!r}"
    if not cell:
        raise DataError(f"{where}: missing value (cells must be numbers)")
    if not is_number(cell):
        raise DataError(f"{where}: {shorten(cell)!r} is not a number")
    raise DataError(f"{where}: {cell!r} is not a finite number")


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
