"""The process that runs one training job, outside any web worker.

    python -m service.job_runner run <model_dir> <job_id>

A web worker validates a request into a ``PreparedJob``, records the job and calls
``start_runner``, which starts this module in a new session (a gunicorn worker's timeout or
recycling never signals it) and reaps it from a thread; if the worker exits first, the runner
is re-parented to init, which reaps it. The runner waits for a free slot (``max_train_jobs``
file locks, released by the kernel if it dies), trains the prepared job through
``model.pipeline``, decides activation, publishes through the store's atomic code, and is the
only writer of ``job.json`` from then on (status, progress, heartbeat). SIGTERM or a
``cancel`` marker stops it cleanly: status ``cancelled``, nothing published.

It depends on the model package, the store, the job records and the pydantic schemas only:
it never loads Flask (``tests/test_jobs.py`` checks), and its errors are not HTTP errors.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from model import EpochRecord, ModelError, Network, loads
from model.datasets import Table
from model.nn.preprocessing import label_list
from model.pipeline import TrainResult, publish, train_model
from model.store import ModelStore, StoreError, StoreFullError, UnknownVersionError

from .jobs import ACTIVE_STATES, HEARTBEAT_S, LOG, JobStore, now
from .prepared import PreparedJob
from .schemas import Comparison, JobProgress, JobResult
from .settings import Settings, from_environment

_LOG = logging.getLogger("service.job_runner")
PROGRESS_EVERY_S = 0.5
SLOT_POLL_S = 0.05  # a queued job starts within this of a slot coming free


def start_runner(settings: Settings, job_id: str) -> int:
    """Start the runner of ``job_id`` with ``settings`` as its environment; return its pid.

    ``OSError`` when it cannot be started (nothing was started then).
    """
    log_path = JobStore(settings.model_dir).path(job_id) / LOG
    with open(log_path, "ab") as log:  # the child holds its own copy
        process = subprocess.Popen(
            [sys.executable, "-m", "service.job_runner", "run", str(settings.model_dir), job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
            env={**os.environ, **settings.as_environment()},
        )
    # Reap it when it ends, so a finished runner never lingers as a zombie of this worker.
    threading.Thread(target=process.wait, name=f"reap-runner-{process.pid}", daemon=True).start()
    return process.pid


class Runner:
    """Runs one job; every state change goes through ``_save``."""

    def __init__(self, model_dir: Path, job_id: str, settings: Settings) -> None:
        self.settings = settings
        self.store = ModelStore(model_dir, settings.keep_versions)
        self.jobs = JobStore(model_dir, settings.job_retention)
        self.job_id = job_id
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.record = self.jobs.read_raw(job_id)
        self._last_progress = 0.0
        self._deadline: float | None = None  # set when training starts

    def _save(self, **changes: object) -> None:
        with self._lock:
            self.record = self.record.model_copy(update={**changes, "heartbeat_at": now()})
            self.jobs.write(self.record)

    def _heartbeat(self) -> None:
        while not self.stop.wait(HEARTBEAT_S):
            if self.record.status in ACTIVE_STATES:
                try:
                    self._save()
                except OSError:  # disk full: readers will see the heartbeat go stale
                    _LOG.warning("job %s: cannot write its heartbeat", self.job_id, exc_info=True)

    def cancelled(self) -> bool:
        return self.stop.is_set() or self.jobs.cancel_requested(self.job_id)

    def out_of_time(self) -> bool:
        return self._deadline is not None and time.monotonic() > self._deadline

    def run(self) -> None:
        self._save(pid=os.getpid(), host=socket.gethostname())
        threading.Thread(target=self._heartbeat, daemon=True).start()
        try:
            slot = self._wait_for_slot()
            if slot is None:
                self._finish("cancelled", error="cancelled before it started")
                return
            try:
                self._save(status="running", started_at=now())
                self._deadline = time.monotonic() + self.settings.max_train_seconds
                self._train()
            except Exception as error:  # the record must say why, whatever happened
                if not isinstance(error, ModelError | StoreError | OSError):
                    _LOG.exception("job %s failed", self.job_id)
                self._finish("failed", error=describe_error(error))
            finally:
                slot.release()
        finally:
            self.stop.set()
            if not self.settings.keep_job_data:
                self.jobs.drop_data(self.job_id)
            self.jobs.prune()

    def _wait_for_slot(self):
        """A held slot lock, or None when the job is cancelled first."""
        while not self.cancelled():
            for number in range(self.settings.max_train_jobs):
                lock = self.jobs.slot_lock(number)
                try:
                    lock.acquire()
                    return lock
                except TimeoutError:
                    continue
            self.stop.wait(SLOT_POLL_S)
        return None

    def _models(self, base_version: str | None) -> tuple[str | None, Network | None, Network | None]:
        """The active version, its network (scored against the new one) and the network to
        warm-start (None: a new network).

        The active artifact is read once. A warm start trains its base in place, so the base
        is a second load of those bytes when it is the active version, and otherwise the
        version the job was validated against (the active one when it was submitted).
        """
        active_version = self.store.active_version()
        artifact = self.store.get(active_version).artifact.read_bytes() if active_version else None
        active = loads(artifact) if artifact is not None else None
        if base_version is None:
            return active_version, active, None
        if base_version != active_version:
            try:
                artifact = self.store.get(base_version).artifact.read_bytes()
            except UnknownVersionError:
                raise UnknownVersionError(
                    f"the base version {base_version} is no longer in the store; nothing was published",
                    base_version,
                ) from None
        return active_version, active, loads(artifact)

    def _train(self) -> None:
        prepared = PreparedJob.from_bytes(self.jobs.prepared(self.job_id))
        active_version, active, base = self._models(prepared.base_version)
        metric_name = "accuracy" if prepared.task == "classification" else "r2"
        epochs = prepared.options.epochs
        self._save(progress=JobProgress(epochs=epochs, metric_name=metric_name))
        callback = self._progress_callback(epochs, metric_name)
        result = train_model(
            prepared.table, prepared.options, callback, base, task=prepared.task, split=prepared.split
        )
        # The throttled callback may have skipped the last epoch (early stopping).
        self._save(progress=progress_of(result.history.records[-1], epochs, metric_name))
        if self.out_of_time():
            limit = f"{self.settings.max_train_seconds:g}"
            error = f"exceeded the time limit of {limit} s (MLP_MAX_TRAIN_SECONDS); nothing was published"
            self._finish("failed", error=error)
            return
        if self.cancelled():
            self._finish("cancelled", error="cancelled while training; nothing was published")
            return
        self._publish(result, prepared, active, active_version)

    def _publish(
        self, result: TrainResult, prepared: PreparedJob, active: Network | None, active_version: str | None
    ) -> None:
        comparison = compare(result, prepared.table, active, active_version)
        activate, reason = decide(prepared.activate, comparison, self.settings.min_compare_rows)
        # if_better compared against one version: activate only if it is still the active one.
        if_better = prepared.activate == "if_better"
        still = (lambda current: current == active_version) if if_better else None
        info = publish(self.store, result, activate=activate, activate_if=still)
        if activate and not info.active:
            reason = f"if_better: the active version changed while training (compared with {active_version})"
        self._finish(
            "succeeded",
            result=JobResult(
                version=info.version,
                activated=info.active,
                activation_reason=reason,
                metrics=result.report["metrics"],
                comparison=comparison,
            ),
        )

    def _progress_callback(self, epochs: int, metric_name: str):
        def callback(record) -> bool:
            moment = time.monotonic()
            if moment - self._last_progress >= PROGRESS_EVERY_S or record.epoch == epochs:
                self._last_progress = moment
                self._save(progress=progress_of(record, epochs, metric_name))
            return self.cancelled() or self.out_of_time()

        return callback

    def _finish(self, status: str, **changes: object) -> None:
        started = self.record.started_at or self.record.created_at
        finished = now()
        duration = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
        self._save(status=status, finished_at=finished, duration_s=duration, **changes)


def describe_error(error: Exception) -> str:
    """One line for a job record. Store and file errors name server paths: the record says what
    failed, the runner's log has the detail."""
    if isinstance(error, UnknownVersionError):
        return "the version this job was to warm-start is no longer stored; nothing was published"
    if isinstance(error, StoreFullError):
        return "the model store is full (no space left on device); nothing was published"
    if isinstance(error, StoreError | OSError):
        _LOG.error("job failed on the model store: %s", error)
        what = "the model store could not be written (see runner.log)"
        return f"{type(error).__name__}: {what}; nothing was published"
    if isinstance(error, ModelError | BaseModel):
        return " ".join(str(error).split())
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def progress_of(record: EpochRecord, epochs: int, metric_name: str) -> JobProgress:
    return JobProgress(
        epoch=record.epoch,
        epochs=epochs,
        train_loss=record.train_loss,
        val_loss=record.val_loss,
        val_metric=record.val_metric,
        metric_name=metric_name,
    )


