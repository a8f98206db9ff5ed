"""GET /health (liveness) and GET /ready (readiness: a valid model is loaded)."""

from __future__ import annotations

from flask import Blueprint, Response

from ..schemas import Health, Readiness
from ..state import json_response, not_ready_reason, service

blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
def health() -> Response:
    return json_response(Health())


@blueprint.get("/ready")
def ready() -> Response:
    holder = service().holder
    snapshot = holder.current()
    if snapshot is None:
        return json_response(Readiness(ready=False, reason=not_ready_reason(holder)), status=503)
    return json_response(
        Readiness(ready=True, model_version=snapshot.version, last_reload_error=holder.last_error),
        headers={"X-Model-Version": snapshot.version},
    )
