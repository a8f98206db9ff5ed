"""Training speed and accuracy of ``model.Network`` against scikit-learn's and PyTorch's MLPs.

Every implementation trains, in the same run, on the same train/test split: scikit-learn's
``MLPClassifier`` (adam, float64, its default) and PyTorch (float32, when installed) see
features standardized with the train split's mean and standard deviation; ``Network``
standardizes by itself and gets the raw features. L2 is off everywhere (``alpha=0``, ``l2=0``).
Runs are interleaved (ours, sklearn, torch, ours, ...) because these machines are shared and
noisy; the table gives medians over the repeats and ratios rather than absolute times.

Workloads
---------
a : bundled ``data/digits.csv`` (1797 x 64, 10 classes), hidden (100,), batch 200, 50 epochs.
b : MNIST-shaped synthetic data, a fixed-seed mixture of Gaussians (60 000 + 10 000 x 784,
    10 classes, pixel range [0, 1]), hidden (512, 256), batch 256, 3 epochs.

Figures: seconds per epoch (the whole ``fit`` call divided by the epochs, so each library's
own set-up counts; the targets use this), ``x ours`` (their seconds over ours: above 1 means
ours is faster), ``loop s/ep`` and ``loop x`` (the median epoch inside the training loop,
where the library exposes it: ours and torch), ``setup s`` (the fit call less its epochs:
preprocessing and allocation, ours and torch), test accuracy, and training GFLOP/s
(6 x parameters x training samples per epoch, from s/epoch) next to a plain float32 2048^3
matmul measured in the same run.

Usage (from the repo root, with the project installed: ``pip install -e '.[bench]'`` and,
optionally, ``pip install torch``)::

    .venv/bin/python scripts/bench_train.py [--workload a|b|all] [--repeats N] [--json]
    .venv/bin/python scripts/bench_train.py --workload b --impls ours --init he --epochs 5
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import time
import warnings
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from model import INITIALIZERS, Network

DIGITS_CSV = Path(__file__).resolve().parents[1] / "data" / "digits.csv"
IMPLS = ("ours", "sklearn", "torch")
MATMUL_SIZE = 2048


@dataclass(frozen=True)
class Workload:
    """One benchmark setting and the targets ``Network`` should reach on it."""

    name: str
    description: str
    hidden: tuple[int, ...]
    batch_size: int
    epochs: int
    repeats: int
    min_speedup_sklearn: float  # sklearn seconds / ours
    min_speedup_torch: float  # torch seconds / ours
    accuracy_slack: float  # ours may trail sklearn's test accuracy by this many points
    min_matmul_fraction: float | None = None  # of the 2048^3 matmul's GFLOP/s
    learning_rate: float = 1e-3


WORKLOADS = {
    "a": Workload("a", "bundled digits", (100,), 200, 50, 3, 3.0, 3.0, 1.0),
    "b": Workload("b", "MNIST-shaped synthetic", (512, 256), 256, 3, 3, 2.0, 0.8, 0.0, 0.5),
}


@dataclass(frozen=True)
class Data:
    """Raw features for ``Network``, standardized ones for the references, labels 0..k-1."""

    x_train: np.ndarray  # (n_train, n_features), raw
    y_train: np.ndarray  # (n_train,)
    x_test: np.ndarray  # (n_test, n_features), raw
    y_test: np.ndarray  # (n_test,)
    z_train: np.ndarray  # (n_train, n_features), standardized with the train split, float64
    z_test: np.ndarray  # (n_test, n_features), same scaler

    @classmethod
    def from_split(
        cls, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray
    ) -> Data:
        mean = x_train.mean(axis=0, dtype=np.float64)
        std = x_train.std(axis=0, dtype=np.float64)
        scale = np.where(std > 0, std, 1.0)  # constant columns map to 0, as in StandardScaler
        z_train, z_test = ((x - mean) / scale for x in (x_train, x_test))
        return cls(x_train, y_train, x_test, y_test, z_train, z_test)


@dataclass(frozen=True)
class Run:
    """One training run: wall seconds per epoch, loop-only figures where known, test accuracy."""

    seconds_per_epoch: float  # the whole fit call / epochs
    loop_seconds_per_epoch: float | None  # median epoch inside the training loop
    setup_seconds: float | None  # the fit call less all its epochs: preprocessing, allocation
    accuracy: float


def load_digits(path: Path = DIGITS_CSV, test_fraction: float = 0.25, seed: int = 0) -> Data:
    """The bundled digits (header row, 64 pixel columns, then ``label``), split at random."""
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = table[:, :-1], table[:, -1].astype(np.intp)  # (1797, 64), (1797,)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(test_fraction * len(x))
    test, train = order[:n_test], order[n_test:]
    return Data.from_split(x[train], y[train], x[test], y[test])


def make_synthetic(
    n_train: int = 60_000,
    n_test: int = 10_000,
    n_features: int = 784,
    n_classes: int = 10,
    components: int = 3,
    seed: int = 0,
) -> Data:
    """MNIST-shaped mixture of Gaussians: ``components`` clusters per class, clipped to [0, 1].

    Class means sit close together (0.03 per pixel around a common "background" image),
    each class is a mixture of nearby clusters, and pixel noise (0.3) dominates, so the
    task is learnable but not trivial (about 88.5 % test accuracy after 3 epochs of
    workload b; generating it takes under a second).
    """
    rng = np.random.default_rng(seed)
    background = rng.uniform(0.3, 0.7, n_features).astype(np.float32)
    class_means = background + 0.03 * rng.standard_normal((n_classes, n_features), dtype=np.float32)
    centers = class_means[:, None, :] + 0.03 * rng.standard_normal(
        (n_classes, components, n_features), dtype=np.float32
    )
    centers = centers.reshape(n_classes * components, n_features)  # (n_classes * components, n_features)
    cluster = rng.integers(0, n_classes * components, n_train + n_test)
    x = centers[cluster]  # (n_train + n_test, n_features)
    x += 0.3 * rng.standard_normal(x.shape, dtype=np.float32)
    np.clip(x, 0.0, 1.0, out=x)
    y = cluster // components
    return Data.from_split(x[:n_train], y[:n_train], x[n_train:], y[n_train:])


def train_ours(workload: Workload, data: Data, seed: int, epochs: int, init: str) -> Run:
    """``Network`` in float32 on the raw features (it standardizes them itself)."""
    net = Network(hidden=workload.hidden, activation="relu", seed=seed, dtype="float32", init=init)
    started = time.perf_counter()
    history = net.fit(
        data.x_train, data.y_train, epochs=epochs, batch_size=workload.batch_size,
        learning_rate=workload.learning_rate, optimizer="adam", val_fraction=0.0, l2=0.0,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    epoch_seconds = [record.seconds for record in history.records]
    accuracy = net.evaluate(data.x_test, data.y_test)["accuracy"]
    return Run(seconds / epochs, statistics.median(epoch_seconds), seconds - sum(epoch_seconds), accuracy)


def train_sklearn(workload: Workload, data: Data, seed: int, epochs: int, init: str) -> Run:
    """scikit-learn's ``MLPClassifier`` (adam, float64, alpha=0) for exactly ``epochs`` epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=workload.hidden, activation="relu", solver="adam", alpha=0.0,
        batch_size=workload.batch_size, learning_rate_init=workload.learning_rate, max_iter=epochs,
        shuffle=True, random_state=seed, early_stopping=False, tol=0.0, n_iter_no_change=epochs,
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is reached on purpose
        started = time.perf_counter()
        clf.fit(data.z_train, data.y_train)
        seconds = time.perf_counter() - started
    return Run(seconds / epochs, None, None, float(clf.score(data.z_test, data.y_test)))


