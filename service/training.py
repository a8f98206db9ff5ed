"""Turning a ``TrainRequest`` into a ``PreparedJob``, with every check done up front.

The web worker calls ``prepare`` before accepting a job, so data that cannot be trained on
is refused at request time; the job runner trains the stored ``PreparedJob`` and checks
nothing again. Flask-free: raises ``JobRequestError``, which the route maps to HTTP.
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from typing import Any

import numpy as np

from model import FeatureSchema, InvalidConfigError, InvalidInputError, Network, rows_to_matrix
from model.datasets import BUNDLED, ColumnOptionError, DataError, Table, load_bundled, parse_csv
from model.pipeline import TrainOptions, check_targets, plan_split, resolve_task

from .prepared import PreparedJob
from .schemas import CsvTrainQuery, JobOptions, TrainRequest
from .settings import Settings


class JobRequestError(ValueError):
    """A training request this server will not run: what is wrong and where.

    Attributes
    ----------
    message : str
        One line, never the input's values.
    loc : list of str or int
        Where in the request body (``["instances", 3, "age"]``).
    kind : str
        ``"value_error"``, or ``"limit"`` for a server bound.
    code : str
        ``"validation_error"`` (the data or options), or ``"no_model"`` (nothing to warm-start).
    """

    def __init__(
        self, message: str, loc: list[str | int], kind: str = "value_error", code: str = "validation_error"
    ) -> None:
        super().__init__(message)
        self.message, self.loc, self.kind, self.code = message, loc, kind, code


def unprocessable(message: str, loc: list[str | int], kind: str = "value_error") -> JobRequestError:
    return JobRequestError(message, loc, kind)


def prepare(
    request: TrainRequest, settings: Settings, active: Network | None, active_version: str | None
) -> PreparedJob:
    """The job ``request`` asks for, checked against ``settings`` and the ``active`` model
    (version ``active_version``, what ``base: "active"`` warm-starts); ``JobRequestError`` otherwise."""
    options = _options(request, settings)
    base = _base(request, active)
    table = _table(request, settings, base)
    where: list[str | int] = ["targets"] if request.dataset is None else ["dataset"]
    return _prepared(request, options, table, (settings, active, active_version), where, ())


def prepare_csv(
    query: CsvTrainQuery,
    body: bytes,
    settings: Settings,
    active: Network | None,
    active_version: str | None,
) -> PreparedJob:
    """``prepare`` for a CSV table as the body: the columns and options come from the query
    (located under ``["query", name]``), problems of the table under ``["body", row, column]``
    with the file's row numbers (the header is row 1)."""
    options = _options(query, settings, ("query",))
    base = _base(query, active, ("query",))
    table = _csv_table(query, body, base)
    return _prepared(query, options, table, (settings, active, active_version), ["body"], ("query",))


def _prepared(
    request: JobOptions,
    options: TrainOptions,
    table: Table,
    context: tuple[Settings, Network | None, str | None],
    where: list[str | int],
    prefix: tuple[str, ...],
) -> PreparedJob:
    """The checks every job gets once its table is read: targets, split, classes, features."""
    settings, active, active_version = context
    base = active if request.base == "active" else None
    try:
        task = base.task if base is not None else resolve_task(table, options)
        check_targets(table, task, base)
        split = plan_split(table, options, task)
    except DataError as error:
        raise unprocessable(str(error), where) from None
    _check_classes(table, task, settings, where)
    _check_feature_types(table, options, base, [*prefix, "feature_types" if not prefix else "categorical"])
    if request.activate == "if_better" and active is not None and split.held_out < settings.min_compare_rows:
        raise unprocessable(
            f"activate 'if_better' compares on held-out rows: this split holds out {split.held_out} of "
            f"{table.n_samples} rows (test_fraction {options.test_fraction:g}, val_fraction "
            f"{options.val_fraction:g}), it needs at least {settings.min_compare_rows}; add rows, "
            "raise the fractions, or activate 'always' or 'never'",
            [*prefix, "activate"],
        )
    base_version = active_version if base is not None else None
    return PreparedJob(table, options, task, split, request.activate, base_version)


def _base(request: JobOptions, active: Network | None, prefix: tuple[str, ...] = ()) -> Network | None:
    """The model to warm-start (``base: "active"``), or None; 409 ``no_model`` without one."""
    if request.base != "active":
        return None
    if active is None:
        message = "base 'active' needs an active model, and there is none"
        raise JobRequestError(message, [*prefix, "base"], code="no_model")
    return active


