"""Shared fixtures: the bundled datasets, small synthetic problems, and apps over a model store.

The caller's ``MLP_*`` settings are removed from the environment for the whole run, collection
included (``pytest_configure``), so a developer's shell cannot change what the suite sees.
A test that wants a setting passes it to ``make_app``/``make_settings``, or sets it with
``monkeypatch.setenv`` or in a subprocess's ``env``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from helpers import IRIS_FEATURES

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from model import Network
    from service import Settings

SUITE_SWITCHES = ("MLP_REQUIRE_", "MLP_TEST_")  # the suite's own switches (.ci/run), not settings
_CALLERS_SETTINGS = pytest.StashKey[dict[str, str]]()


def pytest_configure(config: pytest.Config) -> None:
    """Take the caller's ``MLP_*`` settings out of the environment until the run ends."""
    removed = {
        name: os.environ.pop(name)
        for name in list(os.environ)
        if name.startswith("MLP_") and not name.startswith(SUITE_SWITCHES)
    }
    config.stash[_CALLERS_SETTINGS] = removed


def pytest_unconfigure(config: pytest.Config) -> None:
    os.environ.update(config.stash.get(_CALLERS_SETTINGS, {}))


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """Bundled digits: X (1797, 64) float64 in 0..16, y (1797,) int labels 0..9."""
    from model.datasets import load_bundled

    table = load_bundled("digits")
    return table.x, table.y


@pytest.fixture(scope="session")
def iris() -> tuple[np.ndarray, np.ndarray]:
    """Bundled iris: X (150, 4) float64, y (150,) species names as strings."""
    from model.datasets import load_bundled

    table = load_bundled("iris")
    return table.x, table.y


def make_moons(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles, X (n, 2), y (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    half = n // 2
    t = rng.uniform(0, np.pi, size=n)
    upper = np.column_stack([np.cos(t[:half]), np.sin(t[:half])])
    lower = np.column_stack([1 - np.cos(t[half:]), 0.5 - np.sin(t[half:])])
    x = np.vstack([upper, lower]) + rng.normal(0, noise, size=(n, 2))
    return x, np.repeat([0, 1], [half, n - half])


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
def make_settings(request: pytest.FixtureRequest) -> Callable[..., Settings]:
    """``make_settings(**overrides)``: the service's settings for a test.

    Defaults: the ``store_dir`` store (made only when ``model_dir`` is not given) and
    ``reload_interval_s=0`` (every request checks the store, so a publish is seen at once).
    """
    from service import Settings

    def build(**overrides: object) -> Settings:
        if "model_dir" not in overrides:
            overrides["model_dir"] = request.getfixturevalue("store_dir")
        return Settings(**{"reload_interval_s": 0, **overrides})

    return build


@pytest.fixture
def make_app(make_settings) -> Callable[..., Flask]:
    """``make_app(**overrides)``: a fresh app over ``make_settings(**overrides)``."""
    from service import create_app

    return lambda **overrides: create_app(make_settings(**overrides))


@pytest.fixture
def make_client(make_app) -> Callable[..., FlaskClient]:
    """``make_client(**overrides)``: a test client of ``make_app(**overrides)``."""
    return lambda **overrides: make_app(**overrides).test_client()


@pytest.fixture
def client_for(make_client, tmp_path: Path) -> Callable[..., FlaskClient]:
    """``client_for(net, **overrides)``: a test client serving ``net``, alone in a new store."""
    from model.store import ModelStore

    stores = itertools.count()

    def build(net: Network, **overrides: object) -> FlaskClient:
        root = tmp_path / f"served-{next(stores)}"
        ModelStore(root).publish(net.save, {})
        return make_client(model_dir=root, **overrides)

    return build


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def app(settings) -> Flask:
    from service import create_app

    return create_app(settings)


@pytest.fixture
def client(app) -> FlaskClient:
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


@pytest.fixture(scope="session")
def penguins_net():
    """A small classifier of a mixed table (``penguins``): categorical features, missing values."""
    from penguins import train_penguins_net

    return train_penguins_net()
