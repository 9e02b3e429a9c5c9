"""The multilayer perceptron: dense layers whose weights are views into one flat vector.

The flat layout is ``[W_1, ..., W_L, b_1, ..., b_L]`` (each ``W_l`` row-major, shape
``(fan_in, fan_out)``). Keeping every weight before every bias makes the L2 penalty one
dot product on ``theta[:n_weights]`` and lets any optimizer, L-BFGS included, update a
single array with no packing.
"""

import numpy as np

from ._activations import ACTIVATIONS


def _layer_views(flat, shapes, n_weights):
    """Views of ``flat`` as per-layer weight matrices and bias vectors."""
    weights, biases = [], []
    w_start, b_start = 0, n_weights
    for fan_in, fan_out in shapes:
        weights.append(flat[w_start : w_start + fan_in * fan_out].reshape(fan_in, fan_out))
        biases.append(flat[b_start : b_start + fan_out])
        w_start += fan_in * fan_out
        b_start += fan_out
    return weights, biases


class Network:
    """Affine layers with activations, forward and backward on a flat parameter vector.

    Layer ``l`` computes ``a_l = sigma_l(a_{l-1} W_l + b_l)``. The last activation is
    ``identity`` by construction: the network's raw outputs are the parameters of a
    noise model, which applies its own link.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(n_inputs, n_hidden_1, ..., n_outputs)``.
    activations : sequence of str
        One name from ``ACTIVATIONS`` per hidden layer (``len(layer_sizes) - 2``).
    dtype : numpy dtype
        float32 or float64; parameters, buffers and gradients all use it.
    """

    def __init__(self, layer_sizes, activations, dtype):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.activations = tuple(activations) + ("identity",)
        if len(self.activations) != len(self.layer_sizes) - 1:
            raise ValueError("Need one activation per hidden layer.")
        self.shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_weights = sum(fi * fo for fi, fo in self.shapes)
        n_params = self.n_weights + sum(fo for _, fo in self.shapes)
        self.theta = np.zeros(n_params, dtype=dtype)
        self.grad = np.zeros(n_params, dtype=dtype)
        self._bind()

    def _bind(self):
        self.weights, self.biases = _layer_views(self.theta, self.shapes, self.n_weights)
        self._grad_weights, self._grad_biases = _layer_views(
            self.grad, self.shapes, self.n_weights
        )
        self._forward_fns = [ACTIVATIONS[name][0] for name in self.activations]
        self._backward_fns = [ACTIVATIONS[name][1] for name in self.activations]
        self._buffers = {}

    # Views and buffers are rebuilt on unpickling: a pickled view would become a copy.
    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("weights", "biases", "_grad_weights", "_grad_biases",
                    "_forward_fns", "_backward_fns", "_buffers"):
            del state[key]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._bind()

    @property
    def dtype(self):
        return self.theta.dtype

    @property
    def n_layers(self):
        return len(self.shapes)

    def initialize(self, random_state, output_bias=None):
        """Glorot-uniform weights, zero biases.

        ``W ~ U(-b, b)`` with ``b = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` below
        logistic units), as scikit-learn's MLP. ``output_bias`` sets the last layer's
        bias, so that a noise model starts the network at the targets' marginal
        distribution instead of at an arbitrary point.
        """
        for W, (fan_in, fan_out), below in zip(self.weights, self.shapes, self.activations):
            factor = 2.0 if below == "logistic" else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            W[...] = random_state.uniform(-bound, bound, size=W.shape)
        self.theta[self.n_weights :] = 0
        if output_bias is not None:
            self.biases[-1][...] = output_bias

    def _batch_buffers(self, n_samples):
        # Two batch sizes occur per epoch (full and remainder), so keep one set per size.
        buffers = self._buffers.get(n_samples)
        if buffers is None:
            activations = [np.empty((n_samples, fo), self.dtype) for _, fo in self.shapes]
            # deltas[l] is dLoss/da_l; the last one receives the noise model's gradient
            deltas = [np.empty((n_samples, fo), self.dtype) for _, fo in self.shapes]
            ones = np.ones(n_samples, self.dtype)
            # room for the activation derivatives' factors, as large as the widest hidden
            # layer (left untouched, so never resident, under relu)
            scratch = np.empty(n_samples * max(self.layer_sizes[1:-1], default=0),
                               self.dtype)
            buffers = self._buffers[n_samples] = (activations, deltas, ones, scratch)
        return buffers

    def forward(self, X, start=0, stop=None, reuse_buffers=False):
        """Activations of every layer, input included: ``[X, a_1, ..., a_L]``.

        ``start`` and ``stop`` run only layers ``start`` to ``stop - 1``, with ``X`` the
        input of layer ``start`` (the autoencoder's encoder and decoder halves).
        ``reuse_buffers`` writes into per-batch-size buffers kept for training; the
        returned arrays are then overwritten by the next call.
        """
        stop = self.n_layers if stop is None else stop
        out = self._batch_buffers(X.shape[0])[0] if reuse_buffers else None
        activations = [X]
        for l in range(start, stop):
            a = np.matmul(activations[-1], self.weights[l], out=None if out is None else out[l])
            a += self.biases[l]
            activations.append(self._forward_fns[l](a))
        return activations

    def output_delta(self, n_samples):
        """The buffer that should receive dLoss/d(raw outputs) for a batch of this size."""
        return self._batch_buffers(n_samples)[1][-1]

    def backward(self, activations, delta):
        """Back-propagate ``delta = dLoss/d(raw outputs)`` into ``self.grad``.

        ``delta^{l-1} = (delta^l W_l^T) * sigma'(z^{l-1})``, ``dL/dW_l = a_{l-1}^T delta^l``,
        ``dL/db_l = sum_rows delta^l``. ``delta`` is overwritten; the input layer gets
        no gradient since nothing upstream needs it.
        """
        _, deltas, ones, scratch = self._batch_buffers(delta.shape[0])
        for l in range(self.n_layers - 1, -1, -1):
            np.matmul(activations[l].T, delta, out=self._grad_weights[l])
            # the column sums as a product with ones: a BLAS call, twice as fast as sum
            np.matmul(ones, delta, out=self._grad_biases[l])
            if l > 0:
                delta = self._input_gradient(l, delta, out=deltas[l - 1])
                factor = scratch[: delta.size].reshape(delta.shape)
                self._backward_fns[l - 1](activations[l], delta, factor)
        return self.grad

    def _input_gradient(self, l, delta, out):
        """``delta W_l^T``: dLoss/d(input of layer l)."""
        W = self.weights[l]
        if W.shape[1] == 1:
            # One unit (a single regression target): the product is an outer product,
            # which NumPy's broadcasting computes about four times faster than BLAS's
            # rank-1 GEMM, with the same values (no sums are involved).
            return np.multiply(delta, W.T, out=out)
        return np.matmul(delta, W.T, out=out)

    def clear_buffers(self):
        self._buffers = {}
