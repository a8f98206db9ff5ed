"""The Open Inference Protocol (V2) without Flask: metadata, request parsing, inference, encoding.

The V2 routes are a second front door to the same core as ``/predict``: the same model
snapshots, the same strict number validation, the same row limit, the library's rows check
(``rows_to_matrix``) and inference (``infer``). What is V2-specific lives here:

- the model is named ``Settings.model_name`` ("mlp"); its one input is ``input``, FP32 or FP64,
  shape ``[batch, n_features]``, ``data`` flat (row-major) or one list per row;
- its outputs are ``predictions`` (BYTES labels; INT64 0/1 for multi-label; FP64 values for
  regressors, as ``/predict`` gives them) and, for classifiers, ``probabilities``
  (``[batch, n_classes]``);
- Triton's binary tensor data extension: the ``Inference-Header-Content-Length`` header gives
  the length of the JSON part of the body, inputs with ``parameters.binary_data_size`` are read
  in order from the bytes after it (little-endian, row-major), and outputs asked for with
  ``binary_data`` (or the request's ``binary_data_output``) are sent the same way, a BYTES
  element being a 4-byte little-endian length followed by its UTF-8 bytes;
- request bodies compressed with ``Content-Encoding: gzip`` or ``deflate`` (tritonclient's
  ``request_compression_algorithm``), inflated up to the same body-size limit.

Every refusal is an ``ApiError``: 400 ``v2_bad_request`` for a bad request (also over the row
limit, as Triton does for a batch over its maximum), 404 for an unknown model or version.
"""

from __future__ import annotations

import json
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import metadata as package_metadata
from typing import Any

import numpy as np
from pydantic import ValidationError

from model import Inference, Network, Problem, RowsError, check_finite, rows_to_matrix
from model import infer as model_infer
from model.store import ModelStore, UnknownVersionError

from .body_limits import over_budget
from .errors import ApiError, error_items
from .model_holder import Snapshot, VersionLoadError, load_snapshot
from .schemas import ErrorDetail
from .v2_schemas import (
    V2InferenceRequest,
    V2InferenceResponse,
    V2ModelMetadata,
    V2RequestInput,
    V2ResponseOutput,
    V2ServerMetadata,
    V2TensorMetadata,
)

SERVER_NAME = "mlp-service"
PLATFORM = "numpy-mlp"
INPUT_NAME = "input"
BINARY_EXTENSION = "binary_tensor_data"
HEADER_LENGTH = "Inference-Header-Content-Length"
CACHED_VERSIONS = 4
MAX_DETAIL = 20
WIRE_DTYPES = {"FP32": np.dtype("<f4"), "FP64": np.dtype("<f8"), "INT64": np.dtype("<i8")}
MODEL_DATATYPES = {"float32": "FP32", "float64": "FP64"}
_DATA_FORMS = ("list[float]", "list[list[float]]")  # pydantic's tags of the two ``data`` forms


def bad_request(message: str, loc: Iterable[str | int] = (), kind: str = "v2") -> ApiError:
    location = list(loc)
    where = ".".join(str(part) for part in location)
    text = f"{where}: {message}" if where else message
    return ApiError(400, text, "v2_bad_request", [ErrorDetail(loc=location, msg=message, type=kind)])


# ---------------------------------------------------------------- server and models
def server_metadata() -> V2ServerMetadata:
    try:
        version = package_metadata.version(SERVER_NAME)
    except package_metadata.PackageNotFoundError:
        version = "unknown"
    return V2ServerMetadata(name=SERVER_NAME, version=version, extensions=[BINARY_EXTENSION])


