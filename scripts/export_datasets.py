"""Export the bundled datasets from scikit-learn's own copies (run once, offline).

Needs the ``bench`` extra (scikit-learn). The product never imports scikit-learn; this
script only documents how ``data/digits.csv`` and ``data/iris.csv`` were made.

Usage: ``python scripts/export_datasets.py [--out data]``
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path


def export(out_dir: Path) -> None:
    """Write digits.csv (1797 x 64 pixels + label) and iris.csv (150 x 4 + species)."""
    from sklearn.datasets import load_digits, load_iris

    digits = load_digits()
    with open(out_dir / "digits.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([f"pixel_{i}" for i in range(64)] + ["label"])
        for row, label in zip(digits.data.astype(int), digits.target, strict=True):
            writer.writerow([*row.tolist(), int(label)])

    iris = load_iris()
    columns = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    with open(out_dir / "iris.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row, label in zip(iris.data, iris.target, strict=True):
            writer.writerow([*(f"{v:g}" for v in row), iris.target_names[label]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    export(parser.parse_args().out)


if __name__ == "__main__":
    main()
