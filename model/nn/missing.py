"""What counts as a missing value in text: one list for every way data comes in.

A missing value is ``None``, a float NaN, or a text cell that is one of ``MISSING_TOKENS``
(surrounding spaces ignored). The CSV reader (``model.datasets``, ``mlp-train --na-values``)
may replace the list; the empty string is missing whatever the list says, since an empty
cell cannot name a category.
"""

from __future__ import annotations

from collections.abc import Collection

MISSING_TOKENS: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "None", "?")
"""Text cells read as missing by default (R writes ``NA``, pandas ``NaN``, JSON tools ``null``,
the UCI repository ``?``)."""


def is_missing_token(cell: str, tokens: Collection[str] = MISSING_TOKENS) -> bool:
    """True when the text ``cell``, stripped, is empty or one of ``tokens``."""
    text = cell.strip()
    return not text or text in tokens
