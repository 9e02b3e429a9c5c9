"""The multilayer perceptron: dense layers whose weights are views into one flat vector.

A network's block of the flat vector is ``[W_1, ..., W_L, b_1, ..., b_L]`` (each
``W_l`` row-major, shape ``(fan_in, fan_out)``). Keeping every weight before every bias
makes the L2 penalty one dot product on ``theta[:n_weights]`` and lets any optimizer,
L-BFGS included, update a single array with no packing. Several networks (an encoder
and a decoder, a mean and a variance head) can own consecutive blocks of one shared
vector, so that one optimizer trains them all.
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
    theta, grad : ndarray of shape (n_shared,), default=None
        Shared flat parameter and gradient vectors to take a block of, starting at
        ``offset``; by default the network allocates its own.
    offset : int, default=0
        Start of this network's block in ``theta`` and ``grad``.
    """

    def __init__(self, layer_sizes, activations, dtype, theta=None, grad=None, offset=0):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.activations = tuple(activations) + ("identity",)
        if len(self.activations) != len(self.layer_sizes) - 1:
            raise ValueError("Need one activation per hidden layer.")
        self.shapes = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:]))
        self.n_weights = sum(fi * fo for fi, fo in self.shapes)
        self.n_params = self.count_params(self.layer_sizes)
        if theta is None:
            theta = np.zeros(self.n_params, dtype=dtype)
            grad = np.zeros(self.n_params, dtype=dtype)
        if grad is None or theta.shape != grad.shape or theta.dtype != np.dtype(dtype):
            raise ValueError("theta and grad must be flat vectors of one shape and dtype.")
        if offset + self.n_params > theta.size:
            raise ValueError(f"The network needs {self.n_params} parameters at offset "
                             f"{offset}; the shared vector has {theta.size}.")
        # The whole shared vectors are kept (not just this network's views): pickling
        # them once keeps several networks' views into one vector shared after loading.
        self._shared_theta, self._shared_grad, self._offset = theta, grad, offset
        self._bind()

    @staticmethod
    def count_params(layer_sizes):
        """Length of the flat parameter block of a network with these layer sizes."""
        return sum((fan_in + 1) * fan_out
                   for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]))

    def _bind(self):
        block = slice(self._offset, self._offset + self.n_params)
        self.theta, self.grad = self._shared_theta[block], self._shared_grad[block]
        self.weights, self.biases = _layer_views(self.theta, self.shapes, self.n_weights)
        self._grad_weights, self._grad_biases = _layer_views(
            self.grad, self.shapes, self.n_weights
        )
        self._forward_fns = [ACTIVATIONS[name][0] for name in self.activations]
        self._backward_fns = [ACTIVATIONS[name][1] for name in self.activations]
        self._buffers = {}

    # Views and buffers are rebuilt on unpickling: a pickled view would become a copy.
    # The gradient is scratch, so a network that owns its vector saves without it; a
    # shared gradient is kept, since networks rebuilding their own would stop sharing.
    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("theta", "grad", "weights", "biases", "_grad_weights", "_grad_biases",
                    "_forward_fns", "_backward_fns", "_buffers"):
            del state[key]
        if self._owns_vector:
            state["_shared_grad"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self._shared_grad is None:
            self._shared_grad = np.zeros_like(self._shared_theta)
        self._bind()

    @property
    def _owns_vector(self):
        return self._offset == 0 and self.n_params == self._shared_theta.size

    @property
    def dtype(self):
        return self.theta.dtype

    @property
    def n_layers(self):
        return len(self.shapes)

    def initialize(self, random_state, output_bias=None):
        """Glorot-uniform weights, zero biases.

        ``W ~ U(-b, b)`` with ``b = sqrt(6 / (fan_in + fan_out))`` (``sqrt(2 / ...)`` below
        logistic units), as scikit-learn's MLP draws its weights (it draws its biases the
        same way; here they start at zero). ``output_bias`` sets the last layer's
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
            hidden_values = n_samples * max(self.layer_sizes[1:-1], default=0)
            scratch = np.empty(hidden_values, self.dtype)
            # zeros for relu's forward; like every buffer here, released by
            # clear_buffers at the end of a fit rather than kept for the process's life
            zeros = np.zeros(hidden_values, self.dtype)
            zeros.flags.writeable = False
            buffers = self._buffers[n_samples] = (activations, deltas, ones, scratch, zeros)
        return buffers

    def forward(self, X, start=0, stop=None, reuse_buffers=False):
        """Activations of every layer, input included: ``[X, a_1, ..., a_L]``.

        ``start`` and ``stop`` run only layers ``start`` to ``stop - 1``, with ``X`` the
        input of layer ``start`` (the autoencoder's encoder and decoder halves).
        ``reuse_buffers`` writes into per-batch-size buffers kept for training; the
        returned arrays are then overwritten by the next call.
        """
        stop = self.n_layers if stop is None else stop
        out, zeros = None, None
        if reuse_buffers:
            buffers = self._batch_buffers(X.shape[0])
            out, zeros = buffers[0], buffers[4]
        activations = [X]
        for l in range(start, stop):
            a = np.matmul(activations[-1], self.weights[l], out=None if out is None else out[l])
            a += self.biases[l]
            layer_zeros = None
            if zeros is not None and l < self.n_layers - 1:
                layer_zeros = zeros[: a.size].reshape(a.shape)
            activations.append(self._forward_fns[l](a, layer_zeros))
        return activations

    def output_delta(self, n_samples):
        """The buffer that should receive dLoss/d(raw outputs) for a batch of this size."""
        return self._batch_buffers(n_samples)[1][-1]

    def backward(self, activations, delta, inner_gradients=None, input_gradient=False):
        """Back-propagate ``delta = dLoss/d(raw outputs)`` into ``self.grad``.

        .. math:: \\delta^{l-1} = (\\delta^l W_l^T + g_{l-1}) \\odot \\sigma'(z^{l-1}),
                  \\quad \\frac{\\partial L}{\\partial W_l} = a_{l-1}^T \\delta^l,
                  \\quad \\frac{\\partial L}{\\partial b_l} = \\textstyle\\sum_{rows} \\delta^l

        ``delta`` is overwritten.

        Parameters
        ----------
        activations : list of ndarray
            The output of :meth:`forward` for this batch.
        delta : ndarray of shape (n_samples, n_outputs)
            Gradient of the loss with respect to the network's outputs.
        inner_gradients : dict of int to ndarray, default=None
            Gradients entering at inner layers, keyed by the index ``k`` of
            ``activations[k]`` they are taken with respect to (a penalty on the code of
            an autoencoder, the KL term of a variational one). They are added to what
            flows back from above.
        input_gradient : bool, default=False
            Also return ``dLoss/dX`` (to chain this network after another one); the
            input layer otherwise gets no gradient, since nothing upstream needs it.

        Returns
        -------
        input_grad : ndarray of shape (n_samples, n_inputs) or None
        """
        inner_gradients = inner_gradients or {}
        _, deltas, ones, scratch, _ = self._batch_buffers(delta.shape[0])
        for l in range(self.n_layers - 1, -1, -1):
            np.matmul(activations[l].T, delta, out=self._grad_weights[l])
            # the column sums as a product with ones: a BLAS call, twice as fast as sum
            np.matmul(ones, delta, out=self._grad_biases[l])
            if l == 0 and not input_gradient:
                return None
            delta = self._input_gradient(l, delta, out=deltas[l - 1] if l > 0 else None)
            if l in inner_gradients:
                delta += inner_gradients[l]
            if l == 0:
                return delta
            factor = scratch[: delta.size].reshape(delta.shape)
            self._backward_fns[l - 1](activations[l], delta, factor)
        return None

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
