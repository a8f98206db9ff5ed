"""A versioned, crash-safe store of trained model artifacts on a local or shared filesystem.

The offline trainer publishes versions; the service's worker processes read the active one.
Artifacts are opaque: ``publish`` hands a path to a callback that writes the file, so this
module needs neither the network code nor numpy.

Layout::

    <root>/versions/<id>/model.npz       the artifact, written by the caller's callback
    <root>/versions/<id>/metadata.json   the caller's metadata plus "version" and "created_at"
    <root>/active                        the active version id, one line
    <root>/previous                      the version ``active`` named before the last switch
    <root>/last-good                     the last version validated when it became active
    <root>/.lock                         serializes writers (publish, activate, prune, delete)
    <root>/.tmp-*, <root>/versions/.tmp-*  temporaries: never listed or read

A version id such as ``20261128T231500123456Z-1a2b3c`` is the UTC creation time to the
microsecond plus a random suffix; ids are made under the lock, each later than every stored
id, so their lexicographic order is the order of creation and they never collide.

API
---
``ModelStore(root, retention=DEFAULT_RETENTION, *, lock_timeout=None)`` with

- ``publish(write_artifact, metadata, *, activate=True, validate=None, activate_if=None) -> VersionInfo``
- ``versions() -> list[VersionInfo]`` (oldest first), ``get(version) -> VersionInfo``
- ``active_version() -> str | None``, ``active() -> VersionInfo | None``
- ``previous_version() -> str | None`` (the rollback target), ``last_good_version() -> str | None``
- ``serving_order() -> list[str]``: the versions a reader serves, best first
- ``pointer_signature() -> tuple[int, int] | None``: poll it per request, reload on change
- ``activate(version, validate=None) -> VersionInfo`` (rollback), ``prune() -> list[str]``
- ``protected_versions() -> dict[str, str]`` (never pruned or deleted, with the reason),
  ``pinned_versions()`` (its hook for names such as aliases), ``delete(version) -> None``
- ``ensure_writable() -> None``, ``check_free_space(n_bytes) -> None``; and
  ``is_version_id(text) -> bool``, ``check_retention(value, name) -> int | None``

Errors: ``StoreError`` and its subclasses ``UnknownVersionError`` (a ``LookupError``),
``InvalidVersionError`` (a malformed id; an ``UnknownVersionError`` and a ``ValueError``),
``ProtectedVersionError``, ``StoreNotWritableError``, ``StoreFullError`` (also an ``OSError``
with ``errno.ENOSPC``) and ``StoreLockTimeoutError`` (a ``TimeoutError``).

Which version is served
-----------------------
A writer that validates a version (``publish`` or ``activate`` with ``validate``) records it
as *last good* when it becomes active; every switch records the version it replaced as
*previous* (the rollback target). A reader serves the first version of ``serving_order()``
that loads: the pointer's, else the last good one, else the previous one. The choice depends
only on the store, so every reader (each worker process, whenever it started) agrees.

Guarantees
----------
- A version directory is built under a temporary name, every file and the directory are
  fsynced, then it is renamed into place; the pointer is a small file replaced with
  ``os.replace`` and followed by an fsync of the root. A crash at any point leaves the
  previous active version intact and loadable.
- Writers hold the lock for their whole operation, so any temporary found by a writer
  holding the lock belongs to a writer that died; each writer removes them first.
- ``previous`` and ``last-good`` are written like the pointer, before it: a crash between
  them leaves the old pointer, with at most an extra version protected.
- Readers take no lock, write nothing, and work on a root that does not exist yet (empty
  results) or is mounted read-only. A pointer naming a missing or incomplete version reads
  as no active version (``None``).
- Pruning and ``delete`` never remove a protected version: the active one, the previous one,
  the last good one, and any ``pinned_versions()``. A reader that resolved another version
  just before a writer removed it may get ``FileNotFoundError`` while loading it.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import filelock

from .files import fsync_dir, write_atomically

ARTIFACT_NAME = "model.npz"
METADATA_NAME = "metadata.json"
POINTER_NAME = "active"
PREVIOUS_NAME = "previous"
LAST_GOOD_NAME = "last-good"
DEFAULT_RETENTION = 20
VERSIONS_DIR = "versions"
LOCK_NAME = ".lock"
TEMP_PREFIX = ".tmp-"
RESERVED_METADATA_KEYS = ("version", "created_at")

_ID_PATTERN = re.compile(r"\d{8}T\d{12}Z-[0-9a-f]{6}")
_ID_TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
_ID_EXAMPLE = "20261128T231500123456Z-1a2b3c"
_LOG = logging.getLogger(__name__)


class StoreError(Exception):
    """Base class of the errors raised by the model store."""


class UnknownVersionError(StoreError, LookupError):
    """The requested version is not a complete stored version."""

    def __init__(self, message: str, version: object) -> None:
        super().__init__(message)
        self.version = version


class InvalidVersionError(UnknownVersionError, ValueError):
    """The requested version id is malformed; the message does not repeat it."""


class StoreNotWritableError(StoreError):
    """The store root cannot be created or written."""


class StoreFullError(StoreNotWritableError, OSError):
    """The store's filesystem has no room for a new version; ``errno`` is ``ENOSPC``."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.ENOSPC, message)

    def __str__(self) -> str:
        return str(self.strerror)


