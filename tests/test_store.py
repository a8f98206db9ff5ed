"""The model store publishes atomically, survives crashes and rival writers, refuses bad ids."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from pathlib import Path

import filelock
import pytest

from model.store import (
    ARTIFACT_NAME,
    DEFAULT_RETENTION,
    METADATA_NAME,
    InvalidVersionError,
    ModelStore,
    ProtectedVersionError,
    StoreError,
    StoreFullError,
    StoreLockTimeoutError,
    StoreNotWritableError,
    UnknownVersionError,
    is_version_id,
)


def writer(content: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(content)

    return write


def temporaries(root: Path) -> list[str]:
    entries = [*root.iterdir(), *(root / "versions").iterdir()]
    return sorted(entry.name for entry in entries if entry.name.startswith(".tmp-"))


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "store")


# Child processes (spawned, so they import this module afresh).


def publish_many(root: str, writer_id: int, count: int, start: Barrier) -> None:
    """Publish ``count`` versions; exit 5 if another writer's staging dir shows up meanwhile."""
    store = ModelStore(root)

    def write(path: Path) -> None:
        path.write_bytes(f"{writer_id}:{index}".encode())
        time.sleep(0.002)
        if temporaries(Path(root)) != [path.parent.name]:
            os._exit(5)

    start.wait()
    for index in range(count):
        store.publish(write, {"writer": writer_id, "index": index})


def crash_while_writing_artifact(root: str) -> None:
    def write(path: Path) -> None:
        path.write_bytes(b"half an artif")
        os._exit(3)

    ModelStore(root).publish(write, {"model": "new"})


def crash_before_pointer_switch(root: str) -> None:
    replace = os.replace

    def die_at_the_pointer(source: str, target: str) -> None:  # dies with the pointer temp written
        if Path(target).name == "active":
            os._exit(4)
        replace(source, target)

    os.replace = die_at_the_pointer
    ModelStore(root).publish(writer(b"new"), {"model": "new"})


def run_in_child(target: Callable[..., None], *args: object) -> int:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    process.join(timeout=30)
    assert process.exitcode is not None, "the child process hung"
    return process.exitcode


# Round trip and ordering.


def test_a_published_version_can_be_listed_read_and_is_active(store: ModelStore) -> None:
    info = store.publish(writer(b"weights"), {"accuracy": 0.97, "layers": [64, 32, 10]})

    assert info.active and store.active_version() == info.version
    assert info.artifact == store.root / "versions" / info.version / ARTIFACT_NAME
    assert info.artifact.read_bytes() == b"weights"
    assert info.metadata == {
        "accuracy": 0.97,
        "layers": [64, 32, 10],
        "version": info.version,
        "created_at": info.created_at,
    }
    assert json.loads((info.path / METADATA_NAME).read_text()) == info.metadata
    assert info.created_at.startswith(info.version[:4] + "-") and info.created_at.endswith("+00:00")
    assert store.versions() == [info]
    assert store.get(info.version) == info
    assert store.active() == info


def test_activating_an_older_version_rolls_back_and_reports_it_active(store: ModelStore) -> None:
    first = store.publish(writer(b"one"), {"n": 1})
    second = store.publish(writer(b"two"), {"n": 2})

    rolled_back = store.activate(first.version)

    assert rolled_back.active and rolled_back.version == first.version
    assert store.active_version() == first.version
    assert [info.active for info in store.versions()] == [True, False]
    assert store.get(second.version).artifact.read_bytes() == b"two"


