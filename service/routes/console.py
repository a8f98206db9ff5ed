"""GET / (the web console) and GET /console/<file> (its static assets).

The console is plain HTML, CSS and JavaScript shipped in the packages: its page and its own
scripts in ``service/console/static``, the chart, card and style files it shares with the offline
report in ``model/assets`` (``model.assets``); both are served under ``/console/``. No build
step, no CDN. It talks to the service only through the public JSON API. Its responses
carry a strict Content-Security-Policy: scripts, styles and everything else from this origin
only, no inline script or style, no framing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from model import assets

STATIC = Path(__file__).resolve().parents[1] / "console" / "static"
SHARED = assets.directory()
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

blueprint = Blueprint("console", __name__)


@blueprint.get("/")
def index() -> Response:
    return send_from_directory(STATIC, "index.html", mimetype="text/html")


@blueprint.get("/console/<name>")
def asset(name: str) -> Response:
    """One file of the console; ``send_from_directory`` refuses names that leave the directory."""
    return send_from_directory(SHARED if name in assets.NAMES else STATIC, name)


@blueprint.after_request
def secure(response: Response) -> Response:
    """Every console response (the page and its assets) gets the security headers."""
    response.headers.update(SECURITY_HEADERS)
    return response
