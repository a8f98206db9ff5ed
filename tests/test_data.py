"""The bundled CSVs, read as the service and the CLI read them, hold the documented shapes and labels."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from helpers import IRIS_FEATURES

from model.datasets import BUNDLED, load_bundled


def test_digits_has_1797_rows_of_64_pixels_in_0_to_16_and_labels_0_to_9() -> None:
    digits = load_bundled("digits")
    assert digits.feature_names == tuple(f"pixel_{i}" for i in range(64))
    assert digits.target_names == ("label",)
    assert digits.x.shape == (1797, 64)
    assert np.array_equal(digits.x, np.rint(digits.x)), "pixels are whole numbers"
    assert digits.x.min() == 0 and digits.x.max() == 16
    assert set(digits.y.tolist()) == set(range(10))


def test_iris_has_150_rows_of_4_positive_features_and_three_balanced_species() -> None:
    iris = load_bundled("iris")
    assert iris.feature_names == tuple(IRIS_FEATURES) and iris.target_names == ("species",)
    assert iris.x.shape == (150, 4)
    assert np.all(iris.x > 0)
    assert Counter(iris.y.tolist()) == {"setosa": 50, "versicolor": 50, "virginica": 50}


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_every_bundled_dataset_reads_whole_with_its_registered_target_and_row_count(name: str) -> None:
    # read_csv refuses a row whose cell count differs from the header's, or a non-finite number.
    table = load_bundled(name)
    assert table.target_names == (BUNDLED[name].target,)
    assert table.x.shape == (table.n_samples, len(table.feature_names)) and len(table.y) == table.n_samples
    assert f"{table.n_samples} rows" in BUNDLED[name].description
