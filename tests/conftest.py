"""Shared fixtures: the bundled datasets and small synthetic problems."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """Bundled digits: X (1797, 64) float64 in 0..16, y (1797,) int labels 0..9."""
    rows = np.loadtxt(DATA / "digits.csv", delimiter=",", skiprows=1)
    return rows[:, :64], rows[:, 64].astype(np.int64)


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Bundled iris: X (150, 4) float64, y (150,) species names as strings."""
    features = np.loadtxt(DATA / "iris.csv", delimiter=",", skiprows=1, usecols=range(4))
    species = np.loadtxt(DATA / "iris.csv", delimiter=",", skiprows=1, usecols=4, dtype=str)
    return features, species


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, X (n, 2), y (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t = rng.uniform(0, np.pi, size=n)
    upper = np.column_stack([np.cos(t[:half]), np.sin(t[:half])])
    lower = np.column_stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])])
    x = np.vstack([upper, lower]) + rng.normal(0, noise, size=(n, 2))
    return x, np.repeat([0, 1], [half, n - half])


IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@pytest.fixture(scope="session")
def iris_net(iris):
    """A small trained iris classifier (string labels, named features), shared read-only."""
    from model import Network

    x, y = iris
    net = Network(hidden=(8,), seed=0)
    net.fit(x, y, epochs=60, learning_rate=1e-2, val_fraction=0.2, feature_names=IRIS_FEATURES)
    return net


@pytest.fixture
def store_dir(tmp_path: Path, iris_net) -> Path:
    """A model store holding one active version: the iris classifier."""
    from model.store import ModelStore

    root = tmp_path / "store"
    ModelStore(root).publish(iris_net.save, {"task": iris_net.task, "metrics": {"accuracy": 0.9}})
    return root


@pytest.fixture
def settings(store_dir: Path):
    from service import Settings

    return Settings(model_dir=store_dir, reload_interval_s=0)


@pytest.fixture
def app(settings):
    from service import create_app

    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tiny_filesystem(tmp_path: Path):
    """A 64 KiB tmpfs mounted for this test (needs root); skipped where mounting is not allowed."""
    import subprocess

    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
            capture_output=True,
            check=False,
        )
    except OSError as error:  # no mount command
        pytest.skip(f"cannot mount a tmpfs here: {error}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
