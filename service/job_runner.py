"""The process that runs one training job, outside any web worker.

    python -m service.job_runner launch <model_dir> <job_id>   # detach a runner, print its pid
    python -m service.job_runner run <model_dir> <job_id>      # the runner itself

``launch`` starts ``run`` in a new session and exits at once, so the runner is re-parented to
init (which reaps it) and a gunicorn worker's timeout or recycling never touches it. The
runner waits for a free slot (``max_train_jobs`` file locks, released by the kernel if it
dies), trains through ``model.pipeline``, decides activation, publishes through the store's
atomic code, and keeps ``job.json`` current (progress, heartbeat). SIGTERM or a ``cancel``
marker stops it cleanly: status ``cancelled``, nothing published.
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

from model import EpochRecord, ModelError, Network, loads
from model.datasets import Table
from model.nn.preprocessing import label_list
from model.pipeline import TrainResult, publish, resolve_task, train_model
from model.store import ModelStore, StoreError

from .jobs import HEARTBEAT_S, LOG, JobStore, now
from .schemas import Comparison, JobProgress, JobResult, TrainRequest
from .settings import Settings
from .training import describe_error, prepare

_LOG = logging.getLogger("service.job_runner")
PROGRESS_EVERY_S = 0.5


def launch(model_dir: Path, job_id: str) -> int:
    """Start a detached runner for ``job_id``; return its pid."""
    log = open(JobStore(model_dir).path(job_id) / LOG, "ab")  # noqa: SIM115  (inherited by the child)
    with log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service.job_runner", "run", str(model_dir), job_id],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
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
            if self.record.status in ("queued", "running"):
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
            self.stop.set()
            if not self.settings.keep_job_data:
                self.jobs.drop_request(self.job_id)
            self.jobs.prune()

    def _wait_for_slot(self):
        while not self.cancelled():
            for number in range(self.settings.max_train_jobs):
                lock = self.jobs.slot_lock(number)
                try:
                    lock.acquire()
                    return lock
                except TimeoutError:
                    continue
            time.sleep(0.2)
        return None

    def _train(self) -> None:
        request = TrainRequest.model_validate_json(self.jobs.request_body(self.job_id))
        active_version = self.store.active_version()
        # Two objects from one read: one is scored against the new model, the other trained further.
        artifact = self.store.get(active_version).artifact.read_bytes() if active_version else None
        active = loads(artifact) if artifact else None
        base = loads(artifact) if artifact and request.base == "active" else None
        prepared = prepare(request, self.settings, base)
        task = base.task if base is not None else resolve_task(prepared.table, prepared.options)
        metric_name = "accuracy" if task == "classification" else "r2"
        epochs = prepared.options.epochs
        self._save(progress=JobProgress(epochs=epochs, metric_name=metric_name))
        callback = self._progress_callback(epochs, metric_name)
        result = train_model(prepared.table, prepared.options, callback, prepared.base)
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
        comparison = compare(result, prepared.table, active, active_version)
        activate, reason = decide(request.activate, comparison, self.settings.min_compare_rows)
        # if_better compared against one version: activate only if it is still the active one.
        still = None if request.activate != "if_better" else (lambda current: current == active_version)
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
    if len(argv) != 3 or argv[0] not in ("launch", "run"):
        print("usage: python -m service.job_runner launch|run <model_dir> <job_id>", file=sys.stderr)
        return 2
    mode, model_dir, job_id = argv[0], Path(argv[1]), argv[2]
    if mode == "launch":
        print(launch(model_dir, job_id))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    lower_priority(settings.train_nice)
    runner = Runner(model_dir, job_id, settings)
    signal.signal(signal.SIGTERM, lambda signum, frame: runner.stop.set())
    runner.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
