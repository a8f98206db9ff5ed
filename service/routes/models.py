"""GET /model, GET /models, GET /models/<version>."""

from __future__ import annotations

from flask import Blueprint, Response

from model import ModelError, load
from model.store import UnknownVersionError

from ..cards import model_card, version_summary
from ..errors import ApiError
from ..schemas import VersionList
from ..state import current_snapshot, json_response, service

blueprint = Blueprint("models", __name__)


@blueprint.get("/model")
def active_model() -> Response:
    snapshot = current_snapshot()
    card = model_card(snapshot.version, snapshot.card, active=True)
    return json_response(card, headers={"X-Model-Version": snapshot.version})


@blueprint.get("/models")
def list_models() -> Response:
    store = service().store
    versions = store.versions()
    active = next((info.version for info in versions if info.active), None)
    return json_response(VersionList(active=active, versions=[version_summary(v) for v in versions]))


@blueprint.get("/models/<version>")
def show_model(version: str) -> Response:
    store = service().store
    try:
        info = store.get(version)
        net = load(info.artifact)
    except UnknownVersionError:
        raise ApiError(404, "no stored model version with that id", "unknown_version") from None
    except (ModelError, OSError) as error:
        raise ApiError(409, f"stored version cannot be loaded: {error}", "invalid_version") from None
    return json_response(model_card(info.version, net.describe(), active=info.active))
