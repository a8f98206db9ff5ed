"""POST /predict through the Flask test client: both instance forms, flags, headers, and a
mixed-type model (text, missing values, unknown categories)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import IRIS_FEATURES, SETOSA, VIRGINICA
from penguins import ADELIE, GENTOO
from penguins import FEATURES as PENGUIN_FEATURES


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


# ---------------------------------------------------------------- mixed-type models
@pytest.fixture
def penguins_client(client_for, penguins_net):
    return client_for(penguins_net)


def penguin(*row) -> dict:
    return dict(zip(PENGUIN_FEATURES, row, strict=True))


def test_a_mixed_model_predicts_rows_with_text_as_the_library_does_in_both_forms(
    penguins_client, penguins_net
) -> None:
    rows = [ADELIE, GENTOO]
    by_position = post(penguins_client, {"instances": rows, "return_probabilities": True}).get_json()
    by_name = post(
        penguins_client, {"instances": [penguin(*row) for row in rows], "return_probabilities": True}
    )
    assert by_name.get_json() == by_position
    assert by_position["predictions"] == penguins_net.predict(rows).tolist() == ["Adelie", "Gentoo"]
    np.testing.assert_allclose(by_position["probabilities"], penguins_net.predict_proba(rows), rtol=1e-6)
    assert by_position["out_of_range"] == by_position["unknown_categories"] == by_position["missing"] == []


def test_unknown_categories_and_missing_values_are_predicted_and_flagged_by_row_and_feature(
    penguins_client, penguins_net
) -> None:
    rows = [
        ["Atlantis", 47.5, 217.0, 5000.0, "male"],  # an island never seen in training
        ["Biscoe", 47.5, None, None, None],  # missing: imputed (numeric) or its own level (sex)
        GENTOO,
        ["Biscoe", 47.5, 400.0, 5000.0, "unknown"],  # out of range, and an unseen sex
    ]
    body = post(penguins_client, {"instances": rows}).get_json()
    assert body["predictions"] == penguins_net.predict(rows).tolist()
    assert body["unknown_categories"] == [{"row": 0, "features": ["island"]}, {"row": 3, "features": ["sex"]}]
    assert body["missing"] == [{"row": 1, "features": ["flipper_length_mm", "body_mass_g", "sex"]}]
    assert body["out_of_range"] == [{"row": 3, "features": ["flipper_length_mm"]}]


def test_a_number_for_a_categorical_feature_is_compared_as_its_text(client_for) -> None:
    from model import Network

    grades = [1, 2, 3] * 40
    net = Network(hidden=(4,), seed=0)
    columns = {"grade": grades, "x": [0.5] * 120}
    net.fit(columns, [g > 1 for g in grades], feature_types={"grade": "categorical"}, epochs=2)
    client = client_for(net)
    as_number = post(client, {"instances": [[2, 0.5], [2.0, 0.5], [7, 0.5]]}).get_json()
    as_text = post(client, {"instances": [["2", 0.5], ["2", 0.5], ["7", 0.5]]}).get_json()
    assert as_number == as_text
    assert as_number["unknown_categories"] == [{"row": 2, "features": ["grade"]}]


def test_an_all_numeric_model_answers_as_before_plus_two_empty_lists(client, iris_net) -> None:
    from service.schemas import PredictResponse

    response = post(client, {"instances": [SETOSA, [5.1, 3.5, 1.4, 99.0]], "return_probabilities": True})
    before = PredictResponse.model_validate_json(response.get_data()).model_dump(
        exclude={"unknown_categories", "missing"}
    )  # the fields the service answered before mixed-type models, in their order
    old_bytes = json.dumps(before, separators=(",", ":")).encode()
    assert response.get_data() == old_bytes[:-1] + b',"unknown_categories":[],"missing":[]}'


def test_null_is_a_missing_value_for_an_all_numeric_model_too_imputed_and_flagged(client, iris_net) -> None:
    body = post(client, {"instances": [[5.1, None, 1.4, 0.2]]}).get_json()
    imputed = [5.1, iris_net.schema.features[1].median, 1.4, 0.2]
    assert body["predictions"] == iris_net.predict(np.array([imputed])).tolist()
    assert body["missing"] == [{"row": 0, "features": ["sepal_width"]}]


def _object_body(**values) -> str:
    return json.dumps({"instances": [{**penguin(*GENTOO), **values}]})


@pytest.mark.parametrize(
    ("body", "loc", "message"),
    [
        ({"instances": [["Biscoe", "47.5", 217.0, 5000.0, "male"]]}, ["instances", 0, 1],
         "feature 'bill_length_mm' is numeric"),
        ({"instances": [GENTOO, ["Biscoe", 47.5, "NA", 5000.0, "male"]]}, ["instances", 1, 2],
         "feature 'flipper_length_mm' is numeric"),
        (_object_body(body_mass_g="heavy"), ["instances", 0, "body_mass_g"],
         "feature 'body_mass_g' is numeric"),
        ({"instances": [{k: v for k, v in penguin(*GENTOO).items() if k != "sex"}]}, ["instances", 0, "sex"],
         "missing feature"),
        (_object_body(sexx="male"), ["instances", 0, "sexx"], "unknown feature"),
        ({"instances": [["Biscoe", 47.5, 217.0, 5000.0, True]]}, ["instances", 0, 4], "a text or null"),
        ({"instances": [["Biscoe", 47.5, 217.0, 5000.0, ["male"]]]}, ["instances", 0, 4], "a text or null"),
        ('{"instances": [["Biscoe", NaN, 217.0, 5000.0, "male"]]}', ["instances", 0, 1], "finite number"),
        ('{"instances": [["Biscoe", 47.5, -Infinity, 5000.0, "male"]]}', ["instances", 0, 2],
         "finite number"),
        ({"instances": [["Biscoe", 47.5, 217.0, 5000.0]]}, ["instances", 0], "expected 5 features"),
    ],
)  # fmt: skip
def test_bad_mixed_rows_are_422_naming_the_row_and_the_feature(penguins_client, body, loc, message) -> None:
    response = post(penguins_client, body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["code"] == "validation_error" and error["detail"][0]["loc"] == loc
    assert message in error["error"] and error["error"].startswith(".".join(map(str, loc)))


def test_unknown_categories_and_imputed_values_are_counted_by_kind_in_the_metrics(penguins_client) -> None:
    rows = [["Atlantis", 47.5, None, 5000.0, "unseen"], ["Biscoe", None, None, 5000.0, None], GENTOO]
    assert post(penguins_client, {"instances": rows}).status_code == 200
    metrics = penguins_client.get("/metrics").get_data(as_text=True)
    assert "mlp_unknown_category_values_total 2.0" in metrics
    assert "mlp_imputed_values_total 4.0" in metrics
    assert "mlp_predicted_rows_total 3.0" in metrics
    assert "Atlantis" not in metrics and "unseen" not in metrics  # by kind, never by value


def test_the_row_limit_holds_for_text_rows_with_brackets_and_commas_inside_their_strings(
    client_for, penguins_net
) -> None:
    client = client_for(penguins_net, max_rows=20)
    odd = ["[Bis,coe]{,}", 47.5, 217.0, 5000.0, "m,a[l]e"]
    response = post(client, {"instances": [odd] * 20})
    assert response.status_code == 200
    assert response.get_json()["unknown_categories"][19] == {"row": 19, "features": ["island", "sex"]}
    response = post(client, {"instances": [odd] * 21})
    assert response.status_code == 422 and "at most 20 rows" in response.get_json()["error"]
