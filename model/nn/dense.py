"""The parameters of a stack of dense layers, kept in one flat buffer.

All weights come first, then all biases, in one contiguous array ``flat``; ``weights[i]``
(shape ``(sizes[i], sizes[i + 1])``) and ``biases[i]`` (shape ``(sizes[i + 1],)``) are views
into it. One buffer lets the optimizer update every parameter with a handful of whole-array
operations per step instead of a loop over layers, and L2 touch ``flat[:n_weights]`` at once.
Samples are rows: ``z = a_prev @ W + b``.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from .activations import Activation
from .initializers import Initializer


class Parameters:
    """Weights and biases of a dense stack with layer sizes ``(n_in, h_1, ..., n_out)``."""

    def __init__(self, sizes: tuple[int, ...], flat: np.ndarray) -> None:
        n_weights = sum(a * b for a, b in pairwise(sizes))
        n_total = n_weights + sum(sizes[1:])
        if flat.shape != (n_total,):
            raise ValueError(f"flat parameters must have shape ({n_total},), got {flat.shape}")
        self.sizes = sizes
        self.flat = flat
        self.n_weights = n_weights
        self.weights, self.biases = split(flat, sizes)

    @classmethod
    def initialize(
        cls, sizes: tuple[int, ...], init: Initializer, rng: np.random.Generator, dtype: np.dtype
    ) -> Parameters:
        """Draw every layer's parameters from ``init`` (in float64, then cast)."""
        drawn = [init(rng, fan_in, fan_out) for fan_in, fan_out in pairwise(sizes)]
        flat = np.concatenate([w.ravel() for w, _ in drawn] + [b for _, b in drawn]).astype(dtype)
        return cls(sizes, flat)

    def copy(self, dtype: np.dtype | None = None) -> Parameters:
        return Parameters(self.sizes, self.flat.astype(dtype or self.flat.dtype, copy=True))

    @property
    def dtype(self) -> np.dtype:
        return self.flat.dtype


def split(flat: np.ndarray, sizes: tuple[int, ...]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Views of ``flat`` as per-layer weights (fan_in, fan_out) and biases (fan_out,)."""
    weights, biases, start = [], [], 0
    for fan_in, fan_out in pairwise(sizes):
        weights.append(flat[start : start + fan_in * fan_out].reshape(fan_in, fan_out))
        start += fan_in * fan_out
    for fan_out in sizes[1:]:
        biases.append(flat[start : start + fan_out])
        start += fan_out
    return weights, biases


def forward(params: Parameters, activation: Activation, x: np.ndarray) -> np.ndarray:
    """Logits of the output layer for ``x`` (n_samples, n_in) -> (n_samples, n_out).

    Allocates its own arrays and writes nothing to ``params``: safe for concurrent callers.
    """
    a = x
    last = len(params.weights) - 1
    for i, (w, b) in enumerate(zip(params.weights, params.biases, strict=True)):
        z = a @ w  # (n_samples, sizes[i + 1])
        z += b
        a = z if i == last else activation.forward(z, z)
    return a
