"""Hyperparameters declared once: a name, a default, a rule and a help text per option.

An options class is a frozen dataclass whose fields are made with ``option(...)``; the
``Rule`` in each field's metadata is the only statement of what values the option takes.
``__post_init__`` (from ``Options``) checks and normalizes every field by its rule, and the
application derives the rest from ``Options.options()``: the command line's flags, the config
file's keys and the service's request schema, so all of them share one default and one rule.

The library declares what it knows: ``NetworkConfig`` (the architecture, init, dtype and seed
of a ``Network``) and ``TrainingConfig`` (one ``fit``'s hyperparameters, in ``training``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .activations import ACTIVATIONS
from .errors import InvalidConfigError
from .initializers import INITIALIZERS

DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class Rule:
    """The values one option takes.

    ``kind`` is ``int``, ``float`` (ints accepted, stored as float; finite only), ``bool``,
    ``str`` (one of ``choices``) or ``tuple`` (layer widths: ``"128,64"``, ``100`` or
    ``[128, 64]``, each width bounded like an int). ``ge``/``gt``/``lt`` bound numbers;
    ``nullable`` admits None.
    """

    kind: type
    help: str
    choices: tuple[str, ...] = ()
    ge: float | None = None
    gt: float | None = None
    lt: float | None = None
    nullable: bool = False

    def describe(self) -> str:
        """The rule in words, e.g. ``a number in [0, 1)``; every error message states it."""
        if self.choices:
            return f"one of {list(self.choices)}"
        if self.kind is bool:
            return "true or false"
        if self.kind is tuple:
            return "layer widths (integers >= 1) like '128,64' or [128, 64]"
        if self.ge is not None and self.lt is not None:
            bounds = f" in [{self.ge:g}, {self.lt:g})"
        elif self.ge is not None:
            bounds = f" >= {self.ge:g}"
        else:
            bounds = "" if self.gt is None else f" > {self.gt:g}"
        text = ("an integer" if self.kind is int else "a number") + bounds
        return f"{text}, or null for a random run" if self.nullable else text

    def check(self, name: str, value: Any) -> Any:
        """``value`` normalized (float for numbers, a tuple of ints for widths); raises
        ``InvalidConfigError`` naming ``name`` (as ``field``), the rule and the value."""
        if value is None and self.nullable:
            return None
        normalized = self._normalize(value)
        if normalized is None:
            raise InvalidConfigError(f"{name} must be {self.describe()}, got {value!r}", field=name)
        return normalized

    def _normalize(self, value: Any) -> Any:
        """The normalized value, or None when it breaks the rule."""
        if self.choices:
            return value if isinstance(value, str) and value in self.choices else None
        if self.kind is bool:
            return value if isinstance(value, bool) else None
        if self.kind is tuple:
            widths = _widths(value)
            ok = widths is not None and all(self._in_bounds(width) for width in widths)
            return widths if ok else None
        if self.kind is int:
            return int(value) if _is_int(value) and self._in_bounds(value) else None
        number = _is_int(value) or (isinstance(value, float) and math.isfinite(value))
        return float(value) if number and self._in_bounds(value) else None

    def _in_bounds(self, value: float) -> bool:
        return (
            (self.ge is None or value >= self.ge)
            and (self.gt is None or value > self.gt)
            and (self.lt is None or value < self.lt)
        )


def option(default: Any, help: str, kind: type, **rule: Any) -> Any:
    """A dataclass field with its ``Rule``: ``epochs: int = option(200, "...", int, ge=1)``."""
    return field(default=default, metadata={"rule": Rule(kind, help, **rule)})


@dataclass(frozen=True)
class Option:
    """One declared option: what the CLI, config files and request schemas are built from."""

    name: str
    default: Any
    rule: Rule


class Options:
    """Base of the options dataclasses: every field checked and normalized by its rule."""

    def __post_init__(self) -> None:
        for item in self.options():
            object.__setattr__(self, item.name, item.rule.check(item.name, getattr(self, item.name)))

    @classmethod
    def options(cls) -> tuple[Option, ...]:
        """The declared options, in field order."""
        return tuple(Option(f.name, f.default, f.metadata["rule"]) for f in fields(cls))

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True)
class NetworkConfig(Options):
    """A ``Network``'s constructor options: architecture, initialization, precision, seed."""

    hidden: tuple[int, ...] = option(
        (100,), "hidden layer widths, e.g. 128,64 or [128, 64]; empty for a linear model", tuple, ge=1
    )
    activation: str = option("relu", "hidden activation", str, choices=tuple(sorted(ACTIVATIONS)))
    init: str = option("pytorch", "weight initialization", str, choices=tuple(sorted(INITIALIZERS)))
    dtype: str = option("float32", "precision of parameters and computation", str, choices=DTYPES)
    seed: int | None = option(
        0, "seeds splits, initialization and shuffles; none/null for a random run", int, ge=0, nullable=True
    )


def _widths(value: Any) -> tuple[int, ...] | None:
    """Widths from ``"128,64"``, ``100``, ``[128, 64]`` or ``()`` (a linear model); None if not."""
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        return tuple(int(part) for part in parts) if all(part.isdigit() for part in parts) else None
    if _is_int(value):
        return (int(value),)
    if isinstance(value, list | tuple) and all(_is_int(width) for width in value):
        return tuple(int(width) for width in value)
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)
