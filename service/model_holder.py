"""The only mutable process state: the snapshot of the active model, hot-swapped safely.

A request calls ``holder.current()`` once and uses that immutable ``Snapshot`` throughout.
``current()`` looks at the store's active pointer at most every ``reload_interval_s``
(one ``stat``); when it changed, the new version is loaded and validated completely, then
swapped in under a lock. A version that fails to load is refused: the old snapshot keeps
serving, and the failure is kept for ``/ready`` and counted in the metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from model import ModelError, Network, load
from model.store import ModelStore, StoreError

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
    feature_min: np.ndarray = field(repr=False)
    feature_max: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, version: str, net: Network) -> Snapshot:
        return cls(
            version=version,
            net=net,
            card=net.describe(),
            loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
            feature_index={name: i for i, name in enumerate(net.feature_names)},
            feature_min=np.asarray(net.feature_min, np.float64),
            feature_max=np.asarray(net.feature_max, np.float64),
        )


class ModelHolder:
    """Holds the current ``Snapshot`` of the store's active version for one process."""

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
        self._next_check = 0.0
        self._failed_at = 0.0
        self.last_error: str | None = None

    def current(self) -> Snapshot | None:
        """The snapshot to serve this request with (None when no valid model was ever loaded)."""
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.reload_interval_s
            signature = self.store.pointer_signature()
            if signature != self._signature or (
                self.last_error is not None and now - self._failed_at > RETRY_FAILED_AFTER_S
            ):
                self._reload(signature)
        return self._snapshot

    def _reload(self, signature: tuple[int, int] | None) -> None:
        with self._lock:
            version = self.store.active_version()
            self._signature = signature
            if version is None:
                if signature is not None or self._snapshot is not None:
                    self._fail("the store's active pointer names no complete version")
                return
            if self._snapshot is not None and version == self._snapshot.version:
                self.last_error = None
                return
            try:
                info = self.store.get(version)
                snapshot = Snapshot.of(version, load(info.artifact))
            except (ModelError, StoreError, OSError) as error:
                self._fail(f"version {version} cannot be loaded: {error}")
                return
            self._snapshot, self.last_error = snapshot, None
        _LOG.info("serving model version %s", version)
        self._on_reload(version)

    def _fail(self, message: str) -> None:
        self.last_error = message
        self._failed_at = time.monotonic()
        _LOG.error("model reload refused, keeping %s: %s", getattr(self._snapshot, "version", None), message)
        self._on_failure()
