"""``scripts/train.py`` end to end, as a subprocess: reports, the store, bad input, Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import numpy as np
import pytest
from helpers import NEEDS_FEATURE_SCHEMA

import model
from model.cli import main, progress_callback
from model.nn.training import EpochRecord
from model.store import TEMP_PREFIX, ModelStore

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train.py"
FAST = ["--epochs", "5", "--hidden", "8"]


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLP_")}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def run_json(cwd: Path, *args: str) -> dict:
    done = run(cwd, "--json", *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_nothing_published(model_dir: Path) -> None:
    assert ModelStore(model_dir).versions() == []
    for directory in (model_dir, model_dir / "versions"):
        if directory.is_dir():
            assert not [entry for entry in directory.iterdir() if entry.name.startswith(TEMP_PREFIX)]
    assert not (model_dir / "active").exists()


@pytest.fixture
def colors_csv(tmp_path: Path) -> Path:
    """60 rows, 2 features, three well-separated string classes."""
    rng = np.random.default_rng(0)
    centers = {"red": (0, 0), "green": (4, 0), "blue": (0, 4)}
    lines = ["x1,x2,color"]
    for name, (cx, cy) in centers.items():
        for dx, dy in rng.normal(0, 0.5, size=(20, 2)):
            lines.append(f"{cx + dx:.3f},{cy + dy:.3f},{name}")
    path = tmp_path / "colors.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def regression_csv(tmp_path: Path) -> Path:
    """80 rows: y = 2 a - b (+ noise), z = a + b, then a feature column after the targets."""
    rng = np.random.default_rng(1)
    lines = ["a,y,z,b"]
    for a, b in rng.normal(size=(80, 2)):
        lines.append(f"{a:.4f},{2 * a - b + rng.normal(0, 0.05):.4f},{a + b:.4f},{b:.4f}")
    path = tmp_path / "linear.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_csv_with_string_labels_trains_publishes_and_predicts_labels(
    tmp_path: Path, colors_csv: Path
) -> None:
    report = run_json(tmp_path, "--data", str(colors_csv), "--epochs", "60", "--learning-rate", "0.01")
    assert {"version", "artifact", "active", "metrics", "confusion_matrix", "timings"} <= set(report)
    assert report["task"] == "classification" and report["classes"] == ["blue", "green", "red"]
    assert report["metrics"]["test"]["accuracy"] >= 0.9 and report["active"] is True
    active = ModelStore(tmp_path / "models").active()
    assert active.version == report["version"] and report["artifact"] == str(active.artifact)
    net = model.load(active.artifact)
    assert net.predict([[4.0, 0.1], [0.1, 4.0]]).tolist() == ["green", "blue"]


def test_several_regression_targets_come_from_repeated_and_comma_separated_options(
    tmp_path: Path, regression_csv: Path
) -> None:
    model_dir = tmp_path / "store"
    report = run_json(
        tmp_path, "--data", str(regression_csv), "--target", "y", "--target", "z",
        "--model-dir", str(model_dir), "--epochs", "150", "--learning-rate", "0.01",
    )  # fmt: skip
    assert (
        report["task"] == "regression"
        and report["target"] == ["y", "z"]
        and report["confusion_matrix"] is None
    )
    assert report["metrics"]["test"]["r2"] > 0.8
    net = model.load(ModelStore(model_dir).active().artifact)
    assert net.feature_names == ("a", "b") and net.predict([[1.0, 0.5]]).shape == (1, 2)
    same = run_json(
        tmp_path, "--data", str(regression_csv), "--target", "y,z", "--model-dir", str(model_dir), *FAST
    )
    assert same["target"] == ["y", "z"]


def test_without_data_it_trains_on_the_bundled_digits_and_prints_a_readable_report(tmp_path: Path) -> None:
    done = run(tmp_path, "--epochs", "2", "--hidden", "16")
    assert done.returncode == 0, done.stderr
    assert "dataset digits: target label -> classification (10 classes)" in done.stdout
    assert "confusion matrix (test" in done.stdout and "published version" in done.stdout
    assert done.stderr.splitlines()[0].startswith("epoch 1/2 loss ")
    net = model.load(ModelStore(tmp_path / "models").active().artifact)
    digits = np.loadtxt(Path(model.__file__).parents[1] / "data" / "digits.csv", delimiter=",", skiprows=1)
    assert net.predict(digits[:3, :64]).shape == (3,)


def test_no_activate_publishes_a_version_that_is_not_active(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--dataset", "iris", "--no-activate", *FAST)
    store = ModelStore(tmp_path / "models")
    assert report["active"] is False and store.active() is None
    assert [info.version for info in store.versions()] == [report["version"]]


def test_a_config_file_sets_options_and_the_command_line_wins(tmp_path: Path) -> None:
    config = tmp_path / "train.toml"
    config.write_text(
        'dataset = "iris"\nepochs = 4\nbatch-size = 16\nhidden = [8, 4]\nmodel_dir = "cfg-store"\n'
    )
    report = run_json(tmp_path, "--config", str(config), "--epochs", "3")
    assert report["dataset"] == "iris" and report["epochs_run"] <= 3
    assert report["options"]["batch_size"] == 16 and report["options"]["hidden"] == [8, 4]
    assert ModelStore(tmp_path / "cfg-store").active().version == report["version"]
    json_config = tmp_path / "train.json"
    json_config.write_text(json.dumps({"dataset": "iris", "epochs": 2, "hidden": "8"}))
    assert run_json(tmp_path, "--config", str(json_config))["options"]["epochs"] == 2


def test_the_model_dir_defaults_to_the_environment_variable(tmp_path: Path) -> None:
    env = {**os.environ, "MLP_MODEL_DIR": str(tmp_path / "from-env")}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--dataset", "iris", "--json", *FAST],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ModelStore(tmp_path / "from-env").active().version == json.loads(done.stdout)["version"]


BAD_INPUT = [
    # (file name -> content, arguments, exit code, message)
    ({}, ["--data", "missing.csv"], 1, "error: missing.csv: no such file"),
    (
        {"d.csv": "a,b\n1,2\n"},
        ["--data", "d.csv", "--target", "label"],
        1,
        "no column 'label'; columns are: a, b",
    ),
    (
        {"d.csv": "a,b,c\n1,2,x\ninf,3,y\n"},
        ["--data", "d.csv"],
        1,
        "error: d.csv: row 3, column 'a': 'inf' is not a finite number",
    ),
    ({"d.csv": "a b c\n1 2 x\n"}, ["--data", "d.csv"], 1, "the separator looks wrong"),
    ({"d.csv": "a,b,c\n,,x\nNA,?,y\n"}, ["--data", "d.csv"], 1, "d.csv: no usable feature column (left"),
    ({"d.csv": "a,b\n1,NA\n2,\n"}, ["--data", "d.csv"], 1, "d.csv: no data row has a target value"),
    (
        {"d.csv": "a,b\n" + "1,x\n" * 20 + "2,\n"},
        ["--data", "d.csv"],
        1,
        "d.csv: target column 'b' has a single class ('x') after skipping 1 row(s) with no target",
    ),
    (
        {"d.csv": "a,b\n1,x\n"},
        ["--data", "d.csv", "--categorical", "zpi"],
        2,
        "error: d.csv: no column 'zpi' to treat as categorical; columns are: a, b",
    ),
    ({"d.csv": "a,b\n1,x\n"}, ["--data", "d.csv", "--drop", "b"], 2, "column 'b' is a target, not a feature"),
    ({}, ["--dataset", "iris", "--drop", "petal"], 2, "iris.csv: no column 'petal' to drop; columns are"),
    ({"c.toml": "na_values = 3\n"}, ["--config", "c.toml"], 2, "na_values must be a list of strings, got 3"),
    ({"c.toml": "categorical = [1]\n"}, ["--config", "c.toml"], 2, "categorical must be a column name or"),
    ({"d.csv": "a,b\n1,x\n2,y\n"}, ["--data", "d.csv"], 1, "too few rows: d.csv has 2 data rows"),
    ({"d.csv": "a,b\n" + "1,x\n" * 20}, ["--data", "d.csv"], 1, "target column 'b' has a single class ('x')"),
    ({"d.csv": ""}, ["--data", "d.csv"], 1, "d.csv: the file is empty"),
    (
        {"f": ""},
        ["--dataset", "iris", "--model-dir", "f/models"],
        1,
        "model store root f/models is not writable",
    ),
    ({}, ["--epochs", "0"], 2, "error: epochs must be an integer >= 1, got 0"),
    ({}, ["--epochs", "ten"], 2, "error: argument --epochs: invalid int value: 'ten'"),
    ({}, ["--learning-rate", "-1"], 2, "error: learning_rate must be a number > 0, got -1.0"),
    ({}, ["--optimizer", "rmsprop"], 2, "error: argument --optimizer: invalid choice: 'rmsprop'"),
    ({}, ["--hidden", "64,x"], 2, "error: hidden must be layer widths (integers >= 1) like '128,64'"),
    ({}, ["--test-fraction", "1"], 2, "error: test_fraction must be a number in [0, 1), got 1.0"),
    ({}, ["--data", "d.csv", "--dataset", "iris"], 2, "not allowed with argument --data"),
    ({"c.toml": "epochz = 3\n"}, ["--config", "c.toml"], 2, "unknown option(s) ['epochz']"),
    ({"c.toml": "epochs = \n"}, ["--config", "c.toml"], 2, "config file c.toml: not valid TOML"),
    ({}, ["--config", "none.toml"], 2, "config file none.toml: No such file or directory"),
    ({}, ["--keep-versions", "0"], 2, "error: keep_versions must be an integer >= 1, got 0"),
    ({}, ["--keep-versions", "two"], 2, "error: argument --keep-versions: invalid int value: 'two'"),
    ({"c.toml": 'keep_versions = "2"\n'}, ["--config", "c.toml"], 2, "keep_versions must be an integer >= 1"),
]


@pytest.mark.parametrize(("files", "args", "code", "message"), BAD_INPUT, ids=[case[3] for case in BAD_INPUT])
def test_bad_input_exits_with_one_error_line_and_publishes_nothing(
    tmp_path: Path, files: dict[str, str], args: list[str], code: int, message: str
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    done = run(tmp_path, *FAST, *args)
    assert done.returncode == code
    lines = [line for line in done.stderr.splitlines() if not line.startswith(("epoch ", "note: "))]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], done.stderr
    assert done.stdout == ""
    assert_nothing_published(tmp_path / "models")


def test_ctrl_c_stops_cleanly_with_code_130_and_publishes_nothing(tmp_path: Path) -> None:
    args = ["--dataset", "iris", "--epochs", "1000000", "--patience", "1000000", "--hidden", "8"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MLP_")}
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = process.stderr.readline()
        assert first.startswith("epoch 1/1000000"), first
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert (
        "Traceback" not in stderr and stderr.splitlines()[-1] == "error: interrupted; nothing was published"
    )
    assert stdout == ""
    assert_nothing_published(tmp_path / "models")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_tqdm_bar_with_loss_and_validation_metric(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    update, close = progress_callback(2, "accuracy")
    update(EpochRecord(1, 0.5, 0.6, 0.75, 1e-3, 0.01))
    update(EpochRecord(2, 0.4, 0.5, 0.8, 1e-3, 0.01))
    close()
    assert "2/2" in terminal.getvalue() and "val_accuracy=0.8000" in terminal.getvalue()


def test_mlp_train_is_installed_as_a_console_command_running_the_same_main() -> None:
    (entry,) = [entry for entry in entry_points(group="console_scripts") if entry.name == "mlp-train"]
    assert entry.value == "model.cli:main" and entry.load() is main


def test_help_exits_zero_and_lists_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "130 interrupted" in capsys.readouterr().out


def test_if_no_active_trains_an_empty_store_once_then_does_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = run(tmp_path, "--if-no-active", "--dataset", "iris", *FAST, "--model-dir", str(store))
    assert first.returncode == 0, first.stderr
    assert len(ModelStore(store).versions()) == 1
    second = run(tmp_path, "--if-no-active", "--model-dir", str(store))
    assert second.returncode == 0 and "already has an active version" in second.stderr
    assert len(ModelStore(store).versions()) == 1


def _report_data(path: Path) -> dict:
    block = r'<script type="application/json" id="report-data">(.*?)</script>'
    match = re.search(block, path.read_text(), re.S)
    assert match, "the report embeds its data"
    return json.loads(match.group(1))


def test_report_writes_a_standalone_html_report_of_the_published_version(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--dataset", "iris", "--report", "report.html", *FAST)
    data = _report_data(tmp_path / "report.html")
    card, run_summary = data["card"], data["run"]
    assert card["version"] == report["version"] and card["active"] is True
    assert [feature["name"] for feature in card["features"]][:2] == ["sepal_length", "sepal_width"]
    assert len(card["training"]["history"]["epochs"]) == report["epochs_run"]
    assert run_summary["metrics"] == report["metrics"] and run_summary["confusion_matrix"] is not None
    assert "MlpCharts.confusionHeatMap" in (tmp_path / "report.html").read_text()


def test_a_config_file_may_name_the_report(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "train.toml").write_text('dataset = "iris"\nreport = "out/model.html"\n')
    report = run_json(tmp_path, "--config", "train.toml", *FAST)
    assert _report_data(tmp_path / "out" / "model.html")["card"]["version"] == report["version"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--report", "no/r.html"], "error: report no/r.html: the directory no does not exist"),
        (["--report", "."], "error: report . is a directory: give a file name"),
    ],
)
def test_a_report_that_cannot_be_written_is_refused_before_training(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = run(tmp_path, "--dataset", "iris", *FAST, *args)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and done.stderr.startswith(message)
    assert done.stdout == ""
    assert_nothing_published(tmp_path / "models")


# ---------------------------------------------------------------- retention and a full store
def test_keep_versions_prunes_the_oldest_versions_after_each_publish(tmp_path: Path) -> None:
    (tmp_path / "c.toml").write_text("keep_versions = 2\n")
    published = [
        run_json(tmp_path, "--dataset", "iris", *FAST, "--keep-versions", "2")["version"] for _ in range(3)
    ]
    assert [info.version for info in ModelStore(tmp_path / "models").versions()] == published[1:]

    published.append(run_json(tmp_path, "--dataset", "iris", *FAST, "--config", "c.toml")["version"])
    assert [info.version for info in ModelStore(tmp_path / "models").versions()] == published[2:]


BIG = ["--dataset", "digits", "--epochs", "2", "--hidden", "512"]  # ~150 KB of float32 parameters


def test_a_store_without_room_for_the_artifact_is_refused_before_training(tiny_filesystem: Path) -> None:
    done = run(tiny_filesystem, *BIG, "--model-dir", str(tiny_filesystem / "models"))

    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and not done.stderr.startswith("epoch"), done.stderr
    assert done.stderr.startswith(f"error: model store root {tiny_filesystem / 'models'} has "), done.stderr
    assert "free; the new version needs about" in done.stderr
    assert_nothing_published(tiny_filesystem / "models")


def test_space_running_out_while_publishing_is_one_error_line_naming_the_store(
    tiny_filesystem: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The pre-check is told there is room; the real 64 KiB filesystem then fills up.
    monkeypatch.setattr("shutil.disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 0, 10**9))

    code = main([*BIG, "--model-dir", str(tiny_filesystem / "models")])

    lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("epoch ")]
    assert code == 1 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: model store root {tiny_filesystem / 'models'} is full"), lines
    assert_nothing_published(tiny_filesystem / "models")


def test_python_dash_m_model_cli_is_the_same_command() -> None:
    command = [sys.executable, "-m", "model.cli", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage: mlp-train")


def test_what_reading_left_out_is_printed_as_notes_and_listed_in_the_report(tmp_path: Path) -> None:
    lines = ['"","x1","x2","empty","color"']  # R's write.csv: a row-number column with no name
    rng = np.random.default_rng(2)
    for i, (x1, x2) in enumerate(rng.normal(size=(60, 2)), start=1):
        color = "NA" if i % 12 == 0 else "red" if x1 > 0 else "blue"
        lines.append(f'"{i}",{x1:.3f},{x2:.3f},NA,"{color}"')
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    done = run(tmp_path, "--json", *FAST, "--data", "r.csv", "--drop", "x2")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["skipped_rows"] == 5 and report["dropped_columns"] == ["x2", "empty"]
    assert report["n_features"] == 1 and sum(report["rows"].values()) == 55
    notes = [line.removeprefix("note: ") for line in done.stderr.splitlines() if line.startswith("note: ")]
    assert notes == report["notes"] and len(notes) == 3
    human = run(tmp_path, *FAST, "--data", "r.csv", "--drop", "x2")
    assert "(5 skipped: no target)" in human.stdout
    assert all(f"note: {note}" in human.stdout for note in notes)


def test_column_options_come_from_a_config_file_and_the_command_line_wins(tmp_path: Path) -> None:
    text = "id,a,b,label\n" + "".join(f"{i},{i % 5},{i % 3},{'xy'[i % 2]}\n" for i in range(40))
    (tmp_path / "d.csv").write_text(text)
    (tmp_path / "c.toml").write_text('data = "d.csv"\ndrop = ["id", "b"]\nna_values = "-"\n')
    assert run_json(tmp_path, "--config", "c.toml", *FAST)["dropped_columns"] == ["id", "b"]
    assert run_json(tmp_path, "--config", "c.toml", *FAST, "--drop", "id")["dropped_columns"] == ["id"]


@NEEDS_FEATURE_SCHEMA
def test_bundled_penguins_trains_from_the_command_line(tmp_path: Path) -> None:
    report = run_json(tmp_path, "--dataset", "penguins", "--categorical", "year", "--seed", "0")
    assert report["classes"] == ["Adelie", "Chinstrap", "Gentoo"] and report["n_features"] == 7
    assert report["metrics"]["test"]["accuracy"] > 0.9
