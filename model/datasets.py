"""The datasets bundled with the project, and the public face of reading data.

``BUNDLED`` maps a name (what a caller may ask for, never a path) to a file in a data
directory; ``load_bundled(name, data_dir)`` reads it, from the repository's ``data/``
(``BUNDLED_DIR``) unless told otherwise. Nothing here reads the environment: the service's
``Settings.data_dir`` and ``mlp-train`` (``cli.run``) pass ``$MLP_DATA_DIR`` on.

The CSV reader (``read_csv``, ``parse_csv``: typed columns, missing values, notes) lives in
``model.csvfile``, ``Table`` and ``DataError`` in ``model.table``; both are importable from here.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, replace
from pathlib import Path

from .csvfile import SEPARATORS, parse_csv, read_csv
from .nn.missing import MISSING_TOKENS
from .table import ColumnOptionError, DataError, Table, is_number, shorten

__all__ = [
    "BUNDLED",
    "BUNDLED_DIR",
    "DEFAULT_DATASET",
    "MISSING_TOKENS",
    "SEPARATORS",
    "BundledDataset",
    "ColumnOptionError",
    "DataError",
    "Table",
    "is_number",
    "load_bundled",
    "parse_csv",
    "read_csv",
    "shorten",
]

DEFAULT_DATASET = "digits"
"""The bundled dataset trained on when no data is given."""


@dataclass(frozen=True)
class BundledDataset:
    """A CSV file shipped in ``data/`` and its target column."""

    file: str
    target: str
    description: str


BUNDLED: dict[str, BundledDataset] = {
    "digits": BundledDataset("digits.csv", "label", "8x8 images of handwritten digits 0-9, 1797 rows"),
    "iris": BundledDataset("iris.csv", "species", "iris flowers, 3 species as strings, 150 rows"),
    "penguins": BundledDataset(
        "penguins.csv", "species", "Palmer penguins, 3 species, 344 rows; text columns and NA cells"
    ),
    "cars": BundledDataset(
        "cars.csv", "mpg", "fuel economy of cars (regression), 398 rows (+8 without mpg); origin is text"
    ),
}


BUNDLED_DIR = Path(__file__).resolve().parents[1] / "data"
"""The repository's ``data/``, where the bundled datasets are unless a caller says otherwise."""


def load_bundled(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    drop: Collection[str] = (),
    categorical: Collection[str] = (),
    na_values: Collection[str] | None = None,
) -> Table:
    """Read the bundled dataset ``name`` (a key of ``BUNDLED``) from ``data_dir`` (default
    ``BUNDLED_DIR``), with ``read_csv``'s column options; unknown names raise ``DataError``."""
    if name not in BUNDLED:
        raise DataError(f"unknown dataset {name!r}; bundled datasets: {', '.join(sorted(BUNDLED))}")
    entry = BUNDLED[name]
    path = Path(data_dir or BUNDLED_DIR) / entry.file
    table = read_csv(path, entry.target, drop=drop, categorical=categorical, na_values=na_values)
    return replace(table, source=name)
