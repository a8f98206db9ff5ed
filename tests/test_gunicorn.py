"""The real thing: gunicorn with 2 workers on 127.0.0.1, real HTTP, hot swaps seen by every worker."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers import IRIS_FEATURES, ROW, named, wait_for, wait_until_every_worker_serves
from servers import gunicorn

from model import Network, load
from model.store import ModelStore


@pytest.fixture
def env(store_dir: Path, tmp_path: Path) -> dict[str, str]:
    return {"MLP_MODEL_DIR": str(store_dir), "MLP_METRICS_DIR": str(tmp_path / "metrics")}


def test_predictions_over_real_http_with_both_forms_and_json_errors(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log") as server:
        status, headers, body = server.request("POST", "/predict", {"instances": [ROW]})
        assert status == 200 and body["predictions"] == ["setosa"]
        assert headers["X-Model-Version"] == body["model_version"]
        assert server.request("POST", "/predict", {"instances": [named(ROW)]})[2]["predictions"] == ["setosa"]
        status, headers, body = server.request("POST", "/predict", b"{bad json")
        assert (
            status == 400 and headers["Content-Type"] == "application/json" and body["code"] == "invalid_json"
        )
        assert server.request("GET", "/nowhere")[0] == 404
        assert server.request("PUT", "/predict")[2]["code"] == "method_not_allowed"


def test_every_worker_switches_to_a_newly_activated_version_without_a_restart(
    env, store_dir, iris, tmp_path
) -> None:
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        x, y = iris
        net = Network(hidden=(5,), seed=3)
        net.fit(x, y, epochs=3, feature_names=IRIS_FEATURES)
        new = ModelStore(store_dir).publish(net.save, {}).version
        wait_until_every_worker_serves(server, new)
        assert len(server.worker_pids()) == 2
        versions = {
            server.request("POST", "/predict", {"instances": [ROW]})[1]["X-Model-Version"] for _ in range(40)
        }
        assert versions == {new}


def test_metrics_add_up_across_workers(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log", workers=2) as server:
        for _ in range(30):
            server.request("POST", "/predict", {"instances": [ROW, ROW]})
        text = server.request("GET", "/metrics")[2]
        assert "mlp_predicted_rows_total 60.0" in text
        assert 'mlp_http_requests_total{endpoint="/predict",method="POST",status="200"} 30.0' in text


def test_a_store_without_a_model_is_live_but_not_ready(tmp_path) -> None:
    env = {"MLP_MODEL_DIR": str(tmp_path / "empty"), "MLP_METRICS_DIR": str(tmp_path / "metrics")}
    with gunicorn(env, tmp_path / "log", workers=1, wait_ready=False) as server:
        assert server.request("GET", "/health")[0] == 200
        status, _, body = server.request("GET", "/ready")
        assert status == 503 and body["ready"] is False
        assert server.request("POST", "/predict", {"instances": [ROW]})[0] == 503


def test_request_log_lines_are_json_with_the_request_id(env, tmp_path) -> None:
    with gunicorn(env, tmp_path / "log", workers=1) as server:
        server.request("POST", "/predict", {"instances": [ROW]}, headers={"X-Request-ID": "trace-42"})
        lines = wait_for(lambda: [line for line in server.log().splitlines() if "trace-42" in line])
        record = json.loads(lines[0].split("service.access: ", 1)[1])
        assert record["request_id"] == "trace-42" and record["status"] == 200 and record["path"] == "/predict"
        assert record["duration_ms"] > 0 and record["model_version"]


def test_respawned_workers_serve_the_same_last_good_version_when_the_pointer_names_a_broken_one(
    env, store_dir, iris_net, tmp_path
) -> None:
    # Workers are recycled every 3 requests, so most requests below reach a freshly forked one.
    recycled = {**env, "GUNICORN_CMD_ARGS": "--max-requests 3 --max-requests-jitter 0"}
    with gunicorn(recycled, tmp_path / "log", workers=2) as server:
        store = ModelStore(store_dir)
        good = store.publish(iris_net.save, {}, validate=load).version  # the master booted before it
        wait_until_every_worker_serves(server, good)
        broken = store.publish(lambda path: path.write_bytes(b"not a model"), {}).version

        served = [server.request("POST", "/predict", {"instances": [ROW]}) for _ in range(40)]

        versions = [headers.get("X-Model-Version") for _, headers, _ in served]
        assert set(versions) == {good}, (versions, server.log()[-3000:])
        assert {status for status, _, _ in served} == {200}
        _, _, ready = server.request("GET", "/ready")
        assert ready["model_version"] == good and broken in ready["last_reload_error"]
        assert str(store_dir) not in ready["last_reload_error"]
        assert len({pid for pid, _ in server.access_records()}) >= 10  # respawned



def test_a_bad_setting_stops_gunicorn_with_one_line_naming_the_variable(tmp_path) -> None:
    from servers import GUNICORN, ROOT

    env = {**os.environ, "MLP_MODEL_DIR": str(tmp_path), "MLP_MAX_ROWS": "abc"}
    done = subprocess.run(GUNICORN, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output
    assert "error: invalid settings: MLP_MAX_ROWS:" in output
