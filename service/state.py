"""What one app instance holds, and the small helpers views share to reach it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, current_app, request
from pydantic import BaseModel

from model.store import ModelStore

from .errors import ApiError
from .jobs import JobStore
from .model_holder import ModelHolder, Snapshot
from .settings import Settings
from .telemetry import Metrics


@dataclass(frozen=True)
class ServiceState:
    settings: Settings
    store: ModelStore
    holder: ModelHolder
    metrics: Metrics
    jobs: JobStore
    token: bytes | None  # None: training endpoints disabled


def service() -> ServiceState:
    return current_app.extensions["mlp"]


def current_snapshot(state: ServiceState | None = None) -> Snapshot:
    """The model snapshot for this request, or 503 when no valid model is loaded."""
    state = state or service()
    snapshot = state.holder.current()
    if snapshot is None:
        raise ApiError(503, f"no model is loaded: {not_ready_reason(state.holder)}", "no_model")
    return snapshot


def not_ready_reason(holder: ModelHolder) -> str:
    """Why no model is served, for clients and the log (never a path)."""
    return holder.last_error or "no model has been published to the store yet"


def current_snapshot_or_none() -> Snapshot | None:
    return service().holder.current()


def read_body(limit: int | None = None, state: ServiceState | None = None) -> bytes:
    """The raw request body, whatever its Content-Type.

    Bodies with a Content-Length over the limit are refused by Werkzeug (413) before they are
    read. A chunked body has no length up front: Werkzeug stops reading at the limit, so a
    body that reaches the limit is treated as too large rather than parsed truncated.
    """
    limit = limit or (state or service()).settings.max_body_bytes
    current = request._get_current_object()
    environ = current.environ
    length = environ.get("CONTENT_LENGTH", "")
    if length.isdigit() and "HTTP_TRANSFER_ENCODING" not in environ:
        # The common case read straight from the server's stream: Werkzeug's stream wrappers and
        # cache cost more than a small request's prediction.
        size = int(length)
        if size > limit:
            raise ApiError(413, "request body is larger than the configured limit")
        body = environ["wsgi.input"].read(size) if size else b""
        if len(body) != size:
            raise ApiError(400, "the request body ended before its Content-Length", "incomplete_body")
        return body
    body = current.get_data(cache=True)
    if current.content_length is None and len(body) >= limit:
        raise ApiError(413, "request body is larger than the configured limit")
    return body


def json_response(body: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(body.model_dump_json(), status=status, mimetype="application/json")
    if headers:
        response.headers.update(headers)
    return response
