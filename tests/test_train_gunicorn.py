"""/train against real gunicorn with 2 workers: jobs outlive requests, every worker swaps."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers import ROW, wait_for_job, wait_until_every_worker_answers, wait_until_every_worker_serves
from servers import gunicorn

from model.store import ModelStore

TOKEN = "gunicorn-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def env(store_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "MLP_MODEL_DIR": str(store_dir),
        "MLP_METRICS_DIR": str(tmp_path / "metrics"),
        "MLP_API_TOKEN": TOKEN,
        "MLP_MAX_TRAIN_JOBS": "1",
        "MLP_MAX_QUEUED_JOBS": "1",
    }


def test_a_job_is_polled_through_both_workers_and_every_worker_serves_the_new_version(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        status, headers, body = server.request(
            "POST", "/train", {"dataset": "iris", "epochs": 60, "activate": "always"}, headers=AUTH
        )
        assert status == 202 and headers["Location"] == f"/train/{body['job_id']}"
        path = f"/train/{body['job_id']}"
        record = wait_for_job(server, body["job_id"], AUTH)
        assert record["status"] == "succeeded", record

        def same_record() -> None:
            assert server.request("GET", path, headers=AUTH)[2] == record

        wait_until_every_worker_answers(server, same_record, lambda logged: logged["path"] == path)
        assert len(server.worker_pids()) == 2
        new = record["result"]["version"]
        wait_until_every_worker_serves(server, new)
        seen = {
            server.request("POST", "/predict", {"instances": [ROW]})[1]["X-Model-Version"] for _ in range(30)
        }
        assert seen == {new}


def test_predictions_keep_flowing_while_a_job_trains(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        _, _, body = server.request(
            "POST",
            "/train",
            {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "never"},
            headers=AUTH,
        )
        statuses = [server.request("POST", "/predict", {"instances": [ROW]})[0] for _ in range(100)]
        assert statuses == [200] * 100
        assert server.request("GET", f"/train/{body['job_id']}", headers=AUTH)[2]["status"] in (
            "queued",
            "running",
        )
        server.request("DELETE", f"/train/{body['job_id']}", headers=AUTH)
        assert wait_for_job(server, body["job_id"], AUTH)["status"] == "cancelled"


def test_concurrent_submissions_respect_the_running_and_queued_limit(env, tmp_path, store_dir) -> None:
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        long_job = {"dataset": "digits", "epochs": 2000, "patience": 2000, "activate": "never"}
        results: list[tuple[int, dict]] = []

        def submit() -> None:
            status, _, body = server.request("POST", "/train", long_job, headers=AUTH)
            results.append((status, body))

        threads = [threading.Thread(target=submit) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(status for status, _ in results)
        assert statuses == [202, 202, 429, 429, 429, 429]
        for status, body in results:
            if status == 202:
                server.request("DELETE", f"/train/{body['job_id']}", headers=AUTH)
        for status, body in results:
            if status == 202:
                assert wait_for_job(server, body["job_id"], AUTH)["status"] == "cancelled"
        assert len(ModelStore(store_dir).versions()) == 1


def test_rollback_over_real_gunicorn_reaches_every_worker(env, tmp_path, store_dir, iris_net) -> None:
    store = ModelStore(store_dir)
    first = store.active_version()
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        second = store.publish(iris_net.save, {}).version
        status, _, body = server.request("POST", f"/models/{first}/activate", headers=AUTH)
        assert status == 200 and body == {"active": first, "previous": second}
        wait_until_every_worker_serves(server, first)
        seen = {
            server.request("POST", "/predict", {"instances": [ROW]})[1]["X-Model-Version"] for _ in range(20)
        }
        assert seen == {first}


def test_an_early_stopped_job_reports_its_last_epoch(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log", workers=1) as server:
        job = {"dataset": "iris", "epochs": 2000, "patience": 1, "activate": "never"}
        _, _, body = server.request("POST", "/train", job, headers=AUTH)
        record = wait_for_job(server, body["job_id"], AUTH)
        assert record["status"] == "succeeded"
        assert record["progress"]["epoch"] < 2000 and record["progress"]["epochs"] == 2000
        card = server.request("GET", f"/models/{record['result']['version']}")[2]
        assert len(card["training"]["history"]["epochs"]) == record["progress"]["epoch"]
