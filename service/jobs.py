"""Training-job records kept in the model store, so any worker answers for any job.

Layout: ``<store>/jobs/<job_id>/{job.json, prepared.npz, cancel, runner.log}``. ``job.json``
(a ``JobStatus``) is written atomically (``model.files.write_atomically``) by the worker that
creates the job and from then on only by the job's runner process, which makes every
transition (queued -> running -> succeeded, failed or cancelled); ``cancel`` is a marker any
worker may create. ``prepared.npz`` is the validated job (``service.prepared``). Readers check
that a queued or running job's process is still alive (same host: its pid; other hosts: its
heartbeat) and report a dead one as failed, without writing anything (a read must work on a
full disk). Job ids start with their creation time in hex, so they sort oldest first. A
finished job's ``prepared.npz`` (its training rows) is removed unless ``MLP_KEEP_JOB_DATA`` is
set; the newest ``job_retention`` finished jobs are kept.

Flask-free: the runner process imports this module.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import filelock

from model.files import write_atomically

from .schemas import JobStatus

JOBS_DIR = "jobs"
RECORD, DATA, CANCEL, LOG = "job.json", "prepared.npz", "cancel", "runner.log"
ACTIVE_STATES = ("queued", "running")
HEARTBEAT_S = 2.0  # the runner rewrites its record at least this often
STALE_AFTER_S = 30.0  # a record older than this, from another host or with no pid, is dead
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _age_s(stamp: str | None) -> float:
    if not stamp:
        return float("inf")
    return (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()


class UnknownJobError(LookupError):
    """No job with that id (or not a well-formed id)."""


class JobStoreFullError(OSError):
    """A job record could not be written (disk full, read-only...); nothing was left behind."""


class JobStore:
    """Job records under ``<model_dir>/jobs``."""

    def __init__(self, model_dir: Path, retention: int = 100) -> None:
        self.root = Path(model_dir) / JOBS_DIR
        self.retention = retention

    # ------------------------------------------------------------------ paths
    def path(self, job_id: str) -> Path:
        if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
            raise UnknownJobError(job_id)
        return self.root / job_id

    def submit_lock(self) -> filelock.FileLock:
        """Serializes job creation across workers (the queue bound is checked under it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return filelock.FileLock(self.root / ".submit.lock", timeout=10)

    def slot_lock(self, slot: int) -> filelock.FileLock:
        """One of ``max_train_jobs`` run slots; held by a runner while it trains."""
        return filelock.FileLock(self.root / f".slot-{slot}.lock", timeout=0)

    # ------------------------------------------------------------------ records
    def create(self, prepared: bytes, summary: dict) -> JobStatus:
        """A new queued job holding ``prepared`` (a ``PreparedJob``'s bytes).

        Raises ``JobStoreFullError`` when it cannot be written; the job's directory is removed.
        """
        job_id = new_job_id()
        directory = self.root / job_id
        record = JobStatus(
            job_id=job_id, status="queued", created_at=now(), host=socket.gethostname(), request=summary
        )
        try:
            directory.mkdir(parents=True)
            write_atomically(directory / DATA, prepared)
            self.write(record)
        except OSError as error:
            shutil.rmtree(directory, ignore_errors=True)
            raise JobStoreFullError(error.errno, error.strerror) from None
        return record

    def discard(self, job_id: str) -> None:
        """Remove a job no runner was started for (its creator's undo)."""
        shutil.rmtree(self.path(job_id), ignore_errors=True)

    def write(self, record: JobStatus) -> None:
        write_atomically(self.path(record.job_id) / RECORD, record.model_dump_json().encode())

    def read_raw(self, job_id: str) -> JobStatus:
        try:
            text = (self.path(job_id) / RECORD).read_text()
        except FileNotFoundError:
            raise UnknownJobError(job_id) from None
        return JobStatus.model_validate_json(text)

    def read(self, job_id: str) -> JobStatus:
        """The job's record; a queued or running job whose process died reads as failed (the
        record is not rewritten: a read never writes)."""
        record = self.read_raw(job_id)
        if record.status in ACTIVE_STATES and not self._alive(record):
            who = f"training process {record.pid}" if record.pid else "training process"
            record = record.model_copy(
                update={
                    "status": "failed",
                    "finished_at": record.heartbeat_at or record.created_at,  # its last sign of life
                    "error": f"the {who} died (killed, out of memory, disk full or restarted); "
                    "nothing was published",
                }
            )
        if (self.path(job_id) / CANCEL).exists() and not record.cancel_requested:
            record = record.model_copy(update={"cancel_requested": True})
        return record

    def prepared(self, job_id: str) -> bytes:
        return (self.path(job_id) / DATA).read_bytes()

    def drop_data(self, job_id: str) -> None:
        """Remove a finished job's prepared data (its training rows); the record stays."""
        (self.path(job_id) / DATA).unlink(missing_ok=True)

    def job_ids(self) -> list[str]:
        """Every job id, oldest first (ids start with their creation time)."""
        if not self.root.is_dir():
            return []
        return sorted(entry.name for entry in self.root.iterdir() if _JOB_ID.match(entry.name))

    def recent(self, limit: int = 50) -> list[JobStatus]:
        records = []
        for job_id in reversed(self.job_ids()):
            try:
                records.append(self.read(job_id))
            except (UnknownJobError, ValueError):
                continue  # being created or removed right now
            if len(records) >= limit:
                break
        return records

    def active_count(self) -> int:
        return sum(1 for job_id in self.job_ids() if _safe_status(self, job_id) in ACTIVE_STATES)

    def request_cancel(self, job_id: str) -> None:
        write_atomically(self.path(job_id) / CANCEL, b"")

    def cancel_requested(self, job_id: str) -> bool:
        return (self.path(job_id) / CANCEL).exists()

    def prune(self) -> None:
        """Keep the newest ``retention`` finished jobs; active jobs are always kept."""
        finished = [job_id for job_id in self.job_ids() if _safe_status(self, job_id) not in ACTIVE_STATES]
        for job_id in finished[: max(0, len(finished) - self.retention)]:
            shutil.rmtree(self.root / job_id, ignore_errors=True)

    # ------------------------------------------------------------------ liveness
    def _alive(self, record: JobStatus) -> bool:
        if record.pid is not None and record.host == socket.gethostname():
            return process_alive(record.pid, record.job_id)
        # Another host's runner (shared store), or a runner not started yet: its heartbeat.
        return _age_s(record.heartbeat_at or record.created_at) < STALE_AFTER_S


def process_alive(pid: int, job_id: str) -> bool:
    """True when ``pid`` is a live (not zombie) process running this job's runner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)  # no /proc (not Linux): the best we can do
        except OSError:
            return False
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X") and job_id.encode() in cmdline


def _safe_status(store: JobStore, job_id: str) -> str | None:
    try:
        return store.read(job_id).status
    except (UnknownJobError, ValueError):
        return None


def new_job_id() -> str:
    """32 hex digits: microseconds since the epoch (14), then randomness (18)."""
    return f"{time.time_ns() // 1000:014x}{uuid.uuid4().hex[:18]}"
