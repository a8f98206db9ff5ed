"""The Kubernetes proxy sidecar for real: Debian's nginx runs the ConfigMap's nginx.conf and
proxy.conf (deploy/k8s/nginx-configmap.yaml) in front of gunicorn with one sync worker.

Slow clients (headers and a few bytes of body, then nothing) hold nginx connections, not the
worker, so a prediction still gets through; sent straight to gunicorn, one of them holds its
only worker. Skips where nginx is not installed, unless ``MLP_REQUIRE_NGINX=1`` (set by
``.ci/run`` once it has installed nginx).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from helpers import ROW
from servers import ROOT, Server, free_port, gunicorn, wait_until_answering

from service import Settings

yaml = pytest.importorskip("yaml")

CONFIGMAP = ROOT / "deploy" / "k8s" / "nginx-configmap.yaml"
TOKEN = "proxy-test-token"
SERVICE_LIMITS = Settings.model_validate({})  # the defaults, without this environment's MLP_*
PROMPT_S = 5.0
"""How long a prediction may take before it counts as blocked: well under the proxy's 10 s
client timeouts (after which a blocked worker would be freed) and gunicorn's 30 s timeout."""


def nginx_binary() -> str:
    found = shutil.which("nginx", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    if found is None:
        reason = "nginx is not installed (apt-get install -y nginx)"
        if os.environ.get("MLP_REQUIRE_NGINX") == "1":
            pytest.fail(f"MLP_REQUIRE_NGINX=1 but {reason}")
        pytest.skip(reason)
    return found


def replaced(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} is no longer in {CONFIGMAP.name}: update this test"
    return text.replace(old, new)


def render(directory: Path, upstream_port: int, listen_port: int) -> Path:
    """The ConfigMap's files with the container paths and ports moved into ``directory``."""
    data = yaml.safe_load(CONFIGMAP.read_text())["data"]
    proxy = replaced(data["proxy.conf"], "listen 8080;", f"listen 127.0.0.1:{listen_port};")
    proxy = replaced(proxy, "http://127.0.0.1:8000;", f"http://127.0.0.1:{upstream_port};")
    main = replaced(data["nginx.conf"], "/tmp/", f"{directory}/")  # the pid file and temporary paths
    main = replaced(main, "/etc/nginx/mlp/proxy.conf", str(directory / "proxy.conf"))
    if os.geteuid() == 0:  # workers would run as nobody, who cannot enter pytest's tmp_path
        main = "user root;\n" + main
    (directory / "proxy.conf").write_text(proxy)
    (directory / "nginx.conf").write_text(main)
    return directory / "nginx.conf"


def get(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """One request on a new connection, answered within PROMPT_S: (status, parsed JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PROMPT_S)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@contextmanager
def nginx(directory: Path, upstream_port: int) -> Iterator[int]:
    """Run nginx with the rendered configuration; yields its port once it answers."""
    port = free_port()
    config = render(directory, upstream_port, port)
    log_path = directory / "nginx.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [nginx_binary(), "-e", "stderr", "-p", str(directory), "-c", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_answering(Server(port, process, log_path), "/ready", timeout=15, name="nginx")
        yield port
    finally:
        process.send_signal(signal.SIGTERM)  # fast shutdown: open connections are closed
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stall(stack: ExitStack, port: int) -> None:
    """A client that sends its headers and 7 of the 1000 body bytes it announced, then nothing."""
    sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=PROMPT_S))
    sock.sendall(
        b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 1000\r\n\r\n{"insta'
    )


@pytest.fixture
def server(store_dir: Path, tmp_path: Path):
    env = {
        "MLP_MODEL_DIR": str(store_dir),
        "MLP_METRICS_DIR": str(tmp_path / "metrics"),
        "MLP_API_TOKEN": TOKEN,
    }
    with gunicorn(env, tmp_path / "gunicorn.log", workers=1) as running:
        yield running


@pytest.fixture
def proxy(server, tmp_path: Path) -> Iterator[int]:
    nginx_binary()
    directory = tmp_path / "nginx"
    directory.mkdir()
    with nginx(directory, server.port) as port:
        yield port


def test_two_slow_posts_through_the_proxy_leave_the_only_worker_free_for_a_prediction(proxy) -> None:
    with ExitStack() as stack:
        stall(stack, proxy)
        stall(stack, proxy)
        status, body = get(proxy, "POST", "/predict", json.dumps({"instances": [ROW]}).encode())
        assert status == 200 and body["predictions"] == ["setosa"]


def test_one_slow_post_straight_to_gunicorn_holds_its_only_worker(server) -> None:
    # Why the proxy is there: without it the same stall blocks the prediction.
    with ExitStack() as stack:
        stall(stack, server.port)
        with pytest.raises(TimeoutError):
            get(server.port, "POST", "/predict", json.dumps({"instances": [ROW]}).encode())


def test_the_proxy_refuses_a_body_over_the_predict_limit_in_the_service_error_shape(proxy) -> None:
    # Only the announced length is sent: nginx answers before reading any body.
    with socket.create_connection(("127.0.0.1", proxy), timeout=PROMPT_S) as sock:
        over = SERVICE_LIMITS.max_body_bytes + 1
        sock.sendall(f"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {over}\r\n\r\n".encode())
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 413 and response.getheader("Content-Type") == "application/json"
        body = json.loads(response.read())
    assert body["code"] == "body_too_large" and body["detail"] == []
    assert body["error"] == "request body is larger than the configured limit"  # the service's words


def test_the_proxy_passes_train_bodies_over_the_predict_limit_to_the_service(proxy) -> None:
    body = b"x" * (SERVICE_LIMITS.max_body_bytes + 1)  # not JSON: the service reads it all, then says so
    status, answer = get(proxy, "POST", "/train", body, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 400 and answer["code"] == "invalid_json"
