"""Optimizers that update a flat parameter buffer in place, registered by name.

Each optimizer keeps its state in arrays shaped like the flat parameter buffer and updates
it with whole-array NumPy operations (a few passes over memory per step, no per-layer loop).

Every optimizer is built the same way, ``cls.create(n_params, dtype, momentum, nesterov)``, so
``make_optimizer`` needs nothing but the registry ``OPTIMIZERS`` (a new optimizer is one entry).

- ``sgd``: v <- mu v + g; p <- p - lr (g + mu v) with Nesterov, else p <- p - lr v
  (PyTorch's formulation; mu = 0 is plain SGD).
- ``adam``: m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
  p <- p - lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t),
  v_hat = v / (1 - b2^t), computed in the equivalent folded form
  p <- p - lr_t * m / (sqrt(v) + eps_t), lr_t = lr sqrt(1 - b2^t) / (1 - b1^t),
  eps_t = eps sqrt(1 - b2^t), which saves two passes.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from .errors import InvalidConfigError


class Optimizer(Protocol):
    @classmethod
    def create(cls, n_params: int, dtype: np.dtype, momentum: float, nesterov: bool) -> Optimizer:
        """A fresh optimizer for ``n_params`` parameters, from the training settings it uses."""
        ...

    def step(self, params: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        """Update ``params`` in place from ``grad`` (both shape (n_params,))."""
        ...


class SGD:
    def __init__(self, n_params: int, dtype: np.dtype, momentum: float = 0.9, nesterov: bool = False) -> None:
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros(n_params, dtype) if momentum > 0 else None
        self._scratch = np.empty(n_params, dtype)

    @classmethod
    def create(cls, n_params: int, dtype: np.dtype, momentum: float, nesterov: bool) -> SGD:
        return cls(n_params, dtype, momentum=momentum, nesterov=nesterov)

    def step(self, params: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        if self.velocity is None:
            np.multiply(grad, learning_rate, out=self._scratch)
        else:
            self.velocity *= self.momentum
            self.velocity += grad
            if self.nesterov:
                np.multiply(self.velocity, self.momentum, out=self._scratch)
                self._scratch += grad
                self._scratch *= learning_rate
            else:
                np.multiply(self.velocity, learning_rate, out=self._scratch)
        params -= self._scratch


class Adam:
    def __init__(
        self, n_params: int, dtype: np.dtype, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0
        self.m = np.zeros(n_params, dtype)
        self.v = np.zeros(n_params, dtype)
        self._scratch = np.empty(n_params, dtype)

    @classmethod
    def create(cls, n_params: int, dtype: np.dtype, momentum: float, nesterov: bool) -> Adam:
        """Adam keeps its default betas; ``momentum`` and ``nesterov`` are SGD's settings."""
        return cls(n_params, dtype)

    def step(self, params: np.ndarray, grad: np.ndarray, learning_rate: float) -> None:
        self.t += 1
        b1, b2, s = self.beta1, self.beta2, self._scratch
        correction2 = math.sqrt(1 - b2**self.t)
        lr_t = learning_rate * correction2 / (1 - b1**self.t)
        # m += (1 - b1) (g - m); v += (1 - b2) (g^2 - v): 3 + 4 passes
        np.subtract(grad, self.m, out=s)
        s *= 1 - b1
        self.m += s
        np.multiply(grad, grad, out=s)
        s -= self.v
        s *= 1 - b2
        self.v += s
        # p -= lr_t m / (sqrt(v) + eps_t)
        np.sqrt(self.v, out=s)
        s += self.eps * correction2
        np.divide(self.m, s, out=s)
        s *= lr_t
        params -= s


OPTIMIZERS: dict[str, type[Optimizer]] = {"sgd": SGD, "adam": Adam}


def make_optimizer(
    name: str, n_params: int, dtype: np.dtype, momentum: float = 0.9, nesterov: bool = False
) -> Optimizer:
    """The optimizer registered as ``name`` with state for ``n_params`` parameters."""
    if name not in OPTIMIZERS:
        raise InvalidConfigError(f"optimizer must be one of {sorted(OPTIMIZERS)}, got {name!r}")
    return OPTIMIZERS[name].create(n_params, dtype, momentum, nesterov)
