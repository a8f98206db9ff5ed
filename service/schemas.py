"""pydantic v2 models of every request, response and error body of the JSON API.

Requests forbid unknown fields, are strict (no "1.5" strings for numbers, no booleans as
numbers) and refuse NaN and infinities in every spelling (``allow_inf_nan=False``). A feature
value (``Cell``) is a number, a text or null (missing); which of them a feature takes depends
on the model, so the library's rows check (``rows_to_matrix``) judges cells per feature after
parsing. The OpenAPI document (``openapi.py``) is generated from these models.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetPydanticSchema,
    ValidationError,
    ValidatorFunctionWrapHandler,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError, core_schema

from model.nn.options import Rule
from model.pipeline import TrainOptions

Label = int | float | str | bool


class StrictRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- errors
class ErrorDetail(Response):
    loc: list[str | int] = Field(description="Where in the request: body keys and list indices.")
    msg: str
    type: str | None = None


class ErrorBody(Response):
    error: str = Field(description="One-line message.")
    code: str = Field(description="Machine-readable code, e.g. validation_error.")
    detail: list[ErrorDetail] = Field(default_factory=list)


# ---------------------------------------------------------------- prediction
CELL_RULE = "must be a finite number, a text or null"
# One union with one error per bad cell (pydantic's default: one per member, under its tag).
_CELL = core_schema.nullable_schema(
    core_schema.union_schema(
        [core_schema.float_schema(strict=True, allow_inf_nan=False), core_schema.str_schema(strict=True)],
        custom_error_type="cell",
        custom_error_message=CELL_RULE,
    )
)
Cell = Annotated[float | str | None, GetPydanticSchema(lambda _type, _handler: _CELL)]
CellRow = Annotated[
    list[Cell],
    Field(min_length=1, description="Feature values in the model's order: numbers, texts, null (missing)."),
]
NamedCellRow = Annotated[
    dict[str, Cell],
    Field(min_length=1, description="Feature values by name: numbers, texts, null (missing)."),
]
Row = Annotated[list[float], Field(min_length=1, description="Feature values in the model's order.")]
NamedRow = Annotated[dict[str, float], Field(min_length=1, description="Feature values by name.")]
LIST_FORM, OBJECT_FORM = "list[list[float]]", "list[dict[str,float]]"  # pydantic's union tags


class PredictRequest(StrictRequest):
    instances: Annotated[
        Annotated[list[CellRow], Field(min_length=1)] | Annotated[list[NamedCellRow], Field(min_length=1)],
        Field(
            union_mode="left_to_right",
            description="Rows as lists, or as objects by feature name (every feature, no other key). "
            "Numbers for numeric features; texts (or numbers, compared as text) for categorical "
            "ones; null for a missing value.",
        ),
    ]
    return_probabilities: bool = Field(False, description="Classifiers: add class probabilities.")


class NumberRequest(PredictRequest):
    """``PredictRequest`` without text: what a model of numeric features parses first.

    Parsed in Rust alone, these rows need no cell-by-cell look for text (``rows_to_matrix``'s
    fast path); a body it refuses is parsed again as a ``PredictRequest``, whose errors are
    the ones reported. Not in the OpenAPI document.
    """

    instances: Annotated[  # type: ignore[assignment]
        Annotated[list[list[float | None]], Field(min_length=1)]
        | Annotated[list[dict[str, float | None]], Field(min_length=1)],
        Field(union_mode="left_to_right"),
    ]


class Flagged(Response):
    row: int = Field(description="Index of the instance in the request.")
    features: list[str] = Field(description="The row's flagged features, in the model's order.")




class PredictResponse(Response):
    model_version: str
    predictions: list[Label | list[Label] | list[float] | float]
    probabilities: list[list[float]] | None = None
    classes: list[Label] | None = None
    target_names: list[str] | None = Field(None, description="Names of the target columns, when known.")
    out_of_range: list[Flagged] = Field(
        default_factory=list,
        description="Rows predicted although a numeric value is outside the training range.",
    )
    unknown_categories: list[Flagged] = Field(
        default_factory=list,
        description="Rows with a categorical value never seen in training (encoded as no known category).",
    )
    missing: list[Flagged] = Field(
        default_factory=list,
        description="Rows with missing values (null), imputed: numeric with the training median, "
        "categorical as the missing level.",
    )


# ---------------------------------------------------------------- model cards
class FeatureInfo(Response):
    """A feature as the model's schema records it (``FeatureSchema.as_dict``)."""

    name: str
    type: Literal["numeric", "categorical"] = "numeric"
    min: float | None = Field(None, description="Numeric: the training minimum.")
    max: float | None = Field(None, description="Numeric: the training maximum.")
    median: float | None = Field(
        None, description="Numeric: the training median, imputed for a missing value."
    )
    indicator: bool | None = Field(None, description="Numeric: whether a 'was missing' input goes with it.")
    categories: list[str] | None = Field(
        None, description="Categorical: known categories, most frequent first ('other' last when capped)."
    )
    rare: list[str] | None = Field(None, description="Categorical: the rarer categories sharing 'other'.")
    missing_share: float = Field(0.0, description="Share of missing values in training.")


