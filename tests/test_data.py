"""The bundled CSVs parse with the documented shapes and label sets."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def read_csv(name: str) -> tuple[list[str], list[list[str]]]:
    with open(DATA / name, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def test_digits_has_1797_rows_of_64_pixels_in_0_to_16_and_labels_0_to_9() -> None:
    header, rows = read_csv("digits.csv")
    assert header == [f"pixel_{i}" for i in range(64)] + ["label"]
    values = np.array(rows, dtype=np.int64)
    assert values.shape == (1797, 65)
    assert values[:, :64].min() == 0 and values[:, :64].max() == 16
    assert set(values[:, 64].tolist()) == set(range(10))


def test_iris_has_150_rows_of_4_positive_features_and_three_balanced_species() -> None:
    header, rows = read_csv("iris.csv")
    assert header == ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    features = np.array([row[:4] for row in rows], dtype=np.float64)
    assert features.shape == (150, 4)
    assert np.all(features > 0)
    assert Counter(row[4] for row in rows) == {"setosa": 50, "versicolor": 50, "virginica": 50}


@pytest.mark.parametrize("name", ["digits.csv", "iris.csv"])
def test_every_row_has_as_many_cells_as_the_header(name: str) -> None:
    header, rows = read_csv(name)
    assert {len(row) for row in rows} == {len(header)}
