"""POST /train and friends through the Flask test client; jobs run in real runner processes."""

from __future__ import annotations

import errno
import json
import os
import signal

import numpy as np
import pytest
from helpers import IRIS_FEATURES, ROW, job_record, wait_for, wait_for_job, wait_until_running
from pydantic import ValidationError

from model import Network
from model.store import ModelStore
from service import Settings
from service.jobs import DATA, JobStore
from service.schemas import TrainRequest

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def trainer(make_client):
    return make_client(api_token=TOKEN)


def submit(client, body: dict, headers: dict | None = None):
    return client.post("/train", data=json.dumps(body), headers=AUTH if headers is None else headers)


# ---------------------------------------------------------------- auth
def test_without_a_configured_token_training_is_disabled_with_a_hint(client) -> None:
    response = submit(client, {"dataset": "iris"})
    assert response.status_code == 403
    assert "MLP_API_TOKEN" in response.get_json()["error"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic abc"}],
)
def test_a_missing_or_wrong_token_is_401_with_a_bearer_challenge(trainer, headers) -> None:
    for method, path in (("post", "/train"), ("get", "/train"), ("get", "/train/" + "0" * 32)):
        response = getattr(trainer, method)(path, data="{}", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_token_can_come_from_a_file(make_client, tmp_path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    client = make_client(api_token_file=token_file)
    assert client.get("/train", headers={"Authorization": "Bearer from-file"}).status_code == 200
    assert client.get("/train", headers=AUTH).status_code == 401


def test_prediction_endpoints_stay_open_when_a_token_is_set(trainer) -> None:
    assert trainer.post("/predict", data=json.dumps({"instances": [ROW]})).status_code == 200


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ({}, ["body"], "either 'instances'"),
        ({"instances": None, "targets": None, "dataset": None}, ["body"], "either 'instances'"),
        ({"targets": ["a", "b"]}, ["instances"], "targets need their instances"),
        ({"dataset": "iris", "instances": [ROW], "targets": ["a"]}, ["body"], "either 'instances'"),
        ({"dataset": "../../etc/passwd"}, ["dataset"], "unknown dataset"),
        ({"instances": [ROW, ROW]}, ["targets"], "one target per instance"),
        ({"instances": [ROW, ROW], "targets": ["a"]}, ["targets"], "one target per instance"),
        ({"instances": [ROW] * 30, "targets": ["a"] * 30}, ["targets"], "single class"),
        ({"instances": [ROW] * 3, "targets": ["a", "b", "a"]}, ["targets"], "too few rows"),
        ({"instances": [ROW, [1.0]], "targets": ["a", "b"]}, ["instances", 1], "expected 4 features"),
        ({"instances": [[1, float("nan")]], "targets": [1]}, ["instances", 0, 1], "finite"),
        ({"instances": [ROW] * 20, "targets": [1, "b"] * 10}, ["targets"], "mix kinds"),
        ({"dataset": "iris", "epochs": 5000}, ["epochs"], "at most 2000"),
        ({"dataset": "iris", "hidden": [8] * 5}, ["hidden"], "at most 4 layers"),
        ({"dataset": "iris", "hidden": [2048]}, ["hidden"], "at most 1024 units"),
        ({"dataset": "iris", "epochs": 0}, ["epochs"], "greater than or equal to 1"),
        ({"dataset": "iris", "activation": "swish"}, ["activation"], "'relu'"),
        ({"dataset": "iris", "learning_rate": -1}, ["learning_rate"], "greater than 0"),
        ({"dataset": "iris", "optimizer": "rmsprop"}, ["optimizer"], "'adam' or 'sgd'"),
        ({"dataset": "iris", "lr_schedule": "warmup"}, ["lr_schedule"], "'cosine'"),
        ({"dataset": "iris", "dtype": "float16"}, ["dtype"], "'float64'"),
        ({"dataset": "iris", "init": "zeros"}, ["init"], "'glorot'"),
        ({"dataset": "iris", "nesterov": "yes"}, ["nesterov"], "valid boolean"),
        ({"dataset": "iris", "min_delta": -1}, ["min_delta"], "greater than or equal to 0"),
        ({"dataset": "iris", "path": "/etc"}, ["path"], "Extra inputs"),
        (
            {"dataset": "iris", "val_fraction": 0, "test_fraction": 0},
            ["activate"],
            "compares on held-out rows",
        ),
        ({"dataset": "digits", "base": "active"}, ["dataset"], "not the active model's"),
        (
            {"instances": [dict(zip(IRIS_FEATURES, ROW, strict=True))] * 20,
             "targets": ["daisy"] * 10 + ["setosa"] * 10, "base": "active"},
            ["targets"], "does not know",
        ),
        (
            {"instances": [{"a": 1.0}, {"b": 2.0}] * 10, "targets": ["x", "y"] * 10},
            ["instances", 1, "a"], "missing feature",
        ),
    ],
)  # fmt: skip
def test_data_that_cannot_be_trained_on_is_refused_at_request_time(trainer, body, loc, fragment) -> None:
    response = trainer.post("/train", data=json.dumps(body), headers=AUTH)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert error["detail"][0]["loc"] == loc
    assert fragment in error["error"] or fragment in error["detail"][0]["msg"]
    assert trainer.get("/train", headers=AUTH).get_json()["jobs"] == []


