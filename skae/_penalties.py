"""Penalties on a network's inner activations: sparsity and contraction of the code.

A penalty is added to the training loss only (validation and ``score_samples`` stay
the pure log-likelihood). ``Objective`` asks each penalty, after the forward pass of a
batch, for

- its value,
- its gradient with respect to inner activations (``{k: dP/d activations[k]}``), which
  the network's backward pass takes in at layer ``k``, and
- its direct gradient with respect to weight matrices (``{l: dP/dW_l}``), for a penalty
  that depends on the weights other than through the activations (the Jacobian),
  added after the backward pass.

``row_weights`` are the batch's sample weights divided by their sum.
"""

import numpy as np

from ._activations import activation_slopes

class SparsityPenalty:
    """Sparsity of the activations of one layer.

    For logistic units, the KL divergence of each unit's mean activation
    :math:`\\hat\\rho_j = \\sum_i r_i h_{ij}` from a target :math:`\\rho`,

    .. math:: P = \\beta \\sum_j \\rho \\log\\frac{\\rho}{\\hat\\rho_j}
              + (1 - \\rho) \\log\\frac{1 - \\rho}{1 - \\hat\\rho_j}.

    A mean activation of a logistic unit is a firing probability, and the KL term
    pulls it to :math:`\\rho` from both sides: a unit is driven to fire rarely, but
    never to die (the penalty grows without bound as :math:`\\hat\\rho_j \\to 0`).
    For other units, whose activations are not probabilities, the L1 norm
    :math:`P = \\beta \\sum_i r_i \\sum_j |h_{ij}|`, which drives activations to exactly
    zero (relu) or towards zero.

    Parameters
    ----------
    weight : float
        :math:`\\beta`.
    target : float in (0, 1)
        :math:`\\rho` (KL only).
    layer : int
        Index ``k`` of the penalised ``activations[k]``.
    activation : str
        That layer's activation: KL for ``"logistic"``, L1 otherwise.
    """

    def __init__(self, weight, target, layer, activation):
        self.weight, self.target = weight, target
        self.layer, self.activation = layer, activation

    def value_and_gradients(self, network, activations, row_weights):
        h = activations[self.layer]
        dtype = h.dtype.type
        if self.activation != "logistic":
            value = self.weight * float(row_weights @ np.abs(h).sum(axis=1))
            grad = np.sign(h)
            grad *= (self.weight * row_weights).astype(h.dtype)[:, None]
            return value, {self.layer: grad}, {}
        rho = self.target
        # a saturated float32 unit can reach exactly 0 or 1
        tiny = np.finfo(h.dtype).eps
        rho_hat = np.clip(row_weights @ h, tiny, 1 - tiny)
        value = self.weight * float(np.sum(rho * np.log(rho / rho_hat)
                                           + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))))
        per_unit = dtype(self.weight) * ((1 - rho) / (1 - rho_hat) - rho / rho_hat)
        grad = np.multiply.outer(row_weights, per_unit).astype(h.dtype, copy=False)
        return value, {self.layer: grad}, {}


