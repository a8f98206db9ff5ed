"""The model file: one ``.npz`` of arrays plus a JSON header, never a pickle.

Arrays: ``params`` (the flat parameter vector, see ``dense``), ``x_mean``, ``x_scale``,
``feature_min``, ``feature_max`` (n_features,) and, for regressors, ``y_mean``, ``y_scale``
(n_targets,). ``header`` is the UTF-8 JSON header as a uint8 array. The header holds the
format version, architecture, task, labels, target names (optional: older files
have none), feature names, training configuration and
history, metrics, library version, created-at, and a SHA-256 checksum over every array and
the rest of the header, so any change to the file is detected.

``load`` reads with ``allow_pickle=False`` and validates everything before returning a
``Network``; every failure is an ``ArtifactError`` naming what is wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from datetime import UTC, datetime
from typing import Any, BinaryIO

import numpy as np

from .activations import ACTIVATIONS
from .dense import Parameters
from .errors import ArtifactError, NotFittedError
from .losses import OUTPUT_LOSSES
from .preprocessing import Scaler, label_list
from .training import History, TrainingConfig

FORMAT = "mlp-service.network"
FORMAT_VERSION = 1
LIBRARY_VERSION = "0.1.0"


def describe(net: Any) -> dict[str, Any]:
    """The JSON header of ``net`` without checksum (also the model's card)."""
    if not net.is_fitted:
        raise NotFittedError("this Network is not trained yet: call fit first")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": LIBRARY_VERSION,
        "created_at": net.created_at,
        "task": net.task,
        "multilabel": net.multilabel,
        "n_targets": net.n_targets,
        "target_names": None if net.target_names is None else list(net.target_names),
        "classes": None if net.classes is None else label_list(net.classes),
        "feature_names": list(net.feature_names),
        "feature_ranges": {
            "min": net.feature_min.tolist(),
            "max": net.feature_max.tolist(),
        },
        "architecture": {
            "layer_sizes": list(net.params.sizes),
            "hidden": list(net.hidden),
            "activation": net.activation,
            "output_loss": net.output_loss,
            "init": net.init,
            "dtype": net.dtype,
            "n_parameters": int(net.params.flat.size),
        },
        "training": {
            "seed": net.seed,
            "n_samples": net.n_train_samples,
            "config": None if net.training_config is None else vars(net.training_config).copy(),
            "history": None if net.history is None else net.history.as_dict(),
        },
        "metrics": {"validation": net.validation_metrics},
    }


def _arrays(net: Any) -> dict[str, np.ndarray]:
    arrays = {
        "params": net.params.flat,
        "x_mean": net.x_scaler.mean,
        "x_scale": net.x_scaler.scale,
        "feature_min": net.feature_min,
        "feature_max": net.feature_max,
    }
    if net.y_scaler is not None:
        arrays |= {"y_mean": net.y_scaler.mean, "y_scale": net.y_scaler.scale}
    return arrays


def _checksum(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.tobytes())
    digest.update(json.dumps(header, sort_keys=True).encode())
    return digest.hexdigest()


def save(net: Any, path: str | os.PathLike | BinaryIO) -> None:
    """Write ``net`` to ``path`` (a .npz file, or a binary file object). Refuses non-finite
    parameters."""
    if not net.is_fitted:
        raise NotFittedError("this Network is not trained yet: call fit first")
    if not np.isfinite(net.params.flat).all():
        raise ArtifactError("refusing to save: the parameters are not all finite")
    net.created_at = net.created_at or datetime.now(UTC).isoformat(timespec="seconds")
    header = describe(net)
    arrays = _arrays(net)
    header["checksum"] = {"algorithm": "sha256", "value": _checksum(arrays, header)}
    header_bytes = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    if hasattr(path, "write"):  # a binary file object
        np.savez(path, header=header_bytes, **arrays)
        return
    with open(path, "wb") as handle:
        np.savez(handle, header=header_bytes, **arrays)