def test_a_job_takes_every_option_mlp_train_takes(trainer) -> None:
    options = {
        "init": "he", "dtype": "float64", "seed": None, "optimizer": "sgd", "nesterov": True,
        "lr_schedule": "cosine", "min_delta": 0.001, "epochs": 2, "hidden": [4],
    }  # fmt: skip
    response = submit(trainer, {"dataset": "iris", "activate": "never", **options})
    assert response.status_code == 202, response.get_json()
    record = wait_for_job(trainer, response.get_json()["job_id"], AUTH)
    assert record["status"] == "succeeded", record
    card = trainer.get(f"/models/{record['result']['version']}").get_json()
    assert card["architecture"]["init"] == "he" and card["architecture"]["dtype"] == "float64"
    config = card["training"]["config"]
    assert config["nesterov"] is True and config["lr_schedule"] == "cosine" and config["min_delta"] == 0.001


def test_warm_start_without_an_active_model_is_409(make_client, tmp_path) -> None:
    client = make_client(model_dir=tmp_path, api_token=TOKEN)
    assert submit(client, {"dataset": "iris", "base": "active"}).status_code == 409


def test_a_body_over_the_training_limit_is_413(make_client) -> None:
    client = make_client(api_token=TOKEN, max_train_body_bytes=2048)
    body = {"instances": [ROW] * 200, "targets": ["a", "b"] * 100}
    assert submit(client, body).status_code == 413


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, ["body"]),
        ({"instances": None, "targets": None, "dataset": None}, ["body"]),
        ({"instances": None, "targets": None, "dataset": None, "epochs": 3}, ["body"]),
        ({"instances": [ROW], "targets": ["a"], "dataset": "iris"}, ["body"]),
        ({"instances": [ROW], "targets": None}, ["targets"]),
        ({"targets": ["a"], "dataset": None}, ["instances"]),
    ],
)
def test_the_train_schema_itself_requires_instances_with_targets_or_a_dataset(body, loc) -> None:
    with pytest.raises(ValidationError) as raised:
        TrainRequest.model_validate_json(json.dumps(body))
    assert [error["loc"] for error in raised.value.errors()] == [tuple(loc)]


def test_the_openapi_document_says_instances_with_targets_or_a_dataset(trainer) -> None:
    document = trainer.get("/openapi.json").get_json()
    forms = document["components"]["schemas"]["TrainRequest"]["oneOf"]
    assert [form["required"] for form in forms] == [["instances", "targets"], ["dataset"]]


# ---------------------------------------------------------------- jobs
def test_a_job_trains_publishes_activates_and_reports_everything(trainer, store_dir) -> None:
    response = submit(trainer, {"dataset": "iris", "epochs": 40, "hidden": [16], "activate": "always"})
    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    assert response.headers["Location"] == f"/train/{job_id}"
    record = wait_for_job(trainer, job_id, AUTH)
    assert record["status"] == "succeeded", record
    assert record["pid"] and record["pid"] != os.getpid()
    assert (
        record["progress"]["epoch"] == record["progress"]["epochs"] == 40 or record["progress"]["epoch"] >= 1
    )
    assert record["started_at"] and record["finished_at"] and record["duration_s"] >= 0
    result = record["result"]
    assert result["activated"] is True and ModelStore(store_dir).active_version() == result["version"]
    assert set(result["metrics"]) == {"train", "validation", "test"}
    assert (
        trainer.post("/predict", data=json.dumps({"instances": [ROW]})).headers["X-Model-Version"]
        == result["version"]
    )
    listed = trainer.get("/train", headers=AUTH).get_json()["jobs"]
    assert [job["job_id"] for job in listed] == [job_id]


