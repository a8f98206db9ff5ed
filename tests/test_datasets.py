"""CSV reading into a Table (typed columns, missing values, what is left out), its error
messages, and the bundled dataset registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.datasets import (
    BUNDLED,
    DEFAULT_DATASET,
    MISSING_TOKENS,
    ColumnOptionError,
    DataError,
    load_bundled,
    parse_csv,
    read_csv,
)
from model.nn.errors import InvalidInputError
from model.nn.missing import is_missing_token

DATA = Path(__file__).resolve().parents[1] / "data"


def test_the_default_dataset_is_bundled_digits_with_64_features_and_integer_labels() -> None:
    table = load_bundled(DEFAULT_DATASET)
    assert DEFAULT_DATASET == "digits"
    assert table.x.shape == (1797, 64) and table.x.dtype == np.float64
    assert table.y.dtype == np.int64 and set(table.y.tolist()) == set(range(10))
    assert table.feature_names[0] == "pixel_0" and table.target_names == ("label",)
    assert table.source == "digits" and table.load_seconds > 0


def test_bundled_iris_keeps_its_species_as_strings() -> None:
    table = load_bundled("iris")
    assert table.x.shape == (150, 4)
    assert table.y.dtype.kind == "U" and set(table.y.tolist()) == {"setosa", "versicolor", "virginica"}


def test_an_unknown_bundled_name_is_refused_with_the_known_names() -> None:
    known = "cars, digits, iris, penguins"
    with pytest.raises(DataError, match=rf"unknown dataset 'mnist'; bundled datasets: {known}$"):
        load_bundled("mnist")


def test_a_data_directory_given_relocates_the_bundled_files(tmp_path: Path) -> None:
    shutil.copy(DATA / "iris.csv", tmp_path / BUNDLED["iris"].file)
    assert load_bundled("iris", tmp_path).n_samples == 150
    with pytest.raises(DataError, match=r"digits\.csv: no such file"):
        load_bundled("digits", tmp_path)


def test_the_data_directory_is_an_argument_not_read_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLP_DATA_DIR", str(tmp_path / "elsewhere"))
    assert load_bundled("iris").n_samples == 150  # BUNDLED_DIR: only callers read $MLP_DATA_DIR


def test_mlp_train_and_the_service_take_the_data_directory_from_mlp_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from model.cli import main
    from service import Settings
    from service.schemas import TrainRequest
    from service.training import prepare

    lines = (DATA / "iris.csv").read_text().splitlines()
    (tmp_path / BUNDLED["iris"].file).write_text("\n".join(lines[:1] + lines[1:150:2]) + "\n")  # 75 rows
    monkeypatch.setenv("MLP_DATA_DIR", str(tmp_path))
    assert main(["--dataset", "iris", "--epochs", "1", "--model-dir", str(tmp_path / "store"), "--json"]) == 0
    assert sum(json.loads(capsys.readouterr().out)["rows"].values()) == 75
    monkeypatch.delenv("MLP_DATA_DIR")
    prepared = prepare(TrainRequest(dataset="iris"), Settings(data_dir=tmp_path), None, None)
    assert prepared.table.n_samples == 75


def test_a_file_path_and_the_same_text_give_the_same_table(tmp_path: Path) -> None:
    text = "a,b,label\n1,2.5,x\n3,-4,y\n"
    path = tmp_path / "small.csv"
    path.write_text(text)
    from_file, from_text = read_csv(path), parse_csv(text)
    np.testing.assert_array_equal(from_file.x, [[1, 2.5], [3, -4]])
    np.testing.assert_array_equal(from_file.y, from_text.y)
    assert from_file.feature_names == ("a", "b") and from_file.target_names == ("label",)
    assert from_file.source == str(path) and from_text.source == "CSV text"


def test_a_path_is_never_taken_for_text_nor_text_for_a_path(tmp_path: Path) -> None:
    odd = tmp_path / "two\nlines.csv"  # a legal file name holding a newline
    odd.write_text("a,label\n1,x\n2,y\n")
    assert read_csv(str(odd)).n_samples == 2
    with pytest.raises(DataError, match=r"^CSV text: no data rows after the header"):
        parse_csv("a,label")  # one line of text, not a file name


def test_the_target_defaults_to_the_last_column_and_may_be_any_column() -> None:
    table = parse_csv("t,a,b\n0,1,2\n1,3,4\n", "t")
    assert table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.y, [0, 1])


@pytest.mark.parametrize(
    ("cells", "dtype_kind"),
    [(["1", "2", "2"], "i"), (["1", "2.5", "2"], "f"), (["1", "two", "2"], "U")],
)
def test_a_target_column_is_integers_floats_or_strings_by_its_cells(
    cells: list[str], dtype_kind: str
) -> None:
    text = "x,y\n" + "".join(f"{i},{cell}\n" for i, cell in enumerate(cells))
    assert parse_csv(text).y.dtype.kind == dtype_kind


def test_several_targets_give_a_2d_numeric_y() -> None:
    table = parse_csv("a,y1,y2\n1,0.5,2\n2,1.5,3\n", ["y1", "y2"])
    assert table.y.shape == (2, 2) and table.y.dtype == np.float64
    assert table.target_names == ("y1", "y2")


def test_a_byte_order_mark_blank_lines_and_spaces_around_numbers_are_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text("\ufeffa,b\n 1 ,2\n\n3,4\n", encoding="utf-8")
    table = read_csv(path)
    assert table.feature_names == ("a",)
    np.testing.assert_array_equal(table.x[:, 0], [1, 3])


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("\n\n", None, r"CSV text: the file is empty"),
        ("1,2\n3,4\n", None, r"first row must be a header of column names, got numbers: 1, 2"),
        ("a,b\n", None, r"no data rows after the header"),
        ("a,b\n1,2\n3\n", None, r"row 3 has 1 cell\(s\), the header has 2"),
        ("a,b\n1,2\n\n3,4,5\n", None, r"row 4 has 3 cell\(s\), the header has 2"),
        ("a,b\n1,0\n-inf,1\n", None, r"^CSV text: row 3, column 'a': '-inf' is not a finite number$"),
        ("a,b\n1,0\n1e400,1\n", None, r"row 3, column 'a': '1e400' is not a finite number"),
        ("a,b\n1,0\n2,inf\n", None, r"row 3, column 'b': 'inf' is not a finite number"),
        ("a,b\n1,\n2,NA\n", None, r"^CSV text: no data row has a target value \(column 'b'\)"),
        ("a,b,y\n,NA,0\n?,,1\n", None, r"^CSV text: no usable feature column \(left out: a, b\)"),
        (",,\n1,2,3\n", None, r"^CSV text: the header row names no column"),
        ("a b y\n1 2 3\n", None, r"the header is one column \('a b y'\): the separator looks wrong"),
        ("a,b\n1,0\n", "label", r"no column 'label'; columns are: a, b"),
        (
            "a,b,c\n1,2,x\n",
            ["b", "c"],
            r"several target columns must all be numeric, got text at row 2, column 'c'",
        ),
        ("a,a\n1,2\n", None, r"duplicate column name\(s\) in the header: a"),
        ("a\n1\n", None, r"every column is a target; at least one feature column is needed"),
    ],
)
def test_malformed_csv_is_refused_with_the_row_and_column(text: str, target: object, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_csv(text, target)


def test_data_errors_belong_to_the_library_error_family() -> None:
    assert issubclass(DataError, InvalidInputError) and issubclass(DataError, ValueError)


def test_a_missing_file_a_directory_and_a_binary_file_are_named_in_the_message(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        read_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        read_csv(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"a,b\n\xff\xfe\x00\n")
    with pytest.raises(DataError, match=r"binary\.csv: not a UTF-8 text file"):
        read_csv(binary)


def test_messages_use_the_given_name_for_csv_text() -> None:
    with pytest.raises(DataError, match=r"^upload: row 2, column 'a'"):
        parse_csv("a,b\ninf,1\n", name="upload")


def test_missing_cells_of_a_numeric_column_are_nan_in_a_float_matrix() -> None:
    table = parse_csv("a,b,y\n1,2,x\n,3,y\nNA,4,x\n?,5,y\n-NaN,6,x\n")
    assert table.x.dtype == np.float64
    np.testing.assert_array_equal(table.x[:, 0], [1, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(table.x[:, 1], [2, 3, 4, 5, 6])


def test_a_text_column_makes_an_object_matrix_of_floats_strings_and_none() -> None:
    table = parse_csv("a,color,y\n1,red,x\n,blue,y\n2.5,NA,x\n")
    assert table.x.dtype == object
    assert table.x.tolist() == [[1.0, "red"], [None, "blue"], [2.5, None]]
    assert type(table.x[0, 0]) is float and table.feature_types == {}


@pytest.mark.parametrize("token", MISSING_TOKENS)
def test_every_default_missing_token_is_missing_in_a_text_column(token: str) -> None:
    table = parse_csv(f"color,y\nred,a\n{token},b\n")
    assert table.x[:, 0].tolist() == ["red", None]
    assert is_missing_token(f" {token} ")


def test_na_values_replace_the_default_tokens_and_an_empty_cell_stays_missing() -> None:
    table = parse_csv("color,n,y\nNA,1,a\n-,-999,b\n,2,c\n", na_values=["-", "-999"])
    assert table.x.tolist() == [["NA", 1.0], [None, None], [None, 2.0]]


def test_categorical_keeps_a_numeric_looking_column_as_text_with_its_leading_zeros() -> None:
    table = parse_csv("zip,size,y\n02134,1,a\n10001,2,b\n,3,a\n", categorical=["zip"])
    assert table.x.tolist() == [["02134", 1.0], ["10001", 2.0], [None, 3.0]]
    assert table.feature_types == {"zip": "categorical"}


def test_drop_leaves_out_columns_and_the_table_names_them_in_the_header_order() -> None:
    table = parse_csv("id,a,row,b,y\n7,1,1,2,x\n8,3,2,4,y\n", drop={"row", "id"})
    assert table.feature_names == ("a", "b") and table.dropped_columns == ("id", "row")
    np.testing.assert_array_equal(table.x, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"drop": ["ID"]}, "drop", r"^CSV text: no column 'ID' to drop; columns are: id, a, y"),
        ({"categorical": ["zpi"]}, "categorical", r"no column 'zpi' to treat as categorical; columns are"),
        ({"drop": ["y"]}, "drop", r"column 'y' is a target, not a feature"),
        ({"categorical": ["y"]}, "categorical", r"column 'y' is a target, not a feature"),
        ({"drop": ["a"], "categorical": ["a"]}, "drop", r"column 'a' is both dropped and categorical"),
    ],
)
def test_a_column_option_naming_no_feature_is_refused_as_a_bad_option(
    options: dict, field: str, message: str
) -> None:
    with pytest.raises(ColumnOptionError, match=message) as caught:
        parse_csv("id,a,y\n1,2,x\n", **options)
    assert caught.value.field == field


@pytest.mark.parametrize("header", [",a,y", '"",a,y', "a,,y"])
def test_a_header_cell_with_no_name_is_left_out_with_a_note(header: str) -> None:
    text = "\n".join([header, "1,5,x", "2,6,y", ""]) if header != "a,,y" else "a,,y\n5,1,x\n6,2,y\n"
    table = parse_csv(text)
    assert table.feature_names == ("a",) and table.target_names == ("y",)
    np.testing.assert_array_equal(table.x[:, 0], [5, 6])
    assert len(table.notes) == 1 and "has no name in the header" in table.notes[0]


def test_a_trailing_separator_leaves_an_unnamed_column_and_the_target_is_the_last_named_one() -> None:
    table = parse_csv("a,b,\n1,x,\n2,y,\n")
    assert table.feature_names == ("a",) and table.target_names == ("b",)


def test_a_feature_column_with_no_value_is_left_out_and_named() -> None:
    table = parse_csv("a,empty,y\n1,,x\n2,NA,y\n")
    assert table.feature_names == ("a",) and table.dropped_columns == ("empty",)
    assert table.notes == ("column 'empty' has no value in any row: left out",)


def test_rows_without_a_target_are_skipped_counted_and_listed() -> None:
    lines = ["a,y", *(f"{i},{'' if i % 3 == 0 else i % 2}" for i in range(1, 21))]
    table = parse_csv("\n".join(lines) + "\n")
    assert table.n_samples == 14 and table.skipped_rows == 6
    assert table.y.dtype == np.int64 and 0 not in table.x[:, 0] % 3
    assert table.notes == ("skipped 6 rows with no target value ('y'): rows 4, 7, 10, 13, 16, ...",)


@pytest.mark.parametrize(("separator", "name"), [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
def test_a_semicolon_tab_or_bar_separated_file_is_read_like_a_comma_separated_one(
    separator: str, name: str
) -> None:
    text = "a,b,color,y\n1,2.5,red,x\n3,,blue,y\n"
    expected = parse_csv(text)
    table = parse_csv(text.replace(",", separator))
    assert table.feature_names == expected.feature_names and table.x.tolist() == expected.x.tolist()
    assert table.notes == (f"columns are separated by {name}",) and expected.notes == ()


def test_separators_inside_cells_do_not_change_a_comma_separated_file() -> None:
    table = parse_csv('a,note,y\n1,"x;y|z",a\n2,w;v,b\n')
    assert table.x.tolist() == [[1.0, "x;y|z"], [2.0, "w;v"]] and table.notes == ()


def test_bundled_penguins_has_text_columns_missing_values_and_three_species() -> None:
    table = load_bundled("penguins")
    assert table.x.shape == (344, 7) and table.x.dtype == object
    assert table.feature_names == (
        "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year",
    )  # fmt: skip
    columns = dict(zip(table.feature_names, table.x.T, strict=True))
    assert {type(cell) for cell in columns["island"]} == {str}
    assert set(columns["sex"]) == {"male", "female", None}
    missing = {name: sum(cell is None for cell in column) for name, column in columns.items()}
    assert missing == {
        "island": 0, "bill_length_mm": 2, "bill_depth_mm": 2, "flipper_length_mm": 2, "body_mass_g": 2,
        "sex": 11, "year": 0,
    }  # fmt: skip
    assert {type(cell) for cell in columns["body_mass_g"] if cell is not None} == {float}
    assert dict(zip(*np.unique(table.y, return_counts=True), strict=True)) == {
        "Adelie": 152, "Chinstrap": 68, "Gentoo": 124,
    }  # fmt: skip
    assert table.skipped_rows == 0 and table.notes == ()


def test_bundled_cars_is_a_regression_table_that_skips_rows_without_mpg() -> None:
    table = load_bundled("cars")
    assert table.y.dtype == np.float64 and table.n_samples == 398 and table.skipped_rows == 8
    columns = dict(zip(table.feature_names, table.x.T, strict=True))
    assert sum(cell is None for cell in columns["horsepower"]) == 6
    assert set(columns["origin"]) == {"USA", "Europe", "Japan"}
    assert load_bundled("cars", drop=["origin"]).x.dtype == np.float64