class ModelCard(Response):
    version: str
    active: bool
    task: Literal["classification", "regression"]
    multilabel: bool
    created_at: str | None
    n_features: int
    features: list[FeatureInfo]
    classes: list[Label] | None
    target_names: list[str] | None = Field(
        None, description="Names of the target columns (multi-label: the labels), when known."
    )
    architecture: dict[str, Any]
    training: dict[str, Any]
    metrics: dict[str, Any]


class VersionSummary(Response):
    version: str
    active: bool
    created_at: str
    task: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)


class VersionList(Response):
    active: str | None
    versions: list[VersionSummary]


class Deleted(Response):
    deleted: str = Field(description="The version removed from the store.")


# ---------------------------------------------------------------- health
class Health(Response):
    status: Literal["ok"] = "ok"


class Readiness(Response):
    ready: bool
    model_version: str | None = None
    reason: str | None = None
    last_reload_error: str | None = None


# ---------------------------------------------------------------- training jobs
Target = int | float | str | bool

# A training cell is a prediction's ``Cell`` (a finite number, a text or null; booleans refused).
TrainRow = Annotated[list[Cell], Field(min_length=1, description="Values in feature order; null: missing.")]
NamedTrainRow = Annotated[dict[str, Cell], Field(min_length=1, description="Values by name; null: missing.")]
FeatureType = Literal["numeric", "categorical"]


def _option_type(rule: Rule) -> Any:
    """The JSON type of an option, from its rule (the same bounds and choices as ``mlp-train``)."""
    if rule.choices:
        kind: Any = Literal[rule.choices]
    elif rule.kind is tuple:  # layer widths: a list of bounded ints (no "128,64" text here)
        kind = list[Annotated[int, Field(ge=rule.ge)]]
    elif rule.kind in (int, float):
        kind = Annotated[rule.kind, Field(ge=rule.ge, gt=rule.gt, lt=rule.lt)]
    else:
        kind = rule.kind
    return kind | None if rule.nullable else kind


HYPERPARAMETERS = TrainOptions.names()
Hyperparameters: type[StrictRequest] = create_model(
    "Hyperparameters",
    __base__=StrictRequest,
    __doc__="Every option of ``mlp-train``, with its default and rule (``TrainOptions.options()``).",
    **{
        item.name: (_option_type(item.rule), Field(item.default, description=item.rule.help))
        for item in TrainOptions.options()
    },
)


class JobOptions(Hyperparameters):
    """What a job does with its data, whatever the data's form (JSON body or CSV body)."""

    base: Literal["scratch", "active"] = Field("scratch", description="New network, or warm start.")
    activate: Literal["always", "if_better", "never"] = Field(
        "if_better",
        description="if_better: only when its loss on the held-out rows is lower than the active's.",
    )

    def hyperparameters(self) -> dict[str, Any]:
        """The options the request gives (omitted ones take ``TrainOptions``' defaults)."""
        return {name: getattr(self, name) for name in HYPERPARAMETERS if name in self.model_fields_set}


