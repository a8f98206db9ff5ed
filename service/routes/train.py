"""Training over HTTP, behind the bearer token: POST/GET /train, GET/DELETE /train/<id>,
POST /models/<version>/activate."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from pydantic import ValidationError

from model import ModelError, RowsError, load
from model.store import StoreError, UnknownVersionError

from ..auth import require_token
from ..body_limits import check_csv_body, check_train_body
from ..errors import ApiError, rows_error, store_unavailable, validation_error
from ..job_runner import start_runner
from ..jobs import ACTIVE_STATES, JobStoreFullError, UnknownJobError
from ..prepared import PreparedJob
from ..schemas import (
    CSV_MEDIA_TYPES,
    Activated,
    ErrorDetail,
    JobAccepted,
    JobList,
    JobOptions,
    TrainRequest,
    csv_train_query,
)
from ..state import current_snapshot_or_none, json_response, read_body, service
from ..training import JobRequestError, prepare, prepare_csv, summary

_LOG = logging.getLogger("service.train")
blueprint = Blueprint("train", __name__)
RETRY_AFTER_S = 10


@blueprint.post("/train")
@require_token
def start_training() -> Response:
    """Validate and prepare the job here (422 at request time), record it, start its runner."""
    prepared, job_summary = _prepare()
    record = _create_job(prepared, job_summary)
    _start(record.job_id)
    return json_response(
        JobAccepted(job_id=record.job_id, status=record.status),
        status=202,
        headers={"Location": f"/train/{record.job_id}"},
    )


def _prepare() -> tuple[PreparedJob, dict]:
    """The job of a JSON body, or of a CSV body (``Content-Type: text/csv``, options in the query)."""
    settings = service().settings
    request.max_content_length = settings.max_train_body_bytes
    body = read_body(settings.max_train_body_bytes)
    csv_body = request.mimetype in CSV_MEDIA_TYPES
    if csv_body:
        check_csv_body(body, settings.max_train_rows, settings.max_train_values)
    else:
        check_train_body(body, settings.max_train_rows, settings.max_train_values)
    job = _job(body, csv_body)
    snapshot = current_snapshot_or_none()
    active = (snapshot.net, snapshot.version) if snapshot is not None else (None, None)
    try:
        prepared = prepare_csv(job, body, settings, *active) if csv_body else prepare(job, settings, *active)
    except JobRequestError as error:
        raise refused(error) from None
    except RowsError as error:  # inline rows: up to 20 problems, each located
        raise rows_error(error) from None
    return prepared, summary(job, prepared)


def _job(body: bytes, csv_body: bool) -> JobOptions:
    """The request: a JSON body's, or a CSV body's query (its errors located under ``query``)."""
    try:
        if csv_body:
            return csv_train_query(request.args.to_dict(flat=False))
        return TrainRequest.model_validate_json(body)
    except ValidationError as error:
        raise validation_error(error, ("query",) if csv_body else ()) from None


def refused(error: JobRequestError) -> ApiError:
    """409 when there is no model to warm-start, 422 for everything else, with the location."""
    detail = [ErrorDetail(loc=error.loc, msg=error.message, type=error.kind)]
    return ApiError(409 if error.code == "no_model" else 422, error.message, error.code, detail)


def _create_job(prepared: PreparedJob, job_summary: dict):
    """A queued job record, within the running-plus-queued bound; 507 when it cannot be written."""
    state = service()
    jobs = state.jobs
    data = prepared.to_bytes()
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
            return jobs.create(data, job_summary)
        except JobStoreFullError as error:
            message = f"the job could not be recorded: {error.strerror}"
            raise ApiError(507, message, "insufficient_storage") from None


def _start(job_id: str) -> None:
    """Start the job's runner; a job whose runner cannot start is removed (no runner ever saw
    it) and the request fails."""
    state = service()
    try:
        start_runner(state.settings, job_id)
    except OSError:
        _LOG.exception("job %s: the training process could not be started", job_id)
        state.jobs.discard(job_id)
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
    """Ask the job's runner to stop and answer at once (202, ``cancel_requested``); clients poll
    GET /train/<id> until it is ``cancelled``. 409 for a finished job."""
    record = _read(job_id)
    if record.status not in ACTIVE_STATES:
        raise ApiError(409, f"job already {record.status}", "job_finished")
    service().jobs.request_cancel(job_id)
    return json_response(record.model_copy(update={"cancel_requested": True}), status=202)


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
