"""How much a JSON body may hold, counted on its bytes before anything parses it.

Parsing builds several Python and Rust objects per value: a 12 MiB body of one-value rows
(``{"instances": [[0],[0],...]}``, 3 million rows) takes a worker from 50 to 850 MiB and
seconds of CPU before any row limit could be checked, and pydantic's ``max_length`` is only
checked after the whole document is parsed. So the front doors count first: arrays and
objects bound the rows, commas bound the values (every value but the last of each array or
object is followed by one). ``bytes.count`` runs at memory speed (~10 ms for 12 MiB); only a
body over a bound is counted again with its strings blanked out (~1 us per string, and a body
with more strings than its budget allows is refused without it), so brackets and commas inside
feature names never refuse a valid request.
"""

from __future__ import annotations

import re

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


def _plain_counts(body: bytes) -> tuple[int, int]:
    return body.count(b"[") + body.count(b"{"), body.count(b",")


def check_train_body(body: bytes, max_rows: int, max_values: int) -> None:
    """Refuse (422) a /train body holding more rows or values than the limits, before parsing.

    A valid body: the object, the instances list and one array or object per row, as many
    target lists, and a few option lists; a comma after every value, target and option.
    """
    if over_budget(body, max_containers=2 * max_rows + 8, max_commas=max_values + max_rows + 64):
        message = f"at most {max_rows} rows and {max_values} values on this server"
        raise ApiError(
            422,
            f"instances: {message}",
            "validation_error",
            [ErrorDetail(loc=["instances"], msg=message, type="limit")],
        )
