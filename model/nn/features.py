"""The feature schema: what each feature is, learned at ``fit``, and the one encoder.

A table of raw values (``tables.as_table``) is a 2-D array (n_rows, n_features): float with
NaN for missing values, or object whose cells are numbers, text or None. ``FeatureSchema.fit``
learns one record per feature; ``encode`` turns raw values into the network's float matrix
(n_rows, n_inputs) plus per-value flags. Standardization is not here: the network's scaler
standardizes every input column, one-hot and indicator columns included.

- **numeric**: ``min``/``max`` (the training range, for ``out_of_range`` flags), ``median``
  (imputes a missing value) and ``missing_share``. A feature with missing values in training
  also gets a 0/1 "was missing" input (``indicator``); one without keeps its width, so a value
  missing only at prediction time is imputed and flagged, never refused.
- **categorical**: ``categories`` most frequent first (ties by text), one 0/1 input each. With
  more than ``max_categories`` distinct values the ``max_categories - 1`` most frequent are kept
  and the rest share a last ``"other"`` level (``rare`` lists them, at most ``MAX_RARE``).
  Missing values get a level of their own when training had some. A value seen neither in
  ``categories`` nor ``rare`` is unknown: all zeros, flagged, never refused.
- Types are inferred: a column with any non-missing text that is not a number is categorical
  (booleans are text: ``"True"``/``"False"``); ``feature_types`` forces them.

Missing means None, NaN, or text equal to one of ``MISSING_TOKENS``. Numbers compared as text
(a categorical feature) use their shortest form: ``4.0`` and ``4`` are ``"4"``.

Encoding works by kind of feature: every numeric column is converted in one block (one C loop;
None is NaN), and each categorical cell is looked up in a dict of the known texts (a C loop via
``map``); only cells outside it (numbers, unknown text) are judged, once per distinct value
(``columns.cell_key``). Batches of up to ``FEW_ROWS`` rows (a ``/predict`` call), where numpy's
cost per call dominates, are encoded cell by cell by the same rules. A dict of columns or a
DataFrame may come as ``tables.Columns`` (numbers stay float64). A schema of numeric features
without indicators is the identity: float input without missing values comes back as the very
same array (today's fast path).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cached_property
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from .columns import MISSING_TOKENS, cell_key, column_keys, holds_text, numeric_values
from .errors import InvalidConfigError, InvalidInputError, Problem, RowsError
from .preprocessing import CHUNK_VALUES
from .rows import MAX_PROBLEMS, check_finite
from .tables import Columns

__all__ = ["FEATURE_TYPES", "MAX_CATEGORIES", "MISSING_TOKENS", "Encoded", "FeatureSchema"]

FEATURE_TYPES = ("numeric", "categorical")
MAX_CATEGORIES = 50
OTHER = "other"
MAX_RARE = 1000
"""Rare categories remembered per feature (they take the ``"other"`` level; beyond, unknown)."""
FEW_ROWS = 16
"""Batches up to this size are encoded cell by cell (``FeatureSchema._encode_few``)."""

OUT_OF_RANGE, UNKNOWN_CATEGORIES, MISSING = "out_of_range", "unknown_categories", "missing"
FLAG_KINDS = (OUT_OF_RANGE, UNKNOWN_CATEGORIES, MISSING)

_UNKNOWN, _MISSING_NO_LEVEL = -1, -2  # level codes of values without a one-hot column
_NOT_LOOKED_UP = -3  # a cell that is not a known text: judged by its key


@dataclass(frozen=True)
class NumericFeature:
    """A numeric feature: its training range, median and share of missing values."""

    name: str
    min: float
    max: float
    median: float
    missing_share: float = 0.0
    indicator: bool = False
    type: str = "numeric"

    @property
    def width(self) -> int:
        return 1 + self.indicator


@dataclass(frozen=True)
class CategoricalFeature:
    """A categorical feature: its levels in one-hot order (``categories``, then ``"other"`` when
    ``rare`` is not empty, then the missing level when ``missing_share > 0``)."""

    name: str
    categories: tuple[str, ...]
    rare: tuple[str, ...] = ()
    missing_share: float = 0.0
    type: str = "categorical"

    @property
    def levels(self) -> tuple[str, ...]:
        """Names of the one-hot columns; the missing level is None."""
        return (*self.categories, *((OTHER,) if self.rare else ()), *((None,) if self.missing_share else ()))

    @property
    def width(self) -> int:
        return len(self.levels)

    @property
    def missing_code(self) -> int:
        """The level of a missing value: its one-hot column, or ``_MISSING_NO_LEVEL``."""
        return self.width - 1 if self.missing_share else _MISSING_NO_LEVEL

    def level_codes(self, keys: list[str | None]) -> np.ndarray:
        """The one-hot column of each key (None = missing), or ``_UNKNOWN``/``_MISSING_NO_LEVEL``."""
        codes = self._codes
        return np.array(
            [self.missing_code if key is None else codes.get(key, _UNKNOWN) for key in keys], dtype=np.intp
        )

    def codes_of(self, column: np.ndarray) -> np.ndarray:
        """The level code of each raw value of ``column`` (n_rows,).

        Each cell is looked up in a dict of the known texts (categories, rare ones, missing
        tokens and None), a C loop (``map``) that is faster than turning the column into
        text; only cells not found there (unknown text, numbers such as ``4.0``, NaN) are
        judged by ``cell_key``, one distinct value at a time.
        """
        cells = column.tolist()
        try:
            codes = np.fromiter(map(self._lookup.get, cells, repeat(_NOT_LOOKED_UP)), np.intp, len(cells))
        except TypeError:  # an unhashable cell: every cell by its key
            codes = np.full(len(cells), _NOT_LOOKED_UP, np.intp)
        rows = np.flatnonzero(codes == _NOT_LOOKED_UP)
        if rows.size:
            keys, inverse = column_keys(column[rows])
            codes[rows] = self.level_codes(keys)[inverse]
        return codes

    @cached_property
    def _codes(self) -> dict[str, int]:
        """Text -> level code, for every text with a level (not the missing tokens)."""
        codes = dict.fromkeys(self.rare, len(self.categories))
        return codes | {category: i for i, category in enumerate(self.categories)}

    @cached_property
    def _lookup(self) -> dict[str | None, int]:
        """Every text a cell may hold that has a code (missing tokens: ``missing_code``), and None."""
        return {None: self.missing_code} | dict.fromkeys(MISSING_TOKENS, self.missing_code) | self._codes


Feature = NumericFeature | CategoricalFeature


class Encoded(NamedTuple):
    """The network's input and the flags of the raw values.

    Attributes
    ----------
    x : ndarray of shape (n_rows, n_inputs), float
        One-hot columns, imputed numeric values and 0/1 missing indicators (not standardized).
    flags : dict of str to ndarray of shape (n_rows, n_features), bool
        ``out_of_range``, ``unknown_categories`` and ``missing``, over the original features
        (empty when ``encode`` was asked for no flags).
    """

    x: np.ndarray
    flags: dict[str, np.ndarray]


class _Layout(NamedTuple):
    """Where each kind of feature is: columns of the raw table, first inputs, and what the
    block encoders need (all 1-D arrays, one entry per feature of the kind)."""

    numeric: np.ndarray
    numeric_inputs: np.ndarray
    indicators: np.ndarray  # positions in ``numeric`` of the features with an indicator input
    medians: np.ndarray
    low: np.ndarray
    high: np.ndarray
    categorical: np.ndarray
    categorical_inputs: np.ndarray
    missing_codes: np.ndarray


class FeatureSchema:
    """One record per feature (``features``), in column order; see the module docstring."""

    def __init__(self, features: tuple[Feature, ...]) -> None:
        self.features = tuple(features)
        self.names = tuple(feature.name for feature in self.features)
        self.identity = all(f.type == "numeric" and not f.indicator for f in self.features)
        widths = [feature.width for feature in self.features]
        self.n_inputs = sum(widths)
        self.input_groups = np.repeat(np.arange(len(widths)), widths)  # (n_inputs,) feature of each input
        self.feature_min = np.array([getattr(f, "min", np.nan) for f in self.features], np.float64)
        self.feature_max = np.array([getattr(f, "max", np.nan) for f in self.features], np.float64)

    @property
    def n_features(self) -> int:
        return len(self.features)

    # ---------------------------------------------------------------- learning
    @classmethod
    def fit(
        cls,
        x: np.ndarray,
        feature_names: tuple[str, ...],
        feature_types: dict[str, str] | None = None,
        max_categories: int = MAX_CATEGORIES,
    ) -> FeatureSchema:
        """Learn each feature of the raw table ``x`` (n_rows, n_features); see the module docstring.

        Raises
        ------
        InvalidConfigError
            ``feature_types`` names an unknown feature or type; ``max_categories`` < 2.
        InvalidInputError
            A column is entirely missing, or holds text where a number is forced.
        """
        forced = _forced_types(feature_types, feature_names)
        if (
            not isinstance(max_categories, int | np.integer)
            or isinstance(max_categories, bool)
            or max_categories < 2
        ):
            raise InvalidConfigError(
                f"max_categories must be an integer >= 2, got {max_categories!r}", field="max_categories"
            )
        if x.dtype != object and not forced:
            low, high = x.min(axis=0), x.max(axis=0)  # NaN and inf propagate: the finiteness check
            if np.isfinite(low).all() and np.isfinite(high).all():
                return cls(_plain_numeric(x, feature_names, low, high))  # numbers, none missing
        features: list[Feature] = []
        for j, name in enumerate(feature_names):
            column = x[:, j]
            kind = forced.get(name) or ("categorical" if holds_text(column) else "numeric")
            if kind == "numeric":
                features.append(_fit_numeric(column, name))
            else:
                features.append(_fit_categorical(column, name, int(max_categories)))
        return cls(tuple(features))

    def widened(self, x: np.ndarray) -> FeatureSchema:
        """This schema with numeric ranges widened to cover ``x`` too (a warm start)."""
        features = []
        for j, feature in enumerate(self.features):
            if feature.type == "numeric":
                values = numeric_values(x[:, j])[0]
                present = values[~np.isnan(values)]
                if present.size:
                    low, high = min(feature.min, float(present.min())), max(feature.max, float(present.max()))
                    feature = NumericFeature(**{**asdict(feature), "min": low, "max": high})
            features.append(feature)
        return FeatureSchema(tuple(features))

    # ---------------------------------------------------------------- encoding
    def encode(
        self, x: np.ndarray | Columns, columns: tuple[str, ...] | None = None, *, flags: bool = True
    ) -> Encoded:
        """Raw values ``x`` (n_rows, n_features) -> the network's input (n_rows, n_inputs) and flags.

        ``x`` is the raw matrix or the same table as ``tables.Columns``.

        ``columns`` names the columns in problem locations (rows given by name); otherwise
        they are located by index. ``flags=False`` skips the flags (``Network.predict``).

        Raises
        ------
        RowsError
            Text in a numeric feature (kind ``number``) or an infinity (kind ``finite``).
        """
        if len(x.shape) != 2 or x.shape[1] != self.n_features:
            raise InvalidInputError(f"X must have {self.n_features} features, got {x.shape[-1]}")
        if self.identity and isinstance(x, np.ndarray) and x.dtype != object:
            if not flags and np.isfinite(x).all():
                return Encoded(x, {})  # today's fast path: the array itself
            return self._encode_numbers(x, columns, flags)
        if x.shape[0] <= FEW_ROWS:
            few = self._encode_few(x, flags)
            if few is not None:
                return few
        n_rows = x.shape[0]
        out = np.zeros((n_rows, self.n_inputs), np.float64)  # (n_rows, n_inputs)
        masks = {kind: np.zeros((n_rows, self.n_features), bool) for kind in FLAG_KINDS} if flags else {}
        problems = self._encode_numeric_block(x, columns, out, masks)
        self._encode_categorical_block(x, out, masks)
        if problems:
            raise RowsError(problems[:MAX_PROBLEMS])
        return Encoded(out, masks)

    def _encode_few(self, x: np.ndarray | Columns, flags: bool) -> Encoded | None:
        """A few rows (a ``/predict`` call) cell by cell: there numpy's cost per call, not per
        cell, dominates. The same rules as the block encoders; None when a numeric cell is not
        a plain number or None (text, an infinity: the block encoders judge and locate it)."""
        out = [[0.0] * self.n_inputs for _ in range(x.shape[0])]  # (n_rows, n_inputs)
        kinds = [[[False] * self.n_features for _ in range(x.shape[0])] for _ in FLAG_KINDS]
        outside, unknown, missing = kinds  # FLAG_KINDS order, each (n_rows, n_features)
        for i, row in enumerate(x.rows() if isinstance(x, Columns) else x.tolist()):
            line = out[i]
            for j, (start, feature, cell) in enumerate(zip(self._starts, self.features, row, strict=True)):
                if feature.type == "numeric":
                    value = _plain_number(cell)
                    if value is None:
                        return None
                    if value != value:
                        line[start] = feature.median
                        missing[i][j] = True
                        if feature.indicator:
                            line[start + 1] = 1.0
                    else:
                        line[start] = value
                        outside[i][j] = value < feature.min or value > feature.max
                    continue
                try:
                    code = feature._lookup.get(cell, _NOT_LOOKED_UP)
                except TypeError:
                    return None
                if code == _NOT_LOOKED_UP:
                    code = int(feature.level_codes([cell_key(cell)])[0])
                if code >= 0:
                    line[start + code] = 1.0
                unknown[i][j] = code == _UNKNOWN
                missing[i][j] = code == feature.missing_code
        masks = dict(zip(FLAG_KINDS, np.array(kinds, bool), strict=True)) if flags else {}
        return Encoded(np.array(out, np.float64), masks)

    def _encode_numeric_block(
        self, x: np.ndarray | Columns, columns: tuple[str, ...] | None, out: np.ndarray, masks: dict
    ) -> list[Problem]:
        """Every numeric feature in one block (one conversion, one imputation); text or an
        infinity sends each column to ``_encode_numeric`` for its problems' locations."""
        layout = self._layout
        numeric, inputs, indicators = layout.numeric, layout.numeric_inputs, layout.indicators
        if not numeric.size:
            return []
        try:
            values = _numbers(x, numeric)  # (n_rows, n_num)
        except (TypeError, ValueError, OverflowError):
            values = None  # text or missing tokens
        if values is None or np.isinf(values).any():
            problems: list[Problem] = []
            for j, start in zip(numeric.tolist(), inputs.tolist(), strict=True):
                feature, loc = self.features[j], j if columns is None else columns[j]
                block = out[:, start : start + feature.width]
                problems += _encode_numeric(feature, _column(x, j), loc, block, masks, j)
            return problems
        missing = np.isnan(values)  # (n_rows, n_num)
        out[:, inputs] = np.where(missing, layout.medians, values)
        if indicators.size:
            out[:, inputs[indicators] + 1] = missing[:, indicators]
        if masks:
            masks[OUT_OF_RANGE][:, numeric] = (values < layout.low) | (values > layout.high)
            masks[MISSING][:, numeric] = missing
        return []

    def _encode_categorical_block(self, x: np.ndarray | Columns, out: np.ndarray, masks: dict) -> None:
        """Every categorical feature's one-hot levels, written at once: unknown and unlevelled
        missing values stay all zeros."""
        layout = self._layout
        if not layout.categorical.size:
            return
        codes = np.empty((x.shape[0], layout.categorical.size), np.intp)  # (n_rows, n_cat)
        for i, j in enumerate(layout.categorical.tolist()):
            codes[:, i] = self.features[j].codes_of(_column(x, j))
        levelled = codes >= 0
        where = codes + layout.categorical_inputs + np.arange(0, out.size, self.n_inputs)[:, None]
        out.reshape(-1)[where[levelled]] = 1.0  # out is C-contiguous: a view
        if masks:
            masks[UNKNOWN_CATEGORIES][:, layout.categorical] = codes == _UNKNOWN
            masks[MISSING][:, layout.categorical] = codes == layout.missing_codes

    @cached_property
    def _starts(self) -> list[int]:
        """Each feature's first input."""
        return np.cumsum([0, *(f.width for f in self.features)])[:-1].tolist()

    @cached_property
    def _layout(self) -> _Layout:
        starts = np.array(self._starts, np.intp)
        numeric = np.array([j for j, f in enumerate(self.features) if f.type == "numeric"], np.intp)
        categorical = np.array([j for j, f in enumerate(self.features) if f.type != "numeric"], np.intp)
        numeric_features = [self.features[j] for j in numeric.tolist()]
        return _Layout(
            numeric,
            starts[numeric],
            np.array([i for i, f in enumerate(numeric_features) if f.indicator], np.intp),
            np.array([f.median for f in numeric_features], np.float64),
            self.feature_min[numeric],
            self.feature_max[numeric],
            categorical,
            starts[categorical],
            np.array([self.features[j].missing_code for j in categorical.tolist()], np.intp),
        )

    def _encode_numbers(self, x: np.ndarray, columns: tuple[str, ...] | None, flags: bool) -> Encoded:
        """All-numeric schema, float input: ``x`` itself unless values are missing."""
        if np.isfinite(x).all():
            masks = {}
            if flags:
                outside = (x < self.feature_min) | (x > self.feature_max)  # (n_rows, n_features)
                masks = {OUT_OF_RANGE: outside, UNKNOWN_CATEGORIES: np.zeros(x.shape, bool)}
                masks[MISSING] = np.zeros(x.shape, bool)
            return Encoded(x, masks)
        _refuse_infinities(x, columns)
        missing = np.isnan(x)  # (n_rows, n_features)
        filled = np.where(missing, self._layout.medians, x)  # every feature is numeric here
        masks = {}
        if flags:
            outside = (x < self.feature_min) | (x > self.feature_max)  # NaN compares False
            masks = {OUT_OF_RANGE: outside, UNKNOWN_CATEGORIES: np.zeros(x.shape, bool), MISSING: missing}
        return Encoded(filled.astype(x.dtype, copy=False), masks)

    # ---------------------------------------------------------------- the artifact and the card
    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"features": [record, ...]}`` (records as in the module docstring)."""
        records = []
        for feature in self.features:
            record = asdict(feature)
            if feature.type == "categorical":
                record["categories"] = list(feature.levels[: len(feature.categories) + bool(feature.rare)])
                record["rare"] = list(feature.rare)
            records.append(record)
        return {"features": records}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> FeatureSchema:
        """The inverse of ``as_dict``; raises ``KeyError``/``TypeError``/``ValueError`` when malformed."""
        features: list[Feature] = []
        for item in record["features"]:
            item = dict(item)
            if item.get("type") == "numeric":
                features.append(NumericFeature(**{k: v for k, v in item.items() if k != "type"}))
            elif item.get("type") == "categorical":
                categories = [str(c) for c in item.pop("categories")]
                rare = tuple(str(c) for c in item.pop("rare", ()))
                if rare:
                    categories = categories[:-1]  # the "other" level is implied by rare
                features.append(
                    CategoricalFeature(item["name"], tuple(categories), rare, float(item["missing_share"]))
                )
            else:
                raise ValueError(f"unknown feature type {item.get('type')!r}")
        return cls(tuple(features))

    @classmethod
    def numeric(
        cls, names: tuple[str, ...], low: np.ndarray, high: np.ndarray, median: np.ndarray
    ) -> FeatureSchema:
        """All-numeric, no missing values: the schema of a version-1 model file."""
        return cls(
            tuple(
                NumericFeature(n, float(a), float(b), float(m))
                for n, a, b, m in zip(names, low, high, median, strict=True)
            )
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureSchema) and self.features == other.features

    def __repr__(self) -> str:
        kinds = ", ".join(f"{f.name}: {f.type}" for f in self.features[:5])
        return f"FeatureSchema({kinds}{', ...' if self.n_features > 5 else ''})"


# ---------------------------------------------------------------- one feature
def _forced_types(feature_types: dict[str, str] | None, names: tuple[str, ...]) -> dict[str, str]:
    if feature_types is None:
        return {}
    if not isinstance(feature_types, dict):
        raise InvalidConfigError(
            f"feature_types must map feature names to {list(FEATURE_TYPES)}", field="feature_types"
        )
    for name, kind in feature_types.items():
        if name not in names:
            raise InvalidConfigError(
                f"feature_types names {name!r}, which is not a feature; features: {list(names)}",
                field="feature_types",
            )
        if kind not in FEATURE_TYPES:
            raise InvalidConfigError(
                f"feature_types[{name!r}] must be one of {list(FEATURE_TYPES)}, got {kind!r}",
                field="feature_types",
            )
    return dict(feature_types)


def _plain_numeric(
    x: np.ndarray, names: tuple[str, ...], low: np.ndarray, high: np.ndarray
) -> tuple[Feature, ...]:
    """Numeric features without missing values; medians a block of columns at a time (the
    partition copies its block: small blocks keep a big float32 set from doubling)."""
    step = max(1, CHUNK_VALUES // max(1, len(x)))
    median = np.concatenate([np.median(x[:, j : j + step], axis=0) for j in range(0, x.shape[1], step)])
    return tuple(
        NumericFeature(name, float(a), float(b), float(m))
        for name, a, b, m in zip(names, low, high, median, strict=True)
    )


def _fit_numeric(column: np.ndarray, name: str) -> NumericFeature:
    values, text = numeric_values(column)
    if text is not None:
        row = int(np.argmax(text))
        raise InvalidInputError(f"feature {name!r} cannot be numeric: row {row} holds text, not a number")
    missing = np.isnan(values)
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values)))
        raise InvalidInputError(f"feature {name!r} must be finite: row {row} is {values[row]}")
    present = values[~missing]
    if not present.size:
        raise InvalidInputError(f"feature {name!r} is missing in every row: drop it")
    share = float(missing.mean())
    return NumericFeature(
        name, float(present.min()), float(present.max()), float(np.median(present)), share, share > 0
    )


def _fit_categorical(column: np.ndarray, name: str, max_categories: int) -> CategoricalFeature:
    keys, inverse = column_keys(column)
    counts: dict[str | None, int] = {}
    for key, count in zip(keys, np.bincount(inverse, minlength=len(keys)).tolist(), strict=True):
        counts[key] = counts.get(key, 0) + count  # distinct texts with one key: "4" and 4.0
    n_missing = counts.pop(None, 0)
    if not counts:
        raise InvalidInputError(f"feature {name!r} is missing in every row: drop it")
    ranked = [key for key, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    kept, rare = ranked, []
    if len(ranked) > max_categories:
        kept, rare = ranked[: max_categories - 1], ranked[max_categories - 1 :][:MAX_RARE]
    return CategoricalFeature(name, tuple(kept), tuple(rare), n_missing / len(column))


def _encode_numeric(
    feature: NumericFeature, column: np.ndarray, loc: int | str, block: np.ndarray, masks: dict, j: int
) -> list[Problem]:
    """Write the imputed values (and indicator) into ``block`` (n_rows, width); return problems."""
    values, text = numeric_values(column)
    problems = []
    if text is not None:
        rule = f"feature {feature.name!r} is numeric: must be a number or missing"
        problems += [Problem((i, loc), rule, "number") for i in np.flatnonzero(text)[:MAX_PROBLEMS].tolist()]
    infinite = np.isinf(values)
    if infinite.any():
        rows = np.flatnonzero(infinite)[:MAX_PROBLEMS].tolist()
        problems += [Problem((i, loc), "must be a finite number", "finite") for i in rows]
    missing = np.isnan(values)
    block[:, 0] = np.where(missing, feature.median, values)
    if feature.indicator:
        block[:, 1] = missing
    if masks:
        masks[OUT_OF_RANGE][:, j] = (values < feature.min) | (values > feature.max)
        masks[MISSING][:, j] = missing
    return problems


def _column(x: np.ndarray | Columns, j: int) -> np.ndarray:
    """Column ``j`` (n_rows,) of a raw table."""
    return x.column(j) if isinstance(x, Columns) else x[:, j]


def _numbers(x: np.ndarray | Columns, columns: np.ndarray) -> np.ndarray:
    """The ``columns`` of a raw table as float64 (n_rows, len(columns)), None as NaN, written a
    column at a time (no copy of an object block first); raises as ``astype`` does on text."""
    values = np.empty((x.shape[0], columns.size), np.float64)
    for i, j in enumerate(columns.tolist()):
        values[:, i] = _column(x, j)
    return values


def _plain_number(cell: Any) -> float | None:
    """A numeric cell as ``astype(float64)`` reads it (None: NaN), or None when it is not a
    finite Python number, NaN or None (the block encoders judge it)."""
    if cell is None:
        return math.nan
    if type(cell) is not float and type(cell) is not int:
        return None
    try:
        value = float(cell)
    except OverflowError:
        return None
    return None if value in (math.inf, -math.inf) else value


def _refuse_infinities(x: np.ndarray, columns: tuple[str, ...] | None) -> None:
    """Raise ``RowsError`` when ``x`` holds an infinity (NaN is a missing value)."""
    infinite = np.isinf(x)
    if infinite.any():
        row, column = np.argwhere(infinite)[0]
        message = f"X must be finite: row {row}, column {column} is {x[row, column]}"
        check_finite(x, columns, None if columns else message, allow_missing=True)
