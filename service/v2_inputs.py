"""V2 input tensors to the model's raw values: the one ``input`` tensor, or one tensor per feature.

Two forms (``input_values``):

- ``input``: FP32 or FP64, shape ``[batch, n_features]``, ``data`` flat (row-major) or one list
  per row; for models whose features are all numeric (the form V2 had first);
- one tensor per feature, named after it, shape ``[batch]`` or ``[batch, 1]``: BYTES for a
  categorical feature (numbers tensors are accepted too: compared as their text), FP32, FP64,
  INT64 or INT32 for a numeric one. Any model takes this form.

A missing value is JSON ``null`` in any tensor, or NaN in a float tensor (JSON or binary).
Tensors with ``parameters.binary_data_size`` take their bytes, in input order, from the body
after the JSON (Triton's binary extension: little-endian, row-major; a BYTES element is a
4-byte little-endian length and its UTF-8 bytes).

What V2 decides here is the wire: names, shapes, datatypes, byte counts. The values' rules
(finiteness, then each feature's encoding) are the library's: ``check_finite`` and ``infer``,
whose located problems become 400s naming the tensor, the row and the feature.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from model import RowsError, check_finite, rows_to_matrix

from .errors import ApiError, rows_error
from .model_holder import Snapshot
from .schemas import ErrorDetail
from .v2_schemas import V2BytesInput, V2InferenceRequest, V2RequestInput

INPUT_NAME = "input"
HEADER_LENGTH = "Inference-Header-Content-Length"
WIRE_DTYPES = {
    "FP32": np.dtype("<f4"),
    "FP64": np.dtype("<f8"),
    "INT64": np.dtype("<i8"),
    "INT32": np.dtype("<i4"),
}
NUMBER_DATATYPES = tuple(WIRE_DTYPES)


def bad_request(message: str, loc: Iterable[str | int] = (), kind: str = "v2") -> ApiError:
    location = list(loc)
    where = ".".join(str(part) for part in location)
    text = f"{where}: {message}" if where else message
    return ApiError(400, text, "v2_bad_request", [ErrorDetail(loc=location, msg=message, type=kind)])


@dataclass(frozen=True)
class InputValues:
    """The request's inputs as the model's raw values.

    Attributes
    ----------
    x : ndarray of shape (n_rows, n_features)
        float (NaN = missing) or object (numbers, texts, None), columns in the model's order.
    locate : callable
        A library problem's location ``(row, column)`` -> the request's (``inputs.k.data...``).
    """

    x: np.ndarray
    locate: Callable[[tuple[int | str, ...]], tuple[int | str, ...]]

    def rows_error(self, error: RowsError) -> ApiError:
        """400 from the library's row problems, located in the request's tensors."""
        return rows_error(error, locate=self.locate, status=400, code="v2_bad_request")


class _Tail:
    """The bytes after the JSON, handed out in input order."""

    def __init__(self, tail: memoryview) -> None:
        self.tail, self.offset = tail, 0

    def take(self, size: int, loc: list[str | int]) -> memoryview:
        left = len(self.tail) - self.offset
        if size > left:
            raise bad_request(
                f"{size} bytes announced, {left} bytes follow the JSON (is the {HEADER_LENGTH} header set?)",
                loc,
                "binary",
            )
        chunk = self.tail[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def finish(self) -> None:
        left = len(self.tail) - self.offset
        if left:
            raise bad_request(f"{left} byte(s) after the JSON belong to no input", kind="binary")


def input_values(
    request: V2InferenceRequest, tail: memoryview, snapshot: Snapshot, max_rows: int
) -> InputValues:
    """The request's inputs (either form) as the model's raw values; 400 for any wire problem."""
    tails = _Tail(tail)
    if request.inputs[0].name == INPUT_NAME:
        values = _one_tensor(request, tails, snapshot, max_rows)
    else:
        values = _tensor_per_feature(request, tails, snapshot, max_rows)
    tails.finish()
    return values


# ---------------------------------------------------------------- one tensor: "input"
def _one_tensor(request: V2InferenceRequest, tails: _Tail, snapshot: Snapshot, max_rows: int) -> InputValues:
    names = snapshot.net.feature_names
    for i, tensor in enumerate(request.inputs[1:], start=1):
        if tensor.name == INPUT_NAME:
            raise bad_request(f"input '{INPUT_NAME}' is given more than once", ["inputs", i])
        message = f"input '{INPUT_NAME}' holds every feature: give no other input with it"
        raise bad_request(message, ["inputs", i, "name"])
    if not snapshot.all_numeric:
        raise bad_request(
            f"this model has categorical features: it takes one input per feature ({_listed(names)}), "
            f"not '{INPUT_NAME}'",
            ["inputs", 0, "name"],
        )
    tensor = request.inputs[0]
    if tensor.datatype not in ("FP32", "FP64"):
        raise bad_request(f"'{INPUT_NAME}' must be 'FP32' or 'FP64'", ["inputs", 0, "datatype"], "datatype")
    n_features = len(names)
    shape = tensor.shape
    if len(shape) != 2 or shape[1] != n_features:
        raise bad_request(f"must be [batch, {n_features}], got {shape}", ["inputs", 0, "shape"], "shape")
    n_rows = _batch(shape[0], max_rows, ["inputs", 0, "shape"])
    nested = bool(tensor.data) and isinstance(tensor.data[0], list)

    def locate(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
        flat = not nested and len(loc) == 2  # flat data and binary tensors: the row-major index
        return ("inputs", 0, "data", *([loc[0] * n_features + loc[1]] if flat else loc))

    values = InputValues(np.empty((0, n_features)), locate)
    dtype = WIRE_DTYPES[tensor.datatype]
    try:
        if nested:  # one list per row: the rows check, as for /predict
            if len(tensor.data) != n_rows:
                needs = f"shape {shape} needs {n_rows} rows of {n_features} values"
                raise bad_request(needs, ["inputs", 0, "data"], "shape")
            x = rows_to_matrix(tensor.data, names, dtype=dtype).x
        else:
            x = _numbers(tensor, n_rows * n_features, tails, ["inputs", 0]).reshape(n_rows, n_features)
            check_finite(x, allow_missing=True)
    except RowsError as error:
        raise values.rows_error(error) from None
    return InputValues(x, locate)


# ---------------------------------------------------------------- one tensor per feature
def _tensor_per_feature(
    request: V2InferenceRequest, tails: _Tail, snapshot: Snapshot, max_rows: int
) -> InputValues:
    names, index = snapshot.net.feature_names, snapshot.feature_index
    columns: list[np.ndarray | None] = [None] * len(names)
    at: list[int] = [0] * len(names)  # the input index of each feature, for locations
    n_rows = None
    for k, tensor in enumerate(request.inputs):
        j = index.get(tensor.name)
        if j is None:
            expected = f"'{INPUT_NAME}' or " if snapshot.all_numeric else ""
            raise bad_request(
                f"unknown input name; this model's inputs are {expected}its features ({_listed(names)})",
                ["inputs", k, "name"],
            )
        if columns[j] is not None:
            raise bad_request(f"input '{tensor.name}' is given more than once", ["inputs", k, "name"])
        loc: list[str | int] = ["inputs", k]
        if len(tensor.shape) not in (1, 2) or tensor.shape[1:] not in ([], [1]):
            raise bad_request(f"must be [batch] or [batch, 1], got {tensor.shape}", [*loc, "shape"], "shape")
        if n_rows is None:
            n_rows = _batch(tensor.shape[0], max_rows, [*loc, "shape"])
        elif tensor.shape[0] != n_rows:
            message = f"batch {tensor.shape[0]} differs from the first input's, {n_rows}"
            raise bad_request(message, [*loc, "shape"], "shape")
        columns[j], at[j] = _column(tensor, snapshot.numeric[j], n_rows, tails, loc), k
    absent = [name for name, column in zip(names, columns, strict=True) if column is None]
    if absent:
        raise bad_request(f"no input for the features {_listed(absent)}: give one per feature", ["inputs"])

    def locate(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
        if len(loc) != 2:
            return ("inputs", *loc)
        row, column = loc
        return ("inputs", at[column if isinstance(column, int) else index[column]], "data", row)

    return InputValues(_stack(columns), locate)


def _column(
    tensor: V2RequestInput, numeric: bool, n_rows: int, tails: _Tail, loc: list[str | int]
) -> np.ndarray:
    """One feature's values (n_rows,): float64 (NaN = missing) or object (texts, None)."""
    if tensor.datatype == "BYTES":
        if numeric:
            message = f"feature '{tensor.name}' is numeric: its datatype must be one of {NUMBER_DATATYPES}"
            raise bad_request(message, [*loc, "datatype"], "datatype")
        return _texts(tensor, n_rows, tails, loc)
    column = _numbers(tensor, n_rows, tails, loc).astype(np.float64, copy=False)
    try:
        check_finite(column[:, None], allow_missing=True)
    except RowsError as error:
        feature = f" (feature '{tensor.name}', row {error.problems[0].loc[0]})"
        raise rows_error(
            error, locate=lambda at: (*loc, "data", at[0]), status=400, code="v2_bad_request", note=feature
        ) from None
    return column


