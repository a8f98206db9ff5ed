"""The application factory: ``create_app(settings=None) -> Flask``.

gunicorn runs ``service:create_app()``. The factory builds the settings, the model store
and model holder, the metrics, the blueprints and the error handlers; nothing happens at
import time.
"""

from __future__ import annotations

import os

from flask import Flask

from model.store import ModelStore

from .auth import configured_token
from .errors import register_error_handlers
from .jobs import JobStore
from .model_holder import ModelHolder
from .routes import console, health, models, predict, train
from .routes import v2 as v2_routes
from .routes.docs import register_docs
from .settings import Settings
from .state import ServiceState, not_ready_reason
from .telemetry import Metrics, install_request_hooks


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    metrics = Metrics.create(str(settings.metrics_dir) if settings.metrics_dir else None)
    store = ModelStore(settings.model_dir, settings.keep_versions)
    holder = ModelHolder(
        store,
        settings.reload_interval_s,
        on_reload=lambda version: metrics.reloads.inc(),
        on_failure=metrics.reload_failures.inc,
    )
    jobs = JobStore(settings.model_dir, settings.job_retention)
    app.extensions["mlp"] = ServiceState(settings, store, holder, metrics, jobs, configured_token(settings))
    register_error_handlers(app)
    install_request_hooks(app, metrics)
    blueprints = (
        predict.blueprint,
        models.blueprint,
        health.blueprint,
        train.blueprint,
        v2_routes.blueprint,
        console.blueprint,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    register_docs(app)
    # Load the model now, so the first request is not the slow one.
    snapshot = holder.current()
    if snapshot is None:
        app.logger.warning("service not ready in process %s: %s", os.getpid(), not_ready_reason(holder))
    else:
        app.logger.info("service ready in process %s, serving version %s", os.getpid(), snapshot.version)
    return app
