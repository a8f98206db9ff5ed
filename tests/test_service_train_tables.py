"""POST /train with real tables: text, missing values and forced types in JSON rows, and a CSV
table as the body (``Content-Type: text/csv``, the columns and options in the query)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import IRIS_FEATURES, wait_for_job
from test_service_train import AUTH, TOKEN, submit

import model
from model.datasets import BUNDLED_DIR
from model.pipeline import TrainOptions
from model.store import ModelStore
from service.body_limits import csv_over_budget
from service.schemas import csv_train_query

IRIS_CSV = (BUNDLED_DIR / "iris.csv").read_bytes()
PENGUINS_CSV = (BUNDLED_DIR / "penguins.csv").read_bytes()


@pytest.fixture
def trainer(make_client):
    return make_client(api_token=TOKEN)


def post_csv(client, query: str, body: bytes | str, content_type: str = "text/csv"):
    data = body.encode() if isinstance(body, str) else body
    return client.post(f"/train?{query}", data=data, content_type=content_type, headers=AUTH)


def trained(client, response, store_dir: Path) -> tuple[dict, model.Network]:
    """The finished job's record and the network it published (read from the store)."""
    assert response.status_code == 202, response.get_json()
    record = wait_for_job(client, response.get_json()["job_id"], AUTH)
    assert record["status"] == "succeeded", record
    return record, model.load(ModelStore(store_dir).get(record["result"]["version"]).artifact)


def feature_types(net: model.Network) -> dict[str, str]:
    return {feature.name: feature.type for feature in net.schema.features}


# ---------------------------------------------------------------- JSON rows with text and nulls
RNG = np.random.default_rng(0)
SIZES = RNG.normal(size=60)
COLORS = ["red", "green", "blue"]
MIXED_ROWS = [
    {"size": None if i % 7 == 0 else float(SIZES[i]), "color": "NA" if i % 11 == 0 else COLORS[i % 3],
     "zip": 1000 + i % 4}
    for i in range(60)
]  # fmt: skip
MIXED_TARGETS = ["warm" if row["color"] == "red" or (row["size"] or 0) > 0 else "cold" for row in MIXED_ROWS]


def test_a_json_job_trains_on_text_and_nulls_with_forced_types(trainer, store_dir) -> None:
    body = {
        "instances": MIXED_ROWS, "targets": MIXED_TARGETS, "feature_types": {"zip": "categorical"},
        "epochs": 5, "activate": "never",
    }  # fmt: skip
    record, net = trained(trainer, submit(trainer, body), store_dir)
    assert record["request"]["feature_types"] == {"zip": "categorical"}
    assert feature_types(net) == {"size": "numeric", "color": "categorical", "zip": "categorical"}
    assert net.predict([{"size": None, "color": "purple", "zip": 1003}]).tolist()[0] in ("warm", "cold")


def test_list_rows_with_text_and_nulls_train_with_their_feature_names(trainer, store_dir) -> None:
    rows = [[row["size"], row["color"]] for row in MIXED_ROWS]
    body = {"instances": rows, "targets": MIXED_TARGETS, "feature_names": ["size", "color"], "epochs": 2}
    _, net = trained(trainer, submit(trainer, {**body, "activate": "never"}), store_dir)
    assert feature_types(net) == {"size": "numeric", "color": "categorical"}


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [(True, "a text or null"), ([1], "a text or null"), ({"a": 1}, "a text or null"),
     (float("nan"), "finite"), (10**400, "finite")],
)  # fmt: skip
def test_a_cell_that_is_not_a_number_a_text_or_null_is_refused_where_it_is(trainer, cell, fragment) -> None:
    rows = [dict(row) for row in MIXED_ROWS]
    rows[3]["color"] = cell
    response = submit(trainer, {"instances": rows, "targets": MIXED_TARGETS})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert len(error["detail"]) == 1 and error["detail"][0]["loc"] == ["instances", 3, "color"]
    assert error["detail"][0]["type"] == "cell" and fragment in error["error"]


@pytest.mark.parametrize(
    ("extra", "loc", "fragment"),
    [
        ({"feature_types": {"colour": "categorical"}}, ["feature_types"], "'colour'"),
        ({"feature_types": {"zip": "text"}}, ["feature_types", "zip"], "'numeric' or 'categorical'"),
        ({"feature_types": {"color": "numeric"}}, ["feature_types"], "'color' cannot be numeric"),
        ({"feature_types": "zip"}, ["feature_types"], "should be an object"),
    ],
)
def test_feature_types_that_cannot_apply_are_refused_at_request_time(trainer, extra, loc, fragment) -> None:
    response = submit(trainer, {"instances": MIXED_ROWS, "targets": MIXED_TARGETS, **extra})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["detail"][0]["loc"] == loc and fragment in error["error"]
    assert trainer.get("/train", headers=AUTH).get_json()["jobs"] == []


