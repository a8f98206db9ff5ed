"""Loss and gradient of a dense stack on one mini-batch, with reusable buffers.

A ``Backprop`` owns every array one training step needs (activations per layer, gradient
buffer shaped like the parameters), sized for the largest batch, so the training loop
allocates almost nothing per step. It is training-only state; prediction uses
``dense.forward`` and keeps none.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation
from .dense import Parameters, split
from .losses import OutputLoss


class Backprop:
    """Computes ``loss`` and ``grad`` (same layout as ``params.flat``) for a batch."""

    def __init__(
        self,
        params: Parameters,
        activation: Activation,
        output_loss: OutputLoss,
        batch_size: int,
        l2: float = 0.0,
    ) -> None:
        self.params = params
        self.activation = activation
        self.output_loss = output_loss
        self.l2 = l2
        dtype = params.dtype
        self.grad = np.zeros_like(params.flat)
        self.grad_weights, self.grad_biases = split(self.grad, params.sizes)
        widths = params.sizes[1:]
        # a[i]: output of layer i (n_batch, widths[i]); z[i] only when the activation needs it.
        self.a = [np.empty((batch_size, w), dtype) for w in widths]
        self.z = [np.empty((batch_size, w), dtype) if activation.needs_input else None for w in widths[:-1]]
        self.da = [np.empty((batch_size, w), dtype) for w in widths[:-1]]
        self._l2_buffer = np.empty(params.n_weights, dtype) if l2 > 0 else None
        self._ones = np.ones((1, batch_size), dtype)

    def loss_and_gradient(self, x: np.ndarray, y: np.ndarray) -> float:
        """Objective (mean data loss + l2/2 * sum of squared weights) on ``x``; fills ``grad``.

        ``x`` is (m, n_in), contiguous, in the parameters' dtype; ``y`` as ``OutputLoss`` wants.
        """
        m = len(x)
        weights, biases = self.params.weights, self.params.biases
        n_layers = len(weights)
        outputs = [buffer[:m] for buffer in self.a]
        inputs = [x, *outputs[:-1]]
        for i in range(n_layers):
            z = outputs[i] if i == n_layers - 1 or self.z[i] is None else self.z[i][:m]
            np.matmul(inputs[i], weights[i], out=z)  # (m, sizes[i + 1])
            z += biases[i]
            if i < n_layers - 1:
                self.activation.forward(z, outputs[i])
        logits = outputs[-1]
        loss, dz = self.output_loss.loss_and_delta(logits, y)  # logits become dL/dz, (m, n_out)
        for i in range(n_layers - 1, -1, -1):
            np.matmul(inputs[i].T, dz, out=self.grad_weights[i])
            # Column sums as a (1, m) @ (m, n) product: BLAS, ~3x faster than np.sum(axis=0).
            np.matmul(self._ones[:, :m], dz, out=self.grad_biases[i][None, :])
            if i == 0:
                break  # no gradient with respect to the data
            da = self.da[i - 1][:m]
            np.matmul(dz, weights[i].T, out=da)  # (m, sizes[i])
            z_prev = self.z[i - 1][:m] if self.z[i - 1] is not None else outputs[i - 1]
            dz = self.activation.backward(da, z_prev, outputs[i - 1])
        if self._l2_buffer is not None:
            w_all = self.params.flat[: self.params.n_weights]
            loss += 0.5 * self.l2 * float(np.dot(w_all, w_all))
            np.multiply(w_all, self.l2, out=self._l2_buffer)
            self.grad[: self.params.n_weights] += self._l2_buffer
        return loss
