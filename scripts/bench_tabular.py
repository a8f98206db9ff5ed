"""Quality and speed on real mixed-type tables against scikit-learn's MLP behind a ColumnTransformer.

Tables (``data/``, see ``data/README.md``): ``penguins`` (species, 3 classes: text columns
``island`` and ``sex``, ``NA`` cells) and ``cars`` (mpg, regression: text column ``origin``,
empty cells, rows without mpg skipped). Both are read by ``model.datasets.load_bundled``, so
both models see the same raw values: an object matrix of ``float``, ``str`` and ``None``.

Quality: for each seed, ours is ``train_model(table, TrainOptions(seed=seed))`` (the training
defaults, untuned, as ``mlp-train --dataset NAME`` runs); scikit-learn's reference fits on the
same fit rows (``split_test``) and is scored on the same test rows: ``MLPClassifier`` /
``MLPRegressor(early_stopping=True, random_state=seed)`` behind a ``ColumnTransformer`` of
``SimpleImputer(strategy="median") + StandardScaler`` for numeric columns and
``SimpleImputer(strategy="most_frequent") + OneHotEncoder(handle_unknown="ignore")`` for text
columns (a column is text when any cell is a string, the library's inference rule). Its other
parameters are its defaults. ``MLPRegressor`` does not scale the target; a second column gives
it a scaled target too (``TransformedTargetRegressor``), the stronger baseline. Medians and
ranges over the seeds; PASS when our median is at least scikit-learn's (the issue's pipeline).

Speed: the seed-0 models predict a ``--rows`` table drawn from the table's rows (with
replacement, numeric cells jittered by 1 % of their column's spread, missing cells kept). Ours
is ``Network.predict`` on the raw values, so it includes the encoding; scikit-learn's is the
pipeline's ``predict`` on the same values with ``None`` as NaN (its imputers' marker; the
conversion is not timed). Both take an object matrix, and a pandas DataFrame when pandas is
installed (numeric columns float64). Repeats are interleaved; medians. PASS when
scikit-learn's time over ours is at least 2 for every input form. ``--blas-threads 1`` pins
both to one BLAS thread (threadpoolctl, a scikit-learn dependency): on a shared machine,
OpenBLAS threads competing with other processes for the cores make matrix products erratic.

Needs the ``bench`` extra (scikit-learn; pandas optional); the product never imports them.

Usage: ``python scripts/bench_tabular.py [--seeds 5] [--tables penguins,cars] [--rows 10000]
[--repeats 7] [--blas-threads 1] [--set epochs=300]``
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from bench_defaults import parse_override

from model.datasets import Table, load_bundled
from model.pipeline import TrainOptions, resolve_task, split_test, train_model

TABLES = ("penguins", "cars")
METRICS = {"classification": "accuracy", "regression": "r2"}


# ------------------------------------------------------------------ scikit-learn's side
def text_columns(x: np.ndarray) -> list[int]:
    """Indices of the columns of ``x`` (n_samples, n_features) holding any string cell."""
    if x.dtype != object:
        return []
    return [j for j in range(x.shape[1]) if any(isinstance(cell, str) for cell in x[:, j])]


def for_sklearn(x: np.ndarray) -> np.ndarray:
    """``x`` with ``None`` as NaN: scikit-learn's imputers look for NaN, and ``None`` is not."""
    if x.dtype != object:
        return x
    out = x.copy()
    out[np.equal(out, None)] = np.nan
    return out


def sklearn_model(task: str, x: np.ndarray, seed: int, scaled_target: bool = False) -> Any:
    """The issue's reference: imputers, scaler and one-hot encoder in a ColumnTransformer,
    then an MLP with early stopping (``scaled_target``: regression on a standardized target)."""
    from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    text = text_columns(x)
    numeric = [j for j in range(x.shape[1]) if j not in text]
    columns = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "text",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")
                ),
                text,
            ),
        ]
    )
    if task == "classification":
        return make_pipeline(columns, MLPClassifier(early_stopping=True, random_state=seed))
    regressor = make_pipeline(columns, MLPRegressor(early_stopping=True, random_state=seed))
    return TransformedTargetRegressor(regressor, transformer=StandardScaler()) if scaled_target else regressor


