"""What ``bench_serve.py`` measures: workloads, and what their ``during`` hook can reach."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .gunicorn_run import GunicornServer

SERVICE, CEILING = "service", "ceiling"


@dataclass(frozen=True)
class Bench:
    """What a workload's ``during`` hook may use: the running servers and the store."""

    servers: dict[str, GunicornServer]
    store_dir: Path
    workdir: Path


def idle(bench: Bench) -> AbstractContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Workload:
    """``/predict`` with ``rows`` instances per request, under ``during(bench)``.

    ``during`` is entered before the workload's runs of a round and left after them: a
    context manager that starts, say, a training job and stops it gives the figures under
    that job, next to an idle workload's.
    """

    name: str
    description: str
    rows: int  # instances per request
    against_ceiling: bool  # also drive the ceiling app with the same body
    during: Callable[[Bench], AbstractContextManager[Any]] = idle
    flagged: bool = False  # every row outside the training range (so flagged in out_of_range)

    @property
    def body_key(self) -> tuple[int, bool]:
        return self.rows, self.flagged

    @property
    def servers(self) -> tuple[str, ...]:
        return (SERVICE, CEILING) if self.against_ceiling else (SERVICE,)
