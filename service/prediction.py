"""``/predict`` without HTTP: request bytes -> the model's raw values -> inference -> response.

The rows are checked and converted by the library's ``rows_to_matrix`` (cells judged per
feature: numbers or null for numeric features, texts, numbers or null for categorical ones)
and encoded and predicted by its ``infer`` (the same two functions as the V2 protocol's); what
is left here is the JSON API's side: parsing the body, the 422 for bad rows
(``errors.rows_error``), the response model.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import to_json

from model import Inference, RowsError, infer, rows_to_matrix, too_many_rows

from .body_limits import over_budget
from .errors import rows_error, validation_error
from .model_holder import Snapshot
from .schemas import NumberRequest, PredictRequest


def predict(body: bytes, snapshot: Snapshot, max_rows: int) -> tuple[dict[str, Any], Inference]:
    """The answer to a ``/predict`` body with the snapshot's model, and the inference it reports
    (for the metrics); ``ApiError`` (400, 422) if bad."""
    request, typed = parse_predict_request(body, max_rows, snapshot)
    net = snapshot.net
    numeric = snapshot.numeric if typed else None
    try:
        rows = rows_to_matrix(request.instances, net.feature_names, max_rows=max_rows, numeric=numeric)
        result = infer(net, rows.x, rows.columns)
    except RowsError as error:
        raise rows_error(error) from None
    return response(snapshot, result, request.return_probabilities), result


def parse_predict_request(body: bytes, max_rows: int, snapshot: Snapshot) -> tuple[PredictRequest, bool]:
    """Validate the raw body (any Content-Type); 400 bad JSON, 422 bad schema.

    Returns the request and whether its cells may hold text (to be judged per feature by the
    rows check). A model of numeric features parses the body as a ``NumberRequest`` first:
    rows without text take the rows check's fast path.

    A body holding more rows or values than ``max_rows`` rows of the model's features can is
    refused before it is parsed (422, as for too many rows), so its size cannot cost more than that.
    """
    n_features = len(snapshot.feature_index)
    # A valid body: the object, the list and one array or object per row; a comma after every
    # value but the last, and one before return_probabilities (a little room for other keys).
    if over_budget(body, max_containers=max_rows + 2, max_commas=max_rows * n_features + 2):
        raise rows_error(too_many_rows(max_rows, n_features=n_features))
    if snapshot.all_numeric:
        try:
            return NumberRequest.model_validate_json(body), False
        except ValidationError:
            pass  # text, or a bad body: the full model says which
    try:
        return PredictRequest.model_validate_json(body), True
    except ValidationError as error:
        raise validation_error(error) from None


def response(snapshot: Snapshot, result: Inference, return_probabilities: bool) -> dict[str, Any]:
    """The JSON API's answer: a ``PredictResponse``'s fields, in its order, as plain values (a
    model instance, even ``model_construct``, or one per flagged row, costs more than predicting
    a row; ``tests/test_service_predict.py`` checks the bytes against the schema)."""
    probabilities = result.probabilities
    return {
        "model_version": snapshot.version,
        "predictions": result.predictions.tolist(),  # numpy labels and values as Python ones
        "probabilities": None if probabilities is None or not return_probabilities
        else probabilities.astype(np.float64).tolist(),
        "classes": snapshot.card["classes"],
        "target_names": snapshot.card.get("target_names"),
        "out_of_range": result.flagged("out_of_range"),
        "unknown_categories": result.flagged("unknown_categories"),
        "missing": result.flagged("missing"),
    }  # fmt: skip


def response_json(answer: dict[str, Any]) -> bytes:
    """The response's JSON, the same bytes as ``PredictResponse.model_dump_json``."""
    return to_json(answer)