def train_torch(workload: Workload, data: Data, seed: int, epochs: int, init: str) -> Run:
    """The PyTorch equivalent: Linear/ReLU stack, CrossEntropyLoss, Adam, float32, no DataLoader."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    sizes = (data.z_train.shape[1], *workload.hidden, int(data.y_train.max()) + 1)
    layers: list[nn.Module] = []
    for fan_in, fan_out in pairwise(sizes):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    net = nn.Sequential(*layers[:-1])  # no ReLU after the output layer
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=workload.learning_rate)
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    x = torch.from_numpy(np.ascontiguousarray(data.z_train, dtype=np.float32))
    y = torch.from_numpy(data.y_train.astype(np.int64))
    n, batch, epoch_seconds = len(x), workload.batch_size, []
    for _ in range(epochs):
        epoch_started = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        x_epoch, y_epoch = x[order], y[order]  # shuffled copies: batches are slices
        for start in range(0, n, batch):
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(net(x_epoch[start : start + batch]), y_epoch[start : start + batch])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - epoch_started)
    seconds = time.perf_counter() - started
    with torch.no_grad():
        predicted = net(torch.from_numpy(data.z_test.astype(np.float32))).argmax(dim=1).numpy()
    accuracy = float(np.mean(predicted == data.y_test))
    return Run(seconds / epochs, statistics.median(epoch_seconds), seconds - sum(epoch_seconds), accuracy)


TRAINERS = {"ours": train_ours, "sklearn": train_sklearn, "torch": train_torch}
DTYPE_OF = {"ours": "float32", "sklearn": "float64", "torch": "float32"}


def matmul_gflops(n: int = MATMUL_SIZE, repeats: int = 3) -> list[float]:
    """GFLOP/s (2 n^3 per product) of ``repeats`` float32 n x n matmuls, after one warm-up."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty((n, n), np.float32)
    np.matmul(a, b, out=out)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        np.matmul(a, b, out=out)
        rates.append(2 * n**3 / (time.perf_counter() - started) / 1e9)
    return rates