def _numbers(tensor: V2RequestInput, n_values: int, tails: _Tail, loc: list[str | int]) -> np.ndarray:
    """A numbers tensor's n_values values, flat, in its wire dtype (NaN where JSON says null)."""
    dtype = WIRE_DTYPES[tensor.datatype]
    data = _data_or_bytes(tensor, n_values, dtype.itemsize, tails, loc)
    if isinstance(data, memoryview):
        return np.frombuffer(data, dtype=dtype)
    if tensor.datatype in ("INT64", "INT32"):
        dtype = np.dtype(np.float64)  # null is NaN: a float array (ints of any size)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond FP32's range: inf, refused as not finite
        try:
            return np.array(data, dtype=dtype)
        except OverflowError:  # an integer beyond float64's range: inf too
            return np.array([_float(value) for value in data], dtype=dtype)


def _float(value: float | None) -> float | None:
    try:
        return None if value is None else float(value)
    except OverflowError:
        return float("inf") if value > 0 else float("-inf")


def _texts(tensor: V2BytesInput, n_rows: int, tails: _Tail, loc: list[str | int]) -> np.ndarray:
    """A BYTES tensor's values (n_rows,) as an object array of str (None where JSON says null)."""
    data = _data_or_bytes(tensor, n_rows, None, tails, loc)
    if not isinstance(data, memoryview):
        return np.array(data, dtype=object)
    where = [*loc, "parameters", "binary_data_size"]
    raw, offset, texts = bytes(data), 0, []
    for row in range(n_rows):  # each element: a 4-byte little-endian length, then its bytes
        length = struct.unpack_from("<I", raw, offset)[0] if offset + 4 <= len(raw) else None
        if length is None or offset + 4 + length > len(raw):
            raise bad_request(f"element {row} of {n_rows} is cut short", where, "binary")
        offset += 4 + length
        try:
            texts.append(raw[offset - length : offset].decode())
        except UnicodeDecodeError:
            message = f"must be UTF-8 text (feature '{tensor.name}', row {row})"
            raise bad_request(message, [*loc, "data", row], "text") from None
    if offset != len(raw):
        raise bad_request(f"{len(raw) - offset} bytes after the {n_rows} elements", where, "binary")
    return np.array(texts, dtype=object)


