"""The Open Inference Protocol (V2) routes: thin views over the Flask-free ``service.v2``.

GET /v2/health/live, GET /v2/health/ready, GET /v2, and under /v2/models/<name> and
/v2/models/<name>/versions/<version>: GET (metadata), GET .../ready, POST .../infer.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel

from .. import v2
from ..model_holder import Snapshot
from ..openapi import OPERATIONS, Operation, register
from ..schemas import ErrorBody
from ..state import current_snapshot, json_response, read_body, service
from ..v2_schemas import (
    V2InferenceRequest,
    V2InferenceResponse,
    V2ModelMetadata,
    V2ModelReady,
    V2ServerLive,
    V2ServerMetadata,
    V2ServerReady,
)

blueprint = Blueprint("v2", __name__)
VERSIONS = "mlp.v2.versions"  # app.extensions key of this app's VersionCache
MODEL = "/v2/models/<name>"
MODEL_VERSION = "/v2/models/<name>/versions/<version>"


@blueprint.record_once
def _set_up(state: BlueprintSetupState) -> None:
    state.app.extensions[VERSIONS] = v2.VersionCache(state.app.extensions["mlp"].store)
    for operation in _operations():
        if operation not in OPERATIONS:
            register(operation)


def _snapshot(name: str, version: str | None) -> Snapshot:
    model_name = service().settings.model_name
    return v2.select_snapshot(name, version, model_name, current_snapshot, current_app.extensions[VERSIONS])


def _served(body: BaseModel, snapshot: Snapshot) -> Response:
    return json_response(body, headers={"X-Model-Version": snapshot.version})


@blueprint.get("/v2/health/live")
def server_live() -> Response:
    return json_response(V2ServerLive(live=True))


@blueprint.get("/v2/health/ready")
def server_ready() -> Response:
    return _served(V2ServerReady(ready=True), current_snapshot())  # 503 with an error body when not


@blueprint.get("/v2")
def server_metadata() -> Response:
    return json_response(v2.server_metadata())


@blueprint.get(MODEL)
@blueprint.get(MODEL_VERSION)
def model_metadata(name: str, version: str | None = None) -> Response:
    snapshot = _snapshot(name, version)
    state = service()
    versions = [info.version for info in state.store.versions()]
    return _served(v2.model_metadata(snapshot, state.settings.model_name, versions), snapshot)


@blueprint.get(f"{MODEL}/ready")
@blueprint.get(f"{MODEL_VERSION}/ready")
def model_ready(name: str, version: str | None = None) -> Response:
    snapshot = _snapshot(name, version)
    return _served(V2ModelReady(name=service().settings.model_name, ready=True), snapshot)


@blueprint.post(f"{MODEL}/infer")
@blueprint.post(f"{MODEL_VERSION}/infer")
def infer(name: str, version: str | None = None) -> Response:
    state = service()
    snapshot = _snapshot(name, version)
    body = v2.decode_body(read_body(), request.headers.get("Content-Encoding"), state.settings.max_body_bytes)
    header_length = request.headers.get(v2.HEADER_LENGTH)
    result = v2.infer(body, header_length, snapshot, state.settings.model_name, state.settings.max_rows)
    state.metrics.count_inference(result.inference)
    headers = {"X-Model-Version": snapshot.version}
    if result.header_length is not None:
        headers[v2.HEADER_LENGTH] = str(result.header_length)
    return Response(result.body, mimetype=result.content_type, headers=headers)


# ---------------------------------------------------------------- OpenAPI
def _operations() -> list[Operation]:
    name = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
    version = {"name": "version", "in": "path", "required": True, "schema": {"type": "string"}}
    errors = {
        400: "Bad request: schema, shape, datatype, data length, input or output name, row limit.",
        404: "Unknown model name or version.",
        409: "The stored version cannot be loaded.",
        413: "The body (once decompressed) is larger than the configured limit.",
        415: "Unsupported Content-Encoding (gzip, deflate and identity are accepted).",
        503: "No valid model is loaded.",
    }

    def error(*codes: int) -> dict[int, tuple[type[BaseModel], str]]:
        return {code: (ErrorBody, errors[code]) for code in codes}

    metadata = (V2ModelMetadata, "Model metadata: inputs and outputs with datatype and shape.")
    ready = (V2ModelReady, "Ready.")
    inferred = (
        V2InferenceResponse,
        "Outputs; with the binary tensor data extension, this JSON is followed by raw tensor bytes "
        "(Content-Type application/octet-stream, Inference-Header-Content-Length = JSON length).",
    )
    return [
        Operation("/v2/health/live", "get", "V2 server live", "v2", {200: (V2ServerLive, "Alive.")}),
        Operation(
            "/v2/health/ready", "get", "V2 server ready: a valid model is loaded", "v2",
            {200: (V2ServerReady, "Ready."), **error(503)},
        ),
        Operation("/v2", "get", "V2 server metadata", "v2", {200: (V2ServerMetadata, "Server metadata.")}),
        Operation("/v2/models/{name}", "get", "V2 model metadata (active version)", "v2",
                  {200: metadata, **error(404, 503)}, parameters=[name]),
        Operation("/v2/models/{name}/versions/{version}", "get", "V2 model metadata (stored version)", "v2",
                  {200: metadata, **error(404, 409)}, parameters=[name, version]),
        Operation("/v2/models/{name}/ready", "get", "V2 model ready (active version)", "v2",
                  {200: ready, **error(404, 503)}, parameters=[name]),
        Operation("/v2/models/{name}/versions/{version}/ready", "get", "V2 model ready (stored version)",
                  "v2", {200: ready, **error(404, 409)}, parameters=[name, version]),
        Operation("/v2/models/{name}/infer", "post", "V2 inference with the active version", "v2",
                  {200: inferred, **error(400, 404, 413, 415, 503)}, request=V2InferenceRequest,
                  parameters=[name]),
        Operation("/v2/models/{name}/versions/{version}/infer", "post", "V2 inference with a stored version",
                  "v2", {200: inferred, **error(400, 404, 409, 413, 415)}, request=V2InferenceRequest,
                  parameters=[name, version]),
    ]  # fmt: skip