class TrainRequest(JobOptions):
    """A training job: data (inline rows and targets, or a bundled dataset by name) and options.

    The options are ``mlp-train``'s, by the same names, with the same defaults and rules.
    """

    instances: (
        Annotated[
            Annotated[list[TrainRow], Field(min_length=1)]
            | Annotated[list[NamedTrainRow], Field(min_length=1)],
            Field(union_mode="left_to_right"),
        ]
        | None
    ) = Field(
        None,
        description="Training rows, as lists (feature order) or objects (by name): numbers, text "
        "(categories) and null (missing; so are the texts NA, N/A, NaN, nan, null, None, ? and '').",
    )
    targets: list[Target] | list[list[float]] | None = Field(
        None, description="One target per row: labels, values, or lists of values."
    )
    target_names: list[Annotated[str, Field(min_length=1)]] | None = Field(
        None, description="Names of the target columns (list targets: one per column); kept in the model."
    )
    dataset: str | None = Field(None, description="A dataset the server ships, by name (never a path).")
    feature_names: list[str] | None = Field(
        None, description="Names of list-form columns (default: the active model's, else x0, x1...)."
    )
    feature_types: dict[str, FeatureType] | None = Field(
        None,
        description="Force features' types by name (e.g. a zip code: categorical); the others are "
        "inferred: a feature with any text that is not a number or a missing token is categorical.",
    )

    @field_validator("targets", mode="wrap")
    @classmethod
    def _targets_in_one_error(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """One error naming the first bad target, instead of one per union member and row."""
        try:
            targets = handler(value)
        except ValidationError:
            raise PydanticCustomError("targets", _targets_problem(value)) from None
        for i, target in enumerate(targets or ()):
            if isinstance(target, int) and not isinstance(target, bool) and abs(target) >= 2**63:
                raise PydanticCustomError("targets", f"row {i}: whole numbers must be below 2**63 in size")
        return targets

    # The data: inline rows with their targets, or a dataset name; the OpenAPI document says so.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["instances", "targets"],
                    "properties": {"instances": {"not": {"type": "null"}},
                                   "targets": {"not": {"type": "null"}}, "dataset": {"type": "null"}},
                },
                {
                    "required": ["dataset"],
                    "properties": {"dataset": {"type": "string"}, "instances": {"type": "null"},
                                   "targets": {"type": "null"}},
                },
            ]
        }
    )  # fmt: skip

    @model_validator(mode="after")
    def _instances_with_targets_or_dataset(self) -> TrainRequest:
        inline = self.instances is not None or self.targets is not None
        if inline == (self.dataset is not None):
            raise _error(["body"], "give either 'instances' with 'targets', or 'dataset'")
        if inline and self.targets is None:
            raise _error(["targets"], f"need one target per instance: {len(self.instances)} instances, none")
        if inline and self.instances is None:
            raise _error(["instances"], "targets need their instances")
        return self


class CsvTrainQuery(JobOptions):
    """The query of a training job whose body is a CSV table (``Content-Type: text/csv``).

    ``POST /train?target=species&epochs=50`` with the table as the body: the columns, the
    options (every ``mlp-train`` option, by the same names and rules), ``base`` and
    ``activate`` are query parameters; list parameters repeat or are comma-separated.
    """

    target: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="The target column(s): repeat or comma-separate for several."
    )
    drop: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Columns to leave out (ids, row numbers)."
    )
    categorical: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="Feature columns read as categories even if they hold numbers."
    )
    na_values: list[str] | None = Field(
        None, description="Text read as missing, replacing NA, N/A, NaN, nan, null, None and ?."
    )


CSV_MEDIA_TYPES = ("text/csv", "application/csv")
"""Content types of a training request whose body is a CSV table (``CsvTrainQuery``)."""
_QUERY_LISTS = ("target", "drop", "categorical", "na_values")
_RULES = {item.name: item.rule for item in TrainOptions.options()}


