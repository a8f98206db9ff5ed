"""A feed-forward neural network written from scratch in NumPy, and the application around it.

from model import Network, load
net = Network(hidden=(100,), activation="relu", seed=0)
history = net.fit(X, y, epochs=50, batch_size=200, learning_rate=1e-3)
net.predict(X); net.predict_proba(X)
net.save("m.npz"); same = load("m.npz")

Layout: ``model/nn/`` is the network library (NumPy only; it imports nothing from the rest of
``model/``); this package re-exports its public names. The application modules beside it use
the library: ``datasets`` (CSV and bundled data), ``pipeline`` (a training run: options,
splits, report, publication), ``store`` (versioned model store), ``cli`` (``mlp-train``) and
``report`` (the standalone HTML report).
"""

from .nn import (
    ACTIVATIONS,
    FORMAT_VERSION,
    INITIALIZERS,
    MAX_AUTO_CLASSES,
    OPTIMIZERS,
    OUTPUT_LOSSES,
    SCHEDULES,
    ArtifactError,
    EpochRecord,
    History,
    Inference,
    InvalidConfigError,
    InvalidInputError,
    ModelError,
    Network,
    NotFittedError,
    Problem,
    RowMatrix,
    RowsError,
    TrainingConfig,
    TrainingDivergedError,
    check_finite,
    infer,
    infer_task,
    load,
    loads,
    rows_to_matrix,
    too_many_rows,
)

__all__ = [
    "ACTIVATIONS",
    "FORMAT_VERSION",
    "INITIALIZERS",
    "MAX_AUTO_CLASSES",
    "OPTIMIZERS",
    "OUTPUT_LOSSES",
    "SCHEDULES",
    "ArtifactError",
    "EpochRecord",
    "History",
    "Inference",
    "InvalidConfigError",
    "InvalidInputError",
    "ModelError",
    "Network",
    "NotFittedError",
    "Problem",
    "RowMatrix",
    "RowsError",
    "TrainingConfig",
    "TrainingDivergedError",
    "check_finite",
    "infer",
    "infer_task",
    "load",
    "loads",
    "rows_to_matrix",
    "too_many_rows",
]
