"""A training job as the web worker validated it, and its file: what the runner trains.

The worker turns a ``TrainRequest`` into a ``PreparedJob`` (``service.training.prepare``)
and stores it with the job (``JobStore.create``); the runner reads it back and trains it,
without parsing the request or checking the data again. The file is an ``.npz`` written by
NumPy and read with ``allow_pickle=False``: the arrays ``y``, ``fit_rows`` and
``test_rows``, the features, and ``meta``, a JSON text (options, task, names, forced feature
types, what reading left out, activation policy, the base version). Labels are a unicode
array, never an object array.

Features: a numeric table (float, NaN = missing) is the array ``x``. A table with text (an
object matrix of numbers, text and None) is stored column by column without pickle, so that
every cell reads back as it was given (the schema types a column, and keys a category, by its
cells' kinds: ``4`` and ``"4.0"`` are different categories): ``x{j}.kind`` (uint8, one
``CELL_KINDS`` code per cell), ``x{j}.number`` (float64: the float cells, NaN elsewhere) and
``x{j}.text`` (unicode: the text, integer and boolean cells as text, "" elsewhere).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.datasets import Table
from model.pipeline import Split, TrainOptions

FORMAT = 2  # bump when the file's content changes meaning (2: tables with text, Table's notes)

CELL_KINDS = ("missing", "float", "int", "bool", "text")
"""A raw cell's kind in a stored column with text: its index is the code in ``x{j}.kind``."""
_MISSING, _FLOAT, _INT, _BOOL, _TEXT = range(len(CELL_KINDS))


@dataclass(frozen=True)
class PreparedJob:
    """Everything a runner needs, validated.

    Attributes
    ----------
    table : Table
        ``x`` (n_samples, n_features) float64 and ``y`` (n_samples,) or (n_samples, n_targets).
    options : TrainOptions
    task : str
        ``"classification"`` or ``"regression"``, resolved (a warm start's is the base's).
    split : Split
        The fit and test rows the job was validated with.
    activate : str
        ``"always"``, ``"never"`` or ``"if_better"``.
    base_version : str or None
        The store version to warm-start (the one the request was validated against); None
        trains a new network.
    """

    table: Table
    options: TrainOptions
    task: str
    split: Split
    activate: str
    base_version: str | None = None

    def to_bytes(self) -> bytes:
        """The ``.npz`` file's bytes."""
        table = self.table
        meta = {
            "format": FORMAT,
            "options": self.options.as_dict(),
            "task": self.task,
            "activate": self.activate,
            "base_version": self.base_version,
            "n_validation": self.split.n_validation,
            "feature_names": list(table.feature_names),
            "target_names": list(table.target_names),
            "source": table.source,
            "load_seconds": table.load_seconds,
            "feature_types": dict(table.feature_types),
            "skipped_rows": table.skipped_rows,
            "dropped_columns": list(table.dropped_columns),
            "notes": list(table.notes),
            "columns": table.x.dtype == object,
        }
        arrays = {
            **_feature_arrays(table.x),
            "y": table.y,
            "fit_rows": self.split.fit_rows,
            "test_rows": self.split.test_rows,
            "meta": np.array(json.dumps(meta)),
        }
        for name, array in arrays.items():
            if array.dtype.hasobject:  # would be pickled, and could not be read back
                raise TypeError(f"{name} is an object array ({array.dtype}); prepare numbers or text")
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedJob:
        """Read what ``to_bytes`` wrote; ``ValueError`` for anything else."""
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            meta: dict[str, Any] = json.loads(str(arrays["meta"]))
            if meta.get("format") != FORMAT:
                raise ValueError(f"prepared job format {meta.get('format')!r}, expected {FORMAT}")
            x = _read_features(arrays, len(meta["feature_names"])) if meta["columns"] else arrays["x"]
            table = Table(
                x,
                arrays["y"],
                tuple(meta["feature_names"]),
                tuple(meta["target_names"]),
                meta["source"],
                meta["load_seconds"],
                feature_types=meta["feature_types"],
                skipped_rows=meta["skipped_rows"],
                dropped_columns=tuple(meta["dropped_columns"]),
                notes=tuple(meta["notes"]),
            )
            split = Split(arrays["fit_rows"], arrays["test_rows"], meta["n_validation"])
        return cls(
            table,
            TrainOptions.from_mapping(meta["options"]),
            meta["task"],
            split,
            meta["activate"],
            meta["base_version"],
        )


def _feature_arrays(x: np.ndarray) -> dict[str, np.ndarray]:
    """``x`` (n_rows, n_features) as arrays ``np.savez`` writes without pickle."""
    if x.dtype != object:
        return {"x": x}
    arrays = {}
    for j, column in enumerate(x.T):
        kinds = _kinds(column)  # (n_rows,)
        floats, texts = kinds == _FLOAT, kinds > _FLOAT
        numbers = np.full(len(column), np.nan)
        numbers[floats] = column[floats].astype(np.float64)
        text = np.where(texts, column, "").astype(str)  # str() of each cell, in numpy's loop
        arrays |= {f"x{j}.kind": kinds, f"x{j}.number": numbers, f"x{j}.text": text}
    return arrays


_CODES = {type(None): _MISSING, float: _FLOAT, int: _INT, bool: _BOOL, str: _TEXT}


def _kinds(column: np.ndarray) -> np.ndarray:
    """The ``CELL_KINDS`` codes of a column's cells (n_rows,) uint8: one dict lookup per cell,
    ``_kind``'s checks only for other types (numpy scalars)."""
    codes = [_CODES.get(type(cell)) for cell in column.tolist()]
    if None in codes:
        codes = [_kind(cell) for cell in column.tolist()]
    return np.array(codes, dtype=np.uint8)


def _kind(cell: Any) -> int:
    """The ``CELL_KINDS`` code of a raw cell; ``TypeError`` for a cell that is none of them."""
    if cell is None:
        return _MISSING
    if isinstance(cell, str):
        return _TEXT
    if isinstance(cell, bool | np.bool_):
        return _BOOL
    if isinstance(cell, int | np.integer):
        return _INT
    if isinstance(cell, float | np.floating):
        return _FLOAT
    raise TypeError(f"a feature cell of type {type(cell).__name__}: prepare numbers, text or None")


def _read_features(arrays: Any, n_features: int) -> np.ndarray:
    """The object matrix ``_feature_arrays`` stored, every cell of its kind again."""
    x = np.full((len(arrays["x0.kind"]), n_features), None, dtype=object)
    for j in range(n_features):
        kinds, numbers, texts = (arrays[f"x{j}.{part}"] for part in ("kind", "number", "text"))
        column = x[:, j]  # a view: filled in place
        floats, strings = kinds == _FLOAT, kinds == _TEXT
        column[floats] = numbers[floats].astype(object)  # Python floats
        column[strings] = texts[strings].astype(object)  # Python str
        ints, bools = np.flatnonzero(kinds == _INT), np.flatnonzero(kinds == _BOOL)
        column[ints] = [int(text) for text in texts[ints].tolist()]  # exact, whatever the size
        column[bools] = [text == "True" for text in texts[bools].tolist()]
    return x
