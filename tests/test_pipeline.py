"""TrainOptions validation, the train/test pipeline and its report, and publishing to a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import NEEDS_FEATURE_SCHEMA, SETOSA

import model
from model.datasets import DataError, Table, load_bundled, parse_csv
from model.nn.errors import InvalidConfigError
from model.nn.training import EpochRecord
from model.pipeline import (
    TrainOptions,
    estimate_version_bytes,
    publish,
    published_report,
    resolve_task,
    split_test,
    train_model,
)
from model.store import ModelStore

FAST = {"epochs": 30, "hidden": (16,)}


@pytest.fixture(scope="module")
def iris_table() -> Table:
    return load_bundled("iris")


@pytest.fixture(scope="module")
def iris_result(iris_table: Table):
    return train_model(iris_table, TrainOptions(**FAST))


def regression_table(n: int = 120, seed: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = np.column_stack([2 * x[:, 0] - x[:, 1], x[:, 2] ** 2]) + rng.normal(0, 0.05, size=(n, 2))
    return Table(x, y, ("a", "b", "c"), ("y1", "y2"), "synthetic")


def test_default_options_are_valid_and_json_ready() -> None:
    options = TrainOptions()
    assert options.hidden == (100,) and options.task == "auto" and options.seed == 0
    assert json.loads(json.dumps(options.as_dict())) == options.as_dict()
    assert set(options.as_dict()) == set(TrainOptions.names())


@pytest.mark.parametrize(
    ("value", "widths"),
    [("128,64", (128, 64)), (" 32 ", (32,)), (100, (100,)), ([128, 64], (128, 64)), ("", ()), ((), ())],
)
def test_hidden_widths_parse_from_text_an_int_or_a_list(value: Any, widths: tuple[int, ...]) -> None:
    assert TrainOptions(hidden=value).hidden == widths


def test_a_mapping_gives_options_and_ints_are_accepted_for_float_fields() -> None:
    options = TrainOptions.from_mapping({"hidden": [8, 4], "learning_rate": 1, "epochs": 5, "seed": None})
    assert (
        options.hidden == (8, 4) and options.learning_rate == 1.0 and isinstance(options.learning_rate, float)
    )
    assert options.seed is None


def test_unknown_option_names_are_refused_with_the_known_ones() -> None:
    with pytest.raises(InvalidConfigError, match=r"unknown option\(s\) \['epoch'\]; known: \['hidden', "):
        TrainOptions.from_mapping({"epoch": 3})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(InvalidConfigError, match="options must be a mapping of names to values, got list"):
        TrainOptions.from_mapping([("epochs", 3)])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, r"epochs must be an integer >= 1, got 0"),
        ({"epochs": "10"}, r"epochs must be an integer >= 1, got '10'"),
        ({"epochs": 10.0}, r"epochs must be an integer >= 1, got 10\.0"),
        ({"batch_size": True}, r"batch_size must be an integer >= 1, got True"),
        ({"learning_rate": -1}, r"learning_rate must be a number > 0, got -1"),
        ({"learning_rate": float("nan")}, r"learning_rate must be a number > 0, got nan"),
        ({"val_fraction": 1}, r"val_fraction must be a number in \[0, 1\), got 1"),
        ({"test_fraction": 1.5}, r"test_fraction must be a number in \[0, 1\), got 1\.5"),
        ({"hidden": "a,b"}, r"hidden must be layer widths \(integers >= 1\) like '128,64' or .*, got 'a,b'"),
        ({"hidden": [0]}, r"hidden must be layer widths \(integers >= 1\) like '128,64' or .*, got \[0\]"),
        ({"activation": "swish"}, r"activation must be one of \[.*'relu'.*\], got 'swish'"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of \['adam', 'sgd'\]"),
        ({"task": "clustering"}, r"task must be one of \['auto', 'classification', 'regression'\]"),
        ({"dtype": "float16"}, r"dtype must be one of \['float32', 'float64'\], got 'float16'"),
        ({"seed": -1}, r"seed must be an integer >= 0, or null for a random run, got -1"),
        ({"nesterov": "yes"}, r"nesterov must be true or false, got 'yes'"),
        ({"patience": 0}, r"patience must be an integer >= 1, got 0"),
        ({"min_delta": -0.1}, r"min_delta must be a number >= 0, got -0\.1"),
        ({"lr_schedule": "warmup"}, r"lr_schedule must be one of \['constant', "),
    ],
)
def test_bad_option_values_are_refused_with_the_rule_and_the_value(options: dict, message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message) as raised:
        TrainOptions.from_mapping(options)
    assert raised.value.field == next(iter(options))


def test_auto_task_follows_infer_task_and_an_explicit_task_wins(iris_table: Table) -> None:
    assert resolve_task(iris_table, TrainOptions()) == "classification"
    assert resolve_task(regression_table(), TrainOptions()) == "regression"
    digits = load_bundled("digits")
    assert resolve_task(digits, TrainOptions(task="regression")) == "regression"


def test_the_test_split_is_seeded_and_stratified_by_class(iris_table: Table) -> None:
    fit, test = split_test(iris_table, TrainOptions(), "classification")
    again, _ = split_test(iris_table, TrainOptions(), "classification")
    other, _ = split_test(iris_table, TrainOptions(seed=1), "classification")
    np.testing.assert_array_equal(fit, again)
    assert not np.array_equal(fit, other)
    assert len(test) == 30 and set(np.unique(iris_table.y[test], return_counts=True)[1]) == {10}
    assert not set(fit) & set(test) and len(fit) + len(test) == 150


def test_a_classifier_report_has_every_part_and_a_test_confusion_matrix(iris_result) -> None:
    report = iris_result.report
    assert report["task"] == "classification" and report["dataset"] == "iris"
    assert report["classes"] == ["setosa", "versicolor", "virginica"] and report["target"] == ["species"]
    assert report["rows"] == {"train": 108, "validation": 12, "test": 30}
    assert set(report["metrics"]) == {"train", "validation", "test"}
    assert set(report["metrics"]["test"]) == {"accuracy", "log_loss"}
    assert np.sum(report["confusion_matrix"]) == 30 and np.shape(report["confusion_matrix"]) == (3, 3)
    assert report["epochs_run"] == len(iris_result.history.records) <= 30
    assert report["stop_reason"] in ("completed", "early_stopping")
    assert set(report["timings"]) == {"load_s", "fit_s", "evaluate_s", "total_s", "seconds_per_epoch"}
    assert report["options"]["hidden"] == [16]
    json.dumps(report, allow_nan=False)


def test_the_same_seed_gives_the_same_report_metrics(iris_table: Table, iris_result) -> None:
    again = train_model(iris_table, TrainOptions(**FAST))
    assert again.report["metrics"] == iris_result.report["metrics"]


def test_a_regression_report_has_r2_and_no_confusion_matrix() -> None:
    result = train_model(regression_table(), TrainOptions(epochs=200, hidden=(16,), learning_rate=0.01))
    report = result.report
    assert report["task"] == "regression" and report["classes"] is None and report["confusion_matrix"] is None
    assert set(report["metrics"]["test"]) == {"mse", "mae", "r2"}
    assert report["metrics"]["train"]["r2"] > 0.5
    assert result.net.predict(np.zeros((2, 3))).shape == (2, 2)


def test_without_test_or_validation_rows_those_parts_are_none(iris_table: Table) -> None:
    report = train_model(iris_table, TrainOptions(test_fraction=0, val_fraction=0, epochs=3)).report
    assert report["metrics"]["test"] is None and report["metrics"]["validation"] is None
    assert report["confusion_matrix"] is None and report["rows"] == {"train": 150, "validation": 0, "test": 0}


def test_the_callback_sees_every_epoch_and_can_stop_training(iris_table: Table) -> None:
    seen: list[EpochRecord] = []

    def stop_at_three(record: EpochRecord) -> bool:
        seen.append(record)
        return record.epoch == 3

    report = train_model(iris_table, TrainOptions(**FAST), callback=stop_at_three).report
    assert [record.epoch for record in seen] == [1, 2, 3]
    assert report["stop_reason"] == "callback" and report["epochs_run"] == 3


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("a,label\n1,x\n2,x\n3,x\n", {}, r"^CSV text: target column 'label' has a single class \('x'\)"),
        (
            "a,label\n1,x\n2,\n3,x\n4,NA\n",
            {},
            r"^CSV text: target column 'label' has a single class \('x'\) after skipping 2 row\(s\) with no",
        ),
        ("a,label\n1,x\n2,y\n3,x\n", {"task": "regression"}, r"target column 'label' holds text \('x'\)"),
        ("a,label\n1,true\n2,false\n3,x\n", {"task": "regression"}, r"holds text \('true'\)"),
        ("a,y\n1,0\n2,1\n", {}, r"too few rows: CSV text has 2 data rows, not enough for a test part"),
        ("a,y\n1,0.5\n2,1.5\n3,2.5\n4,3.5\n", {}, r"too few rows: CSV text has 4 data rows"),
    ],
)
def test_unusable_targets_and_too_few_rows_are_refused_before_training(
    text: str, options: dict, message: str
) -> None:
    with pytest.raises(DataError, match=message):
        train_model(parse_csv(text), TrainOptions(**options))


def test_publishing_stores_a_loadable_model_with_a_lean_report_as_metadata(
    tmp_path: Path, iris_result
) -> None:
    store = ModelStore(tmp_path / "models")
    info = publish(store, iris_result)
    assert store.active().version == info.version
    metadata = info.metadata
    assert "confusion_matrix" not in metadata and metadata["metrics"] == iris_result.report["metrics"]
    loaded = model.load(info.artifact)
    assert loaded.predict([SETOSA]).tolist() == ["setosa"]
    report = published_report(iris_result, info)
    assert list(report)[:3] == ["version", "artifact", "active"]
    assert report["artifact"] == str(info.artifact.absolute()) and report["active"] is True


@pytest.mark.parametrize(
    "options", [{"epochs": 30, "hidden": (16,), "patience": 1000}, {"epochs": 3, "hidden": (256, 64)}]
)
def test_the_size_estimate_covers_a_published_version_without_doubling_it(
    tmp_path: Path, options: dict[str, Any]
) -> None:
    table = load_bundled("digits")
    info = publish(ModelStore(tmp_path / "models"), train_model(table, TrainOptions(**options)))
    stored = sum(path.stat().st_size for path in info.path.iterdir())

    assert stored < estimate_version_bytes(table, TrainOptions(**options)) < 2 * stored + 32 * 1024


def test_publishing_without_activation_leaves_the_active_version_alone(tmp_path: Path, iris_result) -> None:
    store = ModelStore(tmp_path / "models")
    first = publish(store, iris_result)
    second = publish(store, iris_result, activate=False)
    assert store.active_version() == first.version and not second.active
    assert [info.version for info in store.versions()] == [first.version, second.version]


def test_validation_and_test_rows_are_disjoint_and_match_the_report(iris_result) -> None:
    validation, test = set(iris_result.validation_rows.tolist()), set(iris_result.test_rows.tolist())
    assert validation and test and not validation & test
    rows = iris_result.report["rows"]
    assert (rows["validation"], rows["test"]) == (len(validation), len(test))
    assert rows["train"] + rows["validation"] + rows["test"] == 150


def test_a_warm_start_continues_the_base_network_and_keeps_its_labels(iris_table: Table, iris_result) -> None:
    base = model.loads(_saved_bytes(iris_result.net))
    before = base.params.flat.copy()
    result = train_model(iris_table, TrainOptions(epochs=2, hidden=(3,)), base=base)
    assert result.net is base and base.layer_sizes == iris_result.net.layer_sizes  # options' hidden ignored
    assert not np.array_equal(base.params.flat, before)
    assert base.classes.tolist() == ["setosa", "versicolor", "virginica"]


def test_a_warm_start_on_other_features_is_refused(iris_table: Table, iris_result) -> None:
    renamed = Table(iris_table.x, iris_table.y, ("a", "b", "c", "d"), iris_table.target_names, "renamed")
    with pytest.raises(DataError, match="warm start needs the base model's features"):
        train_model(renamed, TrainOptions(epochs=1), base=iris_result.net)


def _saved_bytes(net) -> bytes:
    import io

    buffer = io.BytesIO()
    net.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array(["1.5", "2.5", "3.5", "4.5"] * 10), r"target column 'y' holds text \('1.5'\): regression"),
        (np.array([True, False] * 20), r"target column 'y' holds true/false values \('True'\): regression"),
        (np.array([10**400, 1] * 20, dtype=object), r"holds values that are not numbers \('1000000000"),
    ],
)
def test_regression_targets_that_are_not_numbers_are_refused_naming_one(y: np.ndarray, message: str) -> None:
    table = Table(np.zeros((40, 1)), y, ("a",), ("y",), "test")
    with pytest.raises(DataError, match=message):
        train_model(table, TrainOptions(task="regression"))


def test_the_report_lists_the_rows_skipped_and_the_columns_left_out_when_reading() -> None:
    rng = np.random.default_rng(0)
    lines = [",a,empty,id,label"]  # an unnamed row-number column, an empty one, one dropped
    for i, a in enumerate(rng.normal(size=60)):
        label = "" if i % 10 == 0 else "big" if a > 0 else "small"
        lines.append(f"{i},{a:.3f},,{1000 + i},{label}")
    table = parse_csv("\n".join(lines) + "\n", drop=["id"])
    report = train_model(table, TrainOptions(**FAST)).report
    assert report["skipped_rows"] == 6 and sum(report["rows"].values()) == 54
    assert report["dropped_columns"] == ["empty", "id"] and report["n_features"] == 1
    assert report["notes"] == list(table.notes) and len(report["notes"]) == 3
    assert json.loads(json.dumps(report)) == report


def test_the_size_estimate_counts_one_input_per_category_and_per_missing_indicator() -> None:
    def estimate(text: str) -> int:
        return estimate_version_bytes(parse_csv(text), TrainOptions(hidden=(10,), epochs=1))

    few = "c,y\n" + "".join(f"{'ab'[i % 2]},{i % 2}\n" for i in range(40))
    many = "c,y\n" + "".join(f"k{i},{i % 2}\n" for i in range(40))
    numbers = "c,y\n" + "".join(f"{i},{i % 2}\n" for i in range(40))
    with_missing = "c,y\n" + "".join(f"{i if i % 5 else 'NA'},{i % 2}\n" for i in range(40))
    per_input = 10 * np.dtype(TrainOptions().dtype).itemsize + 4 * 8 + 64  # first-layer weights, header
    assert estimate(many) - estimate(few) >= 38 * per_input
    assert estimate(with_missing) - estimate(numbers) >= per_input


@NEEDS_FEATURE_SCHEMA
def test_bundled_penguins_trains_on_its_text_and_missing_values_and_predicts_a_raw_row() -> None:
    result = train_model(load_bundled("penguins"), TrainOptions(seed=0))
    assert result.report["classes"] == ["Adelie", "Chinstrap", "Gentoo"]
    assert result.report["metrics"]["test"]["accuracy"] > 0.9
    row = {"island": "Biscoe", "bill_length_mm": 48.0, "bill_depth_mm": 15.0, "flipper_length_mm": 220.0,
           "body_mass_g": 5200.0, "sex": None, "year": 2008}  # fmt: skip
    assert result.net.predict([row]).tolist() == ["Gentoo"]


@NEEDS_FEATURE_SCHEMA
def test_a_forced_categorical_column_reaches_the_network_as_categorical() -> None:
    lines = ["zip,size,label"] + [f"{z:05d},{i % 7},{'ab'[z % 2]}" for i, z in enumerate([2134, 10001] * 30)]
    table = parse_csv("\n".join(lines) + "\n", categorical=["zip"])
    net = train_model(table, TrainOptions(**FAST, seed=0)).net
    types = {feature.name: feature.type for feature in net.schema.features}
    assert types == {"zip": "categorical", "size": "numeric"}


@NEEDS_FEATURE_SCHEMA
def test_bundled_cars_trains_a_regressor_on_its_mixed_columns() -> None:
    result = train_model(load_bundled("cars"), TrainOptions(seed=0))
    assert result.report["task"] == "regression" and result.report["skipped_rows"] == 8
    assert result.report["metrics"]["test"]["r2"] > 0.7
