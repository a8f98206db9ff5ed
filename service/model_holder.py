"""The only mutable process state: the snapshot of the active model, hot-swapped safely.

A request calls ``holder.current()`` once and uses that immutable ``Snapshot`` throughout.
``current()`` looks at the store's active pointer at most every ``reload_interval_s``
(one ``stat``), and always first thing in a new process (a gunicorn worker forked from the
preloaded master); when it changed, the first version of the store's ``serving_order()``
that loads (the pointer's, else the last good one, else the rollback target) is loaded and
validated completely, then swapped in under a lock. The choice depends only on the store,
so every worker, whenever it started, serves the same version. A failure is kept for
``/ready`` (without paths: the reason goes to the log) and counted in the metrics.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from model import ModelError, Network, load
from model.store import ModelStore, UnknownVersionError, VersionInfo

_LOG = logging.getLogger("service.model")
RETRY_FAILED_AFTER_S = 10.0


@dataclass(frozen=True)
class Snapshot:
    """One loaded, validated model version. Never mutated after construction."""

    version: str
    net: Network
    card: dict[str, Any]
    loaded_at: str
    feature_index: dict[str, int] = field(repr=False)
    numeric: tuple[bool, ...] = field(default=(), repr=False)  # per feature: numbers only (no text)
    all_numeric: bool = True  # all(numeric), once per load: rows without text take the fast path

    @classmethod
    def of(cls, version: str, net: Network) -> Snapshot:
        numeric = tuple(feature.type == "numeric" for feature in net.schema.features)
        return cls(
            version=version,
            net=net,
            card=net.describe(),
            loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            feature_index={name: i for i, name in enumerate(net.feature_names)},
            numeric=numeric,
            all_numeric=all(numeric),
        )


class VersionLoadError(Exception):
    """A stored version does not load; the message names the version, never a path."""


def load_snapshot(info: VersionInfo) -> Snapshot:
    """Load and validate a stored version.

    Raises
    ------
    VersionLoadError
        With a message fit for clients; the reason (which may hold paths) goes to the log.
    """
    try:
        return Snapshot.of(info.version, load(info.artifact))
    except (ModelError, OSError) as error:
        _LOG.error("version %s cannot be loaded from %s: %s", info.version, info.artifact, error)
        message = f"version {info.version} cannot be loaded (the server log has the reason)"
        raise VersionLoadError(message) from None


class ModelHolder:
    """Holds the ``Snapshot`` of the version the store says to serve, for one process."""

    def __init__(
        self,
        store: ModelStore,
        reload_interval_s: float = 0.5,
        on_reload: Callable[[str], None] = lambda version: None,
        on_failure: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.reload_interval_s = reload_interval_s
        self._on_reload, self._on_failure = on_reload, on_failure
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._signature: tuple[int, int] | None = None
        self._pid = -1  # the process that last checked the store: none yet
        self._next_check = 0.0
        self._failed_at = 0.0
        self.last_error: str | None = None

    def current(self) -> Snapshot | None:
        """The snapshot to serve this request with (None when the store names none that loads)."""
        now = time.monotonic()
        if now >= self._next_check or self._pid != os.getpid():
            self._next_check = now + self.reload_interval_s
            signature = self.store.pointer_signature()
            if (
                signature != self._signature
                or self._pid != os.getpid()
                or (self.last_error is not None and now - self._failed_at > RETRY_FAILED_AFTER_S)
            ):
                self._reload(signature)
        return self._snapshot

    def _reload(self, signature: tuple[int, int] | None) -> None:
        with self._lock:
            self._signature, self._pid = signature, os.getpid()
            held, failures = self._snapshot, []
            chosen = None
            for version in self.store.serving_order():
                if held is not None and version == held.version:
                    chosen = held  # loaded already: versions never change
                    break
                try:
                    chosen = load_snapshot(self.store.get(version))
                    break
                except UnknownVersionError:
                    failures.append(f"version {version} is not a complete stored version")
                except VersionLoadError as error:
                    failures.append(str(error))
            if chosen is None and held is not None and not failures:
                failures.append("the store no longer names a version to serve")
            self._snapshot, self.last_error = chosen, "; ".join(failures) or None
        if failures:
            self._failed(chosen)
        if chosen is not None and chosen is not held:
            _LOG.info("serving model version %s", chosen.version)
            self._on_reload(chosen.version)

    def _failed(self, chosen: Snapshot | None) -> None:
        self._failed_at = time.monotonic()
        serving = chosen.version if chosen is not None else "no model"
        _LOG.error("model reload: %s; serving %s", self.last_error, serving)
        self._on_failure()
