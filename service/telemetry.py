"""Observability: Prometheus metrics and one structured JSON log line per request.

Under gunicorn, ``PROMETHEUS_MULTIPROC_DIR`` (set by ``gunicorn.conf.py`` before any worker
imports prometheus-client) puts every worker's samples in shared files, and ``/metrics``
aggregates them with a fresh ``MultiProcessCollector``: the figures are the service's, not
one worker's. Without it (tests, ``flask run``) each app has its own registry.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from dataclasses import dataclass, field

import numpy as np
from flask import Flask, Response, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic_core import to_json

from model import Inference

_ACCESS_LOG = logging.getLogger("service.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Label values must be a bounded set: any token is a valid HTTP method to Werkzeug.
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class Metrics:
    registry: CollectorRegistry
    multiprocess_dir: str | None
    requests: Counter
    latency: Histogram
    rows: Counter
    out_of_range_rows: Counter
    unknown_category_values: Counter
    imputed_values: Counter
    model_info: Gauge
    reloads: Counter
    reload_failures: Counter
    _serving: tuple[int, str] | None = None
    _children: dict = field(default_factory=dict)

    @classmethod
    def create(cls, multiprocess_dir: str | None) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        return cls(
            registry=registry,
            multiprocess_dir=multiprocess_dir,
            requests=Counter(
                "mlp_http_requests", "HTTP requests.", ["endpoint", "method", "status"], registry=registry
            ),
            latency=Histogram(
                "mlp_http_request_duration_seconds",
                "Request latency.",
                ["endpoint"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            rows=Counter("mlp_predicted_rows", "Rows predicted.", registry=registry),
            out_of_range_rows=Counter(
                "mlp_out_of_range_rows", "Predicted rows outside the training range.", registry=registry
            ),
            # Counted by kind only: a label per feature or category would let clients grow the series.
            unknown_category_values=Counter(
                "mlp_unknown_category_values",
                "Categorical values never seen in training, predicted as no known category.",
                registry=registry,
            ),
            imputed_values=Counter(
                "mlp_imputed_values", "Missing values imputed before predicting.", registry=registry
            ),
            model_info=Gauge(
                "mlp_model_info",
                "1 for the model version being served.",
                ["version"],
                multiprocess_mode="livemax",
                registry=registry,
            ),
            reloads=Counter("mlp_model_reloads", "Model versions loaded.", registry=registry),
            reload_failures=Counter(
                "mlp_model_reload_failures", "Model versions refused at load.", registry=registry
            ),
        )

    def count_inference(self, result: Inference) -> None:
        """What a front door predicted: rows, rows out of range, values unknown or imputed."""
        flags = result.flags
        self.rows.inc(len(result.predictions))
        counts = (
            (self.out_of_range_rows, result.flagged_rows("out_of_range")),
            (self.unknown_category_values, int(np.count_nonzero(flags["unknown_categories"]))),
            (self.imputed_values, int(np.count_nonzero(flags["missing"]))),
        )
        for counter, n in counts:
            if n:
                counter.inc(n)

    def count(self, endpoint: str, method: str, status: int, duration: float) -> None:
        """One finished request; labelled children are cached (``labels()`` is slow-ish).

        ``endpoint`` is a route rule or "unmatched"; a method outside ``KNOWN_METHODS`` counts
        as "other", so no client can add label values (or cache entries) at will.
        """
        if method not in KNOWN_METHODS:
            method = "other"
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(endpoint, method, str(status)), self.latency.labels(endpoint))
            self._children[key] = children
        children[0].inc()
        children[1].observe(duration)

    def note_serving(self, version: str) -> None:
        """Mark ``version`` as served by this process (cheap when nothing changed).

        Keyed by pid as well: a worker forked from a preloaded master must write its own
        gauge, since the master's is cleared when the workers start.
        """
        key = (os.getpid(), version)
        if key == self._serving:
            return
        if self._serving is not None and self._serving[0] == key[0]:
            self.model_info.labels(version=self._serving[1]).set(0)
        self.model_info.labels(version=version).set(1)
        self._serving = key

    def exposition(self) -> Response:
        if self.multiprocess_dir:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        else:
            registry = self.registry
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def install_request_hooks(app: Flask, metrics: Metrics) -> None:
    """Request id (honours a sane incoming ``X-Request-ID``), timing, metrics, JSON log line."""

    @app.before_request
    def start() -> None:
        environ = request.environ
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        environ["mlp.request_id"] = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(16)
        environ["mlp.started"] = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        current = request._get_current_object()  # one proxy lookup instead of many (hot path)
        environ = current.environ
        duration = time.perf_counter() - environ.get("mlp.started", time.perf_counter())
        rule = current.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        status = response.status_code
        metrics.count(endpoint, current.method, status, duration)
        headers = response.headers
        served = headers.get("X-Model-Version")
        if served:
            metrics.note_serving(served)
        request_id = environ.get("mlp.request_id", "")
        headers["X-Request-ID"] = request_id
        if _ACCESS_LOG.isEnabledFor(logging.INFO):
            record = {
                "time": round(time.time(), 3),
                "event": "request",
                "request_id": request_id,
                "method": current.method,
                "path": current.path,
                "status": status,
                "duration_ms": round(duration * 1000, 3),
                "model_version": served,
            }
            _ACCESS_LOG.info(to_json(record).decode())  # pydantic-core's encoder: ~6x json.dumps
        return response
