"""Prediction without HTTP: request bytes -> validated matrix -> response model.

``/predict`` (and any other front door) calls these; they raise ``ApiError`` with the
offending instance index and field in ``loc``.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
from pydantic import ValidationError
from pydantic_core import to_json

from .body_limits import over_budget
from .errors import ApiError, validation_error
from .model_holder import Snapshot
from .schemas import ErrorDetail, PredictRequest, PredictResponse


def parse_predict_request(body: bytes, max_rows: int, n_features: int) -> PredictRequest:
    """Validate the raw body (any Content-Type) in one pass; 400 bad JSON, 422 bad schema.

    A body holding more rows or values than ``max_rows`` rows of ``n_features`` can is refused
    before it is parsed (422, as for too many rows), so its size cannot cost more than that.
    """
    # A valid body: the object, the list and one array or object per row; a comma after every
    # value but the last, and one before return_probabilities (a little room for other keys).
    if over_budget(body, max_containers=max_rows + 2, max_commas=max_rows * n_features + 2):
        raise too_many_rows(max_rows, f"at most {max_rows} rows of {n_features} features per request")
    try:
        return PredictRequest.model_validate_json(body)
    except ValidationError as error:
        raise validation_error(error) from None


def too_many_rows(max_rows: int, message: str) -> ApiError:
    """422 at ``instances``; ``message`` states the limit (and what was sent, when known)."""
    return ApiError(
        422,
        f"instances: {message}",
        detail=[ErrorDetail(loc=["instances"], msg=f"at most {max_rows} rows", type="too_long")],
    )


def to_matrix(request: PredictRequest, snapshot: Snapshot, max_rows: int) -> np.ndarray:
    """Instances as a float64 matrix (n_rows, n_features) in the model's feature order."""
    instances = request.instances
    if len(instances) > max_rows:
        raise too_many_rows(max_rows, f"at most {max_rows} rows per request, got {len(instances)}")
    n_features = len(snapshot.feature_index)
    if isinstance(instances[0], dict):
        return _named_rows(instances, snapshot.feature_index)
    problems = [
        ErrorDetail(
            loc=["instances", i], msg=f"expected {n_features} features, got {len(row)}", type="length"
        )
        for i, row in enumerate(instances)
        if len(row) != n_features
    ]
    _raise_if(problems)
    return np.array(instances, dtype=np.float64)


def _named_rows(instances: list[dict[str, float]], feature_index: dict[str, int]) -> np.ndarray:
    names = list(feature_index)
    problems = []
    for i, row in enumerate(instances):
        if row.keys() != feature_index.keys():
            problems += [
                ErrorDetail(loc=["instances", i, name], msg="missing feature", type="missing")
                for name in names
                if name not in row
            ]
            problems += [
                ErrorDetail(loc=["instances", i, str(key)], msg="unknown feature", type="unknown_feature")
                for key in row
                if key not in feature_index
            ]
            if len(problems) >= 20:
                break
    _raise_if(problems)
    return np.array([[row[name] for name in names] for row in instances], dtype=np.float64)


def _raise_if(problems: list[ErrorDetail]) -> None:
    if problems:
        first = problems[0]
        where = ".".join(str(part) for part in first.loc)
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ApiError(422, f"{where}: {first.msg}{more}", "validation_error", problems)


def out_of_range(x: np.ndarray, snapshot: Snapshot) -> list[dict[str, Any]]:
    """Rows with a feature outside [min, max] seen in training, and which features.

    Plain dicts of ``OutOfRange``'s shape, built from two array passes: a model per flagged row
    (even ``model_construct``, ~4 us) cost more than predicting the row.
    """
    outside = (x < snapshot.feature_min) | (x > snapshot.feature_max)  # (n_rows, n_features)
    rows, columns = np.nonzero(outside)  # row-major: a row's features together, in model order
    if not rows.size:
        return []
    names = snapshot.net.feature_names
    features = [names[j] for j in columns.tolist()]
    cuts = [0, *(np.flatnonzero(rows[1:] != rows[:-1]) + 1).tolist(), rows.size]  # one run per row
    row_ids = rows.tolist()
    return [
        {"row": row_ids[start], "features": features[start:end]}
        for start, end in pairwise(cuts)
    ]


def response_json(result: PredictResponse) -> bytes:
    """The response's JSON, the same bytes as ``model_dump_json`` (its flags are plain dicts)."""
    return to_json(dict(result))


def predict(snapshot: Snapshot, x: np.ndarray, return_probabilities: bool) -> PredictResponse:
    """Predictions for ``x`` (n_rows, n_features) with the snapshot's model."""
    net = snapshot.net
    classes = None
    probabilities = None
    if net.task == "classification":
        proba = net.predict_proba(x)
        classes = snapshot.card["classes"]
        if net.multilabel:
            predictions = (proba >= 0.5).astype(int).tolist()
        else:
            predictions = [classes[i] for i in proba.argmax(axis=1)]
        if return_probabilities:
            probabilities = proba.astype(np.float64).tolist()
    else:
        predictions = net.predict(x).astype(np.float64).tolist()
    return PredictResponse.model_construct(
        model_version=snapshot.version,
        predictions=predictions,
        probabilities=probabilities,
        classes=classes,
        target_names=snapshot.card.get("target_names"),
        out_of_range=out_of_range(x, snapshot),
    )
