"""A ``during`` hook for ``bench_serve.py``: a long training job runs while the load is applied."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .workload import SERVICE, Bench

TOKEN = "bench-serve-token"
LONG_JOB = {
    "dataset": "digits",
    "epochs": 2000,
    "patience": 2000,
    "hidden": [1024, 1024],
    "activate": "never",
}


def _call(bench: Bench, method: str, path: str, body: dict | None = None) -> dict:
    server = bench.servers[SERVICE]
    connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        connection.request(method, path, data, {"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        payload = json.loads(response.read())
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {payload.get('error')}")
        return payload
    finally:
        connection.close()


@contextmanager
def training_job(bench: Bench) -> Iterator[None]:
    """Start a digits job over ``POST /train``, wait until it trains, cancel it afterwards."""
    job_id = _call(bench, "POST", "/train", LONG_JOB)["job_id"]
    deadline = time.monotonic() + 60
    while _call(bench, "GET", f"/train/{job_id}")["progress"]["epoch"] < 1:
        if time.monotonic() > deadline:
            raise RuntimeError(f"training job {job_id} did not start within 60 s")
        time.sleep(0.1)
    try:
        yield
    finally:
        status = _call(bench, "GET", f"/train/{job_id}")["status"]
        if status != "running":
            raise RuntimeError(f"training job {job_id} was {status} before the load ended")
        _call(bench, "DELETE", f"/train/{job_id}")  # answers at once; the job ends after its epoch
        deadline = time.monotonic() + 60
        while _call(bench, "GET", f"/train/{job_id}")["status"] in ("queued", "running"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"training job {job_id} still running 60 s after it was cancelled")
            time.sleep(0.1)