class VersionCache:
    """Stored versions loaded for ``/versions/<v>`` requests: the last ``size`` used, per process.

    The store is asked on every call, so a pruned version is 404 even while cached; versions
    are immutable, so a cached snapshot never goes stale. The active snapshot is not touched.
    """

    def __init__(self, store: ModelStore, size: int = CACHED_VERSIONS) -> None:
        self._store = store
        self._size = size
        self._lock = threading.Lock()
        self._loaded: OrderedDict[str, Snapshot] = OrderedDict()

    def get(self, version: str) -> Snapshot:
        try:
            info = self._store.get(version)
        except UnknownVersionError:
            raise ApiError(404, "no stored model version with that id", "unknown_version") from None
        with self._lock:
            snapshot = self._loaded.get(version)
            if snapshot is not None:
                self._loaded.move_to_end(version)
                return snapshot
        try:
            snapshot = load_snapshot(info)
        except VersionLoadError as error:
            raise ApiError(409, f"stored {error}", "invalid_version") from None
        with self._lock:
            self._loaded[version] = snapshot
            while len(self._loaded) > self._size:
                self._loaded.popitem(last=False)
        return snapshot


def select_snapshot(
    name: str, version: str | None, model_name: str, active: Callable[[], Snapshot], versions: VersionCache
) -> Snapshot:
    """The snapshot a V2 path names: the active one, or a stored version by id (404 if unknown)."""
    if name != model_name:
        raise ApiError(404, f"unknown model; this server serves one model, '{model_name}'", "unknown_model")
    if version is None:
        return active()
    return versions.get(version)


def input_metadata(net: Network) -> V2TensorMetadata:
    return V2TensorMetadata(
        name=INPUT_NAME, datatype=MODEL_DATATYPES[net.dtype], shape=[-1, len(net.feature_names)]
    )


def output_metadata(net: Network) -> dict[str, V2TensorMetadata]:
    """The model's outputs by name; -1 is the batch dimension."""
    values = MODEL_DATATYPES[net.dtype]
    if net.task == "regression":
        # FP64 whatever the network's dtype: predictions are un-standardized in float64, and
        # FP32 would round them (1154741.2308 -> 1154741.25) away from what /predict answers.
        shape = [-1, net.n_targets] if net.n_targets else [-1]
        return {"predictions": V2TensorMetadata(name="predictions", datatype="FP64", shape=shape)}
    n_classes = len(net.classes)
    predictions = (
        V2TensorMetadata(name="predictions", datatype="INT64", shape=[-1, n_classes])
        if net.multilabel
        else V2TensorMetadata(name="predictions", datatype="BYTES", shape=[-1])
    )
    probabilities = V2TensorMetadata(name="probabilities", datatype=values, shape=[-1, n_classes])
    return {"predictions": predictions, "probabilities": probabilities}


def model_metadata(snapshot: Snapshot, model_name: str, versions: list[str]) -> V2ModelMetadata:
    return V2ModelMetadata(
        name=model_name,
        versions=versions,
        platform=PLATFORM,
        inputs=[input_metadata(snapshot.net)],
        outputs=list(output_metadata(snapshot.net).values()),
    )


# ---------------------------------------------------------------- request bytes
def decode_body(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Inflate a gzip/deflate body (no more than ``limit`` bytes); other bodies pass through."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        return body
    window = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding)
    if window is None:
        raise ApiError(415, "Content-Encoding must be gzip, deflate or identity", "unsupported_encoding")
    inflater = zlib.decompressobj(window)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise bad_request(f"the body is not valid {encoding} data", kind="encoding") from None
    if len(data) > limit:
        raise ApiError(413, "request body is larger than the configured limit once decompressed")
    if not inflater.eof:
        raise bad_request(f"the {encoding} body is truncated", kind="encoding")
    return data


def split_body(body: bytes, header_length: str | None) -> tuple[bytes, memoryview]:
    """(JSON part, binary tail): the whole body is JSON unless the binary extension's header says."""
    if header_length is None:
        return body, memoryview(b"")
    try:
        size = int(header_length)
    except ValueError:
        raise bad_request(f"the {HEADER_LENGTH} header must be an integer", kind="header") from None
    if not 0 < size <= len(body):
        raise bad_request(
            f"the {HEADER_LENGTH} header says {size} bytes of JSON, the body has {len(body)}", kind="header"
        )
    return body[:size], memoryview(body)[size:]


