"""Hostile bodies within the size limits: refused or served without taking a worker's memory.

Each case runs in a fresh interpreter (a worker's situation: the app created, the bundled
digits model loaded) and reports its peak RSS; memory is deterministic enough to assert on,
time is not, so time is only printed (``pytest -s``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from model import Network
from model.store import ModelStore
from service import Settings
from service.body_limits import over_budget

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "s3cret-token"
WORKER_PEAK_MIB = 256  # the bound for a worker serving the bundled digits model
FULL = "0.12345678901234567"  # a value written with all its digits

# Runs in the child: argv = store, endpoint, body file. Reads the body before the baseline.
# Peak RSS is VmHWM, this process image's own high-water mark: ru_maxrss would carry over the
# parent's (the pytest process's) across the fork and exec.
CHILD = """
import json, sys, time
from pathlib import Path
from service import Settings, create_app

def peak_mib():
    status = Path("/proc/self/status").read_text().split("VmHWM:")[1]
    return int(status.split()[0]) / 1024

store, endpoint, body_file = sys.argv[1:]
client = create_app(Settings(model_dir=store, api_token="%s")).test_client()
body = Path(body_file).read_bytes()
baseline = peak_mib()
started = time.perf_counter()
response = client.post(endpoint, data=body, headers={"Authorization": "Bearer %s"})
seconds = time.perf_counter() - started
print(json.dumps({"status": response.status_code, "body": response.get_json(), "baseline": baseline,
                  "peak": peak_mib(), "seconds": seconds}))
""" % (TOKEN, TOKEN)  # noqa: UP031


@pytest.fixture(scope="module")
def digits_store(tmp_path_factory, digits) -> Path:
    """A store whose active model is a (briefly trained) digits classifier: 64 features."""
    x, y = digits
    net = Network(hidden=(100,), seed=0)
    net.fit(x, y, epochs=2, feature_names=[f"pixel_{i}" for i in range(64)])
    root = tmp_path_factory.mktemp("digits-store")
    ModelStore(root).publish(net.save, {"task": net.task})
    return root


def one_value_rows(size: int, targets: bool) -> bytes:
    """``{"instances": [[0],[0],...]}`` (and as many targets) of about ``size`` bytes."""
    n = size // (7 if targets else 4)
    tail = b'], "targets": [' + b"0," * (n - 1) + b"0]}" if targets else b"]}"
    return b'{"instances": [' + b"[0]," * (n - 1) + b"[0]" + tail


def one_long_row(size: int) -> bytes:
    return b'{"instances": [[' + b"0," * (size // 2) + b"0]]}"


def one_long_tensor(size: int) -> bytes:
    head = b'{"inputs": [{"name": "input", "shape": [1, 64], "datatype": "FP64", "data": ['
    return head + b"0," * (size // 2) + b"0]}]}"


def full_rows(n_rows: int, n_features: int, targets: int | None = None) -> bytes:
    row = "[" + ", ".join([FULL] * n_features) + "]"
    body = '{"instances": [' + ", ".join([row] * n_rows) + "]"
    if targets is not None:
        body += ', "targets": [' + ", ".join(["1"] * targets) + "]"
    return (body + "}").encode()


def run_child(store: Path, endpoint: str, body: bytes, tmp_path: Path) -> dict:
    body_file = tmp_path / "body.json"
    body_file.write_bytes(body)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), endpoint, str(body_file)],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{endpoint} {len(body) / 2**20:.1f} MiB: {report['status']} in {report['seconds'] * 1e3:.0f} ms, "
          f"peak {report['baseline']:.0f} -> {report['peak']:.0f} MiB")  # fmt: skip
    return report


DEFAULTS = Settings(model_dir="unused")
TRAIN_ROWS = DEFAULTS.max_train_values // 64


@pytest.mark.parametrize(
    ("endpoint", "make_body", "statuses"),
    [
        ("/predict", lambda: one_value_rows(12 * 2**20, targets=False), {422}),
        ("/predict", lambda: one_long_row(12 * 2**20), {422}),
        ("/predict", lambda: full_rows(DEFAULTS.max_rows, 64), {200}),
        ("/v2/models/mlp/infer", lambda: one_long_tensor(12 * 2**20), {400}),
        ("/train", lambda: one_value_rows(min(DEFAULTS.max_train_body_bytes, 32 * 2**20) - 64, True), {422}),
        # As many values as allowed, one target short: parsed whole, then refused (no job starts).
        ("/train", lambda: full_rows(TRAIN_ROWS, 64, targets=TRAIN_ROWS - 1), {422}),
    ],
    ids=[
        "one-value-rows", "one-long-row", "most-rows-allowed", "v2-long-tensor",
        "train-one-value-rows", "train-most-values",
    ],
)
def test_no_body_within_the_limits_takes_a_worker_over_its_memory_bound(
    digits_store, tmp_path, endpoint, make_body, statuses
) -> None:
    body = make_body()
    limit = DEFAULTS.max_train_body_bytes if endpoint == "/train" else DEFAULTS.max_body_bytes
    assert len(body) <= limit
    report = run_child(digits_store, endpoint, body, tmp_path)
    assert report["status"] in statuses, report["body"]
    if report["status"] != 200:
        assert {"error", "code", "detail"} <= report["body"].keys()
    assert report["peak"] <= WORKER_PEAK_MIB


@pytest.mark.parametrize(
    ("body", "containers", "commas", "over"),
    [
        (b'{"instances": [[1, 2], [3, 4]]}', 4, 3, False),
        (b'{"instances": [[1, 2], [3, 4]]}', 3, 3, True),
        (b'{"instances": [[1, 2], [3, 4]]}', 4, 2, True),
        # Brackets and commas inside strings are not structure, escaped quotes included.
        (b'{"instances": [{"a[0]": 1, "b,{c}": 2}]}', 3, 1, False),
        (b'{"instances": [{"a\\"[0,": 1, "b": 2}]}', 3, 1, False),
        (b'{"instances": [{"a": 1, "b": 2}, {"a": 1, "b": 2}]}', 3, 10, True),
        # An unterminated string still ends the scan (and the count stays an upper bound).
        (b'{"instances": "[[[,,,', 1, 0, False),
        (b'"' * 100 + b"[,]", 0, 0, True),  # more strings than members allowed
    ],
)  # fmt: skip
def test_the_byte_count_bounds_rows_and_values_outside_strings(body, containers, commas, over) -> None:
    assert over_budget(body, containers, commas) is over


def test_a_valid_request_at_the_row_limit_passes_the_count_in_both_forms() -> None:
    names = [f"f[{i}],x" for i in range(64)]
    rows = np.full((50, 64), 0.5).tolist()
    as_lists = json.dumps({"instances": rows, "return_probabilities": True}).encode()
    as_objects = json.dumps({"instances": [dict(zip(names, row, strict=True)) for row in rows]}).encode()
    for body in (as_lists, as_objects):
        assert not over_budget(body, max_containers=50 + 2, max_commas=50 * 64 + 2)
        assert over_budget(body, max_containers=49 + 2, max_commas=49 * 64 + 2)