def _check_feature_types(
    table: Table, options: TrainOptions, base: Network | None, loc: list[str | int]
) -> None:
    """Forced feature types the library's schema can apply, checked now rather than in the job
    (a warm start keeps the active model's schema, so it takes none)."""
    if not table.feature_types:
        return
    if base is not None:
        raise unprocessable("a warm start keeps the active model's feature types: give none", loc)
    try:
        FeatureSchema.fit(table.x, table.feature_names, dict(table.feature_types), options.max_categories)
    except (InvalidInputError, InvalidConfigError) as error:
        raise unprocessable(str(error), loc) from None


def _check_classes(table: Table, task: str, settings: Settings, where: list[str | int]) -> None:
    if task != "classification":
        return
    count = table.y.shape[1] if table.y.ndim == 2 else len(np.unique(table.y))
    if count > settings.max_classes:
        raise unprocessable(f"{count} classes: at most {settings.max_classes} on this server", where, "limit")


def _options(request: JobOptions, settings: Settings, prefix: tuple[str, ...] = ()) -> TrainOptions:
    given = request.hyperparameters()
    bounds = [
        ("epochs", given.get("epochs", 0) <= settings.max_epochs, f"at most {settings.max_epochs}"),
        ("patience", given.get("patience", 0) <= settings.max_epochs, f"at most {settings.max_epochs}"),
        (
            "hidden",
            len(given.get("hidden", ())) <= settings.max_hidden_layers,
            f"at most {settings.max_hidden_layers} layers",
        ),
        (
            "hidden",
            max(given.get("hidden", [0]) or [0]) <= settings.max_hidden_units,
            f"layers of at most {settings.max_hidden_units} units",
        ),
    ]
    for name, ok, rule in bounds:
        if not ok:
            raise unprocessable(f"{name}: {rule} on this server", [*prefix, name], "limit")
    try:
        return TrainOptions.from_mapping(given)
    except InvalidConfigError as error:
        raise unprocessable(str(error), [*prefix, error.field or "body"]) from None


def _table(request: TrainRequest, settings: Settings, base: Network | None) -> Table:
    forced = dict(request.feature_types or {})
    if request.dataset is not None:
        if request.dataset not in BUNDLED:
            raise unprocessable(f"unknown dataset; shipped: {sorted(BUNDLED)}", ["dataset"])
        table = load_bundled(request.dataset, settings.data_dir)
        table = _in_base_order(table, base, ["dataset"])
        return replace(table, feature_types=forced)
    instances, targets = request.instances, request.targets
    if len(targets) != len(instances):  # both present: the schema refuses one without the other
        raise unprocessable(
            f"need one target per instance: {len(instances)} instances, {len(targets)} targets", ["targets"]
        )
    names, x = _features(request, base, settings.max_train_rows)
    y = _target_array(targets)
    return Table(x, y, names, _target_names(request, y), "request", feature_types=forced)


CSV_BODY = "CSV body"
"""What messages call a CSV request body (``parse_csv``'s ``name``)."""

