"""Training jobs apart from HTTP: the runner process, the prepared job, the record's writers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import wait_for_job, wait_until_running
from test_service_train import AUTH, TOKEN, submit

from model import loads as load_bytes
from model.datasets import Table, load_bundled
from model.pipeline import Split, TrainOptions, plan_split
from model.store import ModelStore
from service import Settings
from service.job_runner import Runner
from service.jobs import DATA, JobStore
from service.prepared import PreparedJob
from service.schemas import TrainRequest
from service.training import JobRequestError, prepare

ROOT = Path(__file__).resolve().parents[1]
WEB_MODULES = ("flask", "werkzeug", "gunicorn", "service.app", "service.errors", "service.routes")


@pytest.mark.parametrize("module", ["service.job_runner", "service.jobs", "service.training"])
def test_the_job_code_loads_no_web_framework(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith({WEB_MODULES!r})))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"


def test_the_service_package_still_exports_the_app_factory_and_settings() -> None:
    import service

    assert callable(service.create_app) and service.Settings().max_train_jobs >= 1
    with pytest.raises(AttributeError):
        service.no_such_name  # noqa: B018


# ---------------------------------------------------------------- the prepared job
LABELS = np.array(["setosa", "versicolor"] * 10)
TARGETS = {
    "text labels": LABELS,
    "integer labels": np.arange(20) % 3,
    "floats": np.linspace(0, 1, 20),
    "multi-label": (np.arange(40).reshape(20, 2) % 3 == 0).astype(np.int64),
    "true/false": np.arange(20) % 2 == 0,
}


@pytest.mark.parametrize("y", TARGETS.values(), ids=TARGETS.keys())
def test_a_prepared_job_reads_back_from_its_file_without_pickle(y: np.ndarray) -> None:
    x = np.random.default_rng(0).normal(size=(20, 3))
    table = Table(x, y, ("a", "b", "c"), ("t",), "request", 0.25)
    split = Split(np.arange(15), np.arange(15, 20), 2)
    prepared = PreparedJob(table, TrainOptions(epochs=3, hidden=(4,)), "classification", split, "never", "v1")
    again = PreparedJob.from_bytes(prepared.to_bytes())
    assert np.array_equal(again.table.x, x) and again.table.x.dtype == x.dtype
    assert np.array_equal(again.table.y, y) and again.table.y.dtype == y.dtype
    assert again.table.feature_names == ("a", "b", "c") and again.table.target_names == ("t",)
    assert np.array_equal(again.split.fit_rows, split.fit_rows) and again.split.held_out == 7
    assert (again.options, again.task, again.activate, again.base_version) == (
        prepared.options,
        "classification",
        "never",
        "v1",
    )


# Every kind of raw cell a table with text holds (``CELL_KINDS``), in every column.
MIXED = np.array(
    [
        [1.5, "red", None, 2**70],
        [None, "NA", 4, "4.0"],
        [float("nan"), 3.0, True, ""],
        [2.0, None, "x", False],
    ],
    dtype=object,
)


def same_cell(got: object, want: object) -> bool:
    if isinstance(want, float) and np.isnan(want):
        return isinstance(got, float) and np.isnan(got)
    return type(got) is type(want) and got == want


def test_a_prepared_job_with_text_reads_back_every_cell_as_it_was_given() -> None:
    table = Table(
        MIXED, LABELS[:4], ("a", "b", "c", "d"), ("t",), "CSV body", 0.5,
        feature_types={"a": "categorical"}, skipped_rows=2, dropped_columns=("id",), notes=("a note",),
    )  # fmt: skip
    split = Split(np.arange(3), np.arange(3, 4), 1)
    data = PreparedJob(table, TrainOptions(), "classification", split, "never").to_bytes()
    again = PreparedJob.from_bytes(data).table
    assert again.x.dtype == object and again.x.shape == MIXED.shape
    pairs = zip(again.x.ravel(), MIXED.ravel(), strict=True)
    assert all(same_cell(got, want) for got, want in pairs), again.x
    assert (again.feature_types, again.skipped_rows, again.dropped_columns, again.notes) == (
        {"a": "categorical"}, 2, ("id",), ("a note",)
    )  # fmt: skip
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        assert not any(arrays[name].dtype.hasobject for name in arrays.files)


def test_a_cell_of_another_kind_is_never_written_to_a_prepared_job() -> None:
    x = np.array([[1.0], [object()]], dtype=object)
    prepared = PreparedJob(
        Table(x, LABELS[:2], ("a",), ("t",), "request"), TrainOptions(), "classification",
        Split(np.arange(1), np.arange(1, 2), 0), "never",
    )  # fmt: skip
    with pytest.raises(TypeError, match="numbers, text or None"):
        prepared.to_bytes()


def test_object_arrays_are_never_written_to_a_prepared_job() -> None:
    table = Table(np.zeros((4, 1)), np.array(["a", 1, None, 2.0], dtype=object), ("x",), ("t",), "request")
    prepared = PreparedJob(
        table, TrainOptions(), "classification", Split(np.arange(3), np.arange(3, 4), 0), "never"
    )
    with pytest.raises(TypeError, match="object array"):
        prepared.to_bytes()


@pytest.mark.parametrize(
    ("body", "loc", "code"),
    [
        ({"dataset": "nope"}, ["dataset"], "validation_error"),
        ({"dataset": "iris", "epochs": 5000}, ["epochs"], "validation_error"),
        ({"dataset": "iris", "base": "active"}, ["base"], "no_model"),
    ],
)
def test_prepare_refuses_with_a_location_and_a_code_and_no_http_status(body, loc, code) -> None:
    with pytest.raises(JobRequestError) as raised:
        prepare(TrainRequest.model_validate(body), Settings(), None, None)
    assert raised.value.loc == loc and raised.value.code == code
    assert not hasattr(raised.value, "status")


# ---------------------------------------------------------------- jobs through the service
@pytest.fixture
def trainer(make_app):
    return make_app(api_token=TOKEN, keep_job_data=True)


@pytest.mark.parametrize("base", ["scratch", "active"])
def test_the_worker_stores_the_validated_job_and_not_the_request_body(trainer, store_dir, base) -> None:
    client = trainer.test_client()
    active = ModelStore(store_dir).active_version()
    body = {"dataset": "iris", "epochs": 2, "seed": None, "base": base, "activate": "never"}
    job_id = submit(client, body).get_json()["job_id"]
    assert wait_for_job(client, job_id, AUTH)["status"] == "succeeded"
    directory = store_dir / "jobs" / job_id
    assert not (directory / "request.json").exists()
    prepared = PreparedJob.from_bytes((directory / DATA).read_bytes())
    assert prepared.table.x.shape == (150, 4) and prepared.table.y.dtype.kind == "U"
    assert prepared.task == "classification" and prepared.activate == "never"
    assert prepared.base_version == (active if base == "active" else None)


def test_the_runner_trains_the_prepared_split_and_reads_the_active_model_once(
    store_dir: Path, monkeypatch
) -> None:
    """No second parse, task resolution or split in the runner; one read of the artifact, one
    load for scoring and one more (of the same bytes) for the warm start."""
    import model.pipeline
    import service.job_runner

    active = ModelStore(store_dir).active_version()
    table = load_bundled("iris")
    split = plan_split(table, TrainOptions(seed=None), "classification")
    prepared = PreparedJob(table, TrainOptions(epochs=2, seed=None), "classification", split, "never", active)
    jobs = JobStore(store_dir)
    job_id = jobs.create(prepared.to_bytes(), {}).job_id

    def not_again(*args, **kwargs):
        raise AssertionError("the runner recomputed what the worker prepared")

    monkeypatch.setattr(model.pipeline, "plan_split", not_again)
    monkeypatch.setattr(model.pipeline, "resolve_task", not_again)
    loaded, read = [], []
    monkeypatch.setattr(service.job_runner, "loads", lambda data: loaded.append(data) or load_bytes(data))
    real_get = ModelStore.get
    monkeypatch.setattr(
        ModelStore, "get", lambda self, version: read.append(version) or real_get(self, version)
    )
    Runner(store_dir, job_id, Settings(model_dir=store_dir)).run()
    record = jobs.read(job_id)
    assert record.status == "succeeded", record.error
    assert read == [active] and len(loaded) == 2 and loaded[0] is loaded[1]


def test_cancelling_answers_at_once_and_the_job_then_reads_cancelled(trainer, store_dir) -> None:
    client = trainer.test_client()
    long_job = {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "always"}
    job_id = submit(client, long_job).get_json()["job_id"]
    wait_until_running(client, job_id, AUTH)
    response = client.delete(f"/train/{job_id}", headers=AUTH)
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["cancel_requested"] is True and answer["status"] in ("queued", "running")
    assert wait_for_job(client, job_id, AUTH)["status"] == "cancelled"


def test_a_queued_job_starts_when_the_slot_frees(make_client) -> None:
    client = make_client(api_token=TOKEN, max_train_jobs=1)
    first = submit(client, {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "never"})
    wait_until_running(client, first.get_json()["job_id"], AUTH)  # it holds the one slot
    second = submit(client, {"dataset": "iris", "epochs": 2, "activate": "never"}).get_json()["job_id"]
    assert client.get(f"/train/{second}", headers=AUTH).get_json()["status"] == "queued"
    client.delete(f"/train/{first.get_json()['job_id']}", headers=AUTH)
    assert wait_for_job(client, second, AUTH, timeout=30)["status"] == "succeeded"


def test_a_job_whose_runner_cannot_start_is_500_and_leaves_no_record(trainer, store_dir, monkeypatch) -> None:
    import service.job_runner

    def cannot_start(*args, **kwargs):
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(service.job_runner.subprocess, "Popen", cannot_start)
    client = trainer.test_client()
    response = submit(client, {"dataset": "iris", "epochs": 2, "activate": "never"})
    assert response.status_code == 500 and str(store_dir) not in response.get_data(as_text=True)
    assert client.get("/train", headers=AUTH).get_json()["jobs"] == []


def test_a_finished_runner_is_reaped_not_left_a_zombie(trainer) -> None:
    client = trainer.test_client()
    record = wait_for_job(client, submit(client, {"dataset": "iris", "epochs": 2}).get_json()["job_id"], AUTH)
    stat = Path(f"/proc/{record['pid']}/stat")
    deadline = time.monotonic() + 30
    while stat.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not stat.exists(), stat.read_text()


def test_a_store_failure_is_recorded_without_a_server_path() -> None:
    from model.store import StoreFullError, StoreNotWritableError
    from service.job_runner import describe_error

    for error in (
        StoreFullError("model store root /srv/secret/store is full (No space left on device)"),
        StoreNotWritableError("model store root /srv/secret/store is not writable: Read-only file system"),
        OSError(13, "Permission denied", "/srv/secret/store/versions"),
    ):
        message = describe_error(error)
        assert "/srv" not in message and "nothing was published" in message
