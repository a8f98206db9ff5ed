"""The model holder serves one version per store state, whichever process asks and whenever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from model import load
from model.store import ModelStore
from service.model_holder import ModelHolder


def junk(path: Path) -> None:
    path.write_bytes(b"not a model")


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "store")


def test_a_holder_that_cannot_load_the_pointers_version_serves_the_recorded_last_good_one(
    store: ModelStore, iris_net
) -> None:
    store.publish(iris_net.save, {}, validate=load)
    booted = ModelHolder(store, reload_interval_s=0)  # e.g. the gunicorn master, before forking
    booted.current()
    good = store.publish(iris_net.save, {}, validate=load).version
    broken = store.publish(junk, {}).version

    for holder in (booted, ModelHolder(store, reload_interval_s=0)):
        snapshot = holder.current()
        assert snapshot is not None and snapshot.version == good
        assert holder.last_error is not None and broken in holder.last_error


def test_without_a_recorded_last_good_version_the_rollback_target_is_served(
    store: ModelStore, iris_net
) -> None:
    previous = store.publish(iris_net.save, {}).version
    store.publish(junk, {})

    snapshot = ModelHolder(store, reload_interval_s=0).current()

    assert snapshot is not None and snapshot.version == previous


def test_a_holder_drops_a_version_the_store_no_longer_names_when_nothing_else_loads(
    store: ModelStore, iris_net
) -> None:
    holder = ModelHolder(store, reload_interval_s=0)
    first = store.publish(iris_net.save, {}).version
    assert holder.current().version == first
    store.publish(junk, {})
    store.publish(junk, {})  # the pointer, the rollback target: both broken; no last good

    assert holder.current() is None  # as a worker started now would: not a version of its own
    assert "cannot be loaded" in holder.last_error


def test_load_failures_reach_clients_without_filesystem_paths(
    store: ModelStore, iris_net, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = store.publish(iris_net.save, {}).version
    resolve = store.get

    def pruned_once_resolved(name: str):  # the race the store documents: pruned after get
        info = resolve(name)
        info.artifact.unlink()
        return info

    monkeypatch.setattr(store, "get", pruned_once_resolved)
    holder = ModelHolder(store, reload_interval_s=0)

    assert holder.current() is None
    assert holder.last_error is not None and version in holder.last_error
    assert str(tmp_path) not in holder.last_error


def test_a_holder_copied_into_a_forked_child_checks_the_store_before_serving(
    store: ModelStore, iris_net
) -> None:
    store.publish(iris_net.save, {})
    holder = ModelHolder(store, reload_interval_s=3600)  # the parent will not look again
    holder.current()
    new = store.publish(iris_net.save, {}).version
    assert holder.current().version != new

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a gunicorn worker forked from the preloaded master
        try:
            snapshot = holder.current()
            os.write(write_end, (snapshot.version if snapshot else "none").encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        assert pipe.read().decode() == new
