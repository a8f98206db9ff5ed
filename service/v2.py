"""The Open Inference Protocol (V2) without Flask: metadata, request parsing, inference, encoding.

The V2 routes are a second front door to the same core as ``/predict``: the same model
snapshots, the same strict number validation, the same row limit, the library's rows check
(``rows_to_matrix``) and inference (``infer``). What is V2-specific lives here:

- the model is named ``Settings.model_name`` ("mlp"); its inputs are one tensor per feature,
  named after it (BYTES for categorical features), or, for a model of numeric features, the
  one tensor ``input``, FP32 or FP64, shape ``[batch, n_features]`` (``v2_inputs``);
- its outputs are ``predictions`` (BYTES labels; INT64 0/1 for multi-label; FP64 values for
  regressors, as ``/predict`` gives them) and, for classifiers, ``probabilities``
  (``[batch, n_classes]``);
- Triton's binary tensor data extension: the ``Inference-Header-Content-Length`` header gives
  the length of the JSON part of the body, inputs with ``parameters.binary_data_size`` are read
  in order from the bytes after it (little-endian, row-major; ``v2_inputs``), and outputs asked for with
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
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata as package_metadata
from typing import Any

import numpy as np
from pydantic import ValidationError

from model import Inference, Network, RowsError
from model import infer as model_infer
from model.store import ModelStore, UnknownVersionError

from .body_limits import over_budget
from .errors import ApiError, error_items
from .model_holder import Snapshot, VersionLoadError, load_snapshot
from .schemas import ErrorDetail
from .v2_inputs import HEADER_LENGTH, INPUT_NAME, WIRE_DTYPES, bad_request, input_values
from .v2_schemas import (
    INPUT_DATATYPES,
    TAG_ERRORS,
    V2InferenceRequest,
    V2InferenceResponse,
    V2ModelMetadata,
    V2ResponseOutput,
    V2ServerMetadata,
    V2TensorMetadata,
)

SERVER_NAME = "mlp-service"
PLATFORM = "numpy-mlp"
BINARY_EXTENSION = "binary_tensor_data"
CACHED_VERSIONS = 4
MAX_DETAIL = 20
MODEL_DATATYPES = {"float32": "FP32", "float64": "FP64"}


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


def input_metadata(snapshot: Snapshot) -> list[V2TensorMetadata]:
    """``input`` for a model of numeric features; one input per feature for any other."""
    net = snapshot.net
    values = MODEL_DATATYPES[net.dtype]
    if snapshot.all_numeric:
        return [V2TensorMetadata(name=INPUT_NAME, datatype=values, shape=[-1, len(net.feature_names)])]
    return [
        V2TensorMetadata(name=name, datatype=values if numeric else "BYTES", shape=[-1])
        for name, numeric in zip(net.feature_names, snapshot.numeric, strict=True)
    ]


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
        inputs=input_metadata(snapshot),
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
    items = [_untagged(item) for item in error_items(error)]
    items = _one_data_form(items)
    detail = [ErrorDetail(loc=list(item["loc"]), msg=item["msg"], type=item["type"]) for item in items]
    if any(item.type == "json_invalid" for item in detail):
        return ApiError(400, "request body is not valid JSON", "v2_bad_request", detail)
    where = ".".join(str(part) for part in detail[0].loc) or "body"
    more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
    return ApiError(400, f"{where}: {detail[0].msg}{more}", "v2_bad_request", detail[:MAX_DETAIL])


def _untagged(item: dict[str, Any]) -> dict[str, Any]:
    """An error without the datatype pydantic chose the input's model by (``inputs.0.FP32.data``),
    and a datatype no model has located at ``datatype``."""
    loc = tuple(item["loc"])
    if item["type"] in TAG_ERRORS:
        required = item["type"] == "union_tag_not_found"
        message = "Field required" if required else f"must be one of {', '.join(INPUT_DATATYPES)}"
        return {**item, "loc": (*loc, "datatype"), "msg": message}
    if len(loc) > 2 and loc[0] == "inputs" and loc[2] in INPUT_DATATYPES:
        return {**item, "loc": loc[:2] + loc[3:]}
    return item


def _one_data_form(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep, per input, the errors of the ``data`` form the client used, without pydantic's tags.

    ``data`` is flat or nested; pydantic reports why each form failed, under a tag naming the
    form's type (``list[nullable[float]]``, ``list[list[nullable[float]]]``). The client meant
    the flat form exactly when the nested form's complaint is that element 0 is not a list.
    """
    other: list[dict[str, Any]] = []
    forms: dict[tuple, dict[str, list[dict[str, Any]]]] = {}
    for item in items:
        loc = tuple(item["loc"])
        tags = [i for i, part in enumerate(loc) if isinstance(part, str) and part.startswith("list[")]
        tag = tags[0] if tags else None
        if tag is None:
            other.append(item)
            continue
        nested = loc[tag].startswith("list[list[")
        by_form = forms.setdefault(loc[:tag], {"flat": [], "nested": []})
        by_form["nested" if nested else "flat"].append({**item, "loc": loc[:tag] + loc[tag + 1 :]})
    for prefix, by_form in forms.items():
        flat, nested = by_form["flat"], by_form["nested"]
        flat_meant = any(e["loc"] == (*prefix, 0) and e["type"] == "list_type" for e in nested)
        other += flat if flat_meant else nested
    return other


# ---------------------------------------------------------------- inputs and outputs
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
    inference: Inference  # for the metrics

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
    # Counted before parsing (see body_limits): one tensor's data flat or one list per row, or a
    # tensor per feature (nested: one list per value), a few more lists and objects per input
    # (the input, shape, parameters) and outputs, and a few more commas per input.
    values = max_rows * n_features
    if over_budget(
        json_part, max_containers=values + 4 * n_features + 16, max_commas=values + 8 * n_features + 64
    ):
        raise bad_request(f"at most {max_rows} rows of {n_features} values per request", ["inputs"], "rows")
    request = parse_infer_request(json_part)
    inputs = input_values(request, tail, snapshot, max_rows)
    requested = requested_outputs(request, snapshot.net)
    try:
        result = model_infer(snapshot.net, inputs.x)
    except RowsError as error:
        raise inputs.rows_error(error) from None
    described, raw = encode_outputs(wire_outputs(result, snapshot), requested, snapshot.net)
    response = V2InferenceResponse.model_construct(
        model_name=model_name, model_version=snapshot.version, id=request.id, outputs=described
    )
    header = response.model_dump_json(exclude_none=True).encode()
    return InferenceResult(
        body=b"".join([header, *raw]), header_length=len(header) if raw else None, inference=result
    )
