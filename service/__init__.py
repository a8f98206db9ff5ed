"""The prediction service: a Flask app over the model store, run by gunicorn.

gunicorn -c service/gunicorn.conf.py 'service:create_app()'

``create_app`` and ``Settings`` are imported on first use, so a process that only needs the
job code (``python -m service.job_runner``) never loads Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .settings import Settings

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module 'service' has no attribute {name!r}")