RELATIVE_TOLERANCE = 1e-6  # a loss lower by less than this share is float noise, not better


def compare(
    result: TrainResult, table: Table, active: Network | None, active_version: str | None
) -> Comparison | None:
    """Both models scored on every row the job held out (validation and test parts)."""
    rows = np.union1d(result.validation_rows, result.test_rows)
    if not len(rows):
        return None
    net = result.net
    x, y = table.x[rows], table.y[rows]
    new = net.evaluate(x, y)
    scores = None
    if active is not None and incomparable(active, net) is None:
        try:
            scores = active.evaluate(x, y)
        except ModelError:
            scores = None
    return Comparison(
        loss=net.loss_name,
        new_loss=new[net.loss_name],
        active_loss=None if scores is None else scores[net.loss_name],
        metric=net.metric_name,
        new=new[net.metric_name],
        active=None if scores is None else scores[net.metric_name],
        rows=len(rows),
        active_version=active_version,
    )


def incomparable(active: Network, new: Network) -> str | None:
    """Why ``active`` cannot be scored on ``new``'s rows, or None when it can: same task,
    multi-label-ness, features, classes (values and types) and targets."""
    checks = (
        ("task", active.task, new.task),
        ("multi-label", active.multilabel, new.multilabel),
        ("features", tuple(active.feature_names), tuple(new.feature_names)),
        ("classes", _labels(active.classes), _labels(new.classes)),
        ("targets", active.n_targets, new.n_targets),
        ("target names", active.target_names, new.target_names),
    )
    for what, theirs, ours in checks:
        if theirs != ours:
            return f"other {what}"
    return None


