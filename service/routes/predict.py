"""POST /predict: the view over ``prediction.predict``, which calls the library's ``infer``."""

from __future__ import annotations

from flask import Blueprint, Response

from ..prediction import predict, response_json
from ..state import current_snapshot, read_body, service

blueprint = Blueprint("predict", __name__)


@blueprint.post("/predict")
def predict_view() -> Response:
    state = service()
    snapshot = current_snapshot(state)  # first: its width bounds what the body may hold
    answer, result = predict(read_body(state=state), snapshot, state.settings.max_rows)
    state.metrics.count_inference(result)
    headers = {"X-Model-Version": snapshot.version}
    return Response(response_json(answer), mimetype="application/json", headers=headers)
