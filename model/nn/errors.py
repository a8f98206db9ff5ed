"""Exceptions raised by the network library.

Every error a caller can cause is a ``ValueError`` subclass whose message states the rule and
the value seen, so callers (the training script, the service) can catch one family and show
the message as it is.
"""

from __future__ import annotations


class ModelError(ValueError):
    """Base class of the library's errors."""


class InvalidInputError(ModelError):
    """Data given to ``fit``/``predict`` breaks a rule (shape, finiteness, labels...)."""


class InvalidConfigError(ModelError):
    """A hyperparameter is out of its domain (unknown name, non-positive size or rate...).

    ``field`` names the option (or setting) at fault, when there is one, so a caller can point
    at it (the service's 422 ``loc``) without reading the message.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFittedError(ModelError):
    """``predict`` or ``save`` was called on a network that was never trained."""


class ArtifactError(ModelError):
    """A model file is unreadable, truncated, tampered with, pickled or of an unknown format."""