def _labels(classes: np.ndarray | None) -> list | None:
    # Types count: a 0/1 model does not know the labels "0" and "1".
    return None if classes is None else [(type(c).__name__, c) for c in label_list(classes)]


def decide(policy: str, comparison: Comparison | None, min_rows: int) -> tuple[bool, str]:
    """Whether to activate, and why (shown in the job result). if_better needs ``min_rows``
    held-out rows and a strictly lower loss (beyond ``RELATIVE_TOLERANCE``); a tie keeps the
    active model."""
    if policy == "always":
        return True, "activate=always"
    if policy == "never":
        return False, "activate=never"
    if comparison is None:
        return False, "if_better: no held-out rows to compare on"
    if comparison.active_version is None:
        return True, "if_better: there was no active model"
    if comparison.rows < min_rows:
        return False, f"if_better: {comparison.rows} held-out rows, fewer than the {min_rows} needed"
    if comparison.active_loss is None:
        return False, "if_better: the active model cannot score these rows (other task, features or targets)"
    c = comparison
    figures = (
        f"{c.loss} {c.new_loss:.4g} vs active {c.active_loss:.4g} "
        f"({c.metric} {c.new:.4f} vs {c.active:.4f}) on {c.rows} held-out rows"
    )
    if c.new_loss < c.active_loss - RELATIVE_TOLERANCE * abs(c.active_loss):
        return True, f"if_better: lower loss, {figures}"
    return False, f"if_better: not lower, {figures}"


def lower_priority(nice: int) -> None:
    """Predictions first: training takes only what the web workers leave.

    ``nice`` 19 also asks Linux for ``SCHED_IDLE`` (run only when a core would otherwise be
    idle); lower values are plain niceness.
    """
    os.nice(nice)
    if nice >= 19 and hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[0] != "run":
        print("usage: python -m service.job_runner run <model_dir> <job_id>", file=sys.stderr)
        return 2
    model_dir, job_id = Path(argv[1]), argv[2]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = from_environment()
    lower_priority(settings.train_nice)
    runner = Runner(model_dir, job_id, settings)
    signal.signal(signal.SIGTERM, lambda signum, frame: runner.stop.set())
    runner.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
