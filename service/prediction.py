"""``/predict`` without HTTP: request bytes -> the model's matrix -> inference -> response.

The rows are checked and converted by the library's ``rows_to_matrix`` and predicted by its
``infer`` (the same two functions as the V2 protocol's); what is left here is the JSON API's
side: parsing the body, the 422 for bad rows (``errors.rows_error``), the response model.
"""

from __future__ import annotations

import numpy as np
from pydantic import ValidationError
from pydantic_core import to_json

from model import Inference, RowsError, infer, rows_to_matrix, too_many_rows

from .body_limits import over_budget
from .errors import rows_error, validation_error
from .model_holder import Snapshot
from .schemas import PredictRequest, PredictResponse


def predict(body: bytes, snapshot: Snapshot, max_rows: int) -> PredictResponse:
    """The answer to a ``/predict`` body with the snapshot's model; ``ApiError`` (400, 422) if bad."""
    request = parse_predict_request(body, max_rows, len(snapshot.feature_index))
    try:
        rows = rows_to_matrix(request.instances, snapshot.net.feature_names, max_rows=max_rows)
    except RowsError as error:
        raise rows_error(error) from None
    return response(snapshot, infer(snapshot.net, rows.x), request.return_probabilities)


def parse_predict_request(body: bytes, max_rows: int, n_features: int) -> PredictRequest:
    """Validate the raw body (any Content-Type) in one pass; 400 bad JSON, 422 bad schema.

    A body holding more rows or values than ``max_rows`` rows of ``n_features`` can is refused
    before it is parsed (422, as for too many rows), so its size cannot cost more than that.
    """
    # A valid body: the object, the list and one array or object per row; a comma after every
    # value but the last, and one before return_probabilities (a little room for other keys).
    if over_budget(body, max_containers=max_rows + 2, max_commas=max_rows * n_features + 2):
        raise rows_error(too_many_rows(max_rows, n_features=n_features))
    try:
        return PredictRequest.model_validate_json(body)
    except ValidationError as error:
        raise validation_error(error) from None


def response(snapshot: Snapshot, result: Inference, return_probabilities: bool) -> PredictResponse:
    """The JSON API's answer: labels and flags as plain values (no per-row models: they cost
    more than predicting the row)."""
    probabilities = result.probabilities
    return PredictResponse.model_construct(
        model_version=snapshot.version,
        predictions=result.predictions.tolist(),  # numpy labels and values as Python ones
        probabilities=None if probabilities is None or not return_probabilities
        else probabilities.astype(np.float64).tolist(),
        classes=snapshot.card["classes"],
        target_names=snapshot.card.get("target_names"),
        out_of_range=result.flagged(),
    )  # fmt: skip


def response_json(result: PredictResponse) -> bytes:
    """The response's JSON, the same bytes as ``model_dump_json`` (its flags are plain dicts)."""
    return to_json(dict(result))
