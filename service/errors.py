"""The service's one error type and the handlers that turn every failure into one JSON shape.

Body: ``{"error": "<one-line message>", "code": "<machine code>", "detail": [{"loc", "msg"}]}``
(``error`` as a string is what standard inference clients read). Werkzeug's HTTP errors (404,
405, 413, 415...) get the same shape instead of HTML; anything unexpected becomes a generic
500 whose traceback goes to the log only. Input values are never echoed back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from model import Problem, RowsError

from .schemas import LIST_FORM, OBJECT_FORM, ErrorBody, ErrorDetail

_LOG = logging.getLogger("service.errors")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
    507: "insufficient_storage",
}


class ApiError(Exception):
    """A client-facing failure: HTTP status, machine code, one-line message, locations."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        detail: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _HTTP_CODES.get(status, "error")
        self.detail = detail or []
        self.headers = headers or {}


def store_unavailable() -> ApiError:
    """503 for a store that cannot be written now; the caller logs the reason (it names paths)."""
    return ApiError(503, "the model store cannot be written now; see the server log", "store_error")


def error_response(error: ApiError) -> Response:
    body = ErrorBody(error=error.message, code=error.code, detail=error.detail)
    response = Response(body.model_dump_json(), status=error.status, mimetype="application/json")
    response.headers.update(error.headers)
    return response


def error_items(error: ValidationError) -> list[dict[str, Any]]:
    """pydantic's error list without input values, URLs or context (safe to send back)."""
    return error.errors(include_url=False, include_input=False, include_context=False)


def validation_error(
    error: ValidationError | list[dict[str, Any]], prefix: tuple[str | int, ...] = ()
) -> ApiError:
    """422 from a pydantic error (or its items), with locations and messages, never input values.

    Invalid JSON becomes 400.
    """
    items = _one_instance_form(error_items(error) if isinstance(error, ValidationError) else error)
    detail = [ErrorDetail(loc=[*prefix, *item["loc"]], msg=item["msg"], type=item["type"]) for item in items]
    if any(item.type == "json_invalid" for item in detail):
        return ApiError(400, "request body is not valid JSON", "invalid_json", detail)
    first = detail[0]
    where = ".".join(str(part) for part in first.loc) or "body"
    more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
    return ApiError(422, f"{where}: {first.msg}{more}", "validation_error", detail)


def rows_error(
    error: RowsError,
    prefix: tuple[str | int, ...] = ("instances",),
    *,
    locate: Callable[[tuple[int | str, ...]], tuple[int | str, ...]] | None = None,
    status: int = 422,
    code: str = "validation_error",
    note: str = "",
) -> ApiError:
    """The one converter of the library's row problems to an error body: each located under
    ``prefix`` (the JSON API), or where ``locate`` says (V2's tensors, 400 ``v2_bad_request``);
    ``note`` ends the one-line message."""
    place = locate or (lambda loc: (*prefix, *loc))
    problems = [Problem(place(found.loc), found.message, found.kind) for found in error.problems]
    detail = [ErrorDetail(loc=list(found.loc), msg=found.message, type=found.kind) for found in problems]
    return ApiError(status, RowsError(problems).summary() + note, code, detail)


def _one_instance_form(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the errors of the instance form the client meant, without pydantic's union tags.

    Instances are lists or objects; pydantic reports why each form failed. The form whose
    errors reach further into the request (a later instance, then a deeper field) is the
    one the client used; ties go to the list form. A form whose first instance has the wrong
    shape (an object where a list belongs, or the reverse) is not the one the client used.
    """
    by_form: dict[str, list[dict]] = {LIST_FORM: [], OBJECT_FORM: []}
    other = []
    for item in items:
        loc = item["loc"]
        form = _instance_form(loc[1]) if len(loc) >= 2 and loc[0] == "instances" else None
        if form is not None:
            by_form[form].append({**item, "loc": ("instances", *loc[2:])})
        else:
            other.append(item)

    def reach(form: str) -> tuple[int, int]:
        locs = [item["loc"] for item in by_form[form]] or [()]
        return max((loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1, len(loc)) for loc in locs)

    def first_row_fits(form: str) -> bool:
        return not any(
            item["loc"][1:] == (0,) and item["type"] in ("list_type", "dict_type") for item in by_form[form]
        )

    chosen = max(
        (LIST_FORM, OBJECT_FORM), key=lambda form: (first_row_fits(form), reach(form), form == LIST_FORM)
    )
    return [*other, *by_form[chosen]]


def _instance_form(tag: Any) -> str | None:
    """``LIST_FORM`` or ``OBJECT_FORM`` for pydantic's tag of a list of rows, whatever the cells
    (``list[list[float]]`` for /predict, ``list[list[nullable[...]]]`` for /train), else None."""
    if not isinstance(tag, str):
        return None
    if tag.startswith("list[list["):
        return LIST_FORM
    return OBJECT_FORM if tag.startswith("list[dict[") else None


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        headers: dict[str, Any] = {}
        valid_methods = getattr(error, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(sorted(valid_methods))
        message = {
            404: "no such endpoint",
            405: "method not allowed on this endpoint",
            413: "request body is larger than the configured limit",
        }.get(status, error.description or error.name)
        return error_response(ApiError(status, message, headers=headers))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        _LOG.exception("unhandled error")
        return error_response(ApiError(500, "internal server error; see the server log"))
