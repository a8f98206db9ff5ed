"""Read a CSV file (or CSV text) into a ``Table`` of typed columns.

``read_csv(path, target)`` reads a file whose first row names the columns; ``parse_csv(text,
target)`` reads the same from a string. Columns are separated by commas, or by semicolons,
tabs or ``|`` when the header says so (``csv.Sniffer`` on the first lines, restricted to those
four); a file whose header is one column with spaces in it is refused as having the wrong
separator.

Every column that is not a target is a feature, typed by its cells:
- **numeric** when every cell that is not missing is a number (float64; a number that is not
  finite, like ``inf``, is refused);
- **text** otherwise, or when named in ``categorical`` (a zip code keeps its leading zeros).
A cell is missing when it is empty, one of ``MISSING_TOKENS`` (``model.nn.missing``;
``na_values`` replaces that list) or reads as the number NaN. ``Table.x`` is a float64 matrix
(NaN for missing) when every feature is numeric, else an object matrix of ``float``, ``str``
and ``None`` (missing) cells: the raw values the network's feature schema encodes.

What cannot be used is left out and said in ``Table.notes``: a header cell with no name (R's
and pandas' row-number column), a feature column with no value at all, rows whose target is
missing (counted in ``Table.skipped_rows``); ``drop`` leaves out columns by name (ids).
A target column is parsed as integers when every cell is an integer, else as floats when
every cell is a number, else kept as strings (class labels). Several target columns
(regression, or a 0/1 multi-label matrix) must all be numeric.

Row numbers in messages are the file's own: the header is row 1, the first data row is row 2
(a spreadsheet shows the same numbers). Blank lines are skipped but still counted. Columns
are named by their header.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import time
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from .nn.missing import MISSING_TOKENS, is_missing_token
from .table import ColumnOptionError, DataError, Table, is_integer, is_number, shorten

SEPARATORS = (",", ";", "\t", "|")
"""Column separators recognized, comma first (preferred when the header allows several)."""

_SNIFF_LINES = 20  # lines csv.Sniffer sees
_LISTED_ROWS = 5  # row numbers a note lists before "..."


def read_csv(
    path: str | os.PathLike[str],
    target: str | Sequence[str] | None = None,
    *,
    name: str | None = None,
    drop: Collection[str] = (),
    categorical: Collection[str] = (),
    na_values: Collection[str] | None = None,
) -> Table:
    """Read the CSV file at ``path`` into a ``Table``.

    Parameters
    ----------
    path : str or os.PathLike
        The file (UTF-8, an optional byte-order mark).
    target : str, sequence of str, or None
        The target column(s); None takes the last named column.
    name : str, optional
        What messages call the file; defaults to the path.
    drop : collection of str
        Columns to leave out (ids, row numbers).
    categorical : collection of str
        Feature columns kept as text whatever their cells (``Table.feature_types``).
    na_values : collection of str, optional
        Text read as missing, replacing ``MISSING_TOKENS`` (an empty cell is always missing).

    Raises
    ------
    DataError
        Naming the file, and the row and column where that applies; ``ColumnOptionError``
        when ``drop`` or ``categorical`` names a column that is not a feature of the file.
    """
    started = time.perf_counter()
    label = name or str(path)
    text = _read_text(Path(path), label)
    return _parse(text, target, _Reading(label, frozenset(drop), frozenset(categorical), na_values), started)


def parse_csv(
    text: str,
    target: str | Sequence[str] | None = None,
    *,
    name: str = "CSV text",
    drop: Collection[str] = (),
    categorical: Collection[str] = (),
    na_values: Collection[str] | None = None,
) -> Table:
    """``read_csv`` for CSV text already in memory; messages call it ``name``."""
    reading = _Reading(name, frozenset(drop), frozenset(categorical), na_values)
    return _parse(text, target, reading, time.perf_counter())


class _Reading:
    """One read's settings and the notes it gathers."""

    def __init__(
        self, label: str, drop: frozenset[str], categorical: frozenset[str], na_values: Collection[str] | None
    ) -> None:
        self.label, self.drop, self.categorical = label, drop, categorical
        self.tokens = frozenset(MISSING_TOKENS if na_values is None else na_values)
        # Tokens that read as numbers (-999) make a column's numbers differ from its values.
        self.numeric_tokens = any(is_number(token) for token in self.tokens if token.strip().lower() != "nan")
        self.notes: list[str] = []
        self.dropped: list[str] = []  # in the header's order

    def is_missing(self, cell: str) -> bool:
        """Empty, a missing token, or the number NaN (``nan``, ``-NaN``: what NaN is written as)."""
        return is_missing_token(cell, self.tokens) or cell.strip().lstrip("+-").lower() == "nan"

    def error(self, message: str, number: int | None = None, column: str | None = None) -> DataError:
        """``file: row N, column 'X': message`` (the parts that apply)."""
        parts = (f"row {number}" if number else "", f"column {column!r}" if column else "")
        where = ", ".join(part for part in parts if part)
        return DataError(f"{self.label}: {where}: {message}" if where else f"{self.label}: {message}")


