"""Every activation's backward is the derivative of its forward (central differences)."""

from __future__ import annotations

import numpy as np
import pytest

from model import ACTIVATIONS
from model.nn.activations import sigmoid


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_matches_central_differences_of_forward(name: str) -> None:
    activation = ACTIVATIONS[name]
    rng = np.random.default_rng(1)
    z = rng.normal(0, 2, size=(5, 7))
    z[np.abs(z) < 1e-3] = 0.5  # stay away from relu's kink
    upstream = rng.normal(size=z.shape)
    a = activation.forward(z.copy(), np.empty_like(z))
    analytic = activation.backward(upstream.copy(), z, a)
    h = 1e-6
    numeric = (activation.forward(z + h, np.empty_like(z)) - activation.forward(z - h, np.empty_like(z))) / (
        2 * h
    )
    np.testing.assert_allclose(analytic, upstream * numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_can_run_in_place_and_gives_the_same_values(name: str) -> None:
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    expected = ACTIVATIONS[name].forward(z.copy(), np.empty_like(z))
    in_place = z.copy()
    ACTIVATIONS[name].forward(in_place, in_place)
    np.testing.assert_allclose(in_place, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_extreme_inputs_give_finite_outputs_without_warnings(name: str, dtype: type) -> None:
    z = np.array([[-1e4, -50.0, 0.0, 50.0, 1e4]], dtype=dtype)
    a = ACTIVATIONS[name].forward(z.copy(), np.empty_like(z))
    assert np.isfinite(a).all()


def test_sigmoid_matches_the_textbook_formula_and_saturates_at_0_and_1() -> None:
    z = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-12, atol=1e-15)
    extreme = sigmoid(np.array([-1e4, 1e4], dtype=np.float32))
    assert extreme.tolist() == [0.0, 1.0]