def n_parameters(sizes: tuple[int, ...]) -> int:
    """Weights and biases of a dense stack with layer sizes ``(n_in, h_1, ..., n_out)``."""
    return sum(fan_in * fan_out + fan_out for fan_in, fan_out in pairwise(sizes))


@dataclass(frozen=True)
class Settings:
    """How to run a workload: which implementations, how often, with which seed and init."""

    impls: tuple[str, ...]
    repeats: int
    epochs: int
    seed: int = 0
    init: str = "pytorch"  # our Network's only
    warmup: bool = True


def bench(workload: Workload, data: Data, settings: Settings) -> dict:
    """Interleaved repeats of every implementation; medians, ratios, GFLOP/s and targets.

    Repeat ``r`` seeds every implementation with ``seed + r``. ``warmup`` first trains each
    implementation for one untimed epoch: a process's first large allocations (page faults on
    fresh memory, about 3 s for workload b on a virtual machine) and the libraries' lazy
    set-up would otherwise land on whichever runs first.
    """
    impls, epochs, init = settings.impls, settings.epochs, settings.init
    for impl in impls if settings.warmup else ():
        TRAINERS[impl](workload, data, settings.seed, 1, init)
    runs: dict[str, list[Run]] = {impl: [] for impl in impls}
    matmul: list[float] = []
    for repeat in range(settings.repeats):
        matmul += matmul_gflops()
        for impl in impls:
            runs[impl].append(TRAINERS[impl](workload, data, settings.seed + repeat, epochs, init))
    sizes = (data.x_train.shape[1], *workload.hidden, int(data.y_train.max()) + 1)
    flop_per_epoch = 6 * n_parameters(sizes) * len(data.x_train)
    matmul_rate = statistics.median(matmul)
    results = {}
    for impl, impl_runs in runs.items():
        seconds = statistics.median(run.seconds_per_epoch for run in impl_runs)
        loops = [run.loop_seconds_per_epoch for run in impl_runs if run.loop_seconds_per_epoch is not None]
        setups = [run.setup_seconds for run in impl_runs if run.setup_seconds is not None]
        gflops = flop_per_epoch / seconds / 1e9
        results[impl] = {
            "dtype": DTYPE_OF[impl],
            "seconds_per_epoch": seconds,
            "loop_seconds_per_epoch": statistics.median(loops) if loops else None,
            "setup_seconds": statistics.median(setups) if setups else None,
            "accuracy": statistics.median(run.accuracy for run in impl_runs),
            "gflops": gflops,
            "matmul_fraction": gflops / matmul_rate,
            "runs": [asdict(run) for run in impl_runs],
        }
    if "ours" in results:
        ours = results["ours"]
        for result in results.values():
            result["time_vs_ours"] = result["seconds_per_epoch"] / ours["seconds_per_epoch"]
            if result["loop_seconds_per_epoch"] is not None:
                result["loop_time_vs_ours"] = (
                    result["loop_seconds_per_epoch"] / ours["loop_seconds_per_epoch"]
                )
    return {
        "workload": {
            **asdict(workload),
            "epochs": epochs,
            "repeats": settings.repeats,
            "init": init,
            "warmup": settings.warmup,
        },
        "data": {"n_train": len(data.x_train), "n_test": len(data.x_test), "sizes": list(sizes)},
        "n_parameters": n_parameters(sizes),
        "matmul_gflops": matmul_rate,
        "matmul_gflops_runs": matmul,
        "results": results,
        "targets": check_targets(workload, results, matmul_rate),
    }


