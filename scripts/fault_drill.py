"""Fault drill: replay issue 12's findings 1, 3, 4 and 5 against real gunicorn, print the figures.

One command shows the fixes still hold: each finding runs against
``gunicorn -c service/gunicorn.conf.py 'service:create_app()'`` on a free 127.0.0.1 port, with
a temporary store trained by ``mlp-train`` (``scripts/train.py``):

1 hostile bodies: a 12 MiB ``/predict`` body of one-value rows (``[[0],[0],...]``, ~3.1 M
  rows; it once took a worker from 47 to 849 MiB peak RSS and 2.6 s of CPU) and a /train body
  of one-value rows just under its limit. Refused with a JSON 4xx; no worker's peak RSS
  (VmHWM in /proc) above 256 MiB, the handling worker's CPU for the request under 1 s.
3 if_better: iris trained well, then a 1-epoch job at learning rate 1e-6 with
  ``activate: if_better`` (a seed whose model once got in) must finish without replacing it;
  prints both models' figures on the held-out rows.
4 respawned workers: the pointer names a version that fails to load; workers recycled every
  3 requests (``--max-requests 3``) must all serve the last good version, never the master's
  boot-time one; prints the versions and worker pids that answered 40 requests.
5 a full disk (root only, else SKIP): the store on a 2 MiB tmpfs. Nearly full, a job is
  accepted (202), fails saying why, and every read answers; full, a job is refused with 507 and
  GET /train and /train/<id> keep answering 200 for a few seconds; in between, with room for the
  job's record only, its runner dies unable to write, and the job must read as failed once its
  record is stale (30 s) with every read 200 (the old code answered 500 from then on).

Each check prints one line, ``PASS``, ``FAIL`` or ``SKIP``, its finding and its figures; the
exit status is 1 if any check failed. Every wait has a deadline; servers, the tmpfs and the
temporary directory are removed on the way out. Copied into a checkout of cc5b8a1 (before the
fixes), it FAILs 1 (832 MiB, 2.9 s CPU), 3 (activated on a 0.83 tie), 4 (the boot version
served 36 of 40 times) and 5 (500s once the dead job's record was stale, and to the full POST).

All four take about 80 s on 2 cores (5 alone ~50 s, 1 ~10 s). Usage, from anywhere::

    .venv/bin/python scripts/fault_drill.py [--only 1,3,4,5]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(ROOT))  # this checkout's packages, before any installed copy

from bench.gunicorn_run import GunicornServer  # noqa: E402

from model.store import ModelStore  # noqa: E402
from service import Settings  # noqa: E402
from service.jobs import STALE_AFTER_S  # noqa: E402

TOKEN = "fault-drill-token"
MIB = 2**20
WORKER_PEAK_MIB = 256  # issue 12: no body within the limits takes a worker above this
REFUSAL_CPU_S = 1.0  # "refused in milliseconds"; the old code spent 2.6 s
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]
DONE = ("succeeded", "failed", "cancelled")
_ACCESS = re.compile(r"^\[(\d+)\] service\.access: (\{.*\})$")


@dataclass(frozen=True)
class Check:
    finding: str
    verdict: str  # PASS, FAIL or SKIP
    figures: str

    def line(self) -> str:
        return f"{self.verdict} {self.finding}: {self.figures}"


def check(finding: str, ok: bool, figures: str) -> Check:
    return Check(finding, "PASS" if ok else "FAIL", figures)


# ---------------------------------------------------------------- processes and HTTP
def environment(store: Path, work: Path, name: str, **extra: str) -> dict[str, str]:
    """The server's (and mlp-train's) environment: this checkout first, the drill's store."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "PYTHONPATH": path,
        "MLP_MODEL_DIR": str(store),
        "MLP_METRICS_DIR": str(work / f"metrics-{name}"),
        "MLP_API_TOKEN": TOKEN,
        "MLP_WORKERS": "2",
        **extra,
    }


@contextlib.contextmanager
def serve(name: str, store: Path, work: Path, **extra: str) -> Iterator[GunicornServer]:
    server = GunicornServer(name, "service:create_app()", environment(store, work, name, **extra), work)
    with server:  # stops the master (and so its workers) however the block ends
        server.start(timeout_s=60)
        yield server


