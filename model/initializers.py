"""Weight initialization schemes, registered by name.

Each scheme draws a weight matrix of shape ``(fan_in, fan_out)`` and a bias of shape
``(fan_out,)`` from one ``np.random.Generator``, so a seed fixes every parameter.

- ``pytorch``: PyTorch's ``nn.Linear`` default, weights and biases ~ U(+-1/sqrt(fan_in)).
- ``glorot``: Glorot/Xavier uniform, U(+-sqrt(6 / (fan_in + fan_out))), zero bias.
- ``he``: He/Kaiming normal, N(0, 2 / fan_in), zero bias.

The default is ``pytorch``: measured on an MNIST-shaped task it learned fastest in the first
epochs (see the README's model section and ``scripts/bench_train.py``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Initializer = Callable[[np.random.Generator, int, int], tuple[np.ndarray, np.ndarray]]


def pytorch_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    bound = 1.0 / np.sqrt(fan_in)
    w = rng.uniform(-bound, bound, size=(fan_in, fan_out))
    b = rng.uniform(-bound, bound, size=fan_out)
    return w, b


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, size=(fan_in, fan_out)), np.zeros(fan_out)


def he_normal(rng: np.random.Generator, fan_in: int, fan_out: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)), np.zeros(fan_out)


INITIALIZERS: dict[str, Initializer] = {
    "pytorch": pytorch_uniform,
    "glorot": glorot_uniform,
    "he": he_normal,
}
