"""Every bad request gets the one JSON error shape with the right status, code and location."""

from __future__ import annotations

import io
import json

import pytest
from helpers import ROW

from model.store import ModelStore


@pytest.mark.parametrize(
    ("body", "status", "code", "loc"),
    [
        ("not json", 400, "invalid_json", []),
        ("", 400, "invalid_json", []),
        ('{"instances": [[1, 2', 400, "invalid_json", []),
        ("[" * 3000 + "]" * 3000, 400, "invalid_json", []),
        ("[null, null]", 422, "validation_error", []),
        ("{}", 422, "validation_error", ["instances"]),
        ('{"instances": []}', 422, "validation_error", ["instances"]),
        ('{"instances": [[]]}', 422, "validation_error", ["instances", 0]),
        ('{"instances": "rows"}', 422, "validation_error", ["instances"]),
        ('{"instances": [[5.1, 3.5, 1.4]]}', 422, "validation_error", ["instances", 0]),
        ('{"instances": [[5.1, 3.5, 1.4, 0.2], [1, 2]]}', 422, "validation_error", ["instances", 1]),
        ('{"instances": [[5.1, 3.5, 1.4, NaN]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, Infinity]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, -Infinity]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, 1e999]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, "nan"]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, "0.2"]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, true]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, ""]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, [0.2]]]}', 422, "validation_error", ["instances", 0, 3]),
        ('{"instances": [[5.1, 3.5, 1.4, 0.2], {"a": 1}]}', 422, "validation_error", ["instances", 1]),
        (
            '{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4}]}',
            422, "validation_error", ["instances", 0, "petal_width"],
        ),
        (
            '{"instances": [{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, '
            '"petal_width": 0.2, "colour": 1}]}',
            422, "validation_error", ["instances", 0, "colour"],
        ),
        ('{"instances": [{"sepal_length": "x"}]}', 422, "validation_error", ["instances", 0, "sepal_width"]),
        ('{"instances": [{"sepal_length": "x", "sepal_width": 3.5, "petal_length": 1.4, '
         '"petal_width": 0.2}]}', 422, "validation_error", ["instances", 0, "sepal_length"]),
        ('{"instances": [[5.1, 3.5, 1.4, 0.2]], "return_probabilities": 1}', 422, "validation_error",
         ["return_probabilities"]),
        ('{"instances": [[5.1, 3.5, 1.4, 0.2]], "verbose": true}', 422, "validation_error", ["verbose"]),
    ],
)  # fmt: skip
def test_bad_prediction_bodies_are_refused_with_status_code_and_location(
    client, body, status, code, loc
) -> None:
    response = client.post("/predict", data=body)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    error = response.get_json()
    assert error["code"] == code
    assert error["detail"][0]["loc"] == loc
    assert isinstance(error["error"], str) and "\n" not in error["error"]


def test_input_values_are_not_echoed_back(client) -> None:
    response = client.post("/predict", data='{"instances": [[5.1, 3.5, 1.4, "secret-value"]]}')
    assert "secret-value" not in response.get_data(as_text=True)


def test_too_many_rows_is_422_naming_the_limit(make_client) -> None:
    client = make_client(max_rows=3)
    response = client.post("/predict", data=json.dumps({"instances": [ROW] * 4}))
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["instances"]
    assert "at most 3 rows" in response.get_json()["error"]


def test_a_body_over_the_limit_is_413_with_or_without_content_length(make_client) -> None:
    client = make_client(max_body_bytes=2048)
    big = json.dumps({"instances": [ROW] * 200}).encode()
    assert client.post("/predict", data=big).status_code == 413

    # A chunked body has no Content-Length: the server learns its size only by reading it.
    chunked = client.post(
        "/predict",
        input_stream=io.BytesIO(big),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413
    assert chunked.get_json()["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/nowhere", 404, "not_found"),
        ("get", "/predict", 405, "method_not_allowed"),
        ("delete", "/model", 405, "method_not_allowed"),
        ("get", "/models/20990101T000000000000Z-abcdef", 404, "unknown_version"),
        ("get", "/models/not-a-version", 404, "unknown_version"),
        ("get", "/models/..%2F..%2Fetc%2Fpasswd", 404, "not_found"),
    ],
)
def test_unknown_routes_methods_and_versions_are_json_errors(client, method, path, status, code) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.get_json()["code"] == code


def test_without_a_model_predictions_are_503_and_the_service_is_not_ready(make_client, tmp_path) -> None:
    client = make_client(model_dir=tmp_path / "empty")
    response = client.post("/predict", data=json.dumps({"instances": [ROW]}))
    assert response.status_code == 503
    assert response.get_json()["code"] == "no_model"
    ready = client.get("/ready")
    assert ready.status_code == 503 and ready.get_json()["ready"] is False
    assert client.get("/health").status_code == 200


def test_a_bug_becomes_a_generic_500_without_traceback(app, client, monkeypatch) -> None:
    import service.routes.predict as predict_route

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(predict_route, "predict", broken)
    response = client.post("/predict", data=json.dumps({"instances": [ROW]}))
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "internal detail" not in text and "Traceback" not in text
    assert response.get_json()["code"] == "internal_error"


def test_a_broken_active_version_leaves_the_service_not_ready_with_the_reason(make_client, tmp_path) -> None:
    store = ModelStore(tmp_path)
    info = store.publish(lambda path: path.write_bytes(b"not a model"), {})
    client = make_client(model_dir=tmp_path)
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert info.version in ready.get_json()["reason"]
