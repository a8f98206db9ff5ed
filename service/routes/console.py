"""GET / (the web console) and GET /console/<file> (its static assets).

The console is plain HTML, CSS and JavaScript shipped in the package (``service/console/static``):
no build step, no CDN. It talks to the service only through the public JSON API. Its responses
carry a strict Content-Security-Policy: scripts, styles and everything else from this origin
only, no inline script or style, no framing.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).resolve().parents[1] / "console" / "static"
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

blueprint = Blueprint("console", __name__, static_folder=STATIC, static_url_path="/console")


@blueprint.get("/")
def index() -> Response:
    return send_from_directory(STATIC, "index.html", mimetype="text/html")


@blueprint.after_request
def secure(response: Response) -> Response:
    """Every console response (the page and its assets) gets the security headers."""
    response.headers.update(SECURITY_HEADERS)
    return response
