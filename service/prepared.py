"""A training job as the web worker validated it, and its file: what the runner trains.

The worker turns a ``TrainRequest`` into a ``PreparedJob`` (``service.training.prepare``)
and stores it with the job (``JobStore.create``); the runner reads it back and trains it,
without parsing the request or checking the data again. The file is an ``.npz`` written by
NumPy and read with ``allow_pickle=False``: the arrays ``x``, ``y``, ``fit_rows`` and
``test_rows``, and ``meta``, a JSON text (options, task, names, activation policy, the base
version). Labels are a unicode array, never an object array.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from model.datasets import Table
from model.pipeline import Split, TrainOptions

FORMAT = 1  # bump when the file's content changes meaning


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
        }
        arrays = {
            "x": table.x,
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
            table = Table(
                arrays["x"],
                arrays["y"],
                tuple(meta["feature_names"]),
                tuple(meta["target_names"]),
                meta["source"],
                meta["load_seconds"],
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
