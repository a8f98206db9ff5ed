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


# ---------------------------------------------------------------- a mixed-type model
def test_the_document_lists_each_features_type_and_a_categorical_features_categories(
    client_for, penguins_net
) -> None:
    document = client_for(penguins_net).get("/openapi.json").get_json()
    instances = document["components"]["schemas"]["PredictRequest"]["properties"]["instances"]
    list_form, object_form = instances["anyOf"]
    by_position = list_form["items"]["prefixItems"]
    by_name = object_form["items"]["properties"]
    assert list(by_name) == list(penguins_net.feature_names) and list(by_name.values()) == by_position
    island, bill = by_name["island"], by_name["bill_length_mm"]
    assert island["x-feature-type"] == "categorical" and island["x-categories"] == [
        "Biscoe",
        "Dream",
        "Torgersen",
    ]
    assert (
        island["type"] == ["string", "number", "null"] and "Biscoe, Dream, Torgersen" in island["description"]
    )
    assert bill["x-feature-type"] == "numeric" and bill["type"] == ["number", "null"]
    assert "training range [35.2, 52.4]" in bill["description"]
    assert object_form["items"]["required"] == list(penguins_net.feature_names)


def test_a_mixed_models_examples_are_valid_and_one_shows_the_flags(client_for, penguins_net) -> None:
    client = client_for(penguins_net)
    document = client.get("/openapi.json").get_json()
    examples = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    answers = {name: client.post("/predict", json=example["value"]) for name, example in examples.items()}
    assert all(response.status_code == 200 for response in answers.values())
    flagged = answers["flagged"].get_json()
    assert flagged["missing"] == [{"row": 0, "features": ["island"]}]
    assert flagged["unknown_categories"] == [{"row": 0, "features": ["sex"]}]
    assert examples["rows"]["value"]["instances"][0][0] == "Biscoe"  # the most frequent island


def test_fuzzed_predictions_for_a_mixed_model_never_get_a_5xx_or_a_valid_row_refused(
    client_for, penguins_net
) -> None:
    app = client_for(penguins_net, max_rows=20).application
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app)
    operation = schema["/predict"]["POST"]

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        case.call_and_validate()

    check()