def test_a_warm_start_takes_no_feature_types(trainer) -> None:
    rows = [dict(zip(IRIS_FEATURES, [5.1, 3.5, 1.4, 0.2], strict=True))] * 40
    forced = {"sepal_length": "categorical"}
    body = {"instances": rows, "targets": ["setosa", "virginica"] * 20, "base": "active"}
    body["feature_types"] = forced
    response = submit(trainer, body)
    assert response.status_code == 422
    assert response.get_json()["detail"][0]["loc"] == ["feature_types"]


# ---------------------------------------------------------------- a CSV table as the body
def test_a_csv_body_trains_like_curl_data_binary(trainer, store_dir) -> None:
    response = post_csv(trainer, "target=species&epochs=3&hidden=8&activate=never", IRIS_CSV)
    record, net = trained(trainer, response, store_dir)
    assert record["request"]["data"] == "csv" and record["request"]["rows"] == 150
    assert record["request"]["hyperparameters"] == {"epochs": 3, "hidden": [8]}
    assert net.feature_names == tuple(IRIS_FEATURES) and net.layer_sizes[1:] == (8, 3)


def test_a_csv_body_with_text_and_missing_cells_trains_and_says_what_it_left_out(trainer, store_dir) -> None:
    text = PENGUINS_CSV.decode().replace("Adelie,Torgersen,39.1", ",Torgersen,39.1", 1)  # no target
    query = "target=species&drop=year&categorical=sex&epochs=3&activate=never"
    record, net = trained(trainer, post_csv(trainer, query, text, "application/csv"), store_dir)
    assert record["request"]["rows"] == 343 and "year" not in net.feature_names
    assert any("skipped 1 row" in note for note in record["request"]["notes"])
    assert feature_types(net)["island"] == feature_types(net)["sex"] == "categorical"


def test_a_csv_body_can_warm_start_the_active_model_whatever_its_column_order(trainer, store_dir) -> None:
    lines = IRIS_CSV.decode().splitlines()
    reordered = "\n".join(",".join(reversed(line.split(","))) for line in lines)  # species first
    response = post_csv(trainer, "target=species&base=active&epochs=2&activate=never", reordered)
    _, net = trained(trainer, response, store_dir)
    assert net.feature_names == tuple(IRIS_FEATURES) and net.layer_sizes == (4, 8, 3)


def test_a_mixed_model_warm_starts_on_categories_it_has_never_seen(trainer, store_dir) -> None:
    first = post_csv(trainer, "target=species&epochs=3&activate=always", PENGUINS_CSV)
    _, active = trained(trainer, first, store_dir)
    assert "Atlantis" not in active.schema.features[active.feature_names.index("island")].categories
    text = PENGUINS_CSV.decode().replace(",Torgersen,", ",Atlantis,")
    response = post_csv(trainer, "target=species&base=active&epochs=2&activate=never", text)
    record, net = trained(trainer, response, store_dir)
    assert feature_types(net) == feature_types(active) and record["request"]["base"] == "active"
    assert net.schema.as_dict() == active.schema.as_dict()  # a warm start keeps the schema


RAGGED = "a,b,label\n1,2,x\n3,y\n"
GOOD = "a,b,label\n" + "1,2,x\n3,4,y\n" * 20


