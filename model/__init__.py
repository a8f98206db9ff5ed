"""A feed-forward neural network written from scratch in NumPy.

from model import Network, load
net = Network(hidden=(100,), activation="relu", seed=0)
history = net.fit(X, y, epochs=50, batch_size=200, learning_rate=1e-3)
net.predict(X); net.predict_proba(X)
net.save("m.npz"); same = load("m.npz")
"""

from .activations import ACTIVATIONS
from .artifact import FORMAT_VERSION, load, loads
from .errors import (
    ArtifactError,
    InvalidConfigError,
    InvalidInputError,
    ModelError,
    NotFittedError,
)
from .initializers import INITIALIZERS
from .losses import OUTPUT_LOSSES
from .network import Network
from .optimizers import OPTIMIZERS
from .preprocessing import MAX_AUTO_CLASSES, infer_task
from .schedules import SCHEDULES
from .training import EpochRecord, History, TrainingConfig, TrainingDivergedError

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
    "InvalidConfigError",
    "InvalidInputError",
    "ModelError",
    "Network",
    "NotFittedError",
    "TrainingConfig",
    "TrainingDivergedError",
    "infer_task",
    "load",
    "loads",
]
