"""Training over HTTP, behind the bearer token: POST/GET /train, GET/DELETE /train/<id>,
POST /models/<version>/activate."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import time

from flask import Blueprint, Response, request
from pydantic import ValidationError

from model import ModelError, load
from model.store import StoreError, UnknownVersionError

from ..auth import require_token
from ..body_limits import check_train_body
from ..errors import ApiError, store_unavailable, validation_error
from ..jobs import ACTIVE_STATES, JobStoreFullError, UnknownJobError
from ..schemas import Activated, JobAccepted, JobList, TrainRequest
from ..settings import Settings
from ..state import current_snapshot_or_none, json_response, read_body, service
from ..training import prepare, summary

_LOG = logging.getLogger("service.train")
blueprint = Blueprint("train", __name__)
RETRY_AFTER_S = 10
CANCEL_WAIT_S = 3.0


@blueprint.post("/train")
@require_token
def start_training() -> Response:
    state = service()
    settings = state.settings
    request.max_content_length = settings.max_train_body_bytes
    body = read_body(settings.max_train_body_bytes)
    check_train_body(body, settings.max_train_rows, settings.max_train_values)
    try:
        train_request = TrainRequest.model_validate_json(body)
    except ValidationError as error:
        raise validation_error(error) from None
    snapshot = current_snapshot_or_none()
    prepared = prepare(train_request, state.settings, snapshot.net if snapshot else None)
    record = _create_job(body, summary(train_request, prepared))
    launch_runner(state.settings, record.job_id)
    return json_response(
        JobAccepted(job_id=record.job_id, status=record.status),
        status=202,
        headers={"Location": f"/train/{record.job_id}"},
    )


def _create_job(body: bytes, job_summary: dict):
    """A queued job record, within the running-plus-queued bound; 507 when it cannot be written."""
    state = service()
    jobs = state.jobs
    with jobs.submit_lock():
        limit = state.settings.max_train_jobs + state.settings.max_queued_jobs
        if jobs.active_count() >= limit:
            raise ApiError(
                429,
                f"{limit} training jobs are already running or queued; retry later",
                headers={"Retry-After": str(RETRY_AFTER_S)},
            )
        jobs.prune()
        try:
            return jobs.create(body, job_summary)
        except JobStoreFullError as error:
            message = f"the job could not be recorded: {error.strerror}"
            raise ApiError(507, message, "insufficient_storage") from None


def launch_runner(settings: Settings, job_id: str) -> None:
    """Start the detached runner process (with this app's settings); a failure to start fails
    the job at once."""
    jobs = service().jobs
    try:
        subprocess.run(
            [sys.executable, "-m", "service.job_runner", "launch", str(settings.model_dir), job_id],
            check=True,
            capture_output=True,
            timeout=30,
            env={**os.environ, **settings.as_environment()},
        )
    except (OSError, subprocess.SubprocessError) as error:
        record = jobs.read_raw(job_id)
        with contextlib.suppress(OSError):  # a full disk: the record then reads as dead, hence failed
            jobs.write(record.model_copy(update={"status": "failed", "error": f"could not start: {error}"}))
        raise ApiError(500, "the training process could not be started; see the server log") from None


@blueprint.get("/train")
@require_token
def list_jobs() -> Response:
    return json_response(JobList(jobs=service().jobs.recent()))


@blueprint.get("/train/<job_id>")
@require_token
def show_job(job_id: str) -> Response:
    return json_response(_read(job_id))


@blueprint.delete("/train/<job_id>")
@require_token
def cancel_job(job_id: str) -> Response:
    jobs = service().jobs
    record = _read(job_id)
    if record.status not in ACTIVE_STATES:
        raise ApiError(409, f"job already {record.status}", "job_finished")
    jobs.request_cancel(job_id)
    deadline = time.monotonic() + CANCEL_WAIT_S
    while record.status in ACTIVE_STATES and time.monotonic() < deadline:
        time.sleep(0.1)
        record = _read(job_id)
    return json_response(record, status=200 if record.status not in ACTIVE_STATES else 202)


@blueprint.post("/models/<version>/activate")
@require_token
def activate_version(version: str) -> Response:
    store = service().store
    previous = store.active_version()
    try:
        info = store.activate(version, validate=lambda artifact: load(artifact))
    except UnknownVersionError:
        raise ApiError(404, "no stored model version with that id", "unknown_version") from None
    except ModelError as error:  # artifact errors name what is wrong, never a path
        raise ApiError(409, f"version fails validation, not activated: {error}", "invalid_version") from None
    except (StoreError, OSError):  # their messages name store paths: the log gets them
        _LOG.exception("activating version %s failed", version)
        raise store_unavailable() from None
    return json_response(Activated(active=info.version, previous=previous))


def _read(job_id: str):
    try:
        return service().jobs.read(job_id)
    except UnknownJobError:
        raise ApiError(404, "no training job with that id", "unknown_job") from None
