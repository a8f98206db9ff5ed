"""Whole-network gradient checks: every activation x every output/loss pair, with L2,
through several hidden layers, in float64 against central differences."""

from __future__ import annotations

import numpy as np
import pytest

from model import ACTIVATIONS, INITIALIZERS, OUTPUT_LOSSES
from model.nn.backprop import Backprop
from model.nn.dense import Parameters, forward

SIZES = (3, 5, 4, 3)  # input, two hidden layers, output


def objective(
    params: Parameters, activation: str, loss: str, x: np.ndarray, y: np.ndarray, l2: float
) -> float:
    logits = forward(params, ACTIVATIONS[activation], x)
    weights = params.flat[: params.n_weights]
    return OUTPUT_LOSSES[loss].loss(logits, y) + 0.5 * l2 * float(weights @ weights)


def make_targets(loss: str, rng: np.random.Generator, m: int) -> np.ndarray:
    if loss == "softmax_cross_entropy":
        return rng.integers(0, SIZES[-1], size=m)
    if loss == "sigmoid_binary_cross_entropy":
        return rng.integers(0, 2, size=(m, SIZES[-1])).astype(np.float64)
    return rng.normal(size=(m, SIZES[-1]))


@pytest.mark.parametrize("loss", sorted(OUTPUT_LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_gradient_matches_central_differences(activation: str, loss: str) -> None:
    rng = np.random.default_rng(3)
    params = Parameters.initialize(SIZES, INITIALIZERS["glorot"], rng, np.dtype(np.float64))
    params.flat[params.n_weights :] = rng.normal(0, 0.5, size=params.flat.size - params.n_weights)
    x = rng.normal(size=(7, SIZES[0]))
    y = make_targets(loss, rng, 7)
    l2 = 0.03
    backprop = Backprop(params, ACTIVATIONS[activation], OUTPUT_LOSSES[loss], batch_size=10, l2=l2)
    reported = backprop.loss_and_gradient(x, y)
    assert reported == pytest.approx(objective(params, activation, loss, x, y, l2), rel=1e-12)
    numeric = np.empty_like(params.flat)
    h = 1e-6
    for i in range(params.flat.size):
        saved = params.flat[i]
        params.flat[i] = saved + h
        up = objective(params, activation, loss, x, y, l2)
        params.flat[i] = saved - h
        down = objective(params, activation, loss, x, y, l2)
        params.flat[i] = saved
        numeric[i] = (up - down) / (2 * h)
    np.testing.assert_allclose(backprop.grad, numeric, rtol=1e-5, atol=1e-8)


def test_a_partial_last_batch_uses_only_its_own_rows() -> None:
    rng = np.random.default_rng(4)
    params = Parameters.initialize(SIZES, INITIALIZERS["pytorch"], rng, np.dtype(np.float64))
    backprop = Backprop(params, ACTIVATIONS["relu"], OUTPUT_LOSSES["softmax_cross_entropy"], batch_size=8)
    x, y = rng.normal(size=(8, 3)), rng.integers(0, 3, size=8)
    backprop.loss_and_gradient(x, y)  # fill every buffer row
    small = backprop.loss_and_gradient(x[:3], y[:3])
    fresh = Backprop(params, ACTIVATIONS["relu"], OUTPUT_LOSSES["softmax_cross_entropy"], batch_size=3)
    assert small == pytest.approx(fresh.loss_and_gradient(x[:3], y[:3]))
    np.testing.assert_allclose(backprop.grad, fresh.grad)
