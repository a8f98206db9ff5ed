"""Output/loss pairs: the delta is the gradient of the reported loss; losses are stable."""

from __future__ import annotations

import numpy as np
import pytest

from model import OUTPUT_LOSSES
from model.nn.losses import softmax


def targets_for(name: str, rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    if name == "softmax_cross_entropy":
        return rng.integers(0, k, size=m)
    if name == "sigmoid_binary_cross_entropy":
        return rng.integers(0, 2, size=(m, k)).astype(np.float64)
    return rng.normal(size=(m, k))


@pytest.mark.parametrize("name", sorted(OUTPUT_LOSSES))
def test_delta_is_the_gradient_of_the_loss(name: str) -> None:
    pair = OUTPUT_LOSSES[name]
    rng = np.random.default_rng(2)
    z = rng.normal(0, 3, size=(6, 4))
    y = targets_for(name, rng, 6, 4)
    analytic = pair.delta(z.copy(), y)
    numeric = np.zeros_like(z)
    h = 1e-6
    for index in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (pair.loss(up, y) - pair.loss(down, y)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_cross_entropy_equals_minus_log_softmax_of_the_true_class() -> None:
    z = np.array([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    y = np.array([1, 0])
    expected = -np.mean(np.log(softmax(z)[[0, 1], y]))
    assert OUTPUT_LOSSES["softmax_cross_entropy"].loss(z, y) == pytest.approx(expected)


def test_binary_cross_entropy_matches_its_definition() -> None:
    z = np.array([[0.3, -1.2], [2.0, 0.1]])
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = 1 / (1 + np.exp(-z))
    expected = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / 2
    assert OUTPUT_LOSSES["sigmoid_binary_cross_entropy"].loss(z, y) == pytest.approx(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OUTPUT_LOSSES))
def test_losses_and_outputs_of_logits_of_magnitude_1e4_are_finite(name: str, dtype: type) -> None:
    pair = OUTPUT_LOSSES[name]
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
    y = targets_for(name, np.random.default_rng(0), 2, 3).astype(
        dtype if name != "softmax_cross_entropy" else np.intp
    )
    assert np.isfinite(pair.loss(z, y))
    assert np.isfinite(pair.output(z)).all()
    assert np.isfinite(pair.delta(z.copy(), y)).all()


def test_softmax_rows_sum_to_one_even_for_huge_logits() -> None:
    p = softmax(np.array([[1e4, 1e4 - 1, -1e4]], dtype=np.float32))
    assert p.sum() == pytest.approx(1.0)
    assert p[0, 2] == 0.0


@pytest.mark.parametrize("name", sorted(OUTPUT_LOSSES))
def test_the_fused_loss_and_delta_equal_the_separate_ones(name: str) -> None:
    pair = OUTPUT_LOSSES[name]
    rng = np.random.default_rng(9)
    z = rng.normal(0, 3, size=(5, 3))
    y = targets_for(name, rng, 5, 3)
    loss, delta = pair.loss_and_delta(z.copy(), y)
    assert loss == pytest.approx(pair.loss(z, y), rel=1e-12)
    np.testing.assert_allclose(delta, pair.delta(z.copy(), y), rtol=1e-12)


@pytest.mark.parametrize("shape", [(1, 3), (63, 2), (64, 3), (500, 7), (500, 8), (300, 10)])
def test_softmax_is_the_same_bits_by_columns_or_by_rows(shape: tuple[int, int]) -> None:
    z = np.random.default_rng(0).normal(scale=5, size=shape).astype(np.float32)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    assert np.array_equal(softmax(z), e)
