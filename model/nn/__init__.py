"""The network library: a feed-forward neural network written from scratch in NumPy.

Everything here is pure NumPy and imports nothing outside ``model/nn/``: layers (``dense``,
``backprop``), ``activations``, ``losses``, ``initializers``, ``optimizers``, ``schedules``, the
training loop (``training``), preprocessing and validation, rows to a matrix (``rows``), any
table to raw values (``tables``), the feature schema and its encoder (``features``, over
``columns``),
inference (``inference``), ``metrics``, the estimator (``network``), what a fitted network
holds (``state``) and its file format (``artifact``). The application around it (datasets, the
training pipeline, the model store, the CLI, the report) lives one level up, in ``model/``.
"""


from .activations import ACTIVATIONS
from .artifact import FORMAT_VERSION
from .errors import (
    ArtifactError,
    InvalidConfigError,
    InvalidInputError,
    ModelError,
    NotFittedError,
    Problem,
    RowsError,
)
from .features import FEATURE_TYPES, MAX_CATEGORIES, MISSING_TOKENS, Encoded, FeatureSchema
from .inference import FLAG_KINDS, Inference, infer
from .initializers import INITIALIZERS
from .losses import OUTPUT_LOSSES
from .network import Network, load, loads
from .optimizers import OPTIMIZERS
from .options import NetworkConfig
from .preprocessing import MAX_AUTO_CLASSES, infer_task
from .rows import RowMatrix, check_finite, rows_to_matrix, too_many_rows
from .schedules import SCHEDULES
from .tables import as_table
from .training import EpochRecord, History, TrainingConfig, TrainingDivergedError

__all__ = [
    "ACTIVATIONS",
    "FEATURE_TYPES",
    "FLAG_KINDS",
    "FORMAT_VERSION",
    "INITIALIZERS",
    "MAX_AUTO_CLASSES",
    "MAX_CATEGORIES",
    "MISSING_TOKENS",
    "OPTIMIZERS",
    "OUTPUT_LOSSES",
    "SCHEDULES",
    "ArtifactError",
    "Encoded",
    "EpochRecord",
    "FeatureSchema",
    "History",
    "Inference",
    "InvalidConfigError",
    "InvalidInputError",
    "ModelError",
    "Network",
    "NetworkConfig",
    "NotFittedError",
    "Problem",
    "RowMatrix",
    "RowsError",
    "TrainingConfig",
    "TrainingDivergedError",
    "as_table",
    "check_finite",
    "infer",
    "infer_task",
    "load",
    "loads",
    "rows_to_matrix",
    "too_many_rows",
]