def csv_train_query(values: dict[str, list[str]]) -> CsvTrainQuery:
    """The query parameters (each name's values, in order) as a ``CsvTrainQuery``.

    Options are read from text by their rule (``epochs=5``, ``hidden=128,64``, ``hidden=`` for a
    linear model, ``nesterov=true``, ``seed=none``) and then checked like JSON values, so a bad
    one fails with the same message at ``[name]``. ``ValidationError`` otherwise.
    """
    mapping: dict[str, Any] = {}
    for name, texts in values.items():
        if name in _QUERY_LISTS:
            mapping[name] = [item.strip() for text in texts for item in text.split(",") if item.strip()]
        elif len(texts) > 1:
            raise _error([name], f"given {len(texts)} times: give it once", "query")
        else:
            mapping[name] = _from_text(_RULES.get(name), texts[0])
    return CsvTrainQuery.model_validate(mapping)


def _from_text(rule: Rule | None, text: str) -> Any:
    """The JSON value a query parameter's text spells for an option of ``rule`` (else the text,
    which the schema then refuses with the rule's message)."""
    if rule is None or rule.choices or rule.kind is str:
        return text
    if rule.nullable and text.strip().lower() in ("none", "null"):
        return None
    if rule.kind is bool:
        return {"true": True, "false": False}.get(text.strip().lower(), text)
    if rule.kind is tuple:
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return [int(part) for part in parts] if all(part.isdigit() for part in parts) else text
    try:
        return int(text) if rule.kind is int else float(text)
    except ValueError:
        return text


def _targets_problem(value: Any) -> str:
    """What is wrong with targets that fit neither form, naming the first bad one (no values)."""
    if not isinstance(value, list):
        return "targets must be a list: one label or value per row, or one list of numbers per row"
    for i, target in enumerate(value):
        if isinstance(target, list):
            for j, cell in enumerate(target):
                if not _finite_number(cell):
                    return f"row {i}, column {j}: list targets must hold finite numbers"
        elif isinstance(target, float) and not math.isfinite(target):
            return f"row {i}: must be finite"
        elif not isinstance(target, int | float | str | bool):
            return f"row {i}: must be a label, a number or a list of numbers"
    return "targets must be all labels or numbers, or all lists of numbers"


def _finite_number(cell: Any) -> bool:
    if isinstance(cell, bool) or not isinstance(cell, int | float):
        return False
    try:
        return math.isfinite(cell)
    except OverflowError:  # an integer beyond float's range
        return False


def _error(loc: list[str | int], message: str, kind: str = "missing") -> ValidationError:
    """A validation error at ``loc`` (a model validator's own errors have no location)."""
    detail = InitErrorDetails(type=PydanticCustomError(kind, message), loc=tuple(loc), input=None)
    return ValidationError.from_exception_data("TrainRequest", [detail])


class JobAccepted(Response):
    job_id: str
    status: str


class JobProgress(Response):
    epoch: int = 0
    epochs: int = 0
    train_loss: float | None = None
    val_loss: float | None = None
    val_metric: float | None = None
    metric_name: str | None = None


class Comparison(Response):
    """Both models scored on the same held-out rows of the job; ``loss`` decides (lower wins)."""

    loss: Literal["log_loss", "brier", "mse"] = Field(
        description="What decides: log_loss (classifiers), brier (multi-label), mse (regression)."
    )
    new_loss: float
    active_loss: float | None = Field(description="None when the active model cannot score these rows.")
    metric: str = Field(description="accuracy or r2, reported beside the loss.")
    new: float
    active: float | None
    rows: int = Field(description="Held-out rows scored (validation and test parts).")
    active_version: str | None


class JobResult(Response):
    version: str
    activated: bool
    activation_reason: str
    metrics: dict[str, Any]
    comparison: Comparison | None = None


class JobStatus(Response):
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    duration_s: float | None = None
    pid: int | None = None
    host: str | None = None
    heartbeat_at: str | None = None
    request: dict[str, Any] = Field(default_factory=dict, description="What was asked (no data).")
    progress: JobProgress = Field(default_factory=JobProgress)
    error: str | None = None
    result: JobResult | None = None
    cancel_requested: bool = False


class JobList(Response):
    jobs: list[JobStatus]


class Activated(Response):
    active: str
    previous: str | None