def test_inline_rows_as_objects_can_warm_start_the_active_model(trainer, store_dir, iris) -> None:
    x, y = iris
    rows = [dict(zip(IRIS_FEATURES, map(float, row), strict=True)) for row in x]
    body = {"instances": rows, "targets": y.tolist(), "base": "active", "epochs": 3, "activate": "never"}
    record = wait_for_job(trainer, submit(trainer, body).get_json()["job_id"], AUTH)
    assert record["status"] == "succeeded", record
    assert record["result"]["activated"] is False
    assert record["request"]["base"] == "active" and record["request"]["rows"] == 150
    card = trainer.get(f"/models/{record['result']['version']}").get_json()
    assert card["architecture"]["layer_sizes"] == [4, 8, 3]  # the active model's architecture, kept


def test_if_better_keeps_a_worse_model_out_and_shows_both_figures(trainer, store_dir) -> None:
    good = wait_for_job(
        trainer,
        submit(trainer, {"dataset": "iris", "epochs": 200, "activate": "always"}).get_json()["job_id"],
        AUTH,
    )
    assert good["result"]["activated"] is True
    worse = submit(trainer, {"dataset": "iris", "epochs": 1, "learning_rate": 1e-5, "activate": "if_better"})
    record = wait_for_job(trainer, worse.get_json()["job_id"], AUTH)
    comparison = record["result"]["comparison"]
    assert record["result"]["activated"] is False
    assert comparison["active_version"] == good["result"]["version"]
    assert comparison["loss"] == "log_loss" and comparison["new_loss"] > comparison["active_loss"]
    assert comparison["new"] < comparison["active"] and comparison["metric"] == "accuracy"
    assert comparison["rows"] == 42  # iris: 30 test rows and 12 validation rows, both scored
    assert "not lower" in record["result"]["activation_reason"]
    assert ModelStore(store_dir).active_version() == good["result"]["version"]


def test_a_running_job_can_be_cancelled_and_publishes_nothing(trainer, store_dir) -> None:
    before = len(ModelStore(store_dir).versions())
    job_id = submit(
        trainer, {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "always"}
    ).get_json()["job_id"]
    wait_until_running(trainer, job_id, AUTH)
    response = trainer.delete(f"/train/{job_id}", headers=AUTH)
    assert response.status_code in (200, 202)
    record = wait_for_job(trainer, job_id, AUTH)
    assert record["status"] == "cancelled" and record["cancel_requested"] is True
    assert len(ModelStore(store_dir).versions()) == before
    assert trainer.delete(f"/train/{job_id}", headers=AUTH).status_code == 409


def test_a_killed_training_process_is_reported_failed_and_the_old_model_keeps_serving(
    trainer, store_dir
) -> None:
    active = ModelStore(store_dir).active_version()
    job_id = submit(
        trainer, {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "always"}
    ).get_json()["job_id"]
    record = wait_until_running(trainer, job_id, AUTH)
    os.kill(record["pid"], signal.SIGKILL)
    record = wait_for_job(trainer, job_id, AUTH, until=lambda job: job["status"] != "running", timeout=10)
    assert record["status"] == "failed" and "died" in record["error"]
    assert ModelStore(store_dir).active_version() == active
    assert (
        trainer.post("/predict", data=json.dumps({"instances": [ROW]})).headers["X-Model-Version"] == active
    )


def test_beyond_the_running_and_queued_limit_submissions_get_429(make_client) -> None:
    client = make_client(api_token=TOKEN, max_train_jobs=1, max_queued_jobs=1)
    long_job = {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "never"}
    first = submit(client, long_job).get_json()["job_id"]
    wait_until_running(client, first, AUTH)  # it holds the one slot: runners race for it otherwise
    second = submit(client, long_job).get_json()["job_id"]
    assert job_record(client, second, AUTH)["status"] == "queued"
    third = submit(client, long_job)
    assert third.status_code == 429 and third.headers["Retry-After"]
    for job_id in (second, first):
        client.delete(f"/train/{job_id}", headers=AUTH)
    assert {wait_for_job(client, job_id, AUTH)["status"] for job_id in (first, second)} == {"cancelled"}


