"""How much a JSON or CSV body may hold, counted on its bytes before anything parses it.

Parsing builds several Python and Rust objects per value: a 12 MiB body of one-value rows
(``{"instances": [[0],[0],...]}``, 3 million rows) takes a worker from 50 to 850 MiB and
seconds of CPU before any row limit could be checked, and pydantic's ``max_length`` is only
checked after the whole document is parsed. So the front doors count first: arrays and
objects bound the rows, commas bound the values (every value but the last of each array or
object is followed by one). ``bytes.count`` runs at memory speed (~10 ms for 12 MiB); only a
body over a bound is counted again with its strings blanked out (~1 us per string, and a body
with more strings than its budget allows is refused without it), so brackets and commas inside
feature names never refuse a valid request.

A CSV body (``POST /train`` with ``Content-Type: text/csv``) is counted the same way: line
breaks bound the rows, separators the values (every cell but the last of a line is followed by
one; the most frequent of ``model.datasets.SEPARATORS`` is taken, the reader detects which),
recounted outside quoted cells only when over a bound.
"""

from __future__ import annotations

import re

from model.datasets import SEPARATORS

from .errors import ApiError
from .schemas import ErrorDetail

# A JSON string, or an unterminated one up to the end: the match never fails once started, so
# the scan stays linear whatever the body (possessive quantifiers: no backtracking).
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)


def over_budget(body: bytes, max_containers: int, max_commas: int) -> bool:
    """Whether the body holds more arrays and objects, or more commas, than allowed.

    The plain count is an upper bound, so a body within both bounds is never recounted; a body
    over one is recounted outside strings before it is refused.
    """
    containers, commas = _plain_counts(body)
    if containers <= max_containers and commas <= max_commas:
        return False
    # Each member of an array or object holds at most two strings (key and value), so a body with
    # more strings than twice the members allowed is over budget without a closer look.
    quotes = body.count(b'"') - body.count(b'\\"')
    if quotes > 4 * (max_containers + max_commas + 1):
        return True
    if quotes:  # brackets and commas inside strings (feature names, labels) are not structure
        containers, commas = _plain_counts(_STRING.sub(b'""', body))
    return containers > max_containers or commas > max_commas


# A quoted CSV cell (quotes doubled inside), or an unterminated one up to the end: linear.
_QUOTED = re.compile(rb'"(?:[^"]++|"")*+"?')
_SEPARATORS = tuple(separator.encode() for separator in SEPARATORS)


def csv_over_budget(body: bytes, max_lines: int, max_separators: int) -> bool:
    """Whether a CSV body holds more lines, or more separators, than allowed (``over_budget``'s
    rule: counted plainly, recounted outside quoted cells only when over a bound)."""
    lines, separators = _csv_counts(body)
    if lines <= max_lines and separators <= max_separators:
        return False
    if b'"' in body:  # line breaks and separators inside quoted cells are not structure
        lines, separators = _csv_counts(_QUOTED.sub(b'""', body))
    return lines > max_lines or separators > max_separators


def _csv_counts(body: bytes) -> tuple[int, int]:
    return body.count(b"\n") + body.count(b"\r") - body.count(b"\r\n"), max(map(body.count, _SEPARATORS))


def _plain_counts(body: bytes) -> tuple[int, int]:
    return body.count(b"[") + body.count(b"{"), body.count(b",")


def check_train_body(body: bytes, max_rows: int, max_values: int) -> None:
    """Refuse (422) a /train body holding more rows or values than the limits, before parsing.

    A valid body: the object, the instances list and one array or object per row, as many
    target lists, and a few option lists; a comma after every value, target and option.
    """
    if over_budget(body, max_containers=2 * max_rows + 8, max_commas=max_values + max_rows + 64):
        raise _over_train_limits("instances", max_rows, max_values)


def check_csv_body(body: bytes, max_rows: int, max_values: int) -> None:
    """Refuse (422) a CSV /train body holding more rows or values than the limits, before parsing.

    A valid body: a header line and one line per row (a few blank lines spare); a separator
    between the cells of a line, header included, so at most ``max_values`` feature cells plus
    a target and the header's separators (bounded by a row's).
    """
    max_lines = max_rows + 8
    if csv_over_budget(body, max_lines, max_separators=max_values + 2 * max_rows + 1024):
        raise _over_train_limits("body", max_rows, max_values)


def _over_train_limits(where: str, max_rows: int, max_values: int) -> ApiError:
    """422 at ``where``: a /train body over the server's row and value limits."""
    message = f"at most {max_rows} rows and {max_values} values on this server"
    detail = [ErrorDetail(loc=[where], msg=message, type="limit")]
    return ApiError(422, f"{where}: {message}", "validation_error", detail)