def train(store: Path, work: Path, *options: str) -> str:
    """Run ``mlp-train --model-dir store *options``; return the version it activated."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "--model-dir", str(store), *options],
        env=environment(store, work, "train"), cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"mlp-train {' '.join(options)} failed: {done.stderr.strip()[-500:]}")
    return ModelStore(store).active_version()


def call(server: GunicornServer, method: str, path: str, body: object = None) -> tuple[int, dict, object]:
    """One request with the token on a new connection: (status, headers, JSON or text)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        connection.request(method, path, body=data, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        raw = response.read()
        headers = dict(response.getheaders())
        try:
            return response.status, headers, json.loads(raw)
        except ValueError:
            return response.status, headers, raw.decode(errors="replace")
    finally:
        connection.close()


def peak_rss_mib(pid: int) -> float:
    """The peak resident set of ``pid`` so far, in MiB (VmHWM of /proc/<pid>/status)."""
    text = Path(f"/proc/{pid}/status").read_text().split("VmHWM:")[1]
    return int(text.split()[0]) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (/proc/<pid>/stat fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def access_log(server: GunicornServer) -> list[tuple[int, dict]]:
    """(worker pid, request record) for every JSON request line of the server's log."""
    records = []
    for line in server.logfile.read_text(errors="replace").splitlines():
        match = _ACCESS.match(line)
        if match:
            records.append((int(match.group(1)), json.loads(match.group(2))))
    return records


def wait_job(server: GunicornServer, job_id: str, timeout_s: float) -> tuple[dict, collections.Counter]:
    """Poll GET /train/<id> and GET /train until the job ends (or the deadline); return its last
    record and the statuses every read answered."""
    statuses: collections.Counter = collections.Counter()
    record: dict = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, _, record = call(server, "GET", f"/train/{job_id}")
        statuses[status] += 1
        statuses[call(server, "GET", "/train")[0]] += 1
        if status != 200 or record.get("status") in DONE:
            break
        time.sleep(0.2)
    return record, statuses


def pointer(before: str, after: str | None) -> str:
    return "active version unchanged" if after == before else f"active version CHANGED {before} -> {after}"


def counts(counter: collections.Counter) -> str:
    return ", ".join(f"{key} x{n}" for key, n in sorted(counter.items(), key=str)) or "none"


# ---------------------------------------------------------------- 1 hostile bodies
def one_value_rows(size: int, targets: bool) -> tuple[bytes, int]:
    """``{"instances": [[0],[0],...]}`` (and as many targets) of about ``size`` bytes; its rows."""
    n = (size - 64) // (6 if targets else 4)  # "[0]," per row, and "0," per target
    tail = b'], "targets": [' + b"0," * (n - 1) + b"0]}" if targets else b"]}"
    return b'{"instances": [' + b"[0]," * (n - 1) + b"[0]" + tail, n


def drill_hostile_bodies(work: Path) -> list[Check]:
    store = work / "store-1"
    train(store, work)
    limits = Settings(model_dir=store)
    predict_limit, train_limit = limits.max_body_bytes, limits.max_train_body_bytes
    cases = [
        ("/predict", one_value_rows(12 * MIB, targets=False), predict_limit),  # the body
        ("/train", one_value_rows(min(train_limit, 32 * MIB), targets=True), train_limit),  # just under
    ]
    with serve("drill-1", store, work) as server:
        return [hostile_body(server, path, body, rows, limit) for path, (body, rows), limit in cases]


def hostile_body(server: GunicornServer, path: str, body: bytes, rows: int, limit: int) -> Check:
    workers = server.worker_pids()
    peak_before = {pid: peak_rss_mib(pid) for pid in workers}
    cpu_before = {pid: cpu_seconds(pid) for pid in workers}
    started = time.perf_counter()
    status, _, answer = call(server, "POST", path, body)
    elapsed_ms = (time.perf_counter() - started) * 1000
    peak_after = {pid: peak_rss_mib(pid) for pid in workers}
    handlers = [pid for pid, record in access_log(server) if record["path"] == path]
    handler = handlers[-1] if handlers else max(workers, key=lambda pid: cpu_seconds(pid) - cpu_before[pid])
    cpu = cpu_seconds(handler) - cpu_before[handler]
    refused = 400 <= status < 500 and isinstance(answer, dict) and {"error", "code", "detail"} <= set(answer)
    highest = max(peak_after.values())
    ok = len(body) <= limit and refused and highest <= WORKER_PEAK_MIB and cpu <= REFUSAL_CPU_S
    code = answer.get("code") if isinstance(answer, dict) else "not JSON"
    figures = (
        f"{len(body) / MIB:.1f} MiB (limit {limit / MIB:.1f}) of {rows:,} one-value rows -> "
        f"{status} {code} in {elapsed_ms:.0f} ms, worker CPU {cpu:.2f} s (bound {REFUSAL_CPU_S:g}); "
        f"handling worker {handler} peak RSS {peak_before[handler]:.0f} -> {peak_after[handler]:.0f} MiB, "
        f"highest worker {highest:.0f} MiB (bound {WORKER_PEAK_MIB})"
    )
    return check(f"1 POST {path} hostile body", ok, figures)


# ---------------------------------------------------------------- 3 if_better
# The old rule, accuracy >= the active's on the validation rows alone, let this job's model in:
# on its 6 validation rows it ties the trained one (0.83 each) at a test accuracy of 0.73. The
# seed was found for that tie (a change to training may lose it; the check below still holds).
WORSE_JOB = {
    "dataset": "iris",
    "epochs": 1,
    "learning_rate": 1e-6,
    "val_fraction": 0.05,
    "seed": 175,
    "activate": "if_better",
}
FINDING_3 = "3 if_better keeps a worse model out"


def drill_if_better(work: Path) -> list[Check]:
    store = work / "store-3"
    trained = train(store, work, "--dataset", "iris")
    with serve("drill-3", store, work) as server:
        status, _, accepted = call(server, "POST", "/train", WORSE_JOB)
        if status != 202:
            return [check(FINDING_3, False, f"POST /train answered {status}: {accepted}")]
        record, _ = wait_job(server, accepted["job_id"], timeout_s=120)
    active = ModelStore(store).active_version()
    result = record.get("result") or {}
    c = {key: value for key, value in (result.get("comparison") or {}).items() if value is not None}
    nan = float("nan")
    ok = record.get("status") == "succeeded" and result.get("activated") is False and active == trained
    figures = (
        f"1-epoch job {record.get('status')}, activated {result.get('activated')}; new {c.get('metric')} "
        f"{c.get('new', nan):.2f} ({c.get('loss')} {c.get('new_loss', nan):.3f}) vs active "
        f"{c.get('active', nan):.2f} ({c.get('active_loss', nan):.3f}) on {c.get('rows')} held-out rows; "
        f"{pointer(trained, active)}" + (f"; error: {record['error']}" if record.get("error") else "")
    )
    return [check(FINDING_3, ok, figures)]


# ---------------------------------------------------------------- 4 respawned workers
def drill_respawned_workers(work: Path) -> list[Check]:
    store = work / "store-4"
    boot = train(store, work, "--dataset", "iris")
    recycled = {"GUNICORN_CMD_ARGS": "--max-requests 3 --max-requests-jitter 0"}
    finding = "4 respawned workers serve the last good version"
    with serve("drill-4", store, work, **recycled) as server:
        good = train(store, work, "--dataset", "iris", "--seed", "1")  # validated: the last good one
        if not served_in_a_row(server, good, 10, timeout_s=20):
            return [check(finding, False, f"the workers never all served {good} (boot version {boot})")]
        broken = ModelStore(store).publish(lambda path: path.write_bytes(b"not a model"), {"drill": "broken"})
        skip = len(access_log(server))
        answers = [call(server, "POST", "/predict", {"instances": [IRIS_ROW]}) for _ in range(40)]
        pids = {pid for pid, record in access_log(server)[skip:] if record["path"] == "/predict"}
    versions = collections.Counter(headers.get("X-Model-Version") for _, headers, _ in answers)
    statuses = collections.Counter(status for status, _, _ in answers)
    ok = set(versions) == {good} and set(statuses) == {200} and len(pids) >= 3
    figures = (
        f"pointer -> broken {broken.version}; {sum(statuses.values())} requests: "
        f"statuses {counts(statuses)}; "
        f"versions {counts(versions)} (last good {good}, boot {boot} served {versions.get(boot, 0)} times); "
        f"{len(pids)} distinct worker pids answered"
    )
    return [check(finding, ok, figures)]


def served_in_a_row(server: GunicornServer, version: str, needed: int, timeout_s: float) -> bool:
    """Whether ``needed`` GET /ready in a row name ``version`` before the deadline."""
    in_a_row, deadline = 0, time.monotonic() + timeout_s
    while in_a_row < needed and time.monotonic() < deadline:
        served = call(server, "GET", "/ready")[1].get("X-Model-Version") == version
        in_a_row = in_a_row + 1 if served else 0
        if not served:
            time.sleep(0.1)
    return in_a_row >= needed


# ---------------------------------------------------------------- 5 a full disk
# Inline rows, so the job's prepared data (prepared.npz) takes two tmpfs pages; wide layers, so
# its model (~270 KB) does not fit in what is left.
DISK_JOB = {
    "instances": [[i % 7, (i * 3) % 5] for i in range(60)],
    "targets": [i % 2 for i in range(60)],
    "hidden": [256, 256],
    "epochs": 2,
    "activate": "always",
}
ROOM_FOR_A_RECORD = 3 * 4096  # prepared.npz (~5.4 KB: two tmpfs pages) and job.json (one)
FINDING_5A = "5 a job that cannot publish"
FINDING_5B = "5 a runner that cannot write its record"


def drill_full_disk(work: Path) -> list[Check]:
    finding = "5 training into a full disk"
    if os.geteuid() != 0:
        return [Check(finding, "SKIP", "needs root to mount a tmpfs")]
    mount = work / "tiny"
    mount.mkdir()
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                              capture_output=True, text=True, timeout=30)  # fmt: skip
    except (OSError, subprocess.SubprocessError) as error:
        return [Check(finding, "SKIP", f"cannot mount a tmpfs: {error}")]
    if done.returncode != 0:
        return [Check(finding, "SKIP", f"cannot mount a tmpfs: {done.stderr.strip()}")]
    try:
        store = mount / "store"
        trained = train(store, work)
        with serve("drill-5", store, work) as server:
            # Room to publish nothing: the runner fails, saying why.
            spaceless, job_id = job_on_tight_store(server, mount, trained, ROOM_FOR_A_RECORD * 4, FINDING_5A)
            # Room for the job's record only: the runner cannot write, dies; once its record is
            # stale the job reads as failed (the old code answered 500 here: its reads wrote).
            silent, _ = job_on_tight_store(server, mount, trained, ROOM_FOR_A_RECORD, FINDING_5B)
            return [spaceless, silent, full(server, mount, job_id)]
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def fill(directory: Path, leave: int = 0) -> int:
    """Fill ``directory``'s filesystem until ENOSPC, then free ``leave`` bytes; return the free bytes."""
    filler = directory / "filler"
    with open(filler, "ab", buffering=0) as handle:
        for chunk in (b"\0" * 65536, b"\0" * 4096, b"\0" * 512):
            with contextlib.suppress(OSError):  # ENOSPC ends each size; anything else shows below
                while handle.write(chunk):
                    pass
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return shutil.disk_usage(directory).free


def job_on_tight_store(
    server: GunicornServer, mount: Path, trained: str, leave: int, finding: str
) -> tuple[Check, str | None]:
    """POST /train with ``leave`` bytes free; the job must end failed, saying so, every read 200."""
    free = fill(mount, leave=leave)
    status, _, accepted = call(server, "POST", "/train", DISK_JOB)
    if status != 202:
        return check(finding, False, f"{free // 1024} KiB free: POST /train {status}: {accepted}"), None
    started = time.monotonic()
    record, reads = wait_job(server, accepted["job_id"], timeout_s=STALE_AFTER_S + 30)
    seconds = time.monotonic() - started
    active = ModelStore(mount / "store").active_version()
    ok = record.get("status") == "failed" and bool(record.get("error")) and set(reads) == {200}
    ok = ok and active == trained
    error = " ".join(str(record.get("error")).split())
    leak = " [the error names a server path]" if str(mount) in error else ""
    figures = (
        f"{free // 1024} KiB free: POST /train 202; job {record.get('status')} after {seconds:.1f} s "
        f"({error[:110]}){leak}; GET /train and /train/<id>: {counts(reads)}; "
        f"{pointer(trained, active)}"
    )
    return check(finding, ok, figures), accepted["job_id"]


def full(server: GunicornServer, mount: Path, job_id: str | None) -> Check:
    free = fill(mount)
    status, _, refused = call(server, "POST", "/train", DISK_JOB)
    paths = ["/train"] + ([f"/train/{job_id}"] if job_id else [])
    reads: collections.Counter = collections.Counter()
    deadline = time.monotonic() + 5  # the old code turned reads into 500s once a job looked dead
    while time.monotonic() < deadline:
        reads.update(call(server, "GET", path)[0] for path in paths)
        time.sleep(0.1)
    code = refused.get("code") if isinstance(refused, dict) else refused
    figures = f"{free // 1024} KiB free: POST /train {status} {code}; GET {' and '.join(paths)} for 5 s: "
    return check("5 a job on a full store", status == 507 and set(reads) == {200}, figures + counts(reads))


# ---------------------------------------------------------------- main
DRILLS: dict[str, Callable[[Path], list[Check]]] = {
    "1": drill_hostile_bodies,
    "3": drill_if_better,
    "4": drill_respawned_workers,
    "5": drill_full_disk,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(DRILLS), help="findings to drill, e.g. 1,3 (default: all)")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in DRILLS]
    if unknown or not chosen:
        parser.error(f"--only takes findings from {','.join(DRILLS)}, got {args.only!r}")
    failed = False
    with tempfile.TemporaryDirectory(prefix="fault-drill-", ignore_cleanup_errors=True) as work:
        for name in chosen:
            started = time.monotonic()
            try:
                results = DRILLS[name](Path(work))
            except Exception as error:  # a drill that cannot run is a failure, with its reason
                results = [Check(name, "FAIL", f"the drill itself failed: {type(error).__name__}: {error}")]
            for result in results:
                print(result.line(), flush=True)
                failed = failed or result.verdict == "FAIL"
            print(f"     ({name}: {time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
