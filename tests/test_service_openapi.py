"""The generated OpenAPI document, the offline docs page, and API fuzzing with schemathesis."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_the_document_is_openapi_3_1_and_covers_every_endpoint(client) -> None:
    document = client.get("/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) >= {
        "/predict",
        "/model",
        "/models",
        "/models/{version}",
        "/health",
        "/ready",
    }
    predict = document["paths"]["/predict"]["post"]
    assert set(predict["responses"]) >= {"200", "400", "413", "422", "503"}
    schemas = document["components"]["schemas"]
    assert {"PredictRequest", "PredictResponse", "ErrorBody", "ModelCard"} <= set(schemas)
    assert schemas["PredictRequest"]["additionalProperties"] is False


def test_the_example_payloads_are_valid_for_the_active_model(client) -> None:
    document = client.get("/openapi.json").get_json()
    examples = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert examples
    for example in examples.values():
        response = client.post("/predict", data=json.dumps(example["value"]))
        assert response.status_code == 200, response.get_json()


def test_the_docs_page_and_its_assets_are_served_locally(client) -> None:
    page = client.get("/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/openapi.json" in html and "https://" not in html.split("<body")[1]
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        with client.get(f"/docs/{asset}") as response:
            assert response.status_code == 200


def test_fuzzed_requests_never_get_a_5xx_or_break_the_document(make_app) -> None:
    app = make_app(max_rows=50)
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:
            case.call_and_validate()

        check()