class ContractivePenalty:
    """The squared Frobenius norm of the Jacobian of a layer's output (the code) with
    respect to the network's inputs,

    .. math:: P = \\lambda \\sum_i r_i \\, \\lVert \\partial h(x_i) / \\partial x_i
              \\rVert_F^2 .

    With a one-layer encoder :math:`h = \\sigma(xW + b)` it is exact and cheap:
    :math:`\\lVert J \\rVert_F^2 = \\sum_j \\sigma'(z_j)^2 \\lVert W_{:j} \\rVert^2`.
    Deeper, the Jacobian is carried forward along input directions ``v`` (the
    tangent :math:`t_l = (t_{l-1} W_l) \\odot \\sigma'(z_l)`, :math:`t_0 = v`), so
    that :math:`\\lVert J v \\rVert^2` costs about one more pass of the encoder.
    With ``v`` the unit vectors this is exact; with ``n_directions`` independent
    :math:`v \\sim N(0, I)` per row, :math:`E \\lVert J v \\rVert^2 = \\lVert J
    \\rVert_F^2`, so the mean over them is an unbiased estimate, and so is its
    gradient, which is back-propagated through the tangent.

    Parameters
    ----------
    weight : float
        :math:`\\lambda`.
    layer : int
        Index ``k`` of ``activations[k]``, the code.
    activations : sequence of str
        The activation of each layer up to the code (``network.activations[:layer]``).
    n_inputs : int
        Number of leading network inputs the Jacobian is taken with respect to (the
        features; not the missingness indicators appended to them).
    n_directions : int or None, default=1
        Random directions per row for an encoder of more than one layer; None uses
        the ``n_inputs`` unit vectors (exact, ``n_inputs`` times the cost).
    random_state : RandomState, default=None
        Draws the directions.
    """

    def __init__(self, weight, layer, activations, n_inputs, n_directions=1,
                 random_state=None):
        self.weight, self.layer = weight, layer
        self.activations = tuple(activations)
        self.n_inputs, self.n_directions = n_inputs, n_directions
        self.random_state = random_state

    def value_and_gradients(self, network, activations, row_weights):
        if self.layer == 1:
            return self._one_layer(network, activations, row_weights)
        n_rows = activations[0].shape[0]
        dtype = network.dtype
        if self.n_directions is None:
            return self.tangent_value_and_gradients(
                network, activations, row_weights, np.eye(self.n_inputs, dtype=dtype)[None])
        directions = self.random_state.standard_normal(
            (n_rows, self.n_directions, self.n_inputs)).astype(dtype, copy=False)
        return self.tangent_value_and_gradients(network, activations, row_weights,
                                                directions, mean=True)

    def _one_layer(self, network, activations, row_weights):
        W = network.weights[0][: self.n_inputs]
        a = activations[1]
        column_norms = np.einsum("kj,kj->j", W, W)
        slope, slope_derivative = activation_slopes(self.activations[0], a)
        squared = slope * slope
        value = self.weight * float(row_weights @ (squared @ column_norms))
        # d/da of r_i s_ij^2 c_j = 2 r_i s_ij c_j ds/da
        inner = slope * slope_derivative
        inner *= column_norms
        inner *= (2 * self.weight * row_weights).astype(a.dtype)[:, None]
        weight_grad = np.zeros_like(network.weights[0])
        weight_grad[: self.n_inputs] = W * (2 * self.weight * (row_weights @ squared))
        return value, {1: inner}, {0: weight_grad}

    def tangent_value_and_gradients(self, network, activations, row_weights, directions,
                                    mean=False):
        """The penalty from tangents along ``directions`` (shape ``(n_rows or 1, K,
        n_inputs)``): the sum of :math:`\\lVert J v \\rVert^2` over the unit vectors
        (exact), or its ``mean`` over ``v ~ N(0, I)`` (an unbiased estimate)."""
        n_directions = directions.shape[1]
        tangents, products, slopes, slope_derivatives = [directions], [], [], []
        for l in range(self.layer):
            W = network.weights[l][: self.n_inputs] if l == 0 else network.weights[l]
            product = tangents[-1] @ W
            slope, slope_derivative = activation_slopes(self.activations[l],
                                                        activations[l + 1])
            products.append(product)
            slopes.append(slope)
            slope_derivatives.append(slope_derivative)
            tangents.append(product * slope[:, None, :])
        code_tangent = tangents[-1]
        scale = self.weight / n_directions if mean else self.weight
        per_row = np.einsum("nkj,nkj->n", code_tangent, code_tangent)
        value = scale * float(row_weights @ per_row)

        inner, weight_grads = {}, {}
        grad = code_tangent * (2 * scale * row_weights).astype(code_tangent.dtype)[:, None, None]
        for l in range(self.layer - 1, -1, -1):
            slope_grad = np.einsum("nkj,nkj->nj", grad, products[l])
            inner[l + 1] = slope_grad * slope_derivatives[l]
            grad *= slopes[l][:, None, :]  # now dP/d(product)
            below = tangents[l]
            if below.shape[0] == 1:  # shared directions: sum the rows first
                flat_grad = grad.sum(axis=0)
                below = below[0]
            else:
                flat_grad = grad.reshape(-1, grad.shape[-1])
                below = below.reshape(-1, below.shape[-1])
            weight_grad = np.zeros_like(network.weights[l])
            weight_grad[: below.shape[-1]] = below.T @ flat_grad
            weight_grads[l] = weight_grad
            if l > 0:
                grad = grad @ network.weights[l].T
        return value, inner, weight_grads
