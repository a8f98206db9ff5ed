"""The model file: one ``.npz`` of arrays plus a JSON header, never a pickle.

A file holds a network's ``Hyperparameters`` and ``NetworkState`` (``state``); this module writes
and reads those two values and knows nothing of ``Network`` itself (``network.load`` rebuilds one
from what ``read`` returns).

Arrays: ``params`` (the flat parameter vector, see ``dense``), ``x_mean``, ``x_scale``
(n_inputs,) and, for regressors, ``y_mean``, ``y_scale`` (n_targets,). ``header`` is the
UTF-8 JSON header as a uint8 array. The header holds the format version, architecture, task,
labels, target names (optional: older files have none), feature names, the feature schema
(``schema``: each feature's type, range or categories, median, missing share; see
``features.FeatureSchema.as_dict``), the feature ranges (derived from the schema, for
readers of the card), training configuration and history, metrics, library version,
created-at, and a SHA-256 checksum over every array and the rest of the header, so any change
to the file is detected.

Format 2 added the schema. Format 1 files (numeric features only, ranges in the arrays
``feature_min``/``feature_max``) still load: their schema is all numeric, without missing
values, and the training mean stands in for the median they did not record.

``read`` opens with ``allow_pickle=False`` and validates the file before returning; every
failure is an ``ArtifactError`` naming what is wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from typing import Any, BinaryIO

import numpy as np

from .dense import Parameters
from .errors import ArtifactError
from .features import FeatureSchema
from .preprocessing import Scaler, label_list
from .state import Hyperparameters, NetworkState
from .training import EpochRecord, History, TrainingConfig

FORMAT = "mlp-service.network"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
LIBRARY_VERSION = "0.1.0"


def describe(hyperparameters: Hyperparameters, state: NetworkState) -> dict[str, Any]:
    """The JSON header of a fitted network without checksum (also the model's card)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": LIBRARY_VERSION,
        "created_at": state.created_at,
        "task": state.task,
        "multilabel": state.multilabel,
        "n_targets": state.n_targets,
        "target_names": None if state.target_names is None else list(state.target_names),
        "classes": None if state.classes is None else label_list(state.classes),
        "feature_names": list(state.feature_names),
        "schema": state.schema.as_dict(),
        "feature_ranges": {
            "min": [None if np.isnan(v) else v for v in state.schema.feature_min.tolist()],
            "max": [None if np.isnan(v) else v for v in state.schema.feature_max.tolist()],
        },
        "architecture": {
            "layer_sizes": list(state.params.sizes),
            "hidden": list(hyperparameters.hidden),
            "activation": hyperparameters.activation,
            "output_loss": state.output_loss,
            "init": hyperparameters.init,
            "dtype": hyperparameters.dtype,
            "n_parameters": int(state.params.flat.size),
        },
        "training": {
            "seed": hyperparameters.seed,
            "n_samples": state.n_train_samples,
            "config": None if state.training_config is None else vars(state.training_config).copy(),
            "history": None if state.history is None else state.history.as_dict(),
        },
        "metrics": {"validation": state.validation_metrics},
    }


def _arrays(state: NetworkState) -> dict[str, np.ndarray]:
    arrays = {
        "params": state.params.flat,
        "x_mean": state.x_scaler.mean,
        "x_scale": state.x_scaler.scale,
    }
    if state.y_scaler is not None:
        arrays |= {"y_mean": state.y_scaler.mean, "y_scale": state.y_scaler.scale}
    return arrays


def _checksum(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    digest.update(json.dumps(header, sort_keys=True).encode())
    return digest.hexdigest()


def save(
    hyperparameters: Hyperparameters, state: NetworkState, path: str | os.PathLike | BinaryIO
) -> None:
    """Write a fitted network to ``path`` (a .npz file, or a binary file object). Refuses
    non-finite parameters."""
    if not np.isfinite(state.params.flat).all():
        raise ArtifactError("refusing to save: the parameters are not all finite")
    header = describe(hyperparameters, state)
    arrays = _arrays(state)
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(arrays, header)}
    header_bytes = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    if hasattr(path, "write"):  # a binary file object
        np.savez(path, header=header_bytes, **arrays)
        return
    with open(path, "wb") as handle:
        np.savez(handle, header=header_bytes, **arrays)


