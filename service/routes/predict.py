"""POST /predict."""

from __future__ import annotations

from flask import Blueprint, Response

from ..prediction import parse_predict_request, predict, response_json, to_matrix
from ..state import current_snapshot, read_body, service

blueprint = Blueprint("predict", __name__)


@blueprint.post("/predict")
def predict_view() -> Response:
    state = service()
    snapshot = current_snapshot(state)  # first: its width bounds what the body may hold
    body = parse_predict_request(read_body(state=state), state.settings.max_rows, len(snapshot.feature_index))
    x = to_matrix(body, snapshot, state.settings.max_rows)
    result = predict(snapshot, x, body.return_probabilities)
    state.metrics.rows.inc(len(x))
    if result.out_of_range:
        state.metrics.out_of_range_rows.inc(len(result.out_of_range))
    headers = {"X-Model-Version": snapshot.version}
    return Response(response_json(result), mimetype="application/json", headers=headers)