def _data_or_bytes(
    tensor: V2RequestInput, n_values: int, itemsize: int | None, tails: _Tail, loc: list[str | int]
) -> list[Any] | memoryview:
    """``data`` flattened (n_values,), or the tensor's binary bytes (``itemsize`` checks their count)."""
    size = tensor.parameters.binary_data_size if tensor.parameters else None
    if size is not None:
        where = [*loc, "parameters", "binary_data_size"]
        if tensor.data is not None:
            raise bad_request("give data or binary_data_size, not both", where, "binary")
        if itemsize is not None and size != n_values * itemsize:
            needs = f"shape {tensor.shape} of {tensor.datatype} needs {n_values * itemsize} bytes, got {size}"
            raise bad_request(needs, where, "binary")
        return tails.take(size, where)
    data = tensor.data
    if data is None:
        message = "missing: give data, or binary_data_size with the binary extension"
        raise bad_request(message, [*loc, "data"], "missing")
    nested = bool(data) and isinstance(data[0], list)  # one list per row of a [batch, 1] tensor
    if nested and (len(data) != n_values or any(len(row) != 1 for row in data)):
        raise bad_request(f"shape {tensor.shape} needs {n_values} rows of 1 value", [*loc, "data"], "shape")
    if not nested and len(data) != n_values:
        needs = f"shape {tensor.shape} needs {n_values} values, got {len(data)}"
        raise bad_request(needs, [*loc, "data"], "shape")
    return [row[0] for row in data] if nested else data


def _stack(columns: list[np.ndarray]) -> np.ndarray:
    """Columns as raw values (n_rows, n_features): float when every one is, else object."""
    if all(column.dtype != object for column in columns):
        return np.column_stack(columns)
    x = np.empty((len(columns[0]), len(columns)), dtype=object)
    for j, column in enumerate(columns):
        x[:, j] = column
    return x


def _batch(n_rows: int, max_rows: int, loc: list[str | int]) -> int:
    if not 1 <= n_rows <= max_rows:
        raise bad_request(f"batch must be 1 to {max_rows} rows per request, got {n_rows}", loc, "rows")
    return n_rows


def _listed(names: Iterable[str], limit: int = 8) -> str:
    """Names quoted, at most ``limit`` of them (a model may have hundreds)."""
    names = list(names)
    shown = ", ".join(f"'{name}'" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