class ProtectedVersionError(StoreError):
    """The version is protected (see ``ModelStore.protected_versions``); the message says why."""

    def __init__(self, message: str, version: str) -> None:
        super().__init__(message)
        self.version = version


class StoreLockTimeoutError(StoreError, TimeoutError):
    """Another writer held the store lock for longer than ``lock_timeout``."""


@dataclass(frozen=True)
class VersionInfo:
    """One stored version.

    Attributes
    ----------
    version : str
        The version id.
    path : Path
        The version directory.
    artifact : Path
        The artifact file inside ``path``.
    metadata : dict
        The stored metadata, including ``version`` and ``created_at``.
    created_at : str
        ISO-8601 UTC creation time, taken from the id.
    active : bool
        Whether the pointer named this version when it was read.
    """

    version: str
    path: Path
    artifact: Path
    metadata: dict[str, Any]
    created_at: str
    active: bool


def is_version_id(text: object) -> bool:
    """Tell whether ``text`` is a well-formed version id (a real UTC time plus 6 hex digits)."""
    if not isinstance(text, str) or _ID_PATTERN.fullmatch(text) is None:
        return False
    try:
        _id_time(text)
    except ValueError:
        return False
    return True


def check_retention(value: object, name: str = "retention") -> int | None:
    """Return ``value`` if it is a valid retention (an int >= 1, or None: keep everything).

    Raises
    ------
    ValueError
        Naming ``name`` (the option that carried the value) and the value.
    """
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def _id_time(version: str) -> datetime:
    return datetime.strptime(version[:22], _ID_TIME_FORMAT).replace(tzinfo=UTC)


def _new_version_id(latest: str | None) -> str:
    """Make an id later than ``latest`` even if the clock is behind it."""
    now = datetime.now(UTC)
    if latest is not None and now <= _id_time(latest):
        now = _id_time(latest) + timedelta(microseconds=1)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{secrets.token_hex(3)}"


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, text: str) -> None:
    """Create ``path`` (which must not exist) with ``text`` and fsync it."""
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _size(n_bytes: int) -> str:
    """``512 bytes``, ``64.0 KiB``, ``1.5 MiB``."""
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    if n_bytes < 1024 * 1024:
        return f"{n_bytes / 1024:.1f} KiB"
    return f"{n_bytes / 1024 / 1024:.1f} MiB"


def _serialize_metadata(metadata: Mapping[str, Any], version: str) -> str:
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping, got {type(metadata).__name__}")
    reserved = [key for key in RESERVED_METADATA_KEYS if key in metadata]
    if reserved:
        raise ValueError(f"metadata keys {reserved} are reserved: the store sets them")
    record = {**metadata, "version": version, "created_at": _id_time(version).isoformat()}
    try:
        return json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise ValueError(f"metadata must be JSON-serializable without NaN/inf: {exc}") from exc


