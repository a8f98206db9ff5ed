"""Turning a ``TrainRequest`` into a dataset and options, with every check done up front.

The web worker calls ``prepare`` before accepting a job, so data that cannot be trained on
is refused with 422 at request time; the job runner calls it again on the stored request.
Flask-free: raises ``ApiError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from model import InvalidConfigError, ModelError, Network, RowsError, rows_to_matrix
from model.datasets import BUNDLED, DataError, Table, load_bundled
from model.pipeline import TrainOptions, check_targets, held_out_count, resolve_task

from .errors import ApiError, rows_error
from .schemas import ErrorDetail, TrainRequest
from .settings import Settings


@dataclass(frozen=True)
class PreparedJob:
    table: Table
    options: TrainOptions
    base: Network | None


def unprocessable(message: str, loc: list[str | int], kind: str = "value_error") -> ApiError:
    return ApiError(422, message, "validation_error", [ErrorDetail(loc=loc, msg=message, type=kind)])


def prepare(request: TrainRequest, settings: Settings, active: Network | None) -> PreparedJob:
    """Dataset, options and base network for ``request``; 422 with a location otherwise."""
    options = _options(request, settings)
    base = None
    if request.base == "active":
        if active is None:
            raise ApiError(409, "base 'active' needs an active model, and there is none", "no_model")
        base = active
    table = _table(request, settings, base)
    where = ["targets"] if request.dataset is None else ["dataset"]
    try:
        task = base.task if base is not None else resolve_task(table, options)
        check_targets(table, task, base)
        held_out = held_out_count(table, options, task)
    except DataError as error:
        raise unprocessable(str(error), where) from None
    _check_classes(table, task, settings, where)
    if request.activate == "if_better" and active is not None and held_out < settings.min_compare_rows:
        raise unprocessable(
            f"activate 'if_better' compares on held-out rows: this split holds out {held_out} of "
            f"{table.n_samples} rows (test_fraction {options.test_fraction:g}, val_fraction "
            f"{options.val_fraction:g}), it needs at least {settings.min_compare_rows}; add rows, "
            "raise the fractions, or activate 'always' or 'never'",
            ["activate"],
        )
    return PreparedJob(table, options, base)


def _check_classes(table: Table, task: str, settings: Settings, where: list[str | int]) -> None:
    if task != "classification":
        return
    count = table.y.shape[1] if table.y.ndim == 2 else len(np.unique(table.y))
    if count > settings.max_classes:
        raise unprocessable(f"{count} classes: at most {settings.max_classes} on this server", where, "limit")


def _options(request: TrainRequest, settings: Settings) -> TrainOptions:
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
            raise unprocessable(f"{name}: {rule} on this server", [name], "limit")
    try:
        return TrainOptions.from_mapping(given)
    except InvalidConfigError as error:
        name = str(error).split()[0]
        raise unprocessable(str(error), [name if name in given else "body"]) from None


def _table(request: TrainRequest, settings: Settings, base: Network | None) -> Table:
    if request.dataset is not None:
        if request.dataset not in BUNDLED:
            raise unprocessable(f"unknown dataset; shipped: {sorted(BUNDLED)}", ["dataset"])
        table = load_bundled(request.dataset, settings.data_dir)
        if base is not None and table.feature_names != base.feature_names:
            raise unprocessable("the dataset's features are not the active model's", ["dataset"])
        return table
    instances, targets = request.instances, request.targets
    if targets is None or len(targets) != len(instances):
        got = "none" if targets is None else len(targets)
        raise unprocessable(
            f"need one target per instance: {len(instances)} instances, {got} targets", ["targets"]
        )
    names, x = _features(request, base, settings.max_train_rows)
    y = _target_array(targets)
    return Table(x, y, names, _target_names(request, y), "request")


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
    try:
        rows = rows_to_matrix(instances, None if base is None else base.feature_names, max_rows=max_rows)
    except RowsError as error:
        raise rows_error(error) from None
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


def summary(request: TrainRequest, prepared: PreparedJob) -> dict[str, Any]:
    """What the job record shows of its request: no data, just its shape and the options."""
    return {
        "data": request.dataset or "inline",
        "rows": prepared.table.n_samples,
        "features": len(prepared.table.feature_names),
        "base": request.base,
        "activate": request.activate,
        "hyperparameters": request.hyperparameters(),
        "options": prepared.options.as_dict(),
    }


def describe_error(error: Exception) -> str:
    """One line for a job record."""
    if isinstance(error, ModelError | BaseModel):
        return " ".join(str(error).split())
    return f"{type(error).__name__}: {' '.join(str(error).split())}"
