"""pydantic v2 models of every request, response and error body of the JSON API.

Requests forbid unknown fields, accept numbers only (strict: no "1.5" strings, no booleans)
and refuse NaN and infinities in every spelling (``allow_inf_nan=False``). The OpenAPI
document (``openapi.py``) is generated from these models.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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
Row = Annotated[list[float], Field(min_length=1, description="Feature values in the model's order.")]
NamedRow = Annotated[dict[str, float], Field(min_length=1, description="Feature values by name.")]
LIST_FORM, OBJECT_FORM = "list[list[float]]", "list[dict[str,float]]"  # pydantic's union tags


class PredictRequest(StrictRequest):
    instances: Annotated[
        Annotated[list[Row], Field(min_length=1)] | Annotated[list[NamedRow], Field(min_length=1)],
        Field(union_mode="left_to_right", description="Rows as lists, or as objects by feature name."),
    ]
    return_probabilities: bool = Field(False, description="Classifiers: add class probabilities.")


class OutOfRange(Response):
    row: int = Field(description="Index of the instance in the request.")
    features: list[str] = Field(description="Features outside the model's training range.")


class PredictResponse(Response):
    model_version: str
    predictions: list[Label | list[Label] | list[float] | float]
    probabilities: list[list[float]] | None = None
    classes: list[Label] | None = None
    out_of_range: list[OutOfRange] = Field(
        default_factory=list, description="Rows predicted although outside the training range."
    )


# ---------------------------------------------------------------- model cards
class FeatureInfo(Response):
    name: str
    min: float
    max: float


class ModelCard(Response):
    version: str
    active: bool
    task: Literal["classification", "regression"]
    multilabel: bool
    created_at: str | None
    n_features: int
    features: list[FeatureInfo]
    classes: list[Label] | None
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


# ---------------------------------------------------------------- health
class Health(Response):
    status: Literal["ok"] = "ok"


class Readiness(Response):
    ready: bool
    model_version: str | None = None
    reason: str | None = None
    last_reload_error: str | None = None
