"""The one atomic writer (model/files.py), shared by the model store and the job records."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from model.files import write_atomically
from model.store import ModelStore
from service.jobs import JobStore


def test_a_failed_write_leaves_no_temporary_file_and_the_old_content(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "job.json"
    target.write_bytes(b"old")

    def no_space(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        write_atomically(target, b"new")
    assert list(tmp_path.iterdir()) == [target] and target.read_bytes() == b"old"


@pytest.fixture
def fsynced(monkeypatch) -> list[str]:
    """What each ``os.fsync`` was called on: "file" or "dir"."""
    kinds: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        kinds.append("dir" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return kinds


def test_a_job_record_write_makes_the_file_and_its_name_durable(tmp_path: Path, fsynced) -> None:
    jobs = JobStore(tmp_path)
    record = jobs.create(b"data", {})
    fsynced.clear()
    jobs.write(record.model_copy(update={"status": "running"}))
    assert fsynced == ["file", "dir"]
    assert jobs.read_raw(record.job_id).status == "running"


def test_the_store_pointer_is_written_by_the_same_writer(tmp_path: Path, fsynced, monkeypatch) -> None:
    calls: list[Path] = []
    import model.store

    def spy(path: Path, data: bytes, temporary_prefix: str = ".") -> None:
        calls.append(Path(path))
        write_atomically(path, data, temporary_prefix)

    monkeypatch.setattr(model.store, "write_atomically", spy)
    store = ModelStore(tmp_path)
    info = store.publish(lambda path: path.write_bytes(b"artifact"), {})
    assert tmp_path / "active" in calls and store.active_version() == info.version
