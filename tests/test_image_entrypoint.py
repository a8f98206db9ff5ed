"""The container image's behaviour, outside a container: the Dockerfile's own commands, run here.

The runtime stage's exec-form CMD (gunicorn with the repository's config) is started from the
repository root, which stands for the image's WORKDIR, with the environment the Dockerfile sets;
container paths are mapped to temporary directories and the venv. The store is made by the
build stage's training command, and is mounted read-only, as a shared store may be. Containers
themselves run in scripts/container-smoke.sh (CI), where the tools can be installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from servers import ROOT, Server, free_port, wait_until_answering

from model.datasets import load_bundled

VENV_BIN = Path(sys.executable).parent
IMAGE_PATHS = {"/opt/venv/bin": VENV_BIN, "/app/bin": VENV_BIN, "/app": ROOT}
"""Where the image's install locations are on this machine."""


@dataclass(frozen=True)
class Stage:
    """One ``FROM`` stage of the Dockerfile: its instructions, continuation lines joined."""

    instructions: list[tuple[str, str]]

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for argument in self.arguments("ENV"):
            for pair in shlex.split(argument):
                key, _, value = pair.partition("=")
                values[key] = value
        return values

    def arguments(self, keyword: str) -> list[str]:
        return [argument for name, argument in self.instructions if name == keyword]

    def exec_form(self, keyword: str) -> list[str]:
        """The last ``CMD`` or ``ENTRYPOINT``, which must be in exec (JSON array) form."""
        (*_, argument) = self.arguments(keyword)
        command = json.loads(argument)
        assert isinstance(command, list), f"{keyword} must be in exec form, got {argument}"
        return command


def read_stages(path: Path) -> list[Stage]:
    text = path.read_text().replace("\\\n", " ")
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, argument = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append(Stage([]))
        stages[-1].instructions.append((keyword.upper(), argument.strip()))
    return stages


BUILD, RUNTIME = read_stages(ROOT / "Dockerfile")


def on_this_machine(argument: str, paths: dict[str, Path]) -> str:
    """Map an image path (longest matching prefix first) to its place here."""
    for image_path, here in sorted(paths.items(), key=lambda item: -len(item[0])):
        if argument == image_path or argument.startswith(image_path + "/"):
            return str(here) + argument[len(image_path) :]
    return argument


@dataclass(frozen=True)
class ImageRun:
    """The mapped environment and command of the image, and the places they point to."""

    command: list[str]
    env: dict[str, str]
    store: Path
    home: Path


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> ImageRun:
    """Train the store as the build stage does, and map the runtime stage's ENV and CMD."""
    tmp = tmp_path_factory.mktemp("image")
    env = RUNTIME.env()
    paths = {**IMAGE_PATHS, env["MLP_MODEL_DIR"]: tmp / "models", env["MLP_METRICS_DIR"]: tmp / "metrics"}
    (training,) = [run for run in BUILD.arguments("RUN") if "mlp-train" in run]
    subprocess.run(
        [on_this_machine(word, paths) for word in shlex.split(training)],
        cwd=ROOT,
        env={**_base_env(), "OPENBLAS_NUM_THREADS": "1"},
        check=True,
        capture_output=True,
        timeout=60,
    )
    home = tmp / "home"
    home.mkdir()
    mapped = {key: on_this_machine(value, paths) for key, value in env.items()}
    mapped["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    mapped["PATH"] = os.pathsep.join(
        on_this_machine(part, paths) for part in mapped["PATH"].split(os.pathsep)
    )
    port = free_port()
    mapped |= {
        "MLP_BIND": f"127.0.0.1:{port}",  # the image binds 0.0.0.0:8000 inside its own network
        "MLP_WORKERS": "2",  # the image's default is one per CPU: bounded here for the test
        "HOME": str(home),  # gunicorn >= 25 would put its control socket here; it must not
    }
    command = [*RUNTIME.exec_form("ENTRYPOINT"), *RUNTIME.exec_form("CMD")]
    command[0] = shutil.which(command[0], path=mapped["PATH"]) or command[0]
    return ImageRun(command, {**_base_env(), **mapped}, Path(paths[env["MLP_MODEL_DIR"]]), home)


def _base_env() -> dict[str, str]:
    """This process's environment without MLP_* settings, which would leak into the image run."""
    return {key: value for key, value in os.environ.items() if not key.startswith("MLP_")}


def read_only_wrapper(store: Path) -> list[str]:
    """A private mount namespace in which ``store`` is a read-only bind mount (root only)."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(store)]


@pytest.fixture(scope="module")
def read_only_prefix(image_run: ImageRun) -> Iterator[list[str]]:
    """How the command sees the store read-only: inside a read-only mount where this process may
    make one (root), else with the write permission bits removed (effective for non-root)."""
    store = image_run.store
    wrapper = read_only_wrapper(store)
    if (
        os.geteuid() == 0
        and shutil.which("unshare")
        and subprocess.run([*wrapper, "true"], capture_output=True, timeout=10).returncode == 0
    ):
        yield wrapper
        return
    paths = [store, *store.rglob("*")]
    for path in paths:
        path.chmod(path.stat().st_mode & ~0o222)
    yield []
    for path in paths:
        path.chmod(path.stat().st_mode | 0o200)


@pytest.fixture(scope="module")
def server(
    image_run: ImageRun, read_only_prefix: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The image's command, serving the store it cannot write to."""
    log_path = tmp_path_factory.mktemp("image-log") / "gunicorn.log"
    port = int(image_run.env["MLP_BIND"].rpartition(":")[2])
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*read_only_prefix, *image_run.command],
            cwd=ROOT,
            env=image_run.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    running = Server(port, process, log_path)
    try:
        wait_until_answering(running, "/ready", name="the image's command")
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def store_listing(store: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(store)): (path.stat().st_mtime_ns, path.stat().st_size)
        for path in store.rglob("*")
    }


