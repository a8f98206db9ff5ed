"""The OpenAPI 3.1 document, generated from the pydantic models of ``schemas``.

The operations table below says which model each endpoint takes and returns; every schema
under ``components`` comes from pydantic (JSON Schema 2020-12, which OpenAPI 3.1 uses).
Examples and the shape of ``instances`` (feature count, names, each feature's type and, for a
categorical one, its known categories, the row limit) follow the active model, so the
interactive page's payloads are valid and fuzzers stay in bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import schemas
from .model_holder import Snapshot

REF = "#/components/schemas/{model}"
JSON_ERRORS = {
    400: "The body is not valid JSON.",
    413: "The body is larger than the configured limit.",
    422: "The body does not match the schema (see detail[].loc).",
}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    responses: dict[int, tuple[type[BaseModel] | None, str]]
    request: type[BaseModel] | None = None
    parameters: list[dict[str, Any]] = field(default_factory=list)
    security: bool = False


def _path_parameter(name: str = "version") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _errors(*codes: int) -> dict[int, tuple[type[BaseModel], str]]:
    text = {
        **JSON_ERRORS,
        401: "Missing or wrong bearer token.",
        403: "Training endpoints are disabled (no token configured).",
        404: "Not found.",
        409: "Conflict.",
        429: "Too many training jobs running or queued (see Retry-After).",
        503: "No valid model is loaded (or the store cannot be written).",
    }
    return {code: (schemas.ErrorBody, text[code]) for code in codes}


OPERATIONS: list[Operation] = [
    Operation(
        "/predict", "post", "Predict with the active model", "prediction",
        {200: (schemas.PredictResponse, "Predictions."), **_errors(400, 413, 422, 503)},
        request=schemas.PredictRequest,
    ),
    Operation("/model", "get", "The active model's card", "models",
              {200: (schemas.ModelCard, "The card."), **_errors(503)}),
    Operation("/models", "get", "List stored versions", "models",
              {200: (schemas.VersionList, "Versions, oldest first.")}),
    Operation("/models/{version}", "get", "One stored version's card", "models",
              {200: (schemas.ModelCard, "The card."), **_errors(404, 409)},
              parameters=[_path_parameter()]),
    Operation("/models/{version}", "delete", "Delete a stored version (not the active one, "
              "its rollback target or the last good one)", "models",
              {200: (schemas.Deleted, "Deleted."), **_errors(401, 403, 404, 409, 503)},
              parameters=[_path_parameter()], security=True),
    Operation("/health", "get", "Liveness: the process answers", "health",
              {200: (schemas.Health, "Alive.")}),
    Operation("/ready", "get", "Readiness: a valid model is loaded", "health",
              {200: (schemas.Readiness, "Ready."), 503: (schemas.Readiness, "Not ready, with the reason.")}),
    Operation("/train", "post", "Start a training job", "training",
              {202: (schemas.JobAccepted, "Accepted; poll the Location."),
               **_errors(400, 401, 403, 409, 413, 422, 429)},
              request=schemas.TrainRequest, security=True),
    Operation("/train", "get", "Recent training jobs", "training",
              {200: (schemas.JobList, "Newest first."), **_errors(401, 403)}, security=True),
    Operation("/train/{job_id}", "get", "A training job's status", "training",
              {200: (schemas.JobStatus, "The job."), **_errors(401, 403, 404)},
              parameters=[_path_parameter("job_id")], security=True),
    Operation("/train/{job_id}", "delete", "Cancel a training job", "training",
              {200: (schemas.JobStatus, "Cancelled."), 202: (schemas.JobStatus, "Cancelling."),
               **_errors(401, 403, 404, 409)},
              parameters=[_path_parameter("job_id")], security=True),
    Operation("/models/{version}/activate", "post", "Make a stored version active (rollback)", "models",
              {200: (schemas.Activated, "Activated."), **_errors(401, 403, 404, 409)},
              parameters=[_path_parameter()], security=True),
]  # fmt: skip


def register(operation: Operation) -> None:
    """Add an operation (used by the blueprints of later features)."""
    OPERATIONS.append(operation)


def example_row(snapshot: Snapshot) -> list[float | str]:
    """A valid row for the model: the middle of each numeric feature's training range, the most
    frequent category of each categorical one."""
    return [
        round((feature.min + feature.max) / 2, 6) if feature.type == "numeric" else feature.categories[0]
        for feature in snapshot.net.schema.features
    ]


def flagged_row(snapshot: Snapshot) -> list[float | str | None]:
    """``example_row`` with the first feature missing and, when there is one, a category the
    model never saw: a row predicted with flags."""
    row: list[float | str | None] = list(example_row(snapshot))
    row[0] = None
    categorical = [j for j, numeric in enumerate(snapshot.numeric) if not numeric and j > 0]
    if categorical:
        row[categorical[0]] = "a category never seen"
    return row


def feature_schema(feature: Any) -> dict[str, Any]:
    """The JSON Schema of one feature's value, with its type (and categories) for readers."""
    if feature.type == "numeric":
        return {
            "type": ["number", "null"],
            "description": f"numeric; training range [{feature.min:g}, {feature.max:g}]; "
            f"null: missing (imputed with the training median, {feature.median:g})",
            "x-feature-type": "numeric",
        }
    return {
        "type": ["string", "number", "null"],
        "description": f"categorical; known categories: {', '.join(feature.categories)}; another "
        "value is predicted as none of them and flagged; null: missing",
        "x-feature-type": "categorical",
        "x-categories": list(feature.categories),
        "examples": list(feature.categories[:5]),
    }


