"""Compare the default ``TrainOptions`` with scikit-learn's MLP defaults behind a StandardScaler.

For each dataset and seed both models train on the same rows (``model.pipeline.split_test``)
and are scored on the same held-out test rows: accuracy for classifiers, R^2 for regressors.
scikit-learn's ``MLPRegressor`` does not scale the target; a second column gives it a scaled
target too (``TransformedTargetRegressor``), which is the stronger baseline. Prints medians
over the seeds. Needs the ``bench`` extra (scikit-learn); the product never imports it.

Usage: ``python scripts/bench_defaults.py [--seeds 5] [--set epochs=300 --set hidden=128,64]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np

from model.datasets import Table, load_bundled
from model.pipeline import TrainOptions, resolve_task, split_test, train_model


def sklearn_table(name: str) -> Table:
    """A dataset bundled with scikit-learn (no download) as a ``Table``."""
    from sklearn import datasets

    loader = {"wine": datasets.load_wine, "breast_cancer": datasets.load_breast_cancer}
    loader["diabetes"] = datasets.load_diabetes
    bunch = loader[name]()
    names = tuple(str(feature) for feature in bunch.feature_names)
    return Table(bunch.data.astype(np.float64), bunch.target, names, ("target",), name)


DATASETS: dict[str, Callable[[], Table]] = {
    "digits": lambda: load_bundled("digits"),
    "iris": lambda: load_bundled("iris"),
    "wine": lambda: sklearn_table("wine"),
    "breast_cancer": lambda: sklearn_table("breast_cancer"),
    "diabetes": lambda: sklearn_table("diabetes"),
}


def sklearn_scores(table: Table, task: str, fit: np.ndarray, test: np.ndarray, seed: int) -> list[float]:
    """Test accuracy, or test R^2 with the raw target then with a scaled target."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "classification":
        models = [make_pipeline(StandardScaler(), MLPClassifier(random_state=seed))]
    else:
        regressor = make_pipeline(StandardScaler(), MLPRegressor(random_state=seed))
        scaled = TransformedTargetRegressor(
            make_pipeline(StandardScaler(), MLPRegressor(random_state=seed)), transformer=StandardScaler()
        )
        models = [regressor, scaled]
    scores = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 200 iterations often do not converge
        for model in models:
            model.fit(table.x[fit], table.y[fit])
            scores.append(float(model.score(table.x[test], table.y[test])))
    return scores


def bench(name: str, overrides: dict, seeds: int) -> dict:
    """Medians over ``seeds`` runs of our test metric, sklearn's, our epochs and both timings."""
    table = DATASETS[name]()
    ours, theirs, epochs, our_time, their_time = [], [], [], [], []
    for seed in range(seeds):
        options = TrainOptions.from_mapping({**overrides, "seed": seed})
        task = resolve_task(table, options)
        fit, test = split_test(table, options, task)
        started = time.perf_counter()
        report = train_model(table, options).report
        our_time.append(time.perf_counter() - started)
        ours.append(report["metrics"]["test"]["accuracy" if task == "classification" else "r2"])
        epochs.append(report["epochs_run"])
        started = time.perf_counter()
        theirs.append(sklearn_scores(table, task, fit, test, seed))
        their_time.append(time.perf_counter() - started)
    sklearn_columns = [statistics.median(column) for column in zip(*theirs, strict=True)]
    return {
        "dataset": name,
        "metric": "accuracy" if task == "classification" else "r2",
        "ours": statistics.median(ours),
        "sklearn": sklearn_columns[0],
        "sklearn_scaled_y": sklearn_columns[1] if len(sklearn_columns) > 1 else None,
        "epochs": statistics.median(epochs),
        "ours_s": statistics.median(our_time),
        "sklearn_s": statistics.median(their_time),
    }


def parse_override(text: str) -> tuple[str, object]:
    key, _, value = text.partition("=")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per dataset (seeds 0..n-1)")
    parser.add_argument("--datasets", default=",".join(DATASETS), help="comma-separated names")
    parser.add_argument("--set", action="append", default=[], help="override an option: key=value")
    args = parser.parse_args()
    overrides = dict(parse_override(text) for text in args.set)
    print(f"options: {TrainOptions.from_mapping(overrides).as_dict()}; median of {args.seeds} seeds")
    columns = ("ours", "sklearn", "skl+y", "epochs", "ours s", "skl s")
    print(f"{'dataset':<14}{'metric':<10}" + "".join(f"{column:>9}" for column in columns))
    for name in args.datasets.split(","):
        row = bench(name.strip(), overrides, args.seeds)
        scaled = "-" if row["sklearn_scaled_y"] is None else f"{row['sklearn_scaled_y']:.4f}"
        print(
            f"{row['dataset']:<14}{row['metric']:<10}{row['ours']:>9.4f}{row['sklearn']:>9.4f}{scaled:>9}"
            f"{row['epochs']:>9.0f}{row['ours_s']:>9.2f}{row['sklearn_s']:>9.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