def test_unknown_jobs_are_404(trainer) -> None:
    assert trainer.get("/train/" + "f" * 32, headers=AUTH).status_code == 404
    assert trainer.get("/train/../../etc", headers=AUTH).status_code == 404
    assert trainer.delete("/train/nope", headers=AUTH).get_json()["code"] == "unknown_job"


# ---------------------------------------------------------------- activation (rollback)
def test_any_stored_version_can_be_activated_and_a_broken_one_is_409(trainer, store_dir, iris_net) -> None:
    store = ModelStore(store_dir)
    first = store.active_version()
    second = store.publish(iris_net.save, {}).version
    response = trainer.post(f"/models/{first}/activate", headers=AUTH)
    assert response.status_code == 200 and response.get_json() == {"active": first, "previous": second}
    assert trainer.get("/model").get_json()["version"] == first
    broken = store.publish(lambda path: path.write_bytes(b"junk"), {}, activate=False).version
    refused = trainer.post(f"/models/{broken}/activate", headers=AUTH)
    assert refused.status_code == 409 and refused.get_json()["code"] == "invalid_version"
    assert store.active_version() == first
    assert trainer.post("/models/20990101T000000000000Z-abcdef/activate", headers=AUTH).status_code == 404
    assert trainer.post(f"/models/{first}/activate").status_code == 401


# ---------------------------------------------------------------- hardening (issue 12)
RNG_ROWS = np.random.default_rng(0).normal(size=(60, 3))


@pytest.fixture
def client_with_active(client_for):
    """``client_with_active(y)``: a test client whose active model was fitted on ``RNG_ROWS``, ``y``."""

    def build(y: np.ndarray):
        net = Network((4,), seed=0)
        net.fit(RNG_ROWS, y, epochs=2, val_fraction=0)
        return client_for(net, api_token=TOKEN)

    return build


ROWS = RNG_ROWS.tolist()
AS_TEXT = [str(v) for v in RNG_ROWS[:, 0]]
BINARY = (RNG_ROWS[:, 0] > 0).astype(int)
MULTILABEL = (RNG_ROWS > 0).astype(int)
TWO_TARGETS = RNG_ROWS[:, :2] * 7.5


@pytest.mark.parametrize(
    ("active_y", "body", "loc", "fragment"),
    [
        (BINARY, {"targets": AS_TEXT, "task": "regression"}, ["targets"], "holds text"),
        (BINARY, {"targets": [bool(v) for v in BINARY], "task": "regression"}, ["targets"], "true/false"),
        (BINARY, {"targets": [10**400] + [1.5] * 59}, ["targets"], "row 0: whole numbers"),
        (BINARY, {"targets": [1.5] * 59 + [10**400]}, ["targets"], "row 59: whole numbers"),
        (TWO_TARGETS, {"targets": AS_TEXT, "base": "active"}, ["targets"], "holds text"),
        (BINARY, {"targets": BINARY.astype(str).tolist(), "base": "active"}, ["targets"], "know: ['0', '1']"),
        (MULTILABEL, {"targets": [[0, 1]] * 60, "base": "active"}, ["targets"], "0/1 lists of 3"),
        (MULTILABEL, {"targets": [[]] * 60, "base": "active"}, ["targets", 0], "must not be empty"),
        (MULTILABEL, {"targets": [0, 1] * 30, "base": "active"}, ["targets"], "0/1 lists of 3"),
        (TWO_TARGETS, {"targets": RNG_ROWS.tolist(), "base": "active"}, ["targets"], "predicts 2 target(s)"),
        (BINARY, {"targets": [[0.5, 1.0]] * 60, "base": "active"}, ["targets"], "one label per row"),
        (BINARY, {"targets": [1e999] + [1.0] * 59}, ["targets"], "row 0: must be finite"),
        (BINARY, {"targets": [[1.0, 2.0]] * 59 + [[1.0, 1e999]]}, ["targets"], "row 59, column 1"),
        (BINARY, {"instances": [r[:2] for r in ROWS], "targets": BINARY.tolist(), "base": "active"},
         ["instances", 0], "rows of 2 features; the active model takes 3"),
        (BINARY, {"instances": [[1.0, True, 2.0], *ROWS[1:]], "targets": BINARY.tolist()},
         ["instances", 0, 1], "must be a finite number, a text or null"),
        (BINARY, {"targets": [[0, 1]] * 60, "target_names": ["a"]}, ["target_names"], "2 distinct names"),
    ],
)  # fmt: skip
def test_targets_that_cannot_train_are_refused_once_at_request_time_with_one_clear_error(
    client_with_active, active_y, body, loc, fragment
) -> None:
    client = client_with_active(active_y)
    response = submit(client, {"instances": ROWS, "activate": "never", **body})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()
    assert len(error["detail"]) == 1 and error["detail"][0]["loc"] == loc
    assert fragment in error["error"]
    assert "np." not in error["error"] and "union" not in error["error"]
    assert client.get("/train", headers=AUTH).get_json()["jobs"] == []