def parse_infer_request(json_part: bytes) -> V2InferenceRequest:
    """Validate the JSON part in one pass; every failure is 400 with locations, never values."""
    try:
        return V2InferenceRequest.model_validate_json(json_part)
    except ValidationError as error:
        raise _schema_error(error) from None


def _schema_error(error: ValidationError) -> ApiError:
    items = _one_data_form(error_items(error))
    detail = [ErrorDetail(loc=list(item["loc"]), msg=item["msg"], type=item["type"]) for item in items]
    if any(item.type == "json_invalid" for item in detail):
        return ApiError(400, "request body is not valid JSON", "v2_bad_request", detail)
    where = ".".join(str(part) for part in detail[0].loc) or "body"
    more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
    return ApiError(400, f"{where}: {detail[0].msg}{more}", "v2_bad_request", detail[:MAX_DETAIL])


def _one_data_form(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep, per input, the errors of the ``data`` form the client used, without pydantic's tags.

    ``data`` is flat or nested; pydantic reports why each form failed. The client meant the
    flat form exactly when the nested form's complaint is that element 0 is not a list.
    """
    other: list[dict[str, Any]] = []
    forms: dict[tuple, dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        loc = tuple(item["loc"])
        tag = next((i for i, part in enumerate(loc) if part in _DATA_FORMS), None)
        if tag is None:
            other.append(item)
            continue
        by_form = forms.setdefault(loc[:tag], {form: [] for form in _DATA_FORMS})
        by_form[loc[tag]].append({**item, "loc": loc[:tag] + loc[tag + 1 :]})
    for prefix, by_form in forms.items():
        flat, nested = by_form[_DATA_FORMS[0]], by_form[_DATA_FORMS[1]]
        flat_meant = any(e["loc"] == (*prefix, 0) and e["type"] == "list_type" for e in nested)
        other += flat if flat_meant else nested
    return other


# ---------------------------------------------------------------- inputs and outputs
def input_matrix(
    request: V2InferenceRequest, tail: memoryview, snapshot: Snapshot, max_rows: int
) -> np.ndarray:
    """The one input tensor as a matrix (n_rows, n_features), from JSON ``data`` or binary bytes.

    The tensor's shape is checked here (V2's own rules); rows and values by the library's rows
    check (``rows_to_matrix``, ``check_finite``), whose problems ``_rows_error`` locates.
    """
    for i, tensor in enumerate(request.inputs):
        if tensor.name != INPUT_NAME:
            raise bad_request(
                f"unknown input name; this model has one input, '{INPUT_NAME}'", ["inputs", i, "name"]
            )
        if i > 0:
            raise bad_request(f"input '{INPUT_NAME}' is given more than once", ["inputs", i])
    tensor = request.inputs[0]
    n_rows = _check_shape(tensor, len(snapshot.feature_index), max_rows)
    binary_size = tensor.parameters.binary_data_size if tensor.parameters else None
    try:
        if binary_size is not None:
            x = _binary_values(tensor, binary_size, tail).reshape(n_rows, -1)  # (n_rows, n_features)
            check_finite(x)
            return x
        x = _json_values(tensor, n_rows, snapshot.net.feature_names)
    except RowsError as error:
        raise _rows_error(error, tensor) from None
    if len(tail):
        raise bad_request(f"{len(tail)} bytes after the JSON belong to no input", kind="binary")
    return x


def _check_shape(tensor: V2RequestInput, n_features: int, max_rows: int) -> int:
    loc = ["inputs", 0, "shape"]
    if len(tensor.shape) != 2 or tensor.shape[1] != n_features:
        raise bad_request(f"must be [batch, {n_features}], got {tensor.shape}", loc, "shape")
    n_rows = tensor.shape[0]
    if not 1 <= n_rows <= max_rows:
        raise bad_request(f"batch must be 1 to {max_rows} rows per request, got {n_rows}", loc, "rows")
    return n_rows


def _json_values(tensor: V2RequestInput, n_rows: int, feature_names: tuple[str, ...]) -> np.ndarray:
    """``data`` as a finite matrix (n_rows, n_features) of the tensor's datatype."""
    loc = ["inputs", 0, "data"]
    data = tensor.data
    if data is None:
        raise bad_request("missing: give data, or binary_data_size with the binary extension", loc, "missing")
    n_features, dtype = tensor.shape[1], WIRE_DTYPES[tensor.datatype]
    if data and isinstance(data[0], list):  # one list per row: the rows check, as for /predict
        if len(data) != n_rows:
            needs = f"shape {tensor.shape} needs {n_rows} rows of {n_features} values"
            raise bad_request(needs, loc, "shape")
        return rows_to_matrix(data, feature_names, dtype=dtype).x
    if len(data) != n_rows * n_features:
        raise bad_request(
            f"shape {tensor.shape} needs {n_rows * n_features} values, got {len(data)}", loc, "shape"
        )
    with np.errstate(over="ignore"):  # a float64 beyond FP32's range becomes inf, refused as not finite
        x = np.asarray(data, dtype=dtype).reshape(n_rows, n_features)
    check_finite(x)
    return x


