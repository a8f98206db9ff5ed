"""Start a gunicorn master on a free 127.0.0.1 port, wait until it is ready, always stop it.

The master is started directly with ``Popen`` (no shell, so its pid is ours to signal) in a
new session (a Ctrl-C in the terminal reaches this script only, whose cleanup then stops
the master), writes ``--pid``, and is stopped with SIGTERM to that pid, then SIGKILL if it
has not exited within the grace period.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "service" / "gunicorn.conf.py"
STOP_GRACE_S = 30.0


class ServerError(RuntimeError):
    """gunicorn did not start, or did not become ready in time."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GunicornServer:
    """One gunicorn master running ``app_spec`` with the service's config file."""

    def __init__(
        self, name: str, app_spec: str, env: dict[str, str], workdir: Path, options: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.app_spec = app_spec
        self.env = env
        self.options = options  # gunicorn command-line options; they override the config file
        self.port = free_port()
        self.pidfile = workdir / f"{name}.pid"
        self.logfile = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, ready_path: str = "/ready", timeout_s: float = 60.0) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(CONFIG),
            "--bind",
            f"{self.host}:{self.port}",
            "--pid",
            str(self.pidfile),
            *self.options,
            self.app_spec,
        ]
        with open(self.logfile, "wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_ready(ready_path, timeout_s)

    def _wait_ready(self, path: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"{self.name}: gunicorn exited with {self.process.returncode}\n{self.log_tail()}"
                )
            if _status(self.host, self.port, path) == 200 and self.pidfile.exists():
                return
            time.sleep(0.1)
        raise ServerError(f"{self.name}: not ready after {timeout_s:.0f} s\n{self.log_tail()}")

    def master_pid(self) -> int | None:
        """The pid in gunicorn's ``--pid`` file, else the pid we started."""
        try:
            return int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            return self.process.pid if self.process else None

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc (Linux)."""
        pid = self.master_pid()
        children = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            return [int(child) for child in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the master, its live workers and the workers it has reaped.

        The difference over a run is the server's CPU for that run, recycled workers included,
        whatever else the machine was doing (Linux /proc; None elsewhere).
        """
        pid = self.master_pid()
        try:
            master = _stat_fields(pid)
            total = sum(master[11:15])  # utime, stime, cutime, cstime
            for worker in self.worker_pids():
                with contextlib.suppress(OSError):  # a worker may exit while we read
                    total += sum(_stat_fields(worker)[11:13])
        except (OSError, ValueError, TypeError):
            return None
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """SIGTERM to the master, wait; SIGKILL after the grace period. Safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        pid = self.master_pid()
        if pid != self.process.pid:  # the pid file must name the process we started
            pid = self.process.pid
        try:
            os.kill(pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_GRACE_S)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own session: master and workers
            self.process.wait()

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> GunicornServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _stat_fields(pid: int) -> list[int]:
    """/proc/PID/stat after the command name, as integers where numeric (field 3 is index 0)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return [int(value) if value.lstrip("-").isdigit() else 0 for value in text.rsplit(")", 1)[1].split()]


def _status(host: str, port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection(host, port, timeout=2)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()
