"""``mlp-train`` (also ``python scripts/train.py``): train a network on a CSV file and publish it.

A thin command line over ``model.datasets`` and ``model.pipeline``: parse options, read the
data, train with progress on stderr, publish to the model store, print a report.

Without ``--data`` it trains on the bundled ``digits``. Progress goes to stderr (a tqdm bar
on a terminal, one line per epoch otherwise); the report goes to stdout, as one JSON object
with ``--json`` (the keys of ``model.pipeline``'s report plus ``version``, ``artifact``,
``active``). ``--report FILE`` also writes a standalone HTML report of the new version (its card,
learning curves and the run's metrics, drawn by the web console's own chart code).

Config file (``--config``, TOML or JSON): one flat table of option names, with dashes or
underscores (``epochs = 50``, ``hidden = [128, 64]``, ``data = "x.csv"``, ``target =
["y1", "y2"]``, ``drop = ["id"]``, ``categorical = ["zip"]``, ``na_values = ["NA", "-"]``,
``model_dir = "models"``, ``keep_versions = 20``); the command line wins; relative paths are
taken from the current directory.

Reading the data (``model.csvfile``): text columns are categorical features, empty and ``NA``
-like cells are missing values, rows without a target are skipped; what was left out is said on
stderr (``note: ...``) and in the report. ``--drop`` and ``--categorical`` naming a column the
data lacks are bad options (exit 2), found before training.

Before training, the store's free space is checked against an estimate of the new version's
size; each publish then prunes the store to ``--keep-versions`` versions (never the active
one, its rollback target or the last good one).

Exit codes: 0 success; 2 bad options or config file; 1 bad data, a training failure or a
model store that cannot be written or is full; 130 interrupted (Ctrl-C). Every failure prints one line
``error: <message>`` on stderr and publishes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from .datasets import (
    BUNDLED,
    DEFAULT_DATASET,
    MISSING_TOKENS,
    ColumnOptionError,
    Table,
    load_bundled,
    read_csv,
)
from .nn.errors import InvalidConfigError, ModelError
from .nn.training import EpochRecord
from .pipeline import (
    TrainOptions,
    estimate_version_bytes,
    publish,
    published_report,
    resolve_task,
    train_model,
)
from .report import build_report, load_assets, model_card, write_report
from .store import DEFAULT_RETENTION, ModelStore, StoreError, check_retention

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
CLI_KEYS = (
    "data",
    "dataset",
    "target",
    "drop",
    "categorical",
    "na_values",
    "model_dir",
    "report",
    "keep_versions",
)
"""Config-file keys that are not ``TrainOptions`` fields."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``error: <message> (see --help)``, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """Every option defaults to None so that a config file fills what the command line leaves."""
    parser = _Parser(
        prog="mlp-train",
        description="Train a feed-forward network on a CSV file and publish it to the model store.",
        epilog="Exit codes: 0 ok, 1 bad data / training failure / store not writable, "
        "2 bad options, 130 interrupted.",
    )
    data = parser.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument(
        "--data", type=Path, metavar="PATH", help="CSV file with a header row of column names"
    )
    source.add_argument(
        "--dataset",
        choices=sorted(BUNDLED),
        help=f"a bundled dataset instead of --data (default without either: {DEFAULT_DATASET})",
    )
    data.add_argument(
        "--target",
        action="append",
        metavar="NAME",
        help="target column (default: the last column); repeat or comma-separate for several targets",
    )
    data.add_argument(
        "--drop", action="append", metavar="COL", help="leave out a column (an id); repeat or comma-separate"
    )
    data.add_argument(
        "--categorical",
        action="append",
        metavar="COL",
        help="read a feature column as categories even if its cells are numbers (a zip code); "
        "repeat or comma-separate",
    )
    data.add_argument(
        "--na-values",
        metavar="TOKENS",
        help="comma-separated text read as missing, replacing the default "
        f"{','.join(token for token in MISSING_TOKENS if token)} (an empty cell is always missing)",
    )
    _add_options(parser.add_argument_group("training options (also config-file keys)"))
    run = parser.add_argument_group("run")
    run.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML or JSON file with the same keys; the command line wins",
    )
    run.add_argument(
        "--model-dir", type=Path, metavar="DIR", help="model store (default: $MLP_MODEL_DIR, else models/)"
    )
    run.add_argument(
        "--no-activate", action="store_true", help="publish without making it the active version"
    )
    run.add_argument(
        "--keep-versions",
        type=int,
        metavar="N",
        help="versions kept in the store: each publish prunes the oldest beyond N, never the active "
        f"one, its rollback target or the last good one (default: {DEFAULT_RETENTION})",
    )
    run.add_argument("--json", action="store_true", help="print the report as one JSON object on stdout")
    run.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write a standalone HTML report (card, learning curves, metrics) to FILE",
    )
    run.add_argument(
        "--if-no-active",
        action="store_true",
        help="do nothing (exit 0) when the store already has an active version (used by `make run`)",
    )
    return parser


def _add_options(group: argparse._ArgumentGroup) -> None:
    """One flag per declared option (``TrainOptions.options()``), absent unless given:
    ``--batch-size`` for ``batch_size``, ``--[no-]nesterov`` for true/false options, the rule's
    choices for named ones, ``--seed none`` for a nullable one. The values are checked by the
    options' own rules, so the command line and a config file fail the same way."""
    for item in TrainOptions.options():
        rule = item.rule
        extra: dict[str, Any]
        if rule.kind is bool:
            extra = {"action": argparse.BooleanOptionalAction}
        elif rule.choices:
            extra = {"choices": rule.choices}
        elif rule.kind is tuple:
            extra = {"type": str, "metavar": "WIDTHS"}
        elif rule.nullable:
            extra = {"type": _or_none(rule.kind), "metavar": "N|none"}
        else:
            extra = {"type": rule.kind, "metavar": "N" if rule.kind is int else "X"}
        help_text = f"{rule.help} (default: {_show(item.default)})"
        flag = f"--{item.name.replace('_', '-')}"
        group.add_argument(flag, default=argparse.SUPPRESS, help=help_text, **extra)


