"""GET /model, GET /models, GET /models/<version>, DELETE /models/<version> (bearer token)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response

from model.store import ProtectedVersionError, StoreError, UnknownVersionError

from ..auth import require_token
from ..cards import model_card, version_summary
from ..errors import ApiError, store_unavailable
from ..model_holder import VersionLoadError, load_snapshot
from ..schemas import Deleted, VersionList
from ..state import current_snapshot, json_response, service

blueprint = Blueprint("models", __name__)
_LOG = logging.getLogger("service.models")
UNKNOWN_VERSION = "no stored model version with that id"


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
    try:
        info = service().store.get(version)
        snapshot = load_snapshot(info)
    except UnknownVersionError:
        raise ApiError(404, UNKNOWN_VERSION, "unknown_version") from None
    except VersionLoadError as error:
        raise ApiError(409, f"stored {error}", "invalid_version") from None
    return json_response(model_card(info.version, snapshot.card, active=info.active))


@blueprint.delete("/models/<version>")
@require_token
def delete_model(version: str) -> Response:
    try:
        service().store.delete(version)
    except UnknownVersionError:
        raise ApiError(404, UNKNOWN_VERSION, "unknown_version") from None
    except ProtectedVersionError as error:
        raise ApiError(409, str(error), "protected_version") from None
    except (StoreError, OSError):  # their messages name store paths: the log gets them
        _LOG.exception("deleting version %s failed", version)
        raise store_unavailable() from None
    return json_response(Deleted(deleted=version))
