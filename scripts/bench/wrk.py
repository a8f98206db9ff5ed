"""Drive a URL with ``wrk`` and read its result from one line printed by the Lua ``done`` hook.

A run with any non-2xx response or socket error is a failed run: its throughput is not a
measurement (a 404 or 422 is fast).
"""

from __future__ import annotations

import dataclasses
import re
import resource
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install it with: apt-get install -y wrk   (Debian/Ubuntu; run apt-get update first if needed)"
RESULT_MARK = "BENCH_RESULT"

_DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "%s requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
    "duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\\n",
    "{mark}", summary.requests, e.status, e.connect, e.read, e.write, e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
"""


class WrkMissingError(RuntimeError):
    """wrk is not on PATH."""


def find_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise WrkMissingError(f"wrk (the HTTP load generator) is not installed; {INSTALL_HINT}")
    return path


def version(wrk: str) -> str:
    completed = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (completed.stdout or completed.stderr).splitlines()
    return first[0].strip() if first else "unknown"


def write_script(path: Path, body: bytes) -> Path:
    """A wrk Lua script that POSTs ``body`` (kept next to it) as JSON and reports through ``done``."""
    body_path = path.with_suffix(".body")
    body_path.write_bytes(body)
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'local file = assert(io.open("{_lua_string(body_path)}", "rb"))\n'
        'wrk.body = file:read("*a")\n'
        "file:close()\n" + _DONE_HOOK.replace("{mark}", RESULT_MARK)
    )
    return path


def _lua_string(path: Path) -> str:
    return str(path).replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class WrkResult:
    requests: int
    non2xx: int
    socket_errors: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_s: float | None = None  # wrk's user + system CPU over the run
    server_cpu_s: float | None = None  # the gunicorn master's and workers' CPU over the run, if measured

    @property
    def ok(self) -> bool:
        return self.requests > 0 and self.non2xx == 0 and self.socket_errors == 0

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.duration_s

    def cpu_ms_per_request(self, seconds: float | None) -> float | None:
        return None if seconds is None or not self.requests else seconds / self.requests * 1e3

    @property
    def failure(self) -> str | None:
        if self.ok:
            return None
        return f"{self.requests} requests, {self.non2xx} non-2xx, {self.socket_errors} socket errors"


def run(
    wrk: str,
    url: str,
    script: Path,
    connections: int,
    duration_s: float,
    threads: int = 1,
    timeout_s: float = 10.0,
) -> WrkResult:
    """One wrk run; raises ``RuntimeError`` when wrk fails or prints no result line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration_s:g}s",
        f"--timeout={timeout_s:g}s",
        "-s",
        str(script),
        url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return dataclasses.replace(
        parse(completed.stdout, completed.stderr, completed.returncode), client_cpu_s=client_cpu_s
    )


def parse(stdout: str, stderr: str = "", returncode: int = 0) -> WrkResult:
    line = next((line for line in stdout.splitlines() if line.startswith(RESULT_MARK)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no {RESULT_MARK} line (exit {returncode}):\n{stdout}{stderr}")
    fields = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}
    return WrkResult(
        requests=fields["requests"],
        non2xx=fields["non2xx"],
        socket_errors=sum(fields[key] for key in ("connect", "read", "write", "timeout")),
        duration_s=fields["duration_us"] / 1e6,
        p50_ms=fields["p50_us"] / 1e3,
        p90_ms=fields["p90_us"] / 1e3,
        p99_ms=fields["p99_us"] / 1e3,
        max_ms=fields["max_us"] / 1e3,
    )