def _show(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _or_none(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return None if text.lower() == "none" else kind(text)

    parse.__name__ = kind.__name__  # argparse names the type in "invalid int value"
    return parse


def read_config(path: Path) -> dict[str, Any]:
    """A TOML or JSON file of option names (dashes or underscores) to values."""
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".toml":
            values = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            values = json.loads(text)
        else:
            raise InvalidConfigError(f"config file {path}: the name must end in .toml or .json")
    except OSError as error:
        raise InvalidConfigError(f"config file {path}: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidConfigError(
            f"config file {path}: not valid {path.suffix[1:].upper()}: {error}"
        ) from None
    if not isinstance(values, dict):
        raise InvalidConfigError(f"config file {path}: the top level must be a table of option names")
    return {str(key).replace("-", "_"): value for key, value in values.items()}


def resolve_settings(args: argparse.Namespace) -> tuple[TrainOptions, dict[str, Any]]:
    """Options and the CLI-only settings (data, dataset, target list, model_dir), config file
    first, then the command line on top; raises ``InvalidConfigError``."""
    merged = read_config(args.config) if args.config else {}
    # Options are in args only when given (and may be None: --seed none); the rest default None.
    options = TrainOptions.names()
    given = {key: value for key, value in vars(args).items() if value is not None or key in options}
    for key in ("config", "no_activate", "json", "if_no_active"):
        given.pop(key, None)
    if "data" in given:
        merged.pop("dataset", None)
    if "dataset" in given:
        merged.pop("data", None)
    merged.update(given)
    if "data" in merged and "dataset" in merged:
        raise InvalidConfigError("give either data (a CSV path) or dataset (a bundled name), not both")
    cli = {key: merged.pop(key) for key in CLI_KEYS if key in merged}
    for key in ("data", "dataset", "model_dir", "report"):
        if key in cli and not isinstance(cli[key], str | Path):
            raise InvalidConfigError(f"{key} must be a string, got {cli[key]!r}", field=key)
    if "report" in cli:
        _check_report_path(Path(cli["report"]))
    try:
        cli["keep_versions"] = check_retention(cli.get("keep_versions", DEFAULT_RETENTION), "keep_versions")
    except ValueError as error:
        raise InvalidConfigError(str(error), field="keep_versions") from None
    cli["target"] = _name_list(cli.get("target"), "target")
    for key in ("drop", "categorical"):
        cli[key] = _name_list(cli.get(key), key) or []
    if "na_values" in cli:
        cli["na_values"] = _token_list(cli["na_values"])
    if "dataset" in cli and cli["dataset"] not in BUNDLED:
        raise InvalidConfigError(
            f"dataset must be one of {sorted(BUNDLED)}, got {cli['dataset']!r}", field="dataset"
        )
    if "data" not in cli and cli["target"] is not None:
        raise InvalidConfigError(
            "target applies to data (a CSV file); bundled datasets name their own", field="target"
        )
    return TrainOptions.from_mapping(merged), cli


def _name_list(value: Any, key: str) -> list[str] | None:
    """Column names from repeated flags or a config value, each possibly comma-separated."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        message = f"{key} must be a column name or a list of names, got {value!r}"
        raise InvalidConfigError(message, field=key)
    names = [name.strip() for item in items for name in item.split(",") if name.strip()]
    if not names:
        raise InvalidConfigError(f"{key} is empty: name at least one column", field=key)
    return names


def _token_list(value: Any) -> list[str]:
    """``na_values``: a comma-separated string (the flag) or a list of strings (a config file)."""
    if isinstance(value, str):
        return [token.strip() for token in value.split(",") if token.strip()]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidConfigError(f"na_values must be a list of strings, got {value!r}", field="na_values")
    return [token.strip() for token in value if token.strip()]


def _check_report_path(path: Path) -> None:
    """Refuse up front a report path that cannot be written, before any training."""
    if path.is_dir():
        raise InvalidConfigError(
            f"report {path} is a directory: give a file name, e.g. report.html", field="report"
        )
    if not path.parent.is_dir():
        raise InvalidConfigError(f"report {path}: the directory {path.parent} does not exist", field="report")


def load_table(cli: dict[str, Any], data_dir: str | None = None) -> Table:
    """The CSV file given, else the bundled dataset named (from ``data_dir``, else ``data/``),
    read with the column options (``drop``, ``categorical``, ``na_values``)."""
    columns = {
        "drop": cli.get("drop", ()),
        "categorical": cli.get("categorical", ()),
        "na_values": cli.get("na_values"),
    }
    if "data" in cli:
        return read_csv(Path(cli["data"]), cli["target"], **columns)
    return load_bundled(cli.get("dataset", DEFAULT_DATASET), data_dir, **columns)


def progress_callback(total: int, metric: str) -> tuple[Callable[[EpochRecord], None], Callable[[], None]]:
    """(callback, close): a tqdm bar on a terminal, else one plain line per epoch, on stderr."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="epoch", file=sys.stderr, dynamic_ncols=True)

        def update(record: EpochRecord) -> None:
            postfix = {"loss": f"{record.train_loss:.4f}"}
            if record.val_metric is not None:
                postfix[f"val_{metric}"] = f"{record.val_metric:.4f}"
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)

        return update, bar.close

    def log(record: EpochRecord) -> None:
        line = f"epoch {record.epoch}/{total} loss {record.train_loss:.4f}"
        if record.val_loss is not None:
            line += f" val_loss {record.val_loss:.4f} val_{metric} {record.val_metric:.4f}"
        print(f"{line} {record.seconds * 1000:.1f} ms", file=sys.stderr, flush=True)

    return log, lambda: None


def format_report(report: dict[str, Any]) -> str:
    """The human-readable end-of-run report."""
    rows, timings = report["rows"], report["timings"]
    classes = report["classes"]
    kind = f"{report['task']} ({len(classes)} classes)" if classes else report["task"]
    lines = [
        f"dataset {report['dataset']}: target {', '.join(report['target'])} -> {kind}, "
        f"{report['n_features']} features",
        f"rows: {rows['train']} train, {rows['validation']} validation, {rows['test']} test"
        + (f" ({report['skipped_rows']} skipped: no target)" if report.get("skipped_rows") else ""),
        f"epochs: {report['epochs_run']} of {report['options']['epochs']} ({report['stop_reason']}, "
        f"best {report['best_epoch']}), {timings['seconds_per_epoch'] * 1000:.1f} ms/epoch",
        f"time: load {timings['load_s']:.2f} s, fit {timings['fit_s']:.2f} s, "
        f"total {timings['total_s']:.2f} s",
    ]
    lines += [f"note: {note}" for note in report.get("notes", ())]
    names = next((list(part) for part in report["metrics"].values() if part), [])
    lines.append("".join([f"{'metrics':<12}", *(f"{name:>12}" for name in names)]))
    for part, values in report["metrics"].items():
        cells = (f"{values[name]:>12.4f}" for name in names) if values else [f"{'-':>12}"] * len(names)
        lines.append("".join([f"{part:<12}", *cells]))
    if report["confusion_matrix"] is not None:
        lines.append("confusion matrix (test; rows = true class, columns = predicted):")
        lines.extend(_matrix_lines(report["confusion_matrix"], [str(label) for label in classes]))
    state = "active" if report["active"] else "not active"
    lines += [f"published version {report['version']} ({state})", f"artifact: {report['artifact']}"]
    return "\n".join(lines)


def _matrix_lines(matrix: list[list[int]], labels: list[str]) -> list[str]:
    labels = [label[:10] for label in labels]
    width = max(max(map(len, labels)), len(str(max(max(row) for row in matrix)))) + 1
    lines = [" " * width + "".join(f"{label:>{width}}" for label in labels)]
    for label, row in zip(labels, matrix, strict=True):
        lines.append(f"{label:>{width}}" + "".join(f"{count:>{width}}" for count in row))
    return lines


def run(args: argparse.Namespace, options: TrainOptions, cli: dict[str, Any]) -> int:
    """Read, train, publish, report; errors propagate to ``main``."""
    started = time.perf_counter()
    model_dir = cli.get("model_dir") or os.environ.get("MLP_MODEL_DIR") or "models"
    store = ModelStore(model_dir, cli["keep_versions"])
    if args.if_no_active and store.active_version() is not None:
        print(
            f"{model_dir} already has an active version ({store.active_version()}); not training",
            file=sys.stderr,
        )
        return EXIT_OK
    table = load_table(cli, os.environ.get("MLP_DATA_DIR") or None)  # the CLI's one other variable
    for note in table.notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    store.check_free_space(estimate_version_bytes(table, options))
    assets = load_assets() if "report" in cli else None
    callback, close = progress_callback(options.epochs, _metric_name(table, options))
    try:
        result = train_model(table, options, callback)
    finally:
        close()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a started publish completes
    try:
        info = publish(store, result, activate=not args.no_activate)
    finally:
        signal.signal(signal.SIGINT, previous)
    report = published_report(result, info)
    report["timings"]["total_s"] = table.load_seconds + time.perf_counter() - started
    print(json.dumps(report) if args.json else format_report(report))
    if assets is not None:
        card = model_card(info.version, result.net.describe(), active=info.active)
        try:
            write_report(Path(cli["report"]), build_report(card, report, assets))
        except OSError as error:
            message = f"version {info.version} was published, but the report was not written: {error}"
            return _fail(message, EXIT_FAILURE)
    return EXIT_OK


def _metric_name(table: Table, options: TrainOptions) -> str:
    try:
        return "accuracy" if resolve_task(table, options) == "classification" else "r2"
    except ModelError:
        return "metric"  # train_model reports the problem


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; returns the exit code (see the module docstring)."""
    try:
        return _parse_and_run(argv)
    except KeyboardInterrupt:
        return _fail("interrupted; nothing was published", EXIT_INTERRUPTED)


def _parse_and_run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        options, cli = resolve_settings(args)
    except InvalidConfigError as error:
        return _fail(str(error), EXIT_USAGE)
    try:
        return run(args, options, cli)
    except ColumnOptionError as error:  # --drop/--categorical naming no feature: a bad option
        return _fail(str(error), EXIT_USAGE)
    except (ModelError, StoreError, OSError) as error:
        return _fail(str(error), EXIT_FAILURE)
    except Exception as error:  # never a traceback; the type name helps a bug report
        return _fail(f"unexpected {type(error).__name__}: {error}", EXIT_FAILURE)


def _fail(message: str, code: int) -> int:
    print(f"error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    return code


if __name__ == "__main__":  # python -m model.cli, the same as mlp-train
    sys.exit(main())
