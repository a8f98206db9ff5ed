"""Exceptions raised by the network library.

Every error a caller can cause is a ``ValueError`` subclass whose message states the rule and
the value seen, so callers (the training script, the service) can catch one family and show
the message as it is.
"""

from __future__ import annotations

from typing import NamedTuple


class ModelError(ValueError):
    """Base class of the library's errors."""


class InvalidInputError(ModelError):
    """Data given to ``fit``/``predict`` breaks a rule (shape, finiteness, labels...)."""


class InvalidConfigError(ModelError):
    """A hyperparameter is out of its domain (unknown name, non-positive size or rate...).

    ``field`` names the option (or setting) at fault, when there is one, so a caller can point
    at it (the service's 422 ``loc``) without reading the message.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFittedError(ModelError):
    """``predict`` or ``save`` was called on a network that was never trained."""


class ArtifactError(ModelError):
    """A model file is unreadable, truncated, tampered with, pickled or of an unknown format."""


class Problem(NamedTuple):
    """One thing wrong with caller rows.

    ``loc`` is relative to the rows: ``()`` the rows as a whole, ``(i,)`` row ``i``, ``(i, j)``
    its ``j``-th value, ``(i, "name")`` its value named ``name``. A front door prefixes its own
    path (``"instances"``, ``"inputs", 0, "data"``). ``message`` never holds the caller's value;
    ``kind`` is a machine-readable word (length, missing, unknown_feature, number, finite, too_long).
    """

    loc: tuple[int | str, ...]
    message: str
    kind: str


class RowsError(InvalidInputError):
    """Rows that cannot become the model's matrix, with every problem found (at most 20)."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.problems = tuple(problems)
        super().__init__(message or self.summary(("rows",)))

    def summary(self, prefix: tuple[int | str, ...] = ()) -> str:
        """The first problem, located under ``prefix``, and how many more, on one line:
        ``"instances.0.x: missing feature (and 2 more)"``."""
        first = self.problems[0]
        where = ".".join(str(part) for part in (*prefix, *first.loc)) or "rows"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        return f"{where}: {first.message}{more}"