class ModelStore:
    """A directory of model versions with an atomically switched ``active`` pointer.

    Parameters
    ----------
    root : str or os.PathLike
        The store directory; created by the first write, not needed by readers.
    retention : int or None, default=DEFAULT_RETENTION (20)
        Most versions kept after a publish or ``prune``; the oldest go first, but never a
        protected one (``protected_versions``) nor the version a publish just wrote.
        ``None`` keeps every version.
    lock_timeout : float or None, default=None
        Seconds a writer waits for the lock before ``StoreLockTimeoutError``; ``None`` waits.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        retention: int | None = DEFAULT_RETENTION,
        *,
        lock_timeout: float | None = None,
    ) -> None:
        self.root = Path(root)
        self.retention = check_retention(retention)
        self.lock_timeout = lock_timeout
        self._versions_dir = self.root / VERSIONS_DIR
        self._locks: dict[int, filelock.FileLock] = {}

    # ----------------------------------------------------------------- reading (no lock)

    def active_version(self) -> str | None:
        """Return the active id, or ``None`` if there is no pointer or it names no version."""
        version = self._read_name(POINTER_NAME)
        if version is None:
            return None
        directory = self._versions_dir / version
        if (directory / ARTIFACT_NAME).is_file() and (directory / METADATA_NAME).is_file():
            return version
        return None

    def previous_version(self) -> str | None:
        """The version the pointer named before the latest switch: the rollback target."""
        return self._read_name(PREVIOUS_NAME)

    def last_good_version(self) -> str | None:
        """The latest version that was validated by the writer that made it active."""
        return self._read_name(LAST_GOOD_NAME)

    def serving_order(self) -> list[str]:
        """The versions a reader should serve, best first: the first one that loads wins.

        The pointer's version (even if it is missing: trying it reports why), then the last
        good version, then the rollback target; no duplicates.
        """
        order = (self._read_name(POINTER_NAME), self.last_good_version(), self.previous_version())
        return list(dict.fromkeys(version for version in order if version is not None))

    def protected_versions(self) -> dict[str, str]:
        """The versions that pruning and ``delete`` never remove, each with the reason.

        The one place that decides it: the active version, the rollback target (the version
        active before it), the last good version (served when the active one fails to load),
        and ``pinned_versions()``.
        """
        reasons = dict(self.pinned_versions())
        for version, reason in (
            (self.previous_version(), "the rollback target (the previously active version)"),
            (self.last_good_version(), "the last good version (served if the active one fails to load)"),
            (self._read_name(POINTER_NAME), "the active version"),
        ):
            if version is not None:
                reasons[version] = reason
        return reasons

    def pinned_versions(self) -> dict[str, str]:
        """Versions pinned by a name, each with the reason; none yet.

        The hook of ``protected_versions`` for features that name versions (e.g. aliases).
        """
        return {}

    def active(self) -> VersionInfo | None:
        """Return the active version, or ``None`` (see ``active_version``)."""
        version = self.active_version()
        return None if version is None else self._read(version, version)

    def versions(self) -> list[VersionInfo]:
        """Return every complete version, oldest first; temporaries are ignored."""
        active = self.active_version()
        found = (self._read(name, active) for name in self._version_names())
        return [info for info in found if info is not None]

    def get(self, version: str) -> VersionInfo:
        """Return one version; the id is checked before any filesystem access.

        Raises
        ------
        InvalidVersionError
            If ``version`` is not a well-formed id.
        UnknownVersionError
            If no complete version has that id.
        """
        self._check_id(version)
        info = self._read(version, self.active_version())
        if info is None:
            raise UnknownVersionError(f"no stored version {version}", version)
        return info

    def pointer_signature(self) -> tuple[int, int] | None:
        """Return ``(st_mtime_ns, st_ino)`` of the pointer, or ``None`` without a pointer.

        Every switch replaces the pointer file, so a change of signature means a switch.
        Take the signature before reading the active version.
        """
        try:
            stat = (self.root / POINTER_NAME).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return stat.st_mtime_ns, stat.st_ino

    # ----------------------------------------------------------------- writing (locked)

    def ensure_writable(self) -> None:
        """Create the root if needed and check that files can be created in it.

        Raises
        ------
        StoreNotWritableError
            With the path and the operating system's reason.
        """
        try:
            self._versions_dir.mkdir(parents=True, exist_ok=True)
            probe = self.root / f"{TEMP_PREFIX}probe-{os.getpid()}-{secrets.token_hex(4)}"
            probe.touch(exist_ok=False)
            probe.unlink(missing_ok=True)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise StoreNotWritableError(f"model store root {self.root} is not writable: {reason}") from exc

    def check_free_space(self, n_bytes: int) -> None:
        """Check that the store's filesystem has ``n_bytes`` free (creating the root if needed).

        Raises
        ------
        StoreFullError
            Naming the root, the free space and ``n_bytes``.
        StoreNotWritableError
            As ``ensure_writable``.
        """
        self.ensure_writable()
        free = shutil.disk_usage(self.root).free
        if free < n_bytes:
            raise StoreFullError(
                f"model store root {self.root} has {_size(free)} free; "
                f"the new version needs about {_size(n_bytes)}"
            )

    def publish(
        self,
        write_artifact: Callable[[Path], None],
        metadata: Mapping[str, Any],
        *,
        activate: bool = True,
        validate: Callable[[Path], None] | None = None,
        activate_if: Callable[[str | None], bool] | None = None,
    ) -> VersionInfo:
        """Store a new version and, by default, make it the active one.

        Parameters
        ----------
        write_artifact : callable
            Called once with the path where it must create the artifact file; it must not
            call back into the store. If it raises, nothing is stored and the error propagates.
        metadata : mapping
            JSON-serializable; stored with ``version`` and ``created_at`` added.
        activate : bool, default=True
            Switch the pointer to the new version.
        validate : callable, optional
            Called with the written artifact's path before the version is stored; if it
            raises, nothing is stored and the error propagates. A validated version that
            becomes active is recorded as the last good version.
        activate_if : callable, optional
            Called with the active version id (or None) while the lock is held; the pointer
            switches only if it returns True (a compare-and-set: activate only if the model
            compared against is still the active one). Otherwise the version stays inactive.

        Returns
        -------
        VersionInfo
            The new version.

        Raises
        ------
        ValueError
            If the metadata is not JSON-serializable or uses a reserved key.
        StoreNotWritableError, StoreLockTimeoutError
            Before anything is written.
        StoreFullError
            If the filesystem fills up: nothing is stored, or (during the switch) the new
            version stays stored but inactive.
        OSError
            If the pointer switch fails; the new version then stays stored but inactive.
        """
        _serialize_metadata(metadata, _new_version_id(None))  # reject bad metadata early
        with self._locked():
            version = _new_version_id(self._latest_name())
            staging = self._versions_dir / f"{TEMP_PREFIX}{version}-{os.getpid()}"
            try:
                with self._full_disk_reported("nothing was published"):
                    staging.mkdir()
                    self._fill(staging, write_artifact, _serialize_metadata(metadata, version))
                if validate is not None:
                    validate(staging / ARTIFACT_NAME)
                os.rename(staging, self._versions_dir / version)
            except BaseException:
                _remove(staging)
                raise
            fsync_dir(self._versions_dir)
            activate = activate and (activate_if is None or activate_if(self.active_version()))
            if activate:
                with self._full_disk_reported(f"version {version} is stored but not active"):
                    self._switch(version, validated=validate is not None)
            try:
                self._prune_locked(keep=version)
            except OSError:
                _LOG.warning("pruning after publishing %s failed", version, exc_info=True)
            info = self._read(version, version if activate else None)
        assert info is not None, "a version renamed into place is complete"
        return info

    def activate(self, version: str, validate: Callable[[Path], None] | None = None) -> VersionInfo:
        """Point the store at a stored version (also the way to roll back).

        Parameters
        ----------
        version : str
            A stored version id; checked as in ``get``.
        validate : callable, optional
            Called with the artifact path while the lock is held; if it raises, the pointer
            is left unchanged and the error propagates. If it returns, the version is
            recorded as the last good version.
        """
        self._check_id(version)
        with self._locked():
            info = self.get(version)
            if validate is not None:
                validate(info.artifact)
            self._switch(version, validated=validate is not None)
        return replace(info, active=True)

    def prune(self) -> list[str]:
        """Apply the retention setting now; return the removed ids, oldest first."""
        with self._locked():
            return self._prune_locked(keep=None)

    def delete(self, version: str) -> None:
        """Remove one stored version that is not protected (see ``protected_versions``).

        Raises
        ------
        InvalidVersionError, UnknownVersionError
            As ``get``.
        ProtectedVersionError
            If the version is protected; the message says why.
        """
        self._check_id(version)
        with self._locked():
            info = self.get(version)
            reason = self.protected_versions().get(version)
            if reason is not None:
                raise ProtectedVersionError(f"version {version} is {reason}; it cannot be deleted", version)
            self._remove_version(info)

    # ----------------------------------------------------------------- helpers

    @property
    def _lock(self) -> filelock.FileLock:
        """This process's lock object: a lock made before a fork (gunicorn preloads the app in
        its master) must not be used by the forked workers, and filelock refuses it."""
        pid = os.getpid()
        lock = self._locks.get(pid)
        if lock is None:
            timeout = -1 if self.lock_timeout is None else self.lock_timeout
            lock = self._locks[pid] = filelock.FileLock(str(self.root / LOCK_NAME), timeout=timeout)
        return lock

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.ensure_writable()
        try:
            with self._lock:
                self._remove_temporaries()
                yield
        except filelock.Timeout as exc:
            raise StoreLockTimeoutError(
                f"another writer held {self._lock.lock_file} for over {self.lock_timeout} s"
            ) from exc

    def _remove_temporaries(self) -> None:
        """Remove what dead writers left; only call with the lock held."""
        for directory in (self.root, self._versions_dir):
            for entry in directory.iterdir():
                if entry.name.startswith(TEMP_PREFIX):
                    _remove(entry)

    def _fill(self, staging: Path, write_artifact: Callable[[Path], None], text: str) -> None:
        artifact = staging / ARTIFACT_NAME
        write_artifact(artifact)
        if not artifact.is_file():
            raise StoreError(f"write_artifact did not create the file {artifact}")
        _write_durably(staging / METADATA_NAME, text)
        for entry in staging.rglob("*"):
            if entry.is_file():
                _fsync_file(entry)
        fsync_dir(staging)

    def _switch(self, version: str, validated: bool) -> None:
        """Make ``version`` active: record the rollback target and, if ``validated``, the last
        good version, then replace the pointer last (its signature is what readers poll)."""
        current = self.active_version()
        if current is not None and current != version:
            self._write_name(PREVIOUS_NAME, current)
        if validated and self.last_good_version() != version:
            self._write_name(LAST_GOOD_NAME, version)
        if current != version:
            self._write_name(POINTER_NAME, version)

    def _write_name(self, name: str, version: str) -> None:
        """Atomically replace the small file ``name`` (the pointer or a record) with ``version``."""
        write_atomically(self.root / name, f"{version}\n".encode("ascii"), TEMP_PREFIX)

    def _read_name(self, name: str) -> str | None:
        """The well-formed version id in the small file ``name``, else ``None``."""
        try:
            version = (self.root / name).read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, UnicodeDecodeError):
            return None
        return version if is_version_id(version) else None

    @contextmanager
    def _full_disk_reported(self, consequence: str) -> Iterator[None]:
        """Turn "no space left" into a ``StoreFullError`` naming the root and ``consequence``."""
        try:
            yield
        except OSError as error:
            if error.errno not in (errno.ENOSPC, errno.EDQUOT) or isinstance(error, StoreFullError):
                raise
            raise StoreFullError(
                f"model store root {self.root} is full ({error.strerror}); {consequence}"
            ) from error

    def _prune_locked(self, keep: str | None) -> list[str]:
        if self.retention is None:
            return []
        infos = self.versions()
        protected = self.protected_versions()
        excess = len(infos) - self.retention
        removed = []
        for info in infos:
            if excess <= 0:
                break
            if info.version in protected or info.version == keep:
                continue
            self._remove_version(info)
            removed.append(info.version)
            excess -= 1
        return removed

    def _remove_version(self, info: VersionInfo) -> None:
        # Renamed first, so a crash mid-delete leaves a temporary, not a broken version.
        doomed = self._versions_dir / f"{TEMP_PREFIX}deleted-{info.version}"
        os.rename(info.path, doomed)
        _remove(doomed)

    def _version_names(self) -> list[str]:
        try:
            names = [entry.name for entry in os.scandir(self._versions_dir) if entry.is_dir()]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(name for name in names if is_version_id(name))

    def _latest_name(self) -> str | None:
        names = self._version_names()
        return names[-1] if names else None

    def _read(self, version: str, active: str | None) -> VersionInfo | None:
        directory = self._versions_dir / version
        artifact = directory / ARTIFACT_NAME
        try:
            metadata = json.loads((directory / METADATA_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(metadata, dict) or not artifact.is_file():
            return None
        created_at = _id_time(version).isoformat()
        return VersionInfo(version, directory, artifact, metadata, created_at, version == active)

    @staticmethod
    def _check_id(version: object) -> None:
        if not is_version_id(version):
            raise InvalidVersionError(
                f"malformed version id: expected a UTC time and 6 hex digits like {_ID_EXAMPLE}",
                version,
            )
