"""The feature schema (``model.nn.features``): types, missing values, categories, every table form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model import (
    FLAG_KINDS,
    MISSING_TOKENS,
    FeatureSchema,
    InvalidConfigError,
    InvalidInputError,
    Network,
    RowsError,
    as_table,
    infer,
    load,
    rows_to_matrix,
)

NAN = float("nan")


def table(**columns: list) -> tuple[np.ndarray, tuple[str, ...]]:
    return as_table(columns)


def fit(**columns: list) -> FeatureSchema:
    return FeatureSchema.fit(*table(**columns))


def mixed_data(n: int, seed: int = 0) -> tuple[dict[str, list], np.ndarray]:
    """Columns ``color`` (text, some missing), ``size`` (numbers, some missing) and ``noise``; the
    label is 1 for red or blue, flipped when ``size`` is missing: it needs the category and the
    missingness both."""
    rng = np.random.default_rng(seed)
    color = rng.choice(["red", "green", "blue", "yellow"], size=n).astype(object)
    color[rng.random(n) < 0.1] = None
    size = rng.normal(10, 3, size=n)
    size_missing = rng.random(n) < 0.3
    size[size_missing] = np.nan
    label = np.isin(color, ["red", "blue"]) ^ size_missing
    return {
        "color": color.tolist(),
        "size": size.tolist(),
        "noise": rng.normal(size=n).tolist(),
    }, label.astype(int)


@pytest.fixture(scope="module")
def mixed_net() -> Network:
    columns, y = mixed_data(600)
    net = Network(hidden=(16,), seed=0)
    net.fit(columns, y, epochs=60, learning_rate=1e-2)
    return net


# ---------------------------------------------------------------- types
@pytest.mark.parametrize(
    ("values", "forced", "expected"),
    [
        ([1.0, 2.5, 3.0], None, "numeric"),
        ([1, None, 3], None, "numeric"),
        (["1", "2.5", "NA"], None, "numeric"),  # numeric text is a number, NA is missing
        (["a", "b", "a"], None, "categorical"),
        (["1", "x", None], None, "categorical"),  # any text that is not a number
        ([True, False, True], None, "categorical"),  # booleans are categorical
        ([10001, 10002, 10001], "categorical", "categorical"),  # a zip code
        (["1", "2", ""], "numeric", "numeric"),
        ([1.0, 2.0, 3.0], "numeric", "numeric"),
    ],
)
def test_types_are_inferred_by_the_documented_rule_and_can_be_forced(values, forced, expected) -> None:
    types = None if forced is None else {"f": forced}
    schema = FeatureSchema.fit(*as_table({"f": values, "g": [0.0, 1.0, 2.0]}), feature_types=types)
    assert [feature.type for feature in schema.features] == [expected, "numeric"]


def test_numbers_in_a_categorical_feature_are_compared_as_their_text() -> None:
    schema = FeatureSchema.fit(*table(zip=["4", "7", "4"]), feature_types={"zip": "categorical"})
    assert schema.features[0].categories == ("4", "7")
    x = np.array([[4], [4.0], ["4"], [7.0]], dtype=object)
    np.testing.assert_array_equal(schema.encode(x).x, [[1, 0], [1, 0], [1, 0], [0, 1]])
    forced = FeatureSchema.fit(np.array([[3.0], [4.5], [3.0]]), ("f",), {"f": "categorical"})
    assert forced.features[0].categories == ("3", "4.5")


@pytest.mark.parametrize(
    ("feature_types", "max_categories", "error", "message"),
    [
        (
            {"zip": "categorical"},
            50,
            InvalidConfigError,
            r"feature_types names 'zip', which is not a feature",
        ),
        (
            {"a": "text"},
            50,
            InvalidConfigError,
            r"feature_types\['a'\] must be one of \['numeric', 'categorical'\]",
        ),
        ({"b": "numeric"}, 50, InvalidInputError, r"feature 'b' cannot be numeric: row 1 holds text"),
        (None, 1, InvalidConfigError, "max_categories must be an integer >= 2, got 1"),
        (None, True, InvalidConfigError, "max_categories must be an integer >= 2"),
    ],
)
def test_a_type_that_cannot_apply_is_refused_naming_the_feature(
    feature_types, max_categories, error, message
) -> None:
    x, names = table(a=[1.0, 2.0, 3.0], b=["1", "x", "2"])
    with pytest.raises(error, match=message):
        FeatureSchema.fit(x, names, feature_types, max_categories)


# ---------------------------------------------------------------- missing values
@pytest.mark.parametrize("token", [None, NAN, *MISSING_TOKENS])
def test_every_missing_token_is_missing_in_numeric_and_categorical_features(token) -> None:
    schema = fit(n=[1.0, 2.0, 4.0, None], c=["x", "y", "x", None])
    encoded = schema.encode(np.array([[token, token]], dtype=object))
    assert encoded.flags["missing"].tolist() == [[True, True]]
    np.testing.assert_array_equal(encoded.x, [[2.0, 1.0, 0.0, 0.0, 1.0]])  # median, indicator; x, y, missing


def test_a_missing_numeric_value_takes_the_median_and_an_indicator_only_where_training_had_missing() -> None:
    schema = fit(a=[1.0, None, 3.0, 10.0], b=[5.0, 6.0, 7.0, 100.0])
    a, b = schema.features
    assert (a.median, a.missing_share, a.indicator) == (3.0, 0.25, True)
    assert (b.median, b.missing_share, b.indicator) == (6.5, 0.0, False)
    assert schema.n_inputs == 3 and schema.input_groups.tolist() == [0, 0, 1]
    encoded = schema.encode(np.array([[NAN, NAN], [2.0, 6.0]]))
    np.testing.assert_array_equal(encoded.x, [[3.0, 1.0, 6.5], [2.0, 0.0, 6.0]])
    assert encoded.flags["missing"].tolist() == [[True, True], [False, False]]


def test_all_numeric_data_without_missing_values_is_encoded_as_itself() -> None:
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    schema = FeatureSchema.fit(x, ("a", "b", "c"))
    assert schema.identity and schema.n_inputs == 3
    assert schema.encode(x, flags=False).x is x
    assert schema.feature_min.tolist() == [0, 1, 2] and schema.feature_max.tolist() == [9, 10, 11]
    imputed = schema.encode(np.array([[np.nan, 1, 2]], dtype=np.float32))
    assert imputed.x.dtype == np.float32 and imputed.x.tolist() == [[4.5, 1, 2]]


def test_a_column_missing_in_every_row_is_refused_by_name() -> None:
    with pytest.raises(InvalidInputError, match=r"feature 'b' is missing in every row: drop it"):
        fit(a=[1.0, 2.0], b=["NA", None])


# ---------------------------------------------------------------- categories
def test_categories_are_most_frequent_first_and_rare_ones_share_an_other_level() -> None:
    values = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"]
    schema = FeatureSchema.fit(*table(f=values), max_categories=3)
    feature = schema.features[0]
    assert feature.categories == ("a", "b") and feature.rare == ("c", "d", "e")
    assert schema.as_dict()["features"][0]["categories"] == ["a", "b", "other"]
    encoded = schema.encode(np.array([["a"], ["d"], ["e"], ["never-seen"]], dtype=object))
    np.testing.assert_array_equal(encoded.x, [[1, 0, 0], [0, 0, 1], [0, 0, 1], [0, 0, 0]])
    assert encoded.flags["unknown_categories"][:, 0].tolist() == [False, False, False, True]
    uncapped = FeatureSchema.fit(*table(f=values)).features[0]
    assert uncapped.categories == ("a", "b", "c", "d", "e") and uncapped.rare == ()


def test_an_unknown_category_is_all_zeros_and_flagged_never_refused(mixed_net: Network) -> None:
    rows = [{"color": "purple", "size": 9.0, "noise": 0.0}, {"color": "red", "size": 9.0, "noise": 0.0}]
    encoded = mixed_net.encode(rows)
    color = mixed_net.schema.input_groups == 0
    assert encoded.x[0, color].tolist() == [0.0] * color.sum()
    assert encoded.x[1, color].sum() == 1.0
    result = infer(mixed_net, rows)
    assert result.flagged("unknown_categories") == [{"row": 0, "features": ["color"]}]
    assert len(result.predictions) == 2


def test_missing_is_a_level_of_its_own_only_when_training_had_missing_values() -> None:
    schema = fit(with_missing=["x", None, "y"], without=["u", "v", "v"])
    first, second = schema.features
    assert first.levels == ("x", "y", None) and second.levels == ("v", "u")
    encoded = schema.encode(np.array([[None, None]], dtype=object))
    np.testing.assert_array_equal(encoded.x, [[0, 0, 1, 0, 0]])
    assert encoded.flags["missing"].tolist() == [[True, True]]
    assert encoded.flags["unknown_categories"].tolist() == [[False, False]]


def test_booleans_are_categories_true_and_false() -> None:
    x, names = as_table(np.array([[True], [False], [True]]))
    assert x.dtype == object and x[:, 0].tolist() == ["True", "False", "True"]
    schema = FeatureSchema.fit(x, names)
    assert schema.features[0].categories == ("True", "False")
    np.testing.assert_array_equal(
        schema.encode(np.array([[False], [True]], dtype=object)).x, [[0, 1], [1, 0]]
    )


# ---------------------------------------------------------------- every form of table
class FakeFrame:
    """The part of a pandas DataFrame ``as_table`` uses (pandas is not a dependency)."""

    def __init__(self, columns: dict[str, list]) -> None:
        self._columns = columns
        self.columns = list(columns)

    def __getitem__(self, name: str) -> Any:
        return FakeSeries(self._columns[name])

    def to_numpy(self) -> np.ndarray:  # pragma: no cover - present for the duck type only
        raise AssertionError("as_table reads columns one by one")


class FakeSeries:
    def __init__(self, values: list) -> None:
        self.values = values

    def to_numpy(self, dtype: Any = None, na_value: Any = None) -> np.ndarray:
        if dtype is object:
            return np.array([na_value if v is None else v for v in self.values], dtype=object)
        return np.asarray(self.values)


def every_form(columns: dict[str, list]) -> dict[str, Any]:
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    forms = {
        "object array": np.array([list(row.values()) for row in rows], dtype=object),
        "nested lists": [list(row.values()) for row in rows],
        "dict of columns": columns,
        "records": rows,
        "records, keys in another order": [dict(reversed(row.items())) for row in rows],
        "DataFrame-like": FakeFrame(columns),
    }
    try:
        import pandas
    except ImportError:
        pass
    else:  # pragma: no cover - pandas is not installed in the project's environment
        forms["pandas DataFrame"] = pandas.DataFrame(columns)
    return forms


def test_every_form_of_table_gives_identical_predictions(mixed_net: Network) -> None:
    columns, _ = mixed_data(50, seed=1)
    columns["color"][:3] = ["purple", "NA", "?"]
    expected = mixed_net.predict_proba(as_table(columns)[0])
    for form, x in every_form(columns).items():
        np.testing.assert_array_equal(mixed_net.predict_proba(x), expected, err_msg=form)
        np.testing.assert_array_equal(mixed_net.predict(x), mixed_net.predict(columns), err_msg=form)


def test_a_few_rows_encode_exactly_as_the_same_rows_in_a_large_batch() -> None:
    """Batches up to ``FEW_ROWS`` are encoded cell by cell, larger ones a column at a time."""
    x, names = table(
        kind=["a", "a", "a", "b", "b", "c", "d", 4, "4", None, True, "e"],
        size=[1.0, 2.0, None, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
        count=list(range(12)),
    )
    schema = FeatureSchema.fit(x, names, max_categories=4)  # "other" and a missing level
    cells = [
        ("a", 1.5, 3),
        ("e", None, 0),
        (4.0, NAN, 100),
        ("4", -5.0, None),
        (True, 2.0, 2.5),
        ("True", 3.0, 1),
        ("zzz", 3.0, 1),
        (None, 3.0, 1),
        (NAN, 3.0, 1),
        ("NA", 3.0, 1),
        ("?", 4, 2),
        ("b", 50.0, 7),
    ]
    x = np.array(cells * 3, dtype=object)  # (36, 3): beyond FEW_ROWS
    whole = schema.encode(x)
    for row in range(0, len(x), 6):
        part = schema.encode(x[row : row + 6])
        np.testing.assert_array_equal(part.x, whole.x[row : row + 6])
        for kind in FLAG_KINDS:
            np.testing.assert_array_equal(part.flags[kind], whole.flags[kind][row : row + 6], err_msg=kind)


def test_numeric_tables_in_every_form_train_the_same_model_as_an_array() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(int)
    by_array = Network(hidden=(4,), seed=0)
    by_array.fit(x, y, epochs=3, feature_names=["a", "b", "c"])
    by_columns = Network(hidden=(4,), seed=0)
    by_columns.fit({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2]}, y, epochs=3)
    np.testing.assert_array_equal(by_columns.params.flat, by_array.params.flat)
    assert by_columns.feature_names == ("a", "b", "c")


@pytest.mark.parametrize(
    ("x", "message"),
    [
        ({"color": ["red"], "size": [1.0]}, r"no column \['noise'\]"),
        ({"color": ["red"], "size": [1.0], "noise": [0.0], "extra": [1]}, r"columns the model does not know"),
        ([["red", 1.0]], "X must have 3 features, got 2"),
        (np.array([["red", 1.0]], dtype=object), "X must have 3 features, got 2"),
    ],
)
def test_a_table_whose_columns_do_not_match_the_model_is_refused(mixed_net: Network, x, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        mixed_net.predict(x)


def test_text_in_a_numeric_feature_is_refused_naming_the_row_and_feature(mixed_net: Network) -> None:
    rows = rows_to_matrix(
        [{"color": "red", "size": 1.0, "noise": 0.0}, {"color": "red", "size": "big", "noise": 0.0}]
    )
    with pytest.raises(RowsError) as raised:
        infer(mixed_net, rows.x, rows.columns)
    assert [(p.loc, p.kind) for p in raised.value.problems] == [((1, "size"), "number")]
    assert "feature 'size' is numeric" in str(raised.value)
    with pytest.raises(RowsError, match=r"rows\.1\.1: feature 'size' is numeric"):
        mixed_net.predict([["red", 1.0, 0.0], ["red", "big", 0.0]])


# ---------------------------------------------------------------- the model
def test_a_model_learns_from_a_category_and_from_missingness(mixed_net: Network) -> None:
    columns, y = mixed_data(400, seed=7)
    assert mixed_net.evaluate(columns, y)["accuracy"] > 0.95
    assert [f.type for f in mixed_net.schema.features] == ["categorical", "numeric", "numeric"]
    assert mixed_net.n_features == 3 and mixed_net.n_inputs == mixed_net.schema.n_inputs == 4 + 1 + 2 + 1


def test_infer_flags_all_three_kinds_over_the_original_features(mixed_net: Network) -> None:
    rows = [
        {"color": "red", "size": 1000.0, "noise": 0.0},
        {"color": "purple", "size": None, "noise": 0.0},
        {"color": None, "size": 10.0, "noise": 0.0},
    ]
    result = infer(mixed_net, rows)
    assert set(result.flags) == set(FLAG_KINDS)
    assert all(mask.shape == (3, 3) for mask in result.flags.values())
    assert result.flagged("out_of_range") == [{"row": 0, "features": ["size"]}]
    assert result.flagged("unknown_categories") == [{"row": 1, "features": ["color"]}]
    assert result.flagged("missing") == [{"row": 1, "features": ["size"]}, {"row": 2, "features": ["color"]}]
    np.testing.assert_array_equal(result.probabilities, mixed_net.predict_proba(rows))


def test_the_card_lists_every_features_type_categories_or_range_and_missing_share(mixed_net: Network) -> None:
    card = mixed_net.describe()
    color, size, noise = card["schema"]["features"]
    assert color["type"] == "categorical" and set(color["categories"]) == {"red", "green", "blue", "yellow"}
    assert 0.05 < color["missing_share"] < 0.15
    assert size["type"] == "numeric" and size["indicator"] and 0.2 < size["missing_share"] < 0.4
    assert size["min"] < size["median"] < size["max"]
    assert noise["missing_share"] == 0 and not noise["indicator"]
    assert card["feature_ranges"]["min"][0] is None and card["feature_ranges"]["min"][1] == size["min"]
    json.dumps(card, allow_nan=False)


def test_a_mixed_model_round_trips_through_its_file(mixed_net: Network, tmp_path: Path) -> None:
    mixed_net.save(tmp_path / "mixed.npz")
    same = load(tmp_path / "mixed.npz")
    columns, _ = mixed_data(80, seed=3)
    np.testing.assert_array_equal(same.predict_proba(columns), mixed_net.predict_proba(columns))
    assert same.schema == mixed_net.schema and same.describe() == mixed_net.describe()
    capped = Network(hidden=(2,), seed=0)
    capped.fit({"f": ["a", "a", "b", "c", "d"] * 4}, [0, 1] * 10, epochs=1, max_categories=2)
    capped.save(tmp_path / "capped.npz")
    assert load(tmp_path / "capped.npz").schema == capped.schema


def test_a_version_1_file_still_loads_as_an_all_numeric_schema(
    iris_net: Network, tmp_path: Path, iris
) -> None:
    from model.nn import artifact

    path = tmp_path / "v2.npz"
    iris_net.save(path)
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    header = json.loads(arrays.pop("header").tobytes())
    header.pop("checksum")
    header.pop("schema")
    header["format_version"] = 1
    header["training"]["config"].pop("max_categories")
    arrays |= {"feature_min": iris_net.feature_min, "feature_max": iris_net.feature_max}
    header["checksum"] = {"algorithm": "sha256", "value": artifact._checksum(arrays, header)}
    with open(tmp_path / "v1.npz", "wb") as handle:
        np.savez(handle, header=np.frombuffer(json.dumps(header).encode(), np.uint8), **arrays)
    old = load(tmp_path / "v1.npz")
    x, _ = iris
    np.testing.assert_array_equal(old.predict_proba(x), iris_net.predict_proba(x))
    assert [f.type for f in old.schema.features] == ["numeric"] * 4
    np.testing.assert_array_equal(old.feature_max, iris_net.feature_max)
    medians = [f.median for f in old.schema.features]
    np.testing.assert_array_equal(medians, old.x_scaler.mean)  # the training mean stands in
    assert infer(old, np.array([[np.nan, 3.0, 1.4, 0.2]])).flagged("missing") == [
        {"row": 0, "features": ["sepal_length"]}
    ]


def test_a_categorical_target_with_one_class_is_refused(mixed_net: Network) -> None:
    columns, _ = mixed_data(20)
    with pytest.raises(InvalidInputError, match="at least 2 classes in y, got 1"):
        Network(hidden=(2,)).fit(columns, ["yes"] * 20, epochs=1)


def test_a_warm_start_keeps_the_schema_and_widens_numeric_ranges() -> None:
    columns, y = mixed_data(100)
    net = Network(hidden=(4,), seed=0)
    net.fit(columns, y, epochs=1)
    before, categories = net.schema.features[1].max, net.schema.features[0].categories
    columns["size"][0] = 1000.0
    columns["color"][0] = "purple"  # unknown to the schema: encoded as zeros, the schema stays
    net.fit(columns, y, epochs=1, warm_start=True)
    assert net.schema.features[1].max == 1000.0 > before
    assert net.schema.features[0].categories == categories and "purple" not in categories
    with pytest.raises(InvalidConfigError, match="warm start keeps the feature schema"):
        net.fit(columns, y, epochs=1, warm_start=True, feature_types={"size": "categorical"})