def test_float_labels_equal_to_a_binary_models_labels_can_warm_start_it(client_with_active) -> None:
    client = client_with_active(BINARY)
    body = {"instances": ROWS, "targets": BINARY.astype(float).tolist(), "base": "active", "epochs": 2}
    record = wait_for_job(client, submit(client, {**body, "activate": "never"}).get_json()["job_id"], AUTH)
    assert record["status"] == "succeeded", record


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ({"dataset": "iris", "test_fraction": 0.1, "val_fraction": 0.05}, ["activate"], "21 of 150"),
        ({"instances": [ROW] * 40, "targets": ["a", "b"] * 20}, ["activate"], "12 of 40 rows (test_"),
        ({"dataset": "iris", "patience": 2001}, ["patience"], "at most 2000"),
    ],
)
def test_if_better_without_enough_held_out_rows_and_unbounded_patience_are_refused(
    trainer, body, loc, fragment
) -> None:
    response = submit(trainer, body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["detail"][0]["loc"] == loc
    assert fragment in response.get_json()["error"]
    assert "at least 30" in response.get_json()["error"] or loc == ["patience"]


def test_more_classes_than_the_server_allows_are_refused(make_client) -> None:
    client = make_client(api_token=TOKEN, max_classes=5)
    body = {"instances": [[float(i)] for i in range(60)], "targets": [f"c{i % 6}" for i in range(60)]}
    response = submit(client, {**body, "activate": "never"})
    assert response.status_code == 422
    assert response.get_json()["detail"][0] == {
        "loc": ["targets"], "msg": "6 classes: at most 5 on this server", "type": "limit"
    }  # fmt: skip


def test_a_job_over_the_time_limit_fails_saying_so_and_publishes_nothing(make_client, store_dir) -> None:
    client = make_client(api_token=TOKEN, max_train_seconds=0.05)
    versions = len(ModelStore(store_dir).versions())
    body = {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "always"}
    record = wait_for_job(client, submit(client, body).get_json()["job_id"], AUTH)
    assert record["status"] == "failed"
    assert (
        record["error"] == "exceeded the time limit of 0.05 s (MLP_MAX_TRAIN_SECONDS); nothing was published"
    )
    assert record["progress"]["epoch"] < 2000
    assert len(ModelStore(store_dir).versions()) == versions


@pytest.mark.parametrize("keep", [False, True])
def test_a_finished_job_drops_its_training_rows_unless_told_to_keep_them(
    make_client, store_dir, keep
) -> None:
    client = make_client(api_token=TOKEN, keep_job_data=keep)
    job_id = submit(client, {"dataset": "iris", "epochs": 2, "activate": "never"}).get_json()["job_id"]
    record = wait_for_job(client, job_id, AUTH)
    request_file = store_dir / "jobs" / job_id / DATA
    # The runner removes it after writing the final record.
    wait_for(lambda: request_file.exists() is keep, timeout=10, message=f"{request_file} exists: {not keep}")
    assert record["status"] == "succeeded" and request_file.exists() is keep
    assert (store_dir / "jobs" / job_id / "job.json").exists()


def test_old_finished_jobs_are_pruned_to_the_retention(make_client) -> None:
    client = make_client(api_token=TOKEN, job_retention=1)
    ids = []
    for _ in range(3):
        ids.append(submit(client, {"dataset": "iris", "epochs": 1, "activate": "never"}).get_json()["job_id"])
        wait_for_job(client, ids[-1], AUTH)
    listed = [job["job_id"] for job in client.get("/train", headers=AUTH).get_json()["jobs"]]
    assert listed[0] == ids[-1] and len(listed) <= 2 and ids[0] not in listed


# ---------------------------------------------------------------- a full disk
def full_disk(*args, **kwargs) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_reading_a_dead_job_writes_nothing_and_answers_on_a_full_disk(
    trainer, store_dir, monkeypatch
) -> None:
    jobs = JobStore(store_dir)
    record = jobs.create(b"{}", {})
    stale = record.model_copy(update={"pid": 2**22 + 1, "status": "running"})  # no such process
    jobs.write(stale)
    before = sorted(path.name for path in (store_dir / "jobs" / record.job_id).iterdir())
    monkeypatch.setattr("service.jobs.write_atomically", full_disk)
    for path in (f"/train/{record.job_id}", "/train"):
        response = trainer.get(path, headers=AUTH)
        assert response.status_code == 200, response.get_json()
    shown = trainer.get(f"/train/{record.job_id}", headers=AUTH).get_json()
    assert shown["status"] == "failed" and "died" in shown["error"]
    assert JobStore(store_dir).read_raw(record.job_id).status == "running"  # nothing rewritten
    assert sorted(path.name for path in (store_dir / "jobs" / record.job_id).iterdir()) == before


def test_a_job_that_cannot_be_recorded_is_507_and_leaves_nothing_behind(
    trainer, store_dir, monkeypatch
) -> None:
    real_open = open

    def open_on_full_disk(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode and str(path).endswith(".tmp"):
            handle.close()
            raise OSError(errno.ENOSPC, "No space left on device")
        return handle

    monkeypatch.setattr("builtins.open", open_on_full_disk)
    response = submit(trainer, {"dataset": "iris", "activate": "never"})
    monkeypatch.undo()
    assert response.status_code == 507
    assert response.get_json() == {
        "error": "the job could not be recorded: No space left on device",
        "code": "insufficient_storage",
        "detail": [],
    }
    assert [path.name for path in (store_dir / "jobs").iterdir() if not path.name.startswith(".")] == []


# ---------------------------------------------------------------- target names
def test_multi_label_and_multi_target_models_keep_their_target_names(client_with_active) -> None:
    client = client_with_active(BINARY)
    for targets, names in ((MULTILABEL, ["a", "b", "c"]), (TWO_TARGETS, ["height", "width"])):
        body = {"instances": ROWS, "targets": targets.tolist(), "target_names": names, "epochs": 2}
        job_id = submit(client, {**body, "activate": "always"}).get_json()["job_id"]
        record = wait_for_job(client, job_id, AUTH)
        assert record["status"] == "succeeded", record
        card = client.get("/model").get_json()
        assert card["target_names"] == names
        answer = client.post("/predict", data=json.dumps({"instances": ROWS[:2]})).get_json()
        assert answer["target_names"] == names
        if card["multilabel"]:
            assert card["classes"] == names and answer["classes"] == names


def test_a_store_failure_while_activating_is_503_without_a_path(trainer, store_dir, monkeypatch) -> None:
    from model.store import StoreNotWritableError

    def refuse(self, version, validate=None):
        raise StoreNotWritableError(f"model store root {store_dir} is not writable: Read-only file system")

    monkeypatch.setattr(ModelStore, "activate", refuse)
    version = ModelStore(store_dir).active_version()
    response = trainer.post(f"/models/{version}/activate", headers=AUTH)
    body = response.get_json()
    assert response.status_code == 503 and body["code"] == "store_error"
    assert str(store_dir) not in json.dumps(body)


def test_the_job_runner_prunes_with_the_services_version_retention(store_dir) -> None:
    from service.job_runner import Runner
    from service.jobs import JobStore

    settings = Settings(model_dir=store_dir, keep_versions=3)
    record = JobStore(store_dir).create(b"{}", {})
    assert Runner(store_dir, record.job_id, settings).store.retention == 3
