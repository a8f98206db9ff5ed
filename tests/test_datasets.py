"""CSV reading into a Table, its error messages, and the bundled dataset registry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from model.datasets import BUNDLED, DEFAULT_DATASET, DataError, load_bundled, parse_csv, read_csv
from model.nn.errors import InvalidInputError

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
    with pytest.raises(DataError, match=r"unknown dataset 'mnist'; bundled datasets: digits, iris"):
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
        ("a,b\n1,2\n,3\n", None, r"row 3, column 'a': missing value"),
        ("a,c,b\n1,2,0\n4,red,1\n", None, r"row 3, column 'c': 'red' is not a number"),
        ("a,b\n1,0\nnan,1\n", None, r"row 3, column 'a': 'nan' is not a finite number"),
        ("a,b\n1,0\n-inf,1\n", None, r"row 3, column 'a': '-inf' is not a finite number"),
        ("a,b\n1,0\n2,\n", None, r"row 3, column 'b': missing target value"),
        ("a,b\n1,0\n2,nan\n", None, r"row 3, column 'b': 'nan' is not a finite number"),
        ("a,b\n1,0\n", "label", r"no column 'label'; columns are: a, b"),
        (
            "a,b,c\n1,2,x\n",
            ["b", "c"],
            r"several target columns must all be numeric, got text at row 2, column 'c'",
        ),
        ("a,a\n1,2\n", None, r"duplicate column name\(s\) in the header: a"),
        ("a,,b\n1,2,3\n", None, r"header column 2 has no name"),
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
        parse_csv("a,b\nx,1\n", name="upload")
