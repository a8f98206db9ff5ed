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

from model import InvalidConfigError, ModelError, Network
from model.datasets import BUNDLED, DataError, Table, load_bundled
from model.pipeline import TrainOptions, check_targets, resolve_task, split_test

from .errors import ApiError
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
    try:
        task = base.task if base is not None else resolve_task(table, options)
        check_targets(table, task)
        split_test(table, options, task)
    except DataError as error:
        raise unprocessable(str(error), ["targets"] if request.dataset is None else ["dataset"]) from None
    if base is not None and base.task == "classification" and not base.multilabel:
        unknown = sorted({str(label) for label in np.unique(table.y)} - {str(c) for c in base.classes})
        if unknown:
            raise unprocessable(
                f"targets hold labels the active model does not know: {unknown[:5]}; "
                "train from scratch (base 'scratch') to learn new classes",
                ["targets"],
            )
    if request.activate == "if_better" and options.val_fraction == 0 and options.test_fraction == 0:
        raise unprocessable(
            "activate 'if_better' compares on held-out rows: set val_fraction or test_fraction above 0",
            ["activate"],
        )
    return PreparedJob(table, options, base)


def _options(request: TrainRequest, settings: Settings) -> TrainOptions:
    given = request.hyperparameters()
    bounds = [
        ("epochs", given.get("epochs", 0) <= settings.max_epochs, f"at most {settings.max_epochs}"),
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
        table = load_bundled(request.dataset)
        if base is not None and table.feature_names != base.feature_names:
            raise unprocessable("the dataset's features are not the active model's", ["dataset"])
        return table
    instances, targets = request.instances, request.targets
    if targets is None or len(targets) != len(instances):
        got = "none" if targets is None else len(targets)
        raise unprocessable(
            f"need one target per instance: {len(instances)} instances, {got} targets", ["targets"]
        )
    if len(instances) > settings.max_train_rows:
        raise unprocessable(f"at most {settings.max_train_rows} rows on this server", ["instances"], "limit")
    names, x = _features(request, base)
    return Table(x, _target_array(targets), names, ("target",), "request")


def _features(request: TrainRequest, base: Network | None) -> tuple[tuple[str, ...], np.ndarray]:
    instances = request.instances
    if isinstance(instances[0], dict):
        names = tuple(base.feature_names) if base is not None else tuple(instances[0])
        expected = set(names)
        for i, row in enumerate(instances):
            if row.keys() != expected:
                missing = sorted(expected - row.keys())
                key = missing[0] if missing else sorted(row.keys() - expected)[0]
                what = "missing feature" if missing else "unknown feature"
                raise unprocessable(f"instances.{i}.{key}: {what}", ["instances", i, key])
        return names, np.array([[row[name] for name in names] for row in instances], dtype=np.float64)
    width = len(instances[0])
    for i, row in enumerate(instances):
        if len(row) != width:
            raise unprocessable(f"instances.{i}: expected {width} features, got {len(row)}", ["instances", i])
    if request.feature_names is not None:
        names = tuple(request.feature_names)
    elif base is not None:
        names = base.feature_names
    else:
        names = tuple(f"x{i}" for i in range(width))
    if len(names) != width or len(set(names)) != width:
        raise unprocessable(f"feature_names must be {width} distinct names", ["feature_names"])
    if base is not None and names != base.feature_names:
        raise unprocessable(
            f"features must be the active model's {list(base.feature_names)} to warm-start", ["feature_names"]
        )
    return names, np.array(instances, dtype=np.float64)


def _target_array(targets: list[Any]) -> np.ndarray:
    kinds = {str if isinstance(t, str) else list if isinstance(t, list) else float for t in targets}
    if len(kinds) > 1:
        raise unprocessable("targets mix kinds (text, numbers, lists): use one kind", ["targets"])
    if list in kinds and len({len(t) for t in targets}) > 1:
        raise unprocessable("target lists must all have the same length", ["targets"])
    return np.asarray(targets)


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
