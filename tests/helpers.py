"""What many test files share: the sample iris rows, and polling to a deadline instead of sleeping.

A test never sleeps a fixed time before an assertion: it polls with ``wait_for`` until the
condition holds (a deadline makes a broken condition fail instead of hang), then asserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pytest
from flask.testing import FlaskClient

if TYPE_CHECKING:
    from servers import Server

T = TypeVar("T")

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SETOSA = [5.1, 3.5, 1.4, 0.2]
VERSICOLOR = [5.9, 3.0, 4.2, 1.5]
VIRGINICA = [6.7, 3.0, 5.2, 2.3]
ROW = SETOSA  # the one row most tests send: any valid iris row would do


def named(row: list[float]) -> dict[str, float]:
    """An iris row as an object keyed by feature name (the other instance form)."""
    return dict(zip(IRIS_FEATURES, row, strict=True))


def wait_for(
    condition: Callable[[], T],
    timeout: float = 30.0,
    interval: float = 0.05,
    message: str | Callable[[], str] = "condition",
) -> T:
    """Call ``condition`` until it returns something truthy, and return that.

    An exception raised by ``condition`` propagates at once. At the deadline: AssertionError
    naming ``message`` (a callable is called then, e.g. to show a log's tail) and the last value.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(f"{text}: not within {timeout} s (last: {value!r})")
        time.sleep(interval)


# ---------------------------------------------------------------- training jobs
def job_record(target: FlaskClient | Server, job_id: str, headers: dict[str, str]) -> dict:
    """``GET /train/<job_id>`` through a Flask test client or a real server; the record."""
    if isinstance(target, FlaskClient):
        response = target.get(f"/train/{job_id}", headers=headers)
        status, record = response.status_code, response.get_json()
    else:
        status, _, record = target.request("GET", f"/train/{job_id}", headers=headers)
    assert status == 200, record
    return record


def finished(record: dict) -> bool:
    return record["status"] not in ("queued", "running")


def wait_for_job(
    target: FlaskClient | Server,
    job_id: str,
    headers: dict[str, str],
    until: Callable[[dict], bool] = finished,
    timeout: float = 60.0,
) -> dict:
    """Poll the job's record until ``until(record)`` (by default: it has finished); the record."""
    last: list[dict] = []

    def reached() -> dict | None:
        last[:] = [job_record(target, job_id, headers)]
        return last[0] if until(last[0]) else None

    return wait_for(reached, timeout, message=lambda: f"job {job_id} ({last[-1] if last else 'no record'})")


def wait_until_running(
    target: FlaskClient | Server, job_id: str, headers: dict[str, str], epoch: int = 1, timeout: float = 30.0
) -> dict:
    """Poll until the job is running and has finished ``epoch`` epochs; the record."""

    def running(record: dict) -> bool:
        return record["status"] == "running" and record["progress"]["epoch"] >= epoch

    return wait_for_job(target, job_id, headers, until=running, timeout=timeout)


# ---------------------------------------------------------------- several gunicorn workers
def wait_until_every_worker_answers(
    server: Server, ask: Callable[[], object], answered: Callable[[dict], bool], timeout: float = 30.0
) -> None:
    """Call ``ask`` (one request) until every live worker has logged a request ``answered`` accepts.

    Which sync worker accepts a connection is up to the kernel, so this keeps asking (to the
    deadline) rather than sending a fixed number of requests. Only requests logged from now on
    count; workers are the master's children at the time of each check (they may be respawned).
    """
    start = len(server.log())

    def every_worker() -> bool:
        ask()
        pids = {pid for pid, record in server.access_records(since=start) if answered(record)}
        workers = server.worker_pids()
        return bool(workers) and workers <= pids

    wait_for(every_worker, timeout, interval=0.02, message=lambda: f"every worker:\n{server.log()[-3000:]}")


def wait_until_every_worker_serves(server: Server, version: str, timeout: float = 30.0) -> None:
    """Ask ``GET /ready`` until every live worker has answered with model ``version``.

    A worker that has swapped to a version keeps it until the store's pointer moves again, so
    afterwards every request is answered with ``version``.
    """
    wait_until_every_worker_answers(
        server,
        lambda: server.request("GET", "/ready"),
        lambda record: record["path"] == "/ready" and record["model_version"] == version,
        timeout,
    )


def _has_feature_schema() -> bool:
    from importlib.util import find_spec

    return find_spec("model.nn.features") is not None


NEEDS_FEATURE_SCHEMA = pytest.mark.skipif(
    not _has_feature_schema(),
    reason="training on text or missing features needs issue 14's feature schema (model.nn.features)",
)
"""Marks tests of the CSV side of issue 14 that train on text or missing values: they run once the
library's feature schema is merged (then this marker goes)."""