Body = list[tuple[int, list[str]]]  # (row number in the file, its cells)


def _parse(text: str, target: str | Sequence[str] | None, reading: _Reading, started: float) -> Table:
    separator = _separator(text)
    lines = csv.reader(io.StringIO(text), delimiter=separator)
    rows = [(number, row) for number, row in enumerate(lines, start=1) if row]
    if not rows:
        raise reading.error("the file is empty (expected a header row of column names)")
    if separator != ",":
        reading.notes.append(f"columns are separated by {'tab' if separator == chr(9) else repr(separator)}")
    header = _check_header(rows[0][1], reading)
    targets = _target_columns(header, target, reading)
    _check_column_options(header, targets, reading)
    body = rows[1:]
    if not body:
        raise reading.error("no data rows after the header")
    for number, row in body:
        if len(row) != len(header):
            raise reading.error(f"row {number} has {len(row)} cell(s), the header has {len(header)}")
    body = _rows_with_targets(body, targets, header, reading)
    names, columns = _feature_columns(body, header, targets, reading)
    y = _targets(body, targets, header, reading)
    return Table(
        _matrix(columns),
        y,
        names,
        tuple(header[i] for i in targets),
        reading.label,
        time.perf_counter() - started,
        feature_types={name: "categorical" for name in names if name in reading.categorical},
        skipped_rows=len(rows) - 1 - len(body),
        dropped_columns=tuple(reading.dropped),
        notes=tuple(reading.notes),
    )


def _separator(text: str) -> str:
    """The separator of the header's cells: the only one of ``SEPARATORS`` that splits it, else
    what ``csv.Sniffer`` reads from the first lines among those that do (comma when unsure)."""
    lines = [line for line in itertools.islice(io.StringIO(text), 2 * _SNIFF_LINES) if line.strip()]
    if not lines:
        return ","
    splitting = [sep for sep in SEPARATORS if len(next(csv.reader([lines[0]], delimiter=sep))) > 1]
    if len(splitting) <= 1:
        return splitting[0] if splitting else ","
    try:
        return csv.Sniffer().sniff("".join(lines[:_SNIFF_LINES]), delimiters="".join(splitting)).delimiter
    except csv.Error:
        return splitting[0]


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


def _check_header(header: list[str], reading: _Reading) -> list[str]:
    """The stripped names; a column with no name is noted and left out ("" in the result)."""
    header = [cell.strip() for cell in header]
    if not any(header):
        raise reading.error("the header row names no column")
    if all(is_number(cell) for cell in header if cell):
        first = ", ".join(header[:3])
        raise reading.error(f"the first row must be a header of column names, got numbers: {first}...")
    if len(header) == 1 and any(char.isspace() or char == ":" for char in header[0]):
        raise reading.error(
            f"the header is one column ({shorten(header[0])!r}): the separator looks wrong; "
            "separate columns with commas, semicolons, tabs or |"
        )
    unnamed = [str(i + 1) for i, cell in enumerate(header) if not cell]
    if unnamed:
        reading.notes.append(
            f"column {', '.join(unnamed)} has no name in the header (a row-number column?): left out"
        )
    named = [cell for cell in header if cell]
    duplicates = sorted({cell for cell in named if named.count(cell) > 1})
    if duplicates:
        raise reading.error(f"duplicate column name(s) in the header: {', '.join(duplicates)}")
    return header


def _target_columns(header: list[str], target: str | Sequence[str] | None, reading: _Reading) -> list[int]:
    named = [cell for cell in header if cell]
    names = [named[-1]] if target is None else [target] if isinstance(target, str) else list(target)
    if not names:
        raise reading.error("no target column named")
    unknown = [name for name in names if name not in named]
    if unknown:
        raise reading.error(f"no column {unknown[0]!r}; columns are: {', '.join(named)}")
    if len(set(names)) != len(names):
        raise reading.error(f"a target column is named twice: {names}")
    if len(names) == len(named):
        raise reading.error("every column is a target; at least one feature column is needed")
    return [header.index(name) for name in names]


def _check_column_options(header: list[str], targets: list[int], reading: _Reading) -> None:
    named = [cell for cell in header if cell]
    target_names = {header[i] for i in targets}
    options = (("drop", reading.drop, "drop"), ("categorical", reading.categorical, "treat as categorical"))
    for option, names, verb in options:
        for name in sorted(names):
            if name not in named:
                message = f"no column {name!r} to {verb}; columns are: {', '.join(named)}"
                raise ColumnOptionError(f"{reading.label}: {message}", option)
            if name in target_names:
                raise ColumnOptionError(
                    f"{reading.label}: column {name!r} is a target, not a feature", option
                )
    both = sorted(reading.drop & reading.categorical)
    if both:
        raise ColumnOptionError(
            f"{reading.label}: column {both[0]!r} is both dropped and categorical", "drop"
        )


