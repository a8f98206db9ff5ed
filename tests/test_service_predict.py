"""POST /predict through the Flask test client: both instance forms, flags, headers."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import IRIS_FEATURES, SETOSA, VIRGINICA


def post(client, body, **kwargs):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/predict", data=data, **kwargs)


def test_rows_as_lists_are_predicted_with_the_model_version_in_body_and_header(client, iris_net) -> None:
    response = post(client, {"instances": [SETOSA, VIRGINICA]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["predictions"] == iris_net.predict(np.array([SETOSA, VIRGINICA])).tolist()
    assert body["predictions"] == ["setosa", "virginica"]
    assert body["classes"] == ["setosa", "versicolor", "virginica"]
    assert body["probabilities"] is None
    assert response.headers["X-Model-Version"] == body["model_version"]


def test_rows_as_objects_give_the_same_answer_as_rows_as_lists(client) -> None:
    named = [dict(zip(IRIS_FEATURES, row, strict=True)) for row in (SETOSA, VIRGINICA)]
    by_name = post(client, {"instances": named, "return_probabilities": True}).get_json()
    by_position = post(client, {"instances": [SETOSA, VIRGINICA], "return_probabilities": True}).get_json()
    assert by_name == by_position


def test_probabilities_are_returned_when_asked_in_class_order(client, iris_net) -> None:
    body = post(client, {"instances": [SETOSA], "return_probabilities": True}).get_json()
    expected = iris_net.predict_proba(np.array([SETOSA]))
    np.testing.assert_allclose(body["probabilities"], expected, rtol=1e-6)
    assert sum(body["probabilities"][0]) == pytest.approx(1.0, abs=1e-5)


def test_the_body_is_parsed_whatever_the_content_type_says(client) -> None:
    body = json.dumps({"instances": [SETOSA]})
    for content_type in (None, "text/plain", "application/octet-stream", "application/json"):
        headers = {"Content-Type": content_type} if content_type else {}
        assert client.post("/predict", data=body, headers=headers).status_code == 200


def test_rows_outside_the_training_range_are_predicted_and_flagged(client) -> None:
    odd = [5.1, 3.5, 1.4, 99.0]
    body = post(client, {"instances": [SETOSA, odd, [0.0, 0.0, 1.4, 0.2]]}).get_json()
    assert len(body["predictions"]) == 3
    assert body["out_of_range"] == [
        {"row": 1, "features": ["petal_width"]},
        {"row": 2, "features": ["sepal_length", "sepal_width"]},
    ]


def test_up_to_the_configured_maximum_of_rows_is_accepted(client, settings) -> None:
    rows = [SETOSA] * settings.max_rows
    assert len(post(client, {"instances": rows}).get_json()["predictions"]) == settings.max_rows


def test_integers_are_accepted_as_numbers(client) -> None:
    assert post(client, {"instances": [[5, 3, 1, 0]]}).status_code == 200


def test_a_request_id_is_honoured_or_made_up(client) -> None:
    given = post(client, {"instances": [SETOSA]}, headers={"X-Request-ID": "abc-123"})
    assert given.headers["X-Request-ID"] == "abc-123"
    made = post(client, {"instances": [SETOSA]}, headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["X-Request-ID"] != "bad id with spaces" and len(made.headers["X-Request-ID"]) == 32


def test_a_regressor_returns_values_in_target_units(client_for) -> None:
    from model import Network

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(200, 2))
    net = Network(hidden=(8,), seed=0)
    net.fit(x, 100 + 50 * x[:, 0], epochs=100, learning_rate=1e-2)
    client = client_for(net)
    body = post(client, {"instances": [[0.5, 0.5]], "return_probabilities": True}).get_json()
    assert body["predictions"][0] == pytest.approx(125, abs=5)
    assert body["classes"] is None and body["probabilities"] is None


def test_a_response_with_flagged_rows_is_a_valid_predict_response(client) -> None:
    from service.schemas import PredictResponse

    odd = [5.1, 3.5, 1.4, 99.0]
    response = post(client, {"instances": [odd, SETOSA, odd], "return_probabilities": True})
    parsed = PredictResponse.model_validate_json(response.get_data())
    assert [(flag.row, flag.features) for flag in parsed.out_of_range] == [
        (0, ["petal_width"]),
        (2, ["petal_width"]),
    ]
    assert parsed.model_dump_json().encode() == response.get_data()