def _rows_error(error: RowsError, tensor: V2RequestInput) -> ApiError:
    """400 from the library's row problems: nested ``data`` keeps (row, column), flat ``data`` and
    binary tensors name the element's row-major index."""
    n_features = tensor.shape[1]
    nested = bool(tensor.data) and isinstance(tensor.data[0], list)

    def where(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
        flat = not nested and len(loc) == 2
        return ("inputs", 0, "data", *([loc[0] * n_features + loc[1]] if flat else loc))

    located = RowsError([Problem(where(p.loc), p.message, p.kind) for p in error.problems])
    detail = [ErrorDetail(loc=list(p.loc), msg=p.message, type=p.kind) for p in located.problems]
    return ApiError(400, located.summary(), "v2_bad_request", detail)


def _binary_values(tensor: V2RequestInput, size: int, tail: memoryview) -> np.ndarray:
    loc = ["inputs", 0, "parameters", "binary_data_size"]
    if tensor.data is not None:
        raise bad_request("give data or binary_data_size, not both", loc, "binary")
    dtype = WIRE_DTYPES[tensor.datatype]
    expected = tensor.shape[0] * tensor.shape[1] * dtype.itemsize
    if size != expected:
        raise bad_request(
            f"shape {tensor.shape} of {tensor.datatype} needs {expected} bytes, got {size}", loc, "binary"
        )
    if len(tail) != size:
        raise bad_request(
            f"{size} bytes announced, {len(tail)} bytes follow the JSON (is the {HEADER_LENGTH} header set?)",
            loc,
            "binary",
        )
    return np.frombuffer(tail, dtype=dtype)


def requested_outputs(request: V2InferenceRequest, net: Network) -> list[tuple[str, bool]]:
    """(output name, send as binary) in the order asked for; every output when none is asked for."""
    available = output_metadata(net)
    default_binary = request.parameters.binary_data_output if request.parameters else False
    if not request.outputs:
        return [(name, default_binary) for name in available]
    chosen: list[tuple[str, bool]] = []
    for i, output in enumerate(request.outputs):
        loc = ["outputs", i]
        if output.name not in available:
            raise bad_request(f"unknown output name; this model has {sorted(available)}", [*loc, "name"])
        if any(name == output.name for name, _ in chosen):
            raise bad_request("output requested more than once", [*loc, "name"])
        parameters = output.parameters
        if parameters is not None and (parameters.model_extra or {}).get("classification"):
            raise bad_request("the classification extension is not supported", [*loc, "parameters"])
        binary = parameters.binary_data if parameters and parameters.binary_data is not None else None
        chosen.append((output.name, default_binary if binary is None else binary))
    return chosen


def _label_text(label: Any) -> str:
    """A class label as BYTES text: strings as they are, other labels as their JSON (1, true)."""
    return label if isinstance(label, str) else json.dumps(label)


def wire_outputs(result: Inference, snapshot: Snapshot) -> dict[str, np.ndarray]:
    """The library's inference as V2 outputs: labels as BYTES text, 0/1 and values as they are."""
    if result.probabilities is None:
        return {"predictions": result.predictions}  # (n_rows,) or (n_rows, n_targets)
    predictions = result.predictions  # (n_rows, n_labels) 0/1 for multi-label
    if not snapshot.net.multilabel:
        text = {label: _label_text(label) for label in snapshot.card["classes"]}
        predictions = np.array([text[label] for label in predictions.tolist()], dtype=object)  # (n_rows,)
    return {"predictions": predictions, "probabilities": result.probabilities}


# ---------------------------------------------------------------- response bytes
@dataclass(frozen=True)
class InferenceResult:
    body: bytes
    header_length: int | None  # the JSON part's length when binary outputs follow it
    rows: int
    out_of_range_rows: int

    @property
    def content_type(self) -> str:
        return "application/json" if self.header_length is None else "application/octet-stream"


def _bytes_tensor(values: np.ndarray) -> bytes:
    """BYTES elements, row-major, each as a 4-byte little-endian length and its UTF-8 bytes."""
    parts = []
    for text in values.ravel():
        encoded = text.encode()
        parts += (struct.pack("<I", len(encoded)), encoded)
    return b"".join(parts)


def encode_outputs(
    outputs: dict[str, np.ndarray], requested: list[tuple[str, bool]], net: Network
) -> tuple[list[V2ResponseOutput], list[bytes]]:
    """Response outputs in the requested order, and the raw bytes of the binary ones."""
    metadata = output_metadata(net)
    described, raw = [], []
    for name, binary in requested:
        datatype = metadata[name].datatype
        values = outputs[name] if datatype == "BYTES" else outputs[name].astype(WIRE_DTYPES[datatype])
        output = V2ResponseOutput.model_construct(name=name, datatype=datatype, shape=list(values.shape))
        if binary:
            blob = _bytes_tensor(values) if datatype == "BYTES" else values.tobytes()
            output.parameters = {"binary_data_size": len(blob)}
            raw.append(blob)
        else:
            output.data = values.ravel().tolist()
        described.append(output)
    return described, raw


def infer(
    body: bytes, header_length: str | None, snapshot: Snapshot, model_name: str, max_rows: int
) -> InferenceResult:
    """One V2 inference: request bytes (JSON, or JSON + binary tensors) to response bytes."""
    json_part, tail = split_body(body, header_length)
    n_features = len(snapshot.feature_index)
    # Counted before parsing (see body_limits): data flat or one list per row, a few more lists
    # and objects (inputs, shape, parameters, outputs) and a few more commas.
    if over_budget(json_part, max_containers=max_rows + 16, max_commas=max_rows * n_features + 64):
        raise bad_request(f"at most {max_rows} rows of {n_features} values per request", ["inputs"], "rows")
    request = parse_infer_request(json_part)
    x = input_matrix(request, tail, snapshot, max_rows)
    requested = requested_outputs(request, snapshot.net)
    result = model_infer(snapshot.net, x)
    described, raw = encode_outputs(wire_outputs(result, snapshot), requested, snapshot.net)
    response = V2InferenceResponse.model_construct(
        model_name=model_name, model_version=snapshot.version, id=request.id, outputs=described
    )
    header = response.model_dump_json(exclude_none=True).encode()
    return InferenceResult(
        body=b"".join([header, *raw]),
        header_length=len(header) if raw else None,
        rows=len(x),
        out_of_range_rows=result.flagged_rows(),
    )