def first_digit() -> tuple[list[float], int]:
    digits = load_bundled("digits")
    return digits.x[0].tolist(), int(digits.y[0])


# ------------------------------------------------------------------ the Dockerfile itself


def test_the_runtime_stage_runs_the_readme_command_as_a_fixed_non_root_user():
    assert RUNTIME.exec_form("CMD") == ["gunicorn", "-c", "service/gunicorn.conf.py", "service:create_app()"]
    assert RUNTIME.arguments("USER") == ["10001:10001"]
    assert RUNTIME.arguments("WORKDIR") == ["/app"]
    assert RUNTIME.arguments("EXPOSE") == ["8000"]
    assert json.loads(RUNTIME.arguments("VOLUME")[0]) == [RUNTIME.env()["MLP_MODEL_DIR"]]
    assert "/ready" in RUNTIME.arguments("HEALTHCHECK")[0]


def test_pid_1_is_a_pinned_init_that_reaps_orphans_and_hands_sigterm_to_gunicorn():
    assert RUNTIME.exec_form("ENTRYPOINT") == ["dumb-init", "--single-child", "--"]
    (install,) = [run for run in BUILD.arguments("RUN") if "dumb-init" in run]
    assert "dumb-init==1.2.5.post1" in install and "--only-binary=:all:" in install


def test_sigterm_to_the_image_command_stops_it_cleanly_with_exit_code_0(image_run, tmp_path):
    log_path = tmp_path / "log"
    port = free_port()
    env = {**image_run.env, "MLP_BIND": f"127.0.0.1:{port}", "MLP_WORKERS": "1"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(image_run.command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(Server(port, process, log_path), "/ready", name="the image's command")
        process.terminate()  # what the container runtime sends to PID 1
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log_path.read_text()


def test_the_runtime_environment_is_python_hygiene_blas_and_mlp_settings_only():
    env = RUNTIME.env()
    assert env["PYTHONDONTWRITEBYTECODE"] == env["PYTHONUNBUFFERED"] == "1"
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == "1"
    assert env["MLP_BIND"] == "0.0.0.0:8000"
    other = set(env) - {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
    assert all(key.startswith("MLP_") or key.endswith("_NUM_THREADS") for key in other), other


def test_both_stages_start_from_the_same_pinned_slim_python_image():
    images = [stage.arguments("FROM")[0].split()[0] for stage in (BUILD, RUNTIME)]
    assert images == ["docker.io/library/python:3.11-slim-bookworm"] * 2


def test_the_constraints_pin_every_runtime_dependency_within_pyproject_ranges():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line!r} is not pinned with =="
            pins[canonicalize_name(name)] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for text in project["dependencies"]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is a runtime dependency missing from constraints.txt"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} violates {text!r}"


def test_the_constraints_are_closed_under_the_dependencies_of_the_pinned_versions():
    """Where this venv has the pinned version, each of its dependencies is pinned too."""
    pins = {
        canonicalize_name(name): version
        for name, _, version in (
            line.partition("==") for line in (ROOT / "constraints.txt").read_text().splitlines()
        )
        if name and not name.startswith("#")
    }
    checked = 0
    for name, version in pins.items():
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if distribution.version != version:
            continue
        checked += 1
        for text in distribution.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                assert canonicalize_name(requirement.name) in pins, f"{name} needs {text}: not pinned"
    assert checked, "no pinned version is installed here: the check checked nothing"


# ------------------------------------------------------------------ the image's command, run here


def test_the_image_command_becomes_ready_with_the_model_trained_at_build_time(server, image_run):
    status, _, body = server.request("GET", "/ready")
    assert status == 200, body
    status, _, card = server.request("GET", "/model")
    assert status == 200
    assert card["version"] == (image_run.store / "active").read_text().strip()


def test_the_image_command_predicts_a_bundled_digit(server):
    pixels, label = first_digit()
    status, headers, body = server.request(
        "POST", "/predict", {"instances": [pixels]}, {"Content-Type": "application/json"}
    )
    assert status == 200, body
    assert body["predictions"] == [label]
    assert headers["X-Model-Version"] == body["model_version"]


def test_serving_writes_nothing_to_the_store_home_or_the_source_tree(server, image_run):
    before = store_listing(image_run.store)
    for _ in range(3):
        assert server.request("GET", "/model")[0] == 200
    assert store_listing(image_run.store) == before
    assert list(image_run.home.iterdir()) == []  # no control socket under $HOME


def test_the_store_the_command_serves_is_really_read_only_to_it(image_run, read_only_prefix):
    if not read_only_prefix and os.geteuid() == 0:
        pytest.skip("root without unshare: permission bits do not stop root's writes")
    probe = subprocess.run(
        [*read_only_prefix, "touch", str(image_run.store / "probe")], capture_output=True, timeout=10
    )
    assert probe.returncode != 0
    assert b"Read-only file system" in probe.stderr or b"Permission denied" in probe.stderr


def test_the_log_shows_no_errors_from_a_read_only_store(server):
    server.request("GET", "/health")
    log = server.log()
    for problem in ("Traceback", "Read-only file system", "Permission denied", "Control server error"):
        assert problem not in log, log