def fit_quietly(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short --set epochs run may stop early
        return model.fit(x, y)


def predict_quietly(model: Any, x: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a DataFrame's names, the model fitted without
        return model.predict(x)


# ------------------------------------------------------------------ quality
def quality(table: Table, overrides: dict[str, Any], seeds: int) -> dict[str, Any]:
    """Per seed: our test metric and scikit-learn's on the same rows; plus the seed-0 models."""
    ours: list[float] = []
    theirs: list[float] = []
    theirs_scaled: list[float] = []
    models: dict[str, Any] = {}
    x_sklearn = for_sklearn(table.x)
    for seed in range(seeds):
        options = TrainOptions.from_mapping({**overrides, "seed": seed})
        task = resolve_task(table, options)
        fit, test = split_test(table, options, task)
        result = train_model(table, options)
        assert np.array_equal(result.test_rows, test)  # both models scored on the same rows
        ours.append(result.report["metrics"]["test"][METRICS[task]])
        reference = fit_quietly(sklearn_model(task, table.x, seed), x_sklearn[fit], table.y[fit])
        theirs.append(float(reference.score(x_sklearn[test], table.y[test])))
        if task == "regression":
            scaled = fit_quietly(sklearn_model(task, table.x, seed, True), x_sklearn[fit], table.y[fit])
            theirs_scaled.append(float(scaled.score(x_sklearn[test], table.y[test])))
        if seed == 0:
            models = {"ours": result.net, "sklearn": reference}
    return {
        "task": task,
        "ours": ours,
        "sklearn": theirs,
        "sklearn_scaled_y": theirs_scaled,
        "models": models,
    }


# ------------------------------------------------------------------ speed
def resample(x: np.ndarray, n_rows: int, rng: np.random.Generator) -> np.ndarray:
    """``n_rows`` rows of ``x`` drawn with replacement, numeric cells jittered by 1 % of their
    column's spread (so rows are not exact copies); text and missing cells kept."""
    rows = x[rng.integers(0, len(x), n_rows)].copy()  # (n_rows, n_features)
    text = set(text_columns(x))
    for j in range(x.shape[1]):
        if j in text:
            continue
        column = rows[:, j].astype(np.float64)  # None -> NaN
        spread = np.nanstd(x[:, j].astype(np.float64))
        column += rng.normal(0.0, 0.01 * spread, n_rows)  # NaN stays NaN
        rows[:, j] = column
        if rows.dtype == object:
            rows[np.isnan(column), j] = None  # the raw-values form: None for missing
    return rows


def as_dataframe(x: np.ndarray, names: Sequence[str]) -> Any:
    """``x`` as a pandas DataFrame: numeric columns float64, text columns as pandas infers them
    (pandas 3: its ``str`` dtype, NaN for missing)."""
    import pandas as pd

    text = set(text_columns(x))
    return pd.DataFrame(
        {name: (x[:, j] if j in text else x[:, j].astype(np.float64)) for j, name in enumerate(names)}
    )


def median_seconds(calls: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, process CPU) seconds of each call over ``repeats`` interleaved rounds,
    after one warm-up. CPU time leaves out the waits for a core that another process holds."""
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in calls}
    for call in calls.values():
        call()
    for _ in range(repeats):
        for label, call in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            times[label].append((time.perf_counter() - wall, time.process_time() - cpu))
    return {
        label: (statistics.median(wall for wall, _ in values), statistics.median(cpu for _, cpu in values))
        for label, values in times.items()
    }


def speed(
    table: Table, models: dict[str, Any], n_rows: int, repeats: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """(wall, CPU) seconds to predict ``n_rows`` raw rows, ours and scikit-learn's, per input form."""
    x, names = resample(table.x, n_rows, np.random.default_rng(0)), table.feature_names
    forms: dict[str, tuple[Any, Any]] = {"object matrix": (x, for_sklearn(x))}
    with contextlib.suppress(ImportError):  # pandas is optional
        forms["DataFrame"] = (as_dataframe(x, names), as_dataframe(for_sklearn(x), names))
    ours, reference = models["ours"], models["sklearn"]
    calls: dict[str, Callable[[], object]] = {}
    for form, (x_ours, x_sklearn) in forms.items():
        calls[f"ours {form}"] = lambda data=x_ours: ours.predict(data)
        calls[f"sklearn {form}"] = lambda data=x_sklearn: predict_quietly(reference, data)
    seconds = median_seconds(calls, repeats)
    return {form: {"ours": seconds[f"ours {form}"], "sklearn": seconds[f"sklearn {form}"]} for form in forms}


# ------------------------------------------------------------------ report
def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISSED"


def spread(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.4f} [{min(values):.4f}-{max(values):.4f}]"


def print_quality(name: str, row: dict[str, Any]) -> bool:
    passed = statistics.median(row["ours"]) >= statistics.median(row["sklearn"])
    scaled = spread(row["sklearn_scaled_y"]) if row["sklearn_scaled_y"] else "-"
    print(
        f"{name:<10}{METRICS[row['task']]:<10}{spread(row['ours']):>26}{spread(row['sklearn']):>26}"
        f"{scaled:>26}  {verdict(passed)}",
        flush=True,
    )
    return passed


def print_speed(name: str, timings: dict[str, dict[str, tuple[float, float]]]) -> bool:
    """One line per input form: wall ms, their ratio (the verdict), and the CPU time ratio."""
    passed = True
    for form, seconds in timings.items():
        (ours, ours_cpu), (theirs, theirs_cpu) = seconds["ours"], seconds["sklearn"]
        ratio = theirs / ours
        passed &= ratio >= 2.0
        print(
            f"{name:<10}{form:<16}{ours * 1e3:>10.1f}{theirs * 1e3:>12.1f}{ratio:>9.2f}x"
            f"{theirs_cpu / ours_cpu:>9.2f}x  {verdict(ratio >= 2.0)}",
            flush=True,
        )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="runs per table (seeds 0..n-1)")
    parser.add_argument("--tables", default=",".join(TABLES), help="comma-separated bundled tables")
    parser.add_argument("--rows", type=int, default=10_000, help="rows predicted in the speed test")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds in the speed test")
    parser.add_argument("--blas-threads", type=int, help="limit BLAS threads (default: the library's)")
    parser.add_argument("--set", action="append", default=[], help="override an option: key=value")
    args = parser.parse_args()
    overrides = dict(parse_override(text) for text in args.set)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads, user_api="blas")  # for the whole run
    names = [name.strip() for name in args.tables.split(",")]
    print(f"options: {TrainOptions.from_mapping(overrides).as_dict()}; median [range] of {args.seeds} seeds")
    print(f"{'table':<10}{'metric':<10}{'ours':>26}{'sklearn':>26}{'sklearn, scaled y':>26}  ours >= sklearn")
    quality_passed, models = True, {}
    for name in names:
        row = quality(load_bundled(name), overrides, args.seeds)
        quality_passed &= print_quality(name, row)
        models[name] = row["models"]
    print(f"\npredicting {args.rows} rows, median of {args.repeats}; ratios: sklearn / ours (wall, CPU)")
    print(f"{'table':<10}{'input':<16}{'ours ms':>10}{'sklearn ms':>12}{'ratio':>10}{'CPU':>10}  >= 2x")
    speed_passed = True
    for name in names:
        speed_passed &= print_speed(name, speed(load_bundled(name), models[name], args.rows, args.repeats))
    print(f"\nquality: {verdict(quality_passed)}; speed: {verdict(speed_passed)}")


if __name__ == "__main__":
    main()