def read(path: str | os.PathLike) -> tuple[Hyperparameters, NetworkState]:
    """Read and validate a model file. Raises ``ArtifactError``."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        # No path in the message: services pass it on; the caller knows which file it asked for.
        raise ArtifactError(f"cannot read model file: {error.strerror}") from None
    return reads(raw)


def reads(raw: bytes) -> tuple[Hyperparameters, NetworkState]:
    """``read`` from the bytes of a model file."""
    arrays, header = _read_npz(raw)
    stored = header.pop("checksum", None)
    if not isinstance(stored, dict) or stored.get("algorithm") != "sha256":
        raise ArtifactError("model file has no sha256 checksum in its header")
    if _checksum({k: v for k, v in arrays.items() if k != "header"}, header) != stored.get("value"):
        raise ArtifactError("model file checksum mismatch: the file was modified or corrupted")
    try:
        return _hyperparameters(header), _state(arrays, header)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, ArtifactError):
            raise
        raise ArtifactError(f"model file header is inconsistent: {error!r}") from None


def _read_npz(raw: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ArtifactError(f"not a valid model file (npz without pickle): {error}") from None
    if not all(isinstance(array, np.ndarray) for array in arrays.values()):
        raise ArtifactError("not a valid model file: it holds entries that are not arrays")
    if "header" not in arrays:
        raise ArtifactError("model file has no header")
    try:
        header = json.loads(arrays["header"].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"model file header is not JSON: {error}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArtifactError(f"not a {FORMAT} file")
    if header.get("format_version") not in READABLE_VERSIONS:
        raise ArtifactError(
            f"unsupported model format version {header.get('format_version')!r} "
            f"(this library reads {', '.join(map(str, READABLE_VERSIONS))})"
        )
    for name, array in arrays.items():
        if name != "header" and (array.dtype.kind != "f" or not np.isfinite(array).all()):
            raise ArtifactError(f"model file array {name!r} is not all finite floats")
    return arrays, header


def _hyperparameters(header: dict[str, Any]) -> Hyperparameters:
    arch = header["architecture"]
    hidden = tuple(int(width) for width in arch["hidden"])
    seed = header["training"]["seed"]
    return Hyperparameters(hidden, arch["activation"], arch["init"], arch["dtype"], seed)


def _state(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> NetworkState:
    """The state the header and arrays describe; ``state.check`` judges whether it is whole."""
    arch, training = header["architecture"], header["training"]
    try:
        params = Parameters(tuple(int(s) for s in arch["layer_sizes"]), arrays["params"])
    except ValueError as error:
        raise ArtifactError(f"model file parameters do not fit the architecture: {error}") from None
    names = header.get("target_names")  # optional (added after format 1 was first written)
    return NetworkState(
        task=header["task"],
        params=params,
        output_loss=arch["output_loss"],
        multilabel=header["multilabel"],
        classes=None if header["classes"] is None else np.array(header["classes"]),
        n_targets=header["n_targets"],
        target_names=None if names is None else tuple(str(name) for name in names),
        feature_names=tuple(header["feature_names"]),
        schema=_schema(arrays, header),
        x_scaler=Scaler(arrays["x_mean"], arrays["x_scale"]),
        y_scaler=Scaler(arrays["y_mean"], arrays["y_scale"]) if "y_mean" in arrays else None,
        n_train_samples=training["n_samples"],
        history=None if training["history"] is None else _history(training["history"]),
        training_config=None if training["config"] is None else TrainingConfig(**training["config"]),
        validation_metrics=header["metrics"]["validation"],
        created_at=header["created_at"],
    )


def _schema(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> FeatureSchema:
    """The header's schema; format 1: all numeric, from the stored ranges (the training mean
    stands in for the median, which format 1 did not record)."""
    if header["format_version"] >= 2:
        return FeatureSchema.from_dict(header["schema"])
    names = tuple(header["feature_names"])
    return FeatureSchema.numeric(names, arrays["feature_min"], arrays["feature_max"], arrays["x_mean"])


def _history(record: dict[str, Any]) -> History:
    """The inverse of ``History.as_dict``."""
    epochs = [EpochRecord(**epoch) for epoch in record["epochs"]]
    return History(record["metric_name"], epochs, record["best_epoch"], record["stop_reason"])
