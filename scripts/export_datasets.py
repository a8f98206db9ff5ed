"""Export the bundled datasets from the packages that ship them (run once, offline).

``digits`` and ``iris`` come from scikit-learn's own copies (the ``bench`` extra); the mixed-type
tables from two wheels, read as zip files without installing them: ``penguins.csv`` is the
``palmerpenguins`` wheel's CSV byte for byte, ``cars.csv`` is ``vega_datasets``' ``cars.json``
as CSV (missing values as empty cells, the model year as a number, the car's name left out:
an id). The product never imports these packages; this script documents how ``data/`` was made.

Usage: ``python scripts/export_datasets.py [--out data] [--penguins-wheel W] [--vega-wheel W]``
(``pip download palmerpenguins vega_datasets --no-deps`` fetches the wheels).
"""

from __future__ import annotations

import argparse
import csv
import json
import zipfile
from pathlib import Path

CARS_COLUMNS = {  # vega's name -> ours, in the CSV's order (the target, mpg, first)
    "Miles_per_Gallon": "mpg",
    "Cylinders": "cylinders",
    "Displacement": "displacement",
    "Horsepower": "horsepower",
    "Weight_in_lbs": "weight",
    "Acceleration": "acceleration",
    "Year": "model_year",
    "Origin": "origin",
}


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


def export_penguins(wheel: Path, out_dir: Path) -> None:
    """Copy ``palmerpenguins/data/penguins.csv`` (344 rows, ``NA`` for missing) unchanged."""
    with zipfile.ZipFile(wheel) as archive:
        (out_dir / "penguins.csv").write_bytes(archive.read("palmerpenguins/data/penguins.csv"))


def export_cars(wheel: Path, out_dir: Path) -> None:
    """``vega_datasets/_data/cars.json`` (406 records) as CSV: nulls empty, ``Year`` ("1970-01-01")
    as 1970, ``Name`` left out."""
    with zipfile.ZipFile(wheel) as archive:
        records = json.loads(archive.read("vega_datasets/_data/cars.json"))
    with open(out_dir / "cars.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CARS_COLUMNS.values())
        for record in records:
            record["Year"] = int(record["Year"][:4])
            writer.writerow(
                [
                    "" if record[key] is None else f"{record[key]:g}" if key != "Origin" else record[key]
                    for key in CARS_COLUMNS
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data")
    parser.add_argument("--penguins-wheel", type=Path, help="a palmerpenguins wheel: export penguins.csv")
    parser.add_argument("--vega-wheel", type=Path, help="a vega_datasets wheel: export cars.csv")
    args = parser.parse_args()
    if args.penguins_wheel or args.vega_wheel:
        if args.penguins_wheel:
            export_penguins(args.penguins_wheel, args.out)
        if args.vega_wheel:
            export_cars(args.vega_wheel, args.out)
        return
    export(args.out)


if __name__ == "__main__":
    main()