def check_targets(workload: Workload, results: dict, matmul_rate: float) -> list[dict]:
    """The issue's targets for ``Network`` on this workload, each with the value reached."""
    if "ours" not in results:
        return []
    targets = []

    def add(rule: str, value: float, text: str, minimum: float) -> None:
        targets.append({"target": rule, "value": text, "met": value >= minimum})

    if "sklearn" in results:
        gap = 100 * (results["ours"]["accuracy"] - results["sklearn"]["accuracy"])
        slack = workload.accuracy_slack
        add(f"test accuracy >= sklearn's - {slack:g} pt", gap, f"{gap:+.2f} pt", -slack)
        ratio = results["sklearn"]["time_vs_ours"]
        add(
            f"speed >= {workload.min_speedup_sklearn:g}x sklearn's",
            ratio,
            f"{ratio:.2f}x",
            workload.min_speedup_sklearn,
        )
    if "torch" in results:
        ratio = results["torch"]["time_vs_ours"]
        add(
            f"speed >= {workload.min_speedup_torch:g}x torch's",
            ratio,
            f"{ratio:.2f}x",
            workload.min_speedup_torch,
        )
    if workload.min_matmul_fraction is not None:
        fraction = results["ours"]["gflops"] / matmul_rate
        minimum = workload.min_matmul_fraction
        add(f"training GFLOP/s >= {minimum:.0%} of matmul's", fraction, f"{fraction:.1%}", minimum)
    return targets


def environment(impls: list[str]) -> dict[str, Any]:
    """Thread settings of every BLAS/OpenMP pool loaded, and library versions."""
    info: dict[str, Any] = {"cpu_count": len(os.sched_getaffinity(0)), "numpy": np.__version__}
    info["load_average_1m"] = os.getloadavg()[0]  # other processes on a shared machine skew timings
    env_vars = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    info["env"] = {name: os.environ.get(name) for name in env_vars}
    if "sklearn" in impls:
        import sklearn

        info["sklearn"] = sklearn.__version__
    if "torch" in impls:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    if importlib.util.find_spec("threadpoolctl"):
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {key: pool.get(key) for key in ("internal_api", "num_threads", "architecture", "filepath")}
            for pool in threadpool_info()
        ]
    return info


def format_header(env: dict[str, Any]) -> list[str]:
    versions = ", ".join(f"{name} {env[name]}" for name in ("numpy", "sklearn", "torch") if name in env)
    lines = [
        f"{versions}; {env['cpu_count']} cores, load average {env['load_average_1m']:.2f}; env {env['env']}"
    ]
    if "torch_threads" in env:
        lines.append(f"torch.get_num_threads() = {env['torch_threads']}")
    for pool in env.get("threadpools", []):
        arch = f" ({pool['architecture']})" if pool.get("architecture") else ""
        library = Path(pool["filepath"]).name
        lines.append(f"  {pool['internal_api']}{arch}: {pool['num_threads']} threads, {library}")
    return lines


