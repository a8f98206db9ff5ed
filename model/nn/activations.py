"""Hidden-layer activations: pure functions on arrays, registered by name.

Each activation is a pair written side by side: ``forward(z, out)`` computes ``a = f(z)``
into ``out`` (which may be ``z`` itself), and ``backward(da, z, a)`` turns the gradient with
respect to ``a`` into the gradient with respect to ``z`` *in place* (``da`` becomes ``dz``).
All arrays have shape ``(n_samples, n_units)``. ``needs_input`` tells the caller whether
``backward`` reads ``z``; when it does not, the forward pass may overwrite ``z`` with ``a``
and keep one buffer per layer instead of two.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]
Backward = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

LEAKY_SLOPE = 0.01
_GELU_C = np.sqrt(2.0 / np.pi)


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Forward
    backward: Backward
    needs_input: bool


def _identity_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    if out is not z:
        np.copyto(out, z)
    return out


def _identity_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return da  # f'(z) = 1


def _relu_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0, out=out)


def _relu_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # f'(z) = 1 where z > 0, which is where a > 0: a suffices.
    return np.multiply(da, a > 0, out=da)


def _leaky_relu_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # max(z, slope * z) is z for z >= 0 and slope * z below, for 0 < slope < 1.
    return np.maximum(z, LEAKY_SLOPE * z, out=out)


def _leaky_relu_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    # a has the sign of z, so the slope can be read off a.
    slope = np.where(a > 0, 1.0, LEAKY_SLOPE).astype(da.dtype, copy=False)
    return np.multiply(da, slope, out=da)


def _tanh_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=out)


def _tanh_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.multiply(da, 1 - a * a, out=da)  # f'(z) = 1 - tanh(z)^2


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)) that cannot overflow.

    Written as (1 + tanh(z / 2)) / 2: tanh saturates at +-1 instead of overflowing, so no
    ``exp`` of a large argument is ever taken.
    """
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def _sigmoid_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return sigmoid(z, out=out)


def _sigmoid_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.multiply(da, a * (1 - a), out=da)  # f'(z) = s(z) (1 - s(z))


def _gelu_forward(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # tanh approximation: 0.5 z (1 + tanh(c (z + 0.044715 z^3)))
    inner = np.tanh(_GELU_C * (z + 0.044715 * z**3))
    return np.multiply(0.5 * z, 1 + inner, out=out)


def _gelu_backward(da: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    inner = np.tanh(_GELU_C * (z + 0.044715 * z**3))
    d_inner = _GELU_C * (1 + 3 * 0.044715 * z * z) * (1 - inner * inner)
    return np.multiply(da, 0.5 * (1 + inner) + 0.5 * z * d_inner, out=da)


ACTIVATIONS: dict[str, Activation] = {
    activation.name: activation
    for activation in (
        Activation("identity", _identity_forward, _identity_backward, needs_input=False),
        Activation("relu", _relu_forward, _relu_backward, needs_input=False),
        Activation("leaky_relu", _leaky_relu_forward, _leaky_relu_backward, needs_input=False),
        Activation("tanh", _tanh_forward, _tanh_backward, needs_input=False),
        Activation("sigmoid", _sigmoid_forward, _sigmoid_backward, needs_input=False),
        Activation("gelu", _gelu_forward, _gelu_backward, needs_input=True),
    )
}