TRAIN_EXAMPLES = {
    "examples": {
        "bundled": {
            "summary": "Retrain on a shipped dataset; activate only if better",
            "value": {"dataset": "digits", "epochs": 30, "hidden": [100], "activate": "if_better"},
        },
        "inline": {
            "summary": "Train a new model on inline rows",
            "value": {
                "instances": [[0.0, 0.1], [0.2, 0.0], [1.0, 0.9], [0.9, 1.1]] * 5,
                "targets": ["low", "low", "high", "high"] * 5,
                "feature_names": ["a", "b"],
                "epochs": 20,
                "activate": "never",
            },
        },
    }
}


def _request_examples(path: str, snapshot: Snapshot | None) -> dict[str, Any]:
    if path == "/train":
        return TRAIN_EXAMPLES
    if path != "/predict" or snapshot is None:
        return {}
    row = example_row(snapshot)
    named = dict(zip(snapshot.net.feature_names, row, strict=True))
    return {
        "examples": {
            "rows": {"summary": "Rows as lists", "value": {"instances": [row]}},
            "named": {
                "summary": "Rows as objects, with probabilities",
                "value": {"instances": [named], "return_probabilities": True},
            },
            "flagged": {
                "summary": "A missing value (null) and, if the model has categorical features, an unknown "
                "category: predicted and flagged",
                "value": {"instances": [flagged_row(snapshot)]},
            },
        }
    }


def _specialize_instances(schema: dict[str, Any], snapshot: Snapshot, max_rows: int) -> None:
    """Narrow the generic ``instances`` schema to the active model's features and limits."""
    names = list(snapshot.net.feature_names)
    features = [feature_schema(feature) for feature in snapshot.net.schema.features]
    list_form, object_form = schema["properties"]["instances"]["anyOf"]
    list_form["items"] = {
        "type": "array",
        "prefixItems": features,
        "items": False,
        "minItems": len(names),
        "maxItems": len(names),
        "description": list_form["items"].get("description", ""),
    }
    object_form["items"] = {
        "type": "object",
        "properties": dict(zip(names, features, strict=True)),
        "required": names,
        "additionalProperties": False,
    }
    for form in (list_form, object_form):
        form["maxItems"] = max_rows


def build_document(snapshot: Snapshot | None, version: str, max_rows: int) -> dict:
    """The whole OpenAPI 3.1 document for this service."""
    models: set[type[BaseModel]] = {schemas.ErrorBody}
    for op in OPERATIONS:
        models |= {model for model, _ in op.responses.values() if model is not None}
        if op.request is not None:
            models.add(op.request)
    ordered = sorted(models, key=lambda model: model.__name__)
    _, definitions = models_json_schema(
        [(model, "serialization") for model in ordered if model is not None], ref_template=REF
    )
    components = definitions.get("$defs", {})
    if snapshot is not None:
        _specialize_instances(components["PredictRequest"], snapshot, max_rows)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        entry: dict[str, Any] = {
            "summary": op.summary,
            "tags": [op.tag],
            "operationId": _operation_id(op),
            "responses": {
                str(code): _response(model, text) for code, (model, text) in sorted(op.responses.items())
            },
        }
        if op.parameters:
            entry["parameters"] = op.parameters
        if op.request is not None:
            examples = _request_examples(op.path, snapshot)
            entry["requestBody"] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"$ref": REF.format(model=op.request.__name__)},
                        **examples,
                    }
                },
            }
        if op.request is schemas.TrainRequest:
            _csv_training(entry)
        if op.security:
            entry["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mlp-service",
            "version": version,
            "description": "Predictions from a from-scratch NumPy neural network. Errors share one "
            "shape: {error, code, detail[{loc, msg}]}.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _csv_training(entry: dict[str, Any]) -> None:
    """POST /train also takes a CSV table as the body; its columns and options are the query's
    parameters (``CsvTrainQuery``), which a JSON body does not read."""
    query = schemas.CsvTrainQuery.model_json_schema()
    table = {"schema": {"type": "string"}, "example": "a,b,label\n0.1,red,low\n0.9,NA,high\n"}
    entry["requestBody"]["content"] |= dict.fromkeys(schemas.CSV_MEDIA_TYPES, table)
    entry["parameters"] = [
        {
            "name": name,
            "in": "query",
            "required": name in query.get("required", ()),
            "description": f"CSV body only. {field.pop('description', '')}".strip(),
            "schema": {key: value for key, value in field.items() if key != "title"},
            **({"explode": False} if field.get("type") == "array" else {}),  # "128,64", as parsed
        }
        for name, field in query["properties"].items()
    ]


def _response(model: type[BaseModel] | None, text: str) -> dict[str, Any]:
    if model is None:
        return {"description": text}
    return {
        "description": text,
        "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
    }


def _operation_id(op: Operation) -> str:
    """e.g. ``get_models_version`` for GET /models/{version}."""
    words = op.path.strip("/").replace("{", "").replace("}", "").replace("/", "_")
    return f"{op.method}_{words}"
