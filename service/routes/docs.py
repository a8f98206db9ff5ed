"""GET /openapi.json, GET /docs (Swagger UI from bundled assets), GET /metrics."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response
from flask_swagger_ui import get_swaggerui_blueprint

from ..openapi import build_document
from ..state import service

blueprint = Blueprint("docs", __name__)
API_VERSION = "0.1.0"


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    state = service()
    document = build_document(state.holder.current(), API_VERSION, state.settings.max_rows)
    return Response(json.dumps(document), mimetype="application/json")


@blueprint.get("/metrics")
def metrics() -> Response:
    return service().metrics.exposition()


def register_docs(app: Flask) -> None:
    app.register_blueprint(blueprint)
    # Swagger UI's assets ship inside the flask-swagger-ui wheel: the page works offline.
    swagger = get_swaggerui_blueprint(
        "/docs", "/openapi.json", config={"app_name": "mlp-service API", "validatorUrl": None}
    )
    app.register_blueprint(swagger)