def _rows_with_targets(body: Body, targets: list[int], header: list[str], reading: _Reading) -> Body:
    """The rows whose every target cell has a value; the others are noted as skipped."""
    kept = [(number, row) for number, row in body if not any(reading.is_missing(row[i]) for i in targets)]
    if len(kept) == len(body):
        return kept
    names = ", ".join(repr(header[i]) for i in targets)
    if not kept:
        raise reading.error(f"no data row has a target value (column {names})")
    kept_numbers = {number for number, _ in kept}
    skipped = [str(number) for number, _ in body if number not in kept_numbers]
    listed = ", ".join(skipped[:_LISTED_ROWS]) + (", ..." if len(skipped) > _LISTED_ROWS else "")
    rows = "row" if len(skipped) == 1 else "rows"
    reading.notes.append(f"skipped {len(skipped)} {rows} with no target value ({names}): {rows} {listed}")
    return kept


def _feature_columns(
    body: Body, header: list[str], targets: list[int], reading: _Reading
) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The names and typed cells of the usable feature columns."""
    names, columns = [], []
    for i, name in enumerate(header):
        if not name or i in targets:
            continue
        if name in reading.drop:
            reading.dropped.append(name)
            continue
        column = _column(body, i, name, reading)
        if column is None:
            reading.notes.append(f"column {name!r} has no value in any row: left out")
            reading.dropped.append(name)
        else:
            names.append(name)
            columns.append(column)
    if not columns:
        left_out = f" (left out: {', '.join(reading.dropped)})" if reading.dropped else ""
        raise reading.error(f"no usable feature column{left_out}")
    return tuple(names), columns


def _column(body: Body, index: int, name: str, reading: _Reading) -> np.ndarray | None:
    """One feature's cells: float64 with NaN for missing when every present cell is a finite
    number (and the column is not forced categorical), else object ``str``/``None``; None
    when no cell has a value."""
    cells = [row[index].strip() for _, row in body]
    if name not in reading.categorical:
        numbers = _numbers(cells, reading)
        if numbers is not None:
            bad = np.flatnonzero(np.isinf(numbers))
            if len(bad):
                raise reading.error(f"{cells[bad[0]]!r} is not a finite number", body[bad[0]][0], name)
            return None if np.isnan(numbers).all() else numbers
    missing = np.fromiter((reading.is_missing(cell) for cell in cells), bool, len(cells))
    if missing.all():
        return None
    text = np.array(cells, dtype=object)
    text[missing] = None
    return text


def _numbers(cells: list[str], reading: _Reading) -> np.ndarray | None:
    """The cells as float64 (n_rows,), NaN where missing; None when a present cell is text."""
    if not reading.numeric_tokens:
        try:  # the common case, every cell a number: no per-cell look at the tokens
            return np.array(cells, dtype=np.float64)
        except ValueError:
            pass
    values = np.array(cells, dtype=object)
    values[[reading.is_missing(cell) for cell in cells]] = "nan"
    try:
        return values.astype(np.float64)
    except ValueError:
        return None


def _matrix(columns: list[np.ndarray]) -> np.ndarray:
    """(n_rows, n_columns): float64 when every column is numeric, else object with None for
    missing numbers too (one missing marker per matrix kind)."""
    if all(column.dtype == np.float64 for column in columns):
        return np.column_stack(columns)
    x = np.empty((len(columns[0]), len(columns)), dtype=object)
    for j, column in enumerate(columns):
        if column.dtype == np.float64:
            cells = column.astype(object)  # Python floats
            cells[np.isnan(column)] = None
            x[:, j] = cells
        else:
            x[:, j] = column
    return x


def _targets(body: Body, columns: list[int], header: list[str], reading: _Reading) -> np.ndarray:
    """One column: int64, float64 or str (n,); several: int64 or float64 (n, k)."""
    cells = [[row[i].strip() for i in columns] for _, row in body]
    flat = [cell for row in cells for cell in row]
    if all(is_integer(cell) for cell in flat):
        y = np.array(cells, dtype=np.int64)
    elif all(is_number(cell) for cell in flat):
        y = np.array(cells, dtype=np.float64)
        bad = np.argwhere(~np.isfinite(y))
        if len(bad):
            r, c = bad[0]
            column = header[columns[c]]
            raise reading.error(f"{cells[r][c]!r} is not a finite number", body[r][0], column)
    elif len(columns) > 1:
        where = _first_text_cell(body, columns, header)
        raise reading.error(f"several target columns must all be numeric, got text at {where}")
    else:
        y = np.array(cells, dtype=str)
    return y[:, 0] if len(columns) == 1 else y


def _first_text_cell(body: Body, columns: list[int], header: list[str]) -> str:
    for number, row in body:
        for i in columns:
            if not is_number(row[i].strip()):
                return f"row {number}, column {header[i]!r}"
    raise AssertionError("no text cell found")  # pragma: no cover