def test_ids_are_unique_well_formed_and_sort_in_publishing_order(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store", retention=None)
    published = [store.publish(writer(b"x"), {"index": index}).version for index in range(40)]

    assert all(is_version_id(version) for version in published)
    assert len(set(published)) == 40
    assert published == sorted(published)
    assert [info.metadata["index"] for info in store.versions()] == list(range(40))


def test_a_new_id_sorts_after_a_stored_id_from_the_future(store: ModelStore) -> None:
    first = store.publish(writer(b"x"), {})
    future = "29991231T235959999999Z-abcdef"
    os.rename(first.path, first.path.parent / future)

    later = store.publish(writer(b"y"), {})

    assert later.version > future
    assert [info.version for info in store.versions()] == [future, later.version]


def test_publishing_without_activating_leaves_the_pointer(store: ModelStore) -> None:
    first = store.publish(writer(b"one"), {})
    signature = store.pointer_signature()

    second = store.publish(writer(b"two"), {}, activate=False)

    assert not second.active
    assert store.active_version() == first.version
    assert store.pointer_signature() == signature


def test_the_pointer_signature_changes_with_every_switch(store: ModelStore) -> None:
    assert store.pointer_signature() is None
    first = store.publish(writer(b"one"), {})
    after_first = store.pointer_signature()
    store.publish(writer(b"two"), {})
    after_second = store.pointer_signature()
    store.activate(first.version)

    assert None not in (after_first, after_second)
    assert len({after_first, after_second, store.pointer_signature()}) == 3


def test_reading_a_store_that_does_not_exist_gives_empty_results_and_creates_nothing(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "missing")

    assert store.versions() == []
    assert store.active() is None and store.active_version() is None
    assert store.pointer_signature() is None
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("pointer", ["20261128T231500123456Z-1a2b3c\n", "../../etc\n", "\xff"])
def test_a_pointer_naming_no_stored_version_reads_as_no_active_version(
    store: ModelStore, pointer: str
) -> None:
    store.publish(writer(b"one"), {})
    (store.root / "active").write_text(pointer, encoding="latin-1")

    assert store.active_version() is None
    assert store.active() is None
    assert not any(info.active for info in store.versions())


# Failures and crashes.


def test_a_failing_artifact_writer_publishes_nothing_and_its_error_propagates(
    store: ModelStore,
) -> None:
    old = store.publish(writer(b"old"), {})

    def fail(path: Path) -> None:
        path.write_bytes(b"partial")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        store.publish(fail, {})

    assert store.versions() == [old] and store.active_version() == old.version
    assert temporaries(store.root) == []


def test_an_artifact_writer_that_creates_no_file_is_an_error(store: ModelStore) -> None:
    with pytest.raises(StoreError, match="did not create"):
        store.publish(lambda path: None, {})
    assert store.versions() == []


@pytest.mark.parametrize(
    ("metadata", "message"),
    [({"version": "mine"}, "reserved"), ({"loss": float("nan")}, "JSON"), ({"x": {1, 2}}, "JSON")],
)
def test_bad_metadata_is_refused_before_anything_is_written(
    store: ModelStore, metadata: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.publish(writer(b"x"), metadata)
    assert store.versions() == []


def test_a_failing_pointer_replace_keeps_the_old_version_active(
    store: ModelStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = store.publish(writer(b"old"), {})

    def refuse(source: object, target: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space"):
        store.publish(writer(b"new"), {})
    monkeypatch.undo()

    assert store.active_version() == old.version
    assert store.active() is not None and store.active().artifact.read_bytes() == b"old"
    assert temporaries(store.root) == []


def test_a_crash_while_writing_the_artifact_leaves_the_old_version_and_a_temporary_cleaned_later(
    store: ModelStore,
) -> None:
    old = store.publish(writer(b"old"), {})

    assert run_in_child(crash_while_writing_artifact, str(store.root)) == 3

    assert len(temporaries(store.root)) == 1
    assert store.versions() == [old]
    assert store.active() == old and old.artifact.read_bytes() == b"old"
    store.publish(writer(b"next"), {})
    assert temporaries(store.root) == []


def test_a_crash_before_the_pointer_switch_leaves_the_old_version_active(
    store: ModelStore,
) -> None:
    old = store.publish(writer(b"old"), {})

    assert run_in_child(crash_before_pointer_switch, str(store.root)) == 4

    assert [name.split("-")[1] for name in temporaries(store.root)] == ["active"]
    assert store.active() == old and old.artifact.read_bytes() == b"old"
    versions = store.versions()
    assert len(versions) == 2 and not versions[1].active  # complete, just never activated
    assert versions[1].artifact.read_bytes() == b"new"
    store.publish(writer(b"next"), {})
    assert temporaries(store.root) == []


def test_two_publishers_at_once_leave_a_consistent_store(store: ModelStore) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    processes = [
        context.Process(target=publish_many, args=(str(store.root), writer_id, 10, start))
        for writer_id in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
    assert [process.exitcode for process in processes] == [0, 0]

    versions = store.versions()
    assert len(versions) == 20 and len({info.version for info in versions}) == 20
    for info in versions:
        expected = f"{info.metadata['writer']}:{info.metadata['index']}".encode()
        assert info.artifact.read_bytes() == expected
    for writer_id in range(2):
        indexes = [info.metadata["index"] for info in versions if info.metadata["writer"] == writer_id]
        assert indexes == list(range(10))
    assert store.active_version() == versions[-1].version
    assert temporaries(store.root) == []


def test_a_writer_gives_up_with_a_clear_error_when_the_lock_stays_held(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store", lock_timeout=0.05)
    store.ensure_writable()

    with filelock.FileLock(str(store.root / ".lock")), pytest.raises(StoreLockTimeoutError):
        store.publish(writer(b"x"), {})
    assert store.versions() == []


# Retention.


def test_retention_prunes_the_oldest_inactive_versions_but_never_the_active_one_or_its_rollback_target(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "store", retention=3)
    first = store.publish(writer(b"1"), {})
    ids = [first.version] + [store.publish(writer(b"n"), {}).version for _ in range(2)]
    store.activate(first.version)

    ids += [store.publish(writer(b"n"), {}, activate=False).version for _ in range(2)]

    assert [info.version for info in store.versions()] == [first.version, ids[2], ids[4]]
    assert store.previous_version() == ids[2]
    assert store.active_version() == first.version
    assert not any(name.startswith(".tmp-") for name in os.listdir(store.root / "versions"))


def test_publishing_without_activating_keeps_the_new_version_even_at_retention_one(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "store", retention=1)
    active = store.publish(writer(b"1"), {})

    new = store.publish(writer(b"2"), {}, activate=False)

    assert [info.version for info in store.versions()] == [active.version, new.version]
    assert store.prune() == [new.version]
    assert [info.version for info in store.versions()] == [active.version]


def test_prune_without_a_retention_setting_removes_nothing(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store", retention=None)
    for _ in range(3):
        store.publish(writer(b"x"), {})
    assert store.prune() == []
    assert len(store.versions()) == 3


@pytest.mark.parametrize("retention", [0, -1, 1.5, True, "2"])
def test_a_retention_that_is_not_a_positive_integer_is_refused(tmp_path: Path, retention: object) -> None:
    with pytest.raises(ValueError, match="retention must be"):
        ModelStore(tmp_path, retention=retention)  # type: ignore[arg-type]


def test_a_store_keeps_twenty_versions_unless_told_otherwise(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "store")
    published = [store.publish(writer(b"x"), {}).version for _ in range(DEFAULT_RETENTION + 3)]

    assert store.retention == DEFAULT_RETENTION == 20
    assert [info.version for info in store.versions()] == published[3:]


def test_retention_never_prunes_the_active_version_its_rollback_target_or_the_last_good_one(
    tmp_path: Path,
) -> None:
    store = ModelStore(tmp_path / "store", retention=1)
    good = store.publish(writer(b"good"), {}, validate=lambda path: None).version
    rollback = store.publish(writer(b"unchecked"), {}).version
    active = store.publish(writer(b"newest"), {}).version
    store.publish(writer(b"spare"), {}, activate=False)

    assert store.prune() != []
    assert [info.version for info in store.versions()] == [good, rollback, active]
    assert set(store.protected_versions()) == {good, rollback, active}


def test_pinned_versions_are_never_pruned_or_deleted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ModelStore(tmp_path / "store", retention=1)
    pinned = store.publish(writer(b"pinned"), {}, activate=False).version
    monkeypatch.setattr(store, "pinned_versions", lambda: {pinned: "pinned by an alias"})
    store.publish(writer(b"active"), {})

    assert store.prune() == []
    assert store.protected_versions()[pinned] == "pinned by an alias"
    with pytest.raises(ProtectedVersionError, match="pinned by an alias"):
        store.delete(pinned)


# The previous and the last good version.


def test_every_switch_records_the_version_it_replaced_as_the_rollback_target(store: ModelStore) -> None:
    assert store.previous_version() is None
    first = store.publish(writer(b"one"), {}).version
    assert store.previous_version() is None
    second = store.publish(writer(b"two"), {}).version
    assert store.previous_version() == first
    store.publish(writer(b"three"), {}, activate=False)
    assert store.previous_version() == first

    store.activate(first)
    assert store.previous_version() == second
    store.activate(first)  # already active: no switch
    assert store.previous_version() == second


def test_only_a_validated_switch_records_the_last_good_version(store: ModelStore) -> None:
    checked: list[bytes] = []

    def validate(path: Path) -> None:
        checked.append(path.read_bytes())

    assert store.last_good_version() is None
    good = store.publish(writer(b"good"), {}, validate=validate).version
    assert checked == [b"good"] and store.last_good_version() == good
    unchecked = store.publish(writer(b"unchecked"), {}).version
    assert store.last_good_version() == good
    store.publish(writer(b"inactive"), {}, activate=False, validate=validate)
    assert store.last_good_version() == good

    store.activate(unchecked, validate=validate)  # already active, now validated
    assert store.last_good_version() == unchecked


def test_a_version_failing_validation_on_publish_is_not_stored(store: ModelStore) -> None:
    old = store.publish(writer(b"old"), {})

    def refuse(path: Path) -> None:
        raise ValueError(f"{path.read_bytes()!r} is not a model")

    with pytest.raises(ValueError, match="b'junk' is not a model"):
        store.publish(writer(b"junk"), {}, validate=refuse)

    assert store.versions() == [old] and store.active_version() == old.version
    assert temporaries(store.root) == []


def test_readers_serve_the_pointer_then_the_last_good_then_the_rollback_target(store: ModelStore) -> None:
    assert store.serving_order() == []
    good = store.publish(writer(b"good"), {}, validate=lambda path: None).version
    assert store.serving_order() == [good]
    unchecked = store.publish(writer(b"unchecked"), {}).version
    assert store.serving_order() == [unchecked, good]
    broken = store.publish(writer(b"broken"), {}).version

    assert store.serving_order() == [broken, good, unchecked]


def test_a_pointer_naming_a_missing_version_is_still_tried_first(store: ModelStore) -> None:
    good = store.publish(writer(b"good"), {}, validate=lambda path: None).version
    missing = "20000101T000000000000Z-000000"
    (store.root / "active").write_text(missing + "\n")

    assert store.active_version() is None
    assert store.serving_order() == [missing, good]


# Deleting.


def test_deleting_an_inactive_version_removes_it_and_nothing_else(store: ModelStore) -> None:
    doomed = store.publish(writer(b"old"), {}, activate=False).version
    active = store.publish(writer(b"active"), {}).version

    store.delete(doomed)

    assert [info.version for info in store.versions()] == [active]
    assert store.active_version() == active
    with pytest.raises(UnknownVersionError):
        store.get(doomed)
    assert temporaries(store.root) == []


@pytest.mark.parametrize(
    ("which", "reason"),
    [
        ("active", "the active version"),
        ("previous", "the rollback target"),
        ("good", "the last good version"),
    ],
)
def test_deleting_a_protected_version_is_refused_with_the_reason(
    store: ModelStore, which: str, reason: str
) -> None:
    versions = {"good": store.publish(writer(b"good"), {}, validate=lambda path: None).version}
    versions["previous"] = store.publish(writer(b"previous"), {}).version
    versions["active"] = store.publish(writer(b"active"), {}).version

    with pytest.raises(ProtectedVersionError, match=reason) as caught:
        store.delete(versions[which])

    assert caught.value.version == versions[which]
    assert len(store.versions()) == 3


def test_deleting_an_unknown_or_malformed_version_is_refused_as_unknown(store: ModelStore) -> None:
    store.publish(writer(b"x"), {})
    with pytest.raises(UnknownVersionError):
        store.delete("20000101T000000000000Z-000000")
    with pytest.raises(InvalidVersionError):
        store.delete("../versions")
    assert len(store.versions()) == 1


# A full disk.


def test_a_store_without_room_for_the_artifact_says_so_naming_its_root(
    store: ModelStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.ensure_writable()
    store.check_free_space(1024)  # a real disk has a kilobyte
    monkeypatch.setattr("shutil.disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 512, 512))

    with pytest.raises(StoreFullError, match=f"model store root {store.root} has 512 bytes free") as caught:
        store.check_free_space(10**6)
    assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC


def test_running_out_of_space_while_publishing_names_the_root_and_keeps_the_old_version(
    tiny_filesystem: Path,
) -> None:
    store = ModelStore(tiny_filesystem / "store")
    old = store.publish(writer(b"old"), {})

    with pytest.raises(StoreFullError, match=f"model store root {store.root} is full") as caught:
        store.publish(writer(b"x" * 128 * 1024), {})

    assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC
    assert store.versions() == [old] and store.active_version() == old.version
    assert temporaries(store.root) == []


# Untrusted version ids and validation.


@pytest.mark.parametrize(
    "version",
    [
        "../x",
        "..",
        "",
        "/etc/passwd",
        "20261128T231500123456Z-1a2b3c/../..",
        "20261128T231500123456Z-1a2b3c\n",
        "20261128T231500123456Z-1A2B3C",
        "20261328T231500123456Z-1a2b3c",  # month 13
        None,
    ],
)
def test_a_malformed_version_id_is_refused_by_get_and_activate(store: ModelStore, version: str) -> None:
    store.publish(writer(b"x"), {})
    active = store.active_version()

    with pytest.raises(InvalidVersionError, match="malformed version id") as caught:
        store.get(version)
    assert caught.value.version == version
    with pytest.raises(InvalidVersionError):
        store.activate(version)
    assert store.active_version() == active


def test_an_unknown_well_formed_version_id_is_refused_as_unknown(store: ModelStore) -> None:
    store.publish(writer(b"x"), {})

    with pytest.raises(UnknownVersionError, match="no stored version") as caught:
        store.get("20000101T000000000000Z-000000")
    assert not isinstance(caught.value, InvalidVersionError)
    with pytest.raises(UnknownVersionError):
        store.activate("20000101T000000000000Z-000000")


def test_a_failing_validation_on_activate_leaves_the_pointer_unchanged(store: ModelStore) -> None:
    first = store.publish(writer(b"broken"), {})
    second = store.publish(writer(b"good"), {})
    seen: list[bytes] = []

    def validate(artifact: Path) -> None:
        seen.append(artifact.read_bytes())
        raise ValueError("artifact does not load")

    with pytest.raises(ValueError, match="does not load"):
        store.activate(first.version, validate=validate)

    assert seen == [b"broken"]
    assert store.active_version() == second.version


# Unwritable root.


def test_a_root_that_cannot_be_created_is_reported_as_not_writable(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a directory")
    store = ModelStore(tmp_path / "afile" / "store")

    with pytest.raises(StoreNotWritableError, match="afile/store is not writable"):
        store.ensure_writable()
    with pytest.raises(StoreNotWritableError):
        store.publish(writer(b"x"), {})
    assert store.versions() == [] and store.active_version() is None


def test_a_store_made_before_a_fork_can_publish_in_the_child(tmp_path: Path) -> None:
    # gunicorn preloads the app (and its store) in the master, then forks the workers.
    store = ModelStore(tmp_path / "store")
    store.publish(lambda path: path.write_bytes(b"parent"), {})
    pid = os.fork()
    if pid == 0:
        try:
            store.publish(lambda path: path.write_bytes(b"child"), {})
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert len(store.versions()) == 2