def format_report(report: dict) -> list[str]:
    """A readable table of one workload's figures and the targets."""
    w, d = report["workload"], report["data"]
    lines = [
        "",
        f"workload {w['name']}: {w['description']}, {d['n_train']} train / {d['n_test']} test, "
        f"sizes {tuple(d['sizes'])} ({report['n_parameters']:,} parameters)",
        f"  batch {w['batch_size']}, {w['epochs']} epochs, adam lr {w['learning_rate']:g}, no L2, "
        f"ours init={w['init']}; median of {w['repeats']} interleaved repeats"
        + (" after a warm-up epoch each" if w["warmup"] else ""),
        f"  float32 {MATMUL_SIZE}^3 matmul: {report['matmul_gflops']:.1f} GFLOP/s (median of "
        f"{len(report['matmul_gflops_runs'])})",
        f"  {'impl':<8} {'dtype':<8} {'s/epoch':>9} {'x ours':>7} {'loop s/ep':>9} {'loop x':>7} "
        f"{'setup s':>8} {'GFLOP/s':>8} {'% matmul':>8} {'test acc':>9}",
    ]
    for impl, r in report["results"].items():
        loop_seconds = r["loop_seconds_per_epoch"]
        loop = f"{loop_seconds:9.4f}" if loop_seconds is not None else f"{'-':>9}"
        ratio = f"{r['time_vs_ours']:6.2f}x" if "time_vs_ours" in r else f"{'-':>7}"
        loop_ratio = f"{r['loop_time_vs_ours']:6.2f}x" if "loop_time_vs_ours" in r else f"{'-':>7}"
        setup = f"{r['setup_seconds']:8.3f}" if r["setup_seconds"] is not None else f"{'-':>8}"
        lines.append(
            f"  {impl:<8} {r['dtype']:<8} {r['seconds_per_epoch']:9.4f} {ratio} {loop} {loop_ratio} {setup} "
            f"{r['gflops']:8.2f} {r['matmul_fraction']:8.1%} {r['accuracy']:9.2%}"
        )
    for target in report["targets"]:
        lines.append(f"  [{'met' if target['met'] else 'MISS'}] {target['target']}: {target['value']}")
    return lines


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("a", "b", "all"), default="all")
    parser.add_argument("--repeats", type=int, help="interleaved repeats (default: 3)")
    parser.add_argument("--epochs", type=int, help="override the workload's epochs")
    parser.add_argument("--impls", default=",".join(IMPLS), help="comma-separated, from ours,sklearn,torch")
    parser.add_argument("--init", choices=sorted(INITIALIZERS), default="pytorch", help="our Network's init")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-warmup", action="store_true", help="skip the untimed one-epoch warm-up runs")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    args = parser.parse_args(argv)
    args.impls = [impl.strip() for impl in args.impls.split(",") if impl.strip()]
    if (args.repeats is not None and args.repeats < 1) or (args.epochs is not None and args.epochs < 1):
        parser.error("--repeats and --epochs must be >= 1")
    unknown = set(args.impls) - set(IMPLS)
    if unknown:
        parser.error(f"unknown --impls {sorted(unknown)}; choose from {IMPLS}")
    return args


def available(impls: list[str]) -> tuple[list[str], list[str]]:
    """The implementations whose library is installed, and a note for each one skipped."""
    module = {"sklearn": "sklearn", "torch": "torch"}
    kept, notes = [], []
    for impl in impls:
        if impl in module and importlib.util.find_spec(module[impl]) is None:
            hint = "pip install -e '.[bench]'" if impl == "sklearn" else "pip install torch"
            notes.append(f"skipping {impl}: {module[impl]} is not installed ({hint})")
        else:
            kept.append(impl)
    return kept, notes


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    impls, notes = available(args.impls)
    if "torch" in impls:
        import torch

        torch.set_num_threads(len(os.sched_getaffinity(0)))  # one thread per core, its default
    env = environment(impls)
    if not args.json:
        print("\n".join([*notes, *format_header(env)]), flush=True)
    reports = {}
    for name in ("a", "b") if args.workload == "all" else (args.workload,):
        workload = WORKLOADS[name]
        data = load_digits(seed=args.seed) if name == "a" else make_synthetic(seed=args.seed)
        settings = Settings(
            tuple(impls), args.repeats or workload.repeats, args.epochs or workload.epochs,
            args.seed, args.init, warmup=not args.no_warmup,
        )  # fmt: skip
        reports[name] = bench(workload, data, settings)
        if not args.json:
            print("\n".join(format_report(reports[name])), flush=True)
    if args.json:
        print(json.dumps({"environment": env, "skipped": notes, "workloads": reports}, indent=2))


if __name__ == "__main__":
    main()