@pytest.mark.parametrize(
    ("query", "body", "loc", "fragment"),
    [
        ("", GOOD, ["query", "target"], "Field required"),
        ("target=", GOOD, ["query", "target"], "at least 1 item"),
        ("target=species", GOOD, ["query", "target"], "no column 'species'; columns are: a, b, label"),
        ("target=label", RAGGED, ["body", 3], "row 3 has 2 cell(s), the header has 3"),
        ("target=label", "a b label\n1 2 x\n", ["body"], "the separator looks wrong"),
        ("target=label", "a,b,label\n1,inf,x\n3,4,y\n", ["body", 2, "b"], "row 2, column 'b'"),
        ("target=label", "", ["body"], "empty"),
        ("target=label", "a,b,label\n", ["body"], "no data rows"),
        ("target=label", b"a,b,label\n1,2,\xff\n", ["body"], "not UTF-8"),
        ("target=label&drop=id", GOOD, ["query", "drop"], "no column 'id' to drop"),
        ("target=label&categorical=label", GOOD, ["query", "categorical"], "is a target"),
        ("target=label&epochs=many", GOOD, ["query", "epochs"], "valid integer"),
        ("target=label&epochs=5000", GOOD, ["query", "epochs"], "at most 2000"),
        ("target=label&epochs=1&epochs=2", GOOD, ["query", "epochs"], "given 2 times"),
        ("target=label&learning_rate=nan", GOOD, ["query", "learning_rate"], "finite"),
        ("target=label&hidden=8,x", GOOD, ["query", "hidden"], "valid list"),
        ("target=label&nesterov=yes", GOOD, ["query", "nesterov"], "valid boolean"),
        ("target=label&base=active&activate=maybe", GOOD, ["query", "activate"], "'always'"),
        ("target=label&path=/etc", GOOD, ["query", "path"], "Extra inputs"),
        ("target=label&base=active", GOOD, ["body"], "not the active model's"),
        ("target=label", "a,b,label\n" + "1,2,x\n" * 20, ["body"], "single class"),
    ],
)
def test_a_csv_body_that_cannot_train_is_refused_with_where(trainer, query, body, loc, fragment) -> None:
    response = post_csv(trainer, query, body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["detail"][0]["loc"] == loc, error
    assert fragment in error["error"] or fragment in error["detail"][0]["msg"], error
    assert trainer.get("/train", headers=AUTH).get_json()["jobs"] == []


def test_query_options_read_as_their_json_values() -> None:
    query = csv_train_query(
        {"target": ["a,b", "c"], "hidden": [""], "seed": ["none"], "nesterov": ["false"], "epochs": ["7"],
         "learning_rate": ["1e-3"], "drop": ["id"], "na_values": ["-1,?"]}
    )  # fmt: skip
    assert query.target == ["a", "b", "c"] and query.drop == ["id"] and query.na_values == ["-1", "?"]
    assert query.hyperparameters() == {
        "hidden": [], "seed": None, "nesterov": False, "epochs": 7, "learning_rate": 1e-3
    }  # fmt: skip


# ---------------------------------------------------------------- bounds
def test_a_csv_body_over_the_row_limit_is_refused_before_it_is_parsed(make_client) -> None:
    client = make_client(api_token=TOKEN, max_train_rows=10, max_train_values=1000)
    response = post_csv(client, "target=label", "a,label\n" + "1,x\n" * 30)
    assert response.status_code == 422
    assert response.get_json()["detail"] == [
        {"loc": ["body"], "msg": "at most 10 rows and 1000 values on this server", "type": "limit"}
    ]


def test_a_csv_body_over_the_size_limit_is_413(make_client) -> None:
    client = make_client(api_token=TOKEN, max_train_body_bytes=1024)
    assert post_csv(client, "target=species", IRIS_CSV).status_code == 413


@pytest.mark.parametrize(
    ("body", "over"),
    [
        (b"a,b\n" + b"1,2\n" * 10, False),
        (b"a,b\n" + b"1,2\n" * 11, True),  # one line too many
        (b"a;b\r\n" + b"1;2\r\n" * 10, False),  # CRLF counts once
        (b"a,b,c,d\n" + b"1,2,3,4\n" * 5, True),  # too many separators
        (b'a,b\n"x,y,z,w,v",1\n' * 3, False),  # separators and line breaks in quotes are text
        (b'a,b\n"x\ny\nz\nw\nv\nu\nt\ns\nr\nq\np",1\n', False),
    ],
)
def test_csv_bodies_are_counted_by_lines_and_separators_outside_quotes(body, over) -> None:
    assert csv_over_budget(body, max_lines=11, max_separators=12) is over


def test_the_openapi_document_lists_both_bodies_and_every_option_as_a_query_parameter(trainer) -> None:
    document = json.loads(trainer.get("/openapi.json").data)
    properties = document["components"]["schemas"]["TrainRequest"]["properties"]
    assert "feature_types" in properties and "instances" in properties
    operation = document["paths"]["/train"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", "text/csv", "application/csv"}
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert set(TrainOptions.names()) | {"target", "drop", "categorical", "na_values"} <= set(parameters)
    assert parameters["target"]["required"] and not parameters["epochs"]["required"]
    assert parameters["hidden"]["explode"] is False
