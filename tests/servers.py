"""Start and stop real gunicorn servers for tests, on a free 127.0.0.1 port."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "service/gunicorn.conf.py", "service:create_app()"]
ACCESS_LINE = re.compile(r"^\[(\d+)\] service\.access: (\{.*\})$", re.MULTILINE)  # gunicorn.conf.py's format


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path

    def request(self, method: str, path: str, body: object = None, headers: dict | None = None):
        """One request on a new connection: (status, headers, parsed JSON or text)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            connection.request(method, path, body=data, headers=headers or {})
            response = connection.getresponse()
            raw = response.read()
            kind = response.getheader("Content-Type", "")
            payload = json.loads(raw) if kind.startswith("application/json") else raw.decode()
            return response.status, dict(response.getheaders()), payload
        finally:
            connection.close()

    def log(self) -> str:
        return self.log_path.read_text()

    def access_records(self, since: int = 0) -> list[tuple[str, dict]]:
        """(worker pid, JSON record) of every request-log line from character ``since`` of the log."""
        return [(pid, json.loads(record)) for pid, record in ACCESS_LINE.findall(self.log()[since:])]

    def worker_pids(self) -> set[str]:
        """The pids of the master's live child processes (its workers), read from /proc."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])  # comm may hold spaces
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if parent == self.process.pid:
                children.add(stat.parent.name)
        return children


@contextmanager
def gunicorn(
    env: dict[str, str], log_path: Path, workers: int = 2, wait_ready: bool = True
) -> Iterator[Server]:
    """Run ``gunicorn -c service/gunicorn.conf.py 'service:create_app()'`` as the README does."""
    port = free_port()
    full_env = {**os.environ, "MLP_WORKERS": str(workers), **env}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(port, process, log_path)
    try:
        wait_until_answering(server, "/ready" if wait_ready else "/health")
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def serving(
    net: Any, root: Path, workers: int = 1, metadata: dict | None = None, **env: str
) -> Iterator[Server]:
    """gunicorn serving ``net`` alone, from a new store under ``root`` (``MLP_*`` in ``env``)."""
    from model.store import ModelStore

    ModelStore(root / "store").publish(net.save, metadata or {})
    settings = {"MLP_MODEL_DIR": str(root / "store"), "MLP_METRICS_DIR": str(root / "metrics"), **env}
    with gunicorn(settings, root / "gunicorn.log", workers=workers) as running:
        yield running


def wait_until_answering(server: Server, path: str, timeout: float = 30.0, name: str = "gunicorn") -> None:
    """Poll ``GET path`` until it is 200; RuntimeError at once if the process exits."""

    def answering() -> bool:
        if server.process.poll() is not None:
            raise RuntimeError(f"{name} exited early:\n{server.log()}")
        try:
            return server.request("GET", path)[0] == 200
        except OSError:
            return False

    wait_for(answering, timeout, interval=0.1, message=lambda: f"{name} answering {path}:\n{server.log()}")
