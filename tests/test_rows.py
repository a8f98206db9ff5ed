"""Rows to the model's matrix (``model.nn.rows``) and inference (``model.nn.inference``): the one
path every way in takes, and the same location for the same bad row at every front door."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import IRIS_FEATURES

from model import Network, Problem, RowsError, as_table, infer, rows_to_matrix
from model.nn.rows import MAX_PROBLEMS

NAMES = ("a", "b", "c")


def named(*values: float, names: tuple[str, ...] = NAMES) -> dict[str, float]:
    return dict(zip(names, values, strict=True))


# ---------------------------------------------------------------- rows_to_matrix
def test_lists_and_objects_give_the_same_matrix_in_the_model_order() -> None:
    by_position = rows_to_matrix([[1, 2, 3], [4, 5, 6]], NAMES)
    by_name = rows_to_matrix([{"c": 3, "a": 1, "b": 2}, {"b": 5, "c": 6, "a": 4}], NAMES)
    np.testing.assert_array_equal(by_position.x, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(by_name.x, by_position.x)
    assert by_name.x.dtype == np.float64 and by_name.feature_names == NAMES


def test_without_feature_names_the_first_row_gives_them() -> None:
    learned = rows_to_matrix([{"z": 1, "y": 2}, {"y": 4, "z": 3}])
    assert learned.feature_names == ("z", "y")  # the first row's key order
    np.testing.assert_array_equal(learned.x, [[1, 2], [3, 4]])
    assert rows_to_matrix([[1, 2, 3]]).feature_names == ("x0", "x1", "x2")
    with pytest.raises(RowsError) as raised:
        rows_to_matrix([{"z": 1, "y": 2}, {"z": 3}])
    assert raised.value.problems == (Problem((1, "y"), "missing feature", "missing"),)


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([], [((), "too_short")]),
        ([[1, 2, 3], [1, 2]], [((1,), "length")]),
        ([[1, 2], [1, 2, 3, 4], [1, 2, 3]], [((0,), "length"), ((1,), "length")]),
        ([[1, 2, 3], {"a": 1, "b": 2, "c": 3}], [((1,), "type")]),
        ([[1, 2, 3], "abc"], [((1,), "type")]),
        ([[1, "x", 3], [{}, 2, "4"]], [((1, 0), "number")]),
        ([[1, [2], 3]], [((0, 1), "number")]),
        ([[1, 2, float("nan")], [float("inf"), 2, 3]], [((1, 0), "finite")]),
        ([[1, "x", float("-inf")]], [((0, 2), "finite")]),
        ([[1, 2, 1e999]], [((0, 2), "finite")]),
        ([named(1, 2, 3), {"a": 1, "b": 2}], [((1, "c"), "missing")]),
        ([named(1, 2, 3), {"a": 1, "b": 2, "c": 3, "d": 4}], [((1, "d"), "unknown_feature")]),
        (
            [{"a": 1, "b": 2, "x": 3}, named(1, 2, 3)],
            [((0, "c"), "missing"), ((0, "x"), "unknown_feature")],
        ),
        ([named(1, 2, 3), [1, 2, 3]], [((1,), "type")]),
        ([named(1, float("inf"), 3)], [((0, "b"), "finite")]),
        ([named(1, "two", [3])], [((0, "c"), "number")]),
    ],
)
def test_bad_rows_are_refused_with_every_problem_located(rows: list, problems: list) -> None:
    with pytest.raises(RowsError) as raised:
        rows_to_matrix(rows, NAMES)
    assert [(problem.loc, problem.kind) for problem in raised.value.problems] == problems


def test_problems_are_collected_up_to_the_cap_and_the_message_counts_them() -> None:
    rows = [[1.0, 2.0]] * 100
    with pytest.raises(RowsError) as raised:
        rows_to_matrix(rows, NAMES)
    assert [problem.loc for problem in raised.value.problems] == [(i,) for i in range(MAX_PROBLEMS)]
    assert str(raised.value) == f"rows.0: expected 3 features, got 2 (and {MAX_PROBLEMS - 1} more)"
    assert raised.value.summary(("instances",)).startswith("instances.0: expected 3 features")
    with pytest.raises(RowsError) as raised:
        rows_to_matrix([{"x": 1}] * 100, NAMES)
    assert len(raised.value.problems) == MAX_PROBLEMS


def test_more_rows_than_the_bound_is_one_problem_for_the_whole_batch() -> None:
    with pytest.raises(RowsError) as raised:
        rows_to_matrix([[1, 2, 3]] * 4, NAMES, max_rows=3)
    assert raised.value.problems == (Problem((), "at most 3 rows, got 4", "too_long"),)
    assert rows_to_matrix([[1, 2, 3]] * 3, NAMES, max_rows=3).x.shape == (3, 3)


def test_text_and_missing_values_are_raw_values_for_the_schema_to_judge() -> None:
    numbers = rows_to_matrix([[1, None, "4"], [2.5, float("nan"), 3]], NAMES)
    assert numbers.x.dtype == np.float64 and numbers.columns is None
    np.testing.assert_array_equal(numbers.x, [[1, np.nan, 4], [2.5, np.nan, 3]])
    text = rows_to_matrix([named(1, "red", None), named(2, "NA", 3)], NAMES)
    assert text.x.dtype == object and text.columns == NAMES
    assert text.x.tolist() == [[1, "red", None], [2, "NA", 3]]


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([[1, "x", "0.2"], ["NaN", 2, None]], [((0, 2), "number"), ((1, 0), "number")]),
        ([named(1, 2, "3"), named("", "b", 3)], [((0, "c"), "number"), ((1, "a"), "number")]),
        ([[1, "x", float("inf")]], [((0, 2), "finite")]),
        ([[1, [2], 3]], [((0, 1), "number")]),
    ],
)
def test_typed_cells_refuse_any_text_in_a_numeric_feature_with_its_location(
    rows: list, problems: list
) -> None:
    with pytest.raises(RowsError) as raised:
        rows_to_matrix(rows, NAMES, numeric=[True, False, True])
    assert [(problem.loc, problem.kind) for problem in raised.value.problems] == problems


def test_typed_cells_keep_text_in_categorical_features_and_null_anywhere() -> None:
    rows = rows_to_matrix([named(1, "red", None), named(None, 4, 3)], NAMES, numeric=[True, False, True])
    assert rows.x.dtype == object and rows.x.tolist() == [[1, "red", None], [None, 4, 3]]
    with pytest.raises(RowsError, match=r"rows\.0\.a: feature 'a' is numeric: must be a number or null"):
        rows_to_matrix([named("1", "red", 3)], NAMES, numeric=[True, False, True])


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        ([[1, "x", 3], [None, 2, "4"]], [((0, 1), "number"), ((1, 0), "finite")]),
        ([named(1, float("nan"), 3)], [((0, "b"), "finite")]),
        ([named(1, "two", 3)], [((0, "b"), "number")]),
    ],
)
def test_numbers_only_refuses_text_and_missing_values_as_before(rows: list, problems: list) -> None:
    with pytest.raises(RowsError) as raised:
        rows_to_matrix(rows, NAMES, numbers_only=True)
    assert [(problem.loc, problem.kind) for problem in raised.value.problems] == problems


def test_a_value_beyond_float32s_range_is_not_finite_in_a_float32_matrix() -> None:
    assert rows_to_matrix([[1e39, 1, 1]], NAMES).x[0, 0] == 1e39
    with pytest.raises(RowsError, match=r"rows\.0\.0: must be a finite float32 number"):
        rows_to_matrix([[1e39, 1, 1]], NAMES, dtype=np.float32)


def test_problems_never_hold_the_callers_values() -> None:
    with pytest.raises(RowsError) as raised:
        rows_to_matrix([[1, "secret-value", 3], {"secret-key": 1}], NAMES)
    assert "secret-value" not in str(raised.value.problems)


def test_arrays_take_the_fast_path_and_report_infinite_cells_located(iris_net) -> None:
    x = np.ones((3, 2), dtype=np.float32)
    assert as_table(x)[0] is x  # no copy
    x_bad = np.array([[1.0, np.nan, 1.0, np.inf], [-np.inf, 1.0, 1.0, 1.0]])
    with pytest.raises(RowsError, match="X must be finite: row 0, column 3 is inf") as raised:
        iris_net.predict(x_bad)
    assert [problem.loc for problem in raised.value.problems] == [(0, 3), (1, 0)]


# ---------------------------------------------------------------- inference
def test_inference_decodes_labels_as_network_predict_does_and_flags_values_out_of_range(iris_net) -> None:
    x = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 99.0], [0.0, 0.0, 1.4, 0.2]])
    result = infer(iris_net, x)
    np.testing.assert_array_equal(result.predictions, iris_net.predict(x))
    np.testing.assert_array_equal(result.probabilities, iris_net.predict_proba(x))
    assert result.flagged() == [
        {"row": 1, "features": ["petal_width"]},
        {"row": 2, "features": ["sepal_length", "sepal_width"]},
    ]
    assert result.flagged_rows() == 2


def test_inference_of_a_multilabel_classifier_and_a_regressor_matches_predict() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(40, 2))
    multilabel = Network(hidden=(4,), seed=0)
    multilabel.fit(x, np.column_stack([x[:, 0] > 0.5, x[:, 1] > 0.5]).astype(int), epochs=2)
    result = infer(multilabel, x)
    assert result.predictions.dtype == np.int64 and result.predictions.shape == (40, 2)
    np.testing.assert_array_equal(result.predictions, multilabel.predict(x))
    regressor = Network(hidden=(4,), seed=0)
    regressor.fit(x, x.sum(axis=1), epochs=2)
    result = infer(regressor, x)
    assert result.probabilities is None and result.predictions.dtype == np.float64
    np.testing.assert_array_equal(result.predictions, regressor.predict(x))
    assert result.flagged() == []


# ---------------------------------------------------------------- every front door, one location
TOKEN = "rows-token"
GOOD = [5.1, 3.5, 1.4, 0.2]


@pytest.fixture
def doors(store_dir):
    from service import Settings, create_app

    return create_app(Settings(model_dir=store_dir, api_token=TOKEN, reload_interval_s=0)).test_client()


def _predict(client, rows: list) -> tuple[int, list]:
    response = client.post("/predict", data=json.dumps({"instances": rows}))
    return response.status_code, [item["loc"] for item in response.get_json()["detail"]]


def _train(client, rows: list) -> tuple[int, list]:
    targets = ["setosa", "virginica"] * (len(rows) // 2)
    body = {"instances": rows, "targets": targets, "base": "active", "activate": "never"}
    response = client.post("/train", data=json.dumps(body), headers={"Authorization": f"Bearer {TOKEN}"})
    return response.status_code, [item["loc"] for item in response.get_json()["detail"]]


def _v2(client, rows: list) -> tuple[int, list]:
    tensor = {"name": "input", "datatype": "FP64", "shape": [len(rows), 4], "data": rows}
    response = client.post("/v2/models/mlp/infer", data=json.dumps({"inputs": [tensor]}))
    return response.status_code, [item["loc"] for item in response.get_json()["detail"]]


BAD_ROWS = [
    # (rows, locations relative to the rows); 40 rows so /train's split could hold out enough
    ([GOOD] * 5 + [GOOD[:3]] + [GOOD] * 34, [[5]]),
    ([GOOD] * 38 + [GOOD[:2], GOOD * 2], [[38], [39]]),
]


@pytest.mark.parametrize(("rows", "locs"), BAD_ROWS)
def test_predict_train_and_v2_locate_the_same_bad_row_alike(doors, rows: list, locs: list) -> None:
    assert _predict(doors, rows) == (422, [["instances", *loc] for loc in locs])
    assert _train(doors, rows) == (422, [["instances", *loc] for loc in locs])
    assert _v2(doors, rows) == (400, [["inputs", 0, "data", *loc] for loc in locs])


def test_predict_and_train_report_every_bad_object_row_up_to_the_cap(doors) -> None:
    good = dict(zip(IRIS_FEATURES, GOOD, strict=True))
    rows = [good] * 40
    rows[3] = {key: value for key, value in good.items() if key != "petal_width"}
    rows[7] = {**good, "colour": 1.0}
    rows[9] = {**good, "colour": 1.0}
    expected = [["instances", 3, "petal_width"], ["instances", 7, "colour"], ["instances", 9, "colour"]]
    assert _predict(doors, rows) == (422, expected)
    assert _train(doors, rows) == (422, expected)  # /train stopped at the first one before
    status, locs = _train(doors, [{"x": 1.0}] * 40)
    assert status == 422 and len(locs) == MAX_PROBLEMS
