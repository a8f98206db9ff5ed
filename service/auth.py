"""Bearer-token protection of the training endpoints.

The token comes from ``MLP_API_TOKEN_FILE`` (a file, e.g. a mounted secret; it wins) or
``MLP_API_TOKEN``. With neither set (or empty), the protected endpoints are disabled: 403 with
a message saying how to enable them. A missing or wrong token is 401 with
``WWW-Authenticate: Bearer``. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import request

from .errors import ApiError
from .settings import Settings

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mlp-service"'}


def configured_token(settings: Settings) -> bytes | None:
    """The token, or None when training over HTTP is disabled. Read once at app creation."""
    if settings.api_token_file is not None:
        try:
            text = settings.api_token_file.read_text().strip()
        except OSError as error:
            raise RuntimeError(f"cannot read MLP_API_TOKEN_FILE {settings.api_token_file}: {error}") from None
    else:
        text = settings.api_token.get_secret_value().strip() if settings.api_token else ""
    return text.encode() if text else None


def check_bearer(token: bytes | None, authorization: str | None) -> None:
    """Raise the right ``ApiError`` unless ``authorization`` carries ``token``."""
    if token is None:
        raise ApiError(
            403,
            "training endpoints are disabled: set MLP_API_TOKEN (or MLP_API_TOKEN_FILE) to enable them",
            "training_disabled",
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "missing bearer token: send 'Authorization: Bearer <token>'", headers=CHALLENGE)
    if not hmac.compare_digest(given.strip().encode(), token):
        raise ApiError(401, "invalid bearer token", headers=CHALLENGE)


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: the view runs only with the configured bearer token."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from .state import service

        check_bearer(service().token, request.headers.get("Authorization"))
        return view(*args, **kwargs)

    return guarded