def load(path: str | os.PathLike) -> Any:
    """Read and validate a model file; return the ``Network``. Raises ``ArtifactError``."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        # No path in the message: services pass it on; the caller knows which file it asked for.
        raise ArtifactError(f"cannot read model file: {error.strerror}") from None
    return loads(raw)


def loads(raw: bytes) -> Any:
    """``load`` from the bytes of a model file."""
    arrays, header = _read_npz(raw)
    stored = header.pop("checksum", None)
    if not isinstance(stored, dict) or stored.get("algorithm") != "sha256":
        raise ArtifactError("model file has no sha256 checksum in its header")
    if _checksum({k: v for k, v in arrays.items() if k != "header"}, header) != stored.get("value"):
        raise ArtifactError("model file checksum mismatch: the file was modified or corrupted")
    try:
        return _build(arrays, header)
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
    if header.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"unsupported model format version {header.get('format_version')!r} "
            f"(this library reads {FORMAT_VERSION})"
        )
    for name, array in arrays.items():
        if name != "header" and (array.dtype.kind != "f" or not np.isfinite(array).all()):
            raise ArtifactError(f"model file array {name!r} is not all finite floats")
    return arrays, header


def _build(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> Any:
    from .network import Network

    arch = header["architecture"]
    if arch["activation"] not in ACTIVATIONS or arch["output_loss"] not in OUTPUT_LOSSES:
        raise ArtifactError(
            f"model file names unknown functions: {arch['activation']}, {arch['output_loss']}"
        )
    training = header["training"]
    net = Network(
        arch["hidden"],
        arch["activation"],
        header["task"],
        init=arch["init"],
        dtype=arch["dtype"],
        seed=training["seed"],
    )
    sizes = tuple(int(s) for s in arch["layer_sizes"])
    if sizes[1:-1] != net.hidden or arrays["params"].dtype != np.dtype(net.dtype):
        raise ArtifactError("model file architecture disagrees with its parameters")
    try:
        net.params = Parameters(sizes, arrays["params"])
    except ValueError as error:
        raise ArtifactError(f"model file parameters do not fit the architecture: {error}") from None
    n_features = sizes[0]
    net.feature_names = tuple(header["feature_names"])
    for name in ("x_mean", "x_scale", "feature_min", "feature_max"):
        if arrays[name].shape != (n_features,):
            raise ArtifactError(f"model file array {name!r} must have shape ({n_features},)")
    if len(net.feature_names) != n_features or (arrays["x_scale"] <= 0).any():
        raise ArtifactError("model file feature names or scales are invalid")
    net.x_scaler = Scaler(arrays["x_mean"], arrays["x_scale"])
    net.feature_min, net.feature_max = arrays["feature_min"], arrays["feature_max"]
    net.output_loss, net.multilabel, net.n_targets = (
        arch["output_loss"],
        header["multilabel"],
        header["n_targets"],
    )
    if header["classes"] is not None:
        net.classes = np.array(header["classes"])
    # Optional (added after format 1 was first written): files without it load as unnamed.
    names = header.get("target_names")
    net.target_names = None if names is None else tuple(str(name) for name in names)
    if net.task == "regression":
        net.y_scaler = Scaler(arrays["y_mean"], arrays["y_scale"])
    if net._n_outputs != sizes[-1]:
        raise ArtifactError("model file output size disagrees with its classes or targets")
    net.n_train_samples = training["n_samples"]
    if training["config"] is not None:
        net.training_config = TrainingConfig(**training["config"])
    if training["history"] is not None:
        history = training["history"]
        from .training import EpochRecord

        net.history = History(
            history["metric_name"], [EpochRecord(**e) for e in history["epochs"]],
            history["best_epoch"], history["stop_reason"],
        )  # fmt: skip
    net.validation_metrics = header["metrics"]["validation"]
    net.created_at = header["created_at"]
    return net