# "CSV body, row 7, column 'island': ..." or "CSV body: row 7 has 3 cell(s), ...": the reader's
# messages locate by the file's row numbers (header = row 1) and the column's name.
_TARGET_PROBLEMS = ("no column", "a target column is named twice", "every column is a target", "no target")
_ROW = re.compile(r"\brow (\d+)\b")
_COLUMN = re.compile(r"\bcolumn ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def _csv_table(query: CsvTrainQuery, body: bytes, base: Network | None) -> Table:
    """The CSV body read by ``parse_csv`` with the query's column options."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unprocessable(f"{CSV_BODY}: not UTF-8 text", ["body"]) from None
    columns = {"drop": query.drop, "categorical": query.categorical, "na_values": query.na_values}
    try:
        table = parse_csv(text, query.target, name=CSV_BODY, **columns)
    except ColumnOptionError as error:
        raise unprocessable(str(error), ["query", error.field]) from None
    except DataError as error:
        raise unprocessable(str(error), csv_location(str(error))) from None
    return _in_base_order(table, base, ["body"])


def csv_location(message: str) -> list[str | int]:
    """``["body", row, column]`` (as far as the reader's message names them) for a CSV problem;
    a missing or unknown target column is the query's ``target``."""
    if message.startswith(f"{CSV_BODY}: ") and message[len(CSV_BODY) + 2 :].startswith(_TARGET_PROBLEMS):
        return ["query", "target"]
    loc: list[str | int] = ["body"]
    row = _ROW.search(message)
    column = _COLUMN.search(message)
    if row:
        loc.append(int(row.group(1)))
        if column:
            loc.append(ast.literal_eval(column.group(1)))
    return loc


def _in_base_order(table: Table, base: Network | None, loc: list[str | int]) -> Table:
    """A warm start's table with its columns in the active model's order (matched by name)."""
    if base is None or table.feature_names == base.feature_names:
        return table
    missing = [name for name in base.feature_names if name not in table.feature_names]
    extra = [name for name in table.feature_names if name not in base.feature_names]
    if missing or extra:
        said = "; ".join(
            part
            for part in (f"missing {missing}" if missing else "", f"not the model's {extra}" if extra else "")
            if part
        )
        raise unprocessable(
            f"the features are not the active model's {list(base.feature_names)}: {said}", loc
        )
    order = [table.feature_names.index(name) for name in base.feature_names]
    return replace(table, x=table.x[:, order], feature_names=tuple(base.feature_names))


def _features(
    request: TrainRequest, base: Network | None, max_rows: int
) -> tuple[tuple[str, ...], np.ndarray]:
    """The inline rows as a matrix, by the library's one rows check (``rows_to_matrix``).

    Features: a warm start's are the active model's; otherwise objects give theirs in the
    order of the first row's keys, lists are named by ``feature_names`` (or ``x0 .. x{n-1}``).
    """
    instances = request.instances
    keyed = isinstance(instances[0], dict)
    if base is not None and not keyed and len(instances[0]) != base.n_features:
        raise unprocessable(
            f"instances: rows of {len(instances[0])} features; the active model takes {base.n_features} "
            f"({', '.join(base.feature_names)}) to warm-start",
            ["instances", 0],
        )
    # A RowsError (the library's located row problems) goes up as it is: the route maps it.
    rows = rows_to_matrix(instances, None if base is None else base.feature_names, max_rows=max_rows)
    if keyed or request.feature_names is None:
        return rows.feature_names, rows.x
    names, width = tuple(request.feature_names), rows.x.shape[1]
    if len(names) != width or len(set(names)) != width:
        raise unprocessable(f"feature_names must be {width} distinct names", ["feature_names"])
    if base is not None and names != base.feature_names:
        raise unprocessable(
            f"features must be the active model's {list(base.feature_names)} to warm-start", ["feature_names"]
        )
    return names, rows.x


def _target_array(targets: list[Any]) -> np.ndarray:
    kinds = {str if isinstance(t, str) else list if isinstance(t, list) else float for t in targets}
    if len(kinds) > 1:
        raise unprocessable("targets mix kinds (text, numbers, lists): use one kind", ["targets"])
    if list in kinds and len({len(t) for t in targets}) > 1:
        raise unprocessable("target lists must all have the same length", ["targets"])
    if list in kinds and not targets[0]:
        raise unprocessable("target lists must not be empty", ["targets", 0])
    return np.asarray(targets)


def _target_names(request: TrainRequest, y: np.ndarray) -> tuple[str, ...]:
    columns = 1 if y.ndim == 1 else y.shape[1]
    if request.target_names is None:
        return ("target",)
    if len(request.target_names) != columns or len(set(request.target_names)) != columns:
        message = f"target_names must be {columns} distinct names, one per target"
        raise unprocessable(message, ["target_names"])
    return tuple(request.target_names)


def summary(request: JobOptions, prepared: PreparedJob) -> dict[str, Any]:
    """What the job record shows of its request: no data, just its shape and the options (and
    what reading a CSV body left out)."""
    table = prepared.table
    data = "csv" if isinstance(request, CsvTrainQuery) else getattr(request, "dataset", None) or "inline"
    shown = {
        "data": data,
        "rows": table.n_samples,
        "features": len(table.feature_names),
        "base": request.base,
        "activate": request.activate,
        "hyperparameters": request.hyperparameters(),
        "options": prepared.options.as_dict(),
    }
    if table.feature_types:
        shown["feature_types"] = dict(table.feature_types)
    if table.notes:
        shown["notes"] = list(table.notes)
    return shown
