"""The objective: the one log-likelihood path of an estimator.

For a batch B with sample weights w (all ones by default) training minimises

.. math:: L_B(\\theta) = \\frac{\\sum_{i \\in B} w_i \\, t(y_i \\mid f_\\theta(x_i))
          + \\tfrac{\\alpha}{2} \\lVert W \\rVert^2}{\\sum_{i \\in B} w_i}

where ``t`` is the noise model's NLL less its terms that do not depend on ``theta``
(``log(2 pi) / 2`` per Gaussian entry, ``log y!`` per Poisson count), so that
tolerances are relative to what training can change. Normalising by the weight sum
makes integer weights act exactly like repeated rows, penalty included. A regularised
autoencoder adds its ``penalties`` (sparsity, contraction) to the training loss only.

Everything else that evaluates the model (the validation score, ``score_samples``,
``log_likelihood`` and the maximum-likelihood fit of fixed noise parameters) goes
through the same object, chunk by chunk, with the constants included.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches


# Inference runs over row chunks of about this many values per layer, so that scoring
# or predicting on large data never holds more than one chunk's activations.
CHUNK_VALUES = 2**18


def chunk_rows(width):
    """Rows of an inference chunk through layers ``width`` wide."""
    return max(1, CHUNK_VALUES // max(width, 1))


def row_chunks(X, width, dtype=None):
    """``(rows, dense chunk)`` pairs covering the rows of X, for layers ``width`` wide,
    each chunk converted to ``dtype`` on its own (never the whole of X at once)."""
    for rows in gen_batches(X.shape[0], chunk_rows(width)):
        chunk = _dense(X[rows])
        yield rows, chunk if dtype is None else chunk.astype(dtype, copy=False)


def validation_mean(scores, weights):
    """The weighted mean of the validation rows' scores (the validation score)."""
    if weights is None:
        return float(scores.mean())
    if weights.sum() == 0:
        raise ValueError("The validation rows' sample weights sum to zero; the "
                         "validation score is undefined. Set early_stopping=False or "
                         "reweight.")
    return float(weights @ scores / weights.sum())


def _dense(X):
    return X.toarray() if sp.issparse(X) else X


class Objective:
    """A network and a noise model: training loss, log-likelihoods and fixed parameters.

    Parameters
    ----------
    network : Network
        Maps inputs to the noise model's raw outputs.
    noise : NoiseModel
        The distribution of the targets given the raw outputs.
    alpha : float
        Strength of the L2 penalty on the weights.
    pooled_scale : bool, default=False
        Fit one fixed scale shared by all target columns (an autoencoder, like PCA's
        ``noise_variance_``) rather than one per column.
    input_transform : callable, default=None
        ``input_transform(X) -> network input``, applied in training and inference
        alike (e.g. missing entries filled and their indicators appended).
    corruption : callable, default=None
        ``corruption(X, random_state) -> corrupted copy of X``, applied to the inputs
        of training batches only; the targets stay clean (a denoising autoencoder).
    random_state : RandomState, default=None
        Draws the corruption.
    penalties : sequence, default=()
        Terms added to the training loss only, each with
        ``value_and_gradients(network, activations, row_weights)`` (see
        ``skae._penalties``): a sparse or contractive autoencoder.

    Attributes
    ----------
    theta, grad : ndarray
        The flat parameter vector the optimizer updates, and its gradient.
    """

    def __init__(self, network, noise, alpha, pooled_scale=False, input_transform=None,
                 corruption=None, random_state=None, penalties=()):
        self.network = network
        self.noise = noise
        self.alpha = alpha
        self.pooled_scale = pooled_scale
        self.input_transform = input_transform
        self.corruption = corruption
        self.random_state = random_state
        self.penalties = tuple(penalties)
        # the noise model training steps with, when not ``noise`` itself (the imputer's
        # refitted training scales); every score uses ``noise``
        self.training_noise = None
        self.theta, self.grad = network.theta, network.grad
        # the penalty's gradient is formed here, not in a fresh temporary every batch
        self._penalty_grad = np.empty(network.n_weights if alpha else 0, network.dtype)

    # ------------------------------------------------------------------ training
    def start_epoch(self):
        """Called by the training loop before each epoch's first batch; nothing here.

        A subclass may change what training uses between epochs (the imputer sets
        ``training_noise`` to refitted scales here).
        """

    def next_stage(self, plateau):
        """Called by the training loop after each epoch: whether training moves on to a
        next stage now. ``plateau``: the monitored score has stopped improving (without
        a next stage, training stops). The loop starts the next stage from the best
        epoch so far, with a fresh optimizer and the patience counted afresh. Training
        has one stage here.
        """
        return False

    def loss_and_grad(self, batch):
        """Return the batch loss :math:`L_B`; its gradient is left in ``self.grad``."""
        net = self.network
        X = batch.X
        activations = net.forward(self.network_input(X, training=True), reuse_buffers=True)
        noise = self.noise if self.training_noise is None else self.training_noise
        nll, delta = noise.nll_and_grad(
            X if batch.Y is None else batch.Y, activations[-1],
            out=net.output_delta(X.shape[0]), mask=batch.mask, include_constants=False,
        )
        if batch.sample_weight is None:
            total_weight = X.shape[0]
            data_loss = nll.sum()
            delta *= 1.0 / total_weight
        else:
            total_weight = batch.sample_weight.sum()
            data_loss = batch.sample_weight @ nll
            delta *= (batch.sample_weight / total_weight)[:, None]
        data_loss = float(data_loss) / total_weight
        if self.penalties:
            data_loss += self._add_penalties(activations, delta, batch.sample_weight)
        else:
            net.backward(activations, delta)
        if not self.alpha:  # skip three passes over the weights
            return data_loss
        weights = net.theta[: net.n_weights]
        self.grad[: net.n_weights] += np.multiply(weights, self.alpha / total_weight,
                                                  out=self._penalty_grad)
        return data_loss + float(0.5 * self.alpha * (weights @ weights)) / total_weight

    def _add_penalties(self, activations, delta, sample_weight):
        """Back-propagate ``delta`` together with the penalties' gradients; return the
        penalties' total value."""
        net = self.network
        n_rows = delta.shape[0]
        row_weights = (np.full(n_rows, 1.0 / n_rows, net.dtype) if sample_weight is None
                       else sample_weight / sample_weight.sum())
        total, inner, direct = 0.0, {}, {}
        for penalty in self.penalties:
            value, inner_grads, weight_grads = penalty.value_and_gradients(
                net, activations, row_weights)
            total += value
            for into, grads in ((inner, inner_grads), (direct, weight_grads)):
                for layer, grad in grads.items():
                    into[layer] = grad if layer not in into else into[layer] + grad
        net.backward(activations, delta, inner_gradients=inner)
        for layer, grad in direct.items():
            net._grad_weights[layer] += grad
        return total

    def validation_score(self, validation, training):
        """Weighted mean log-likelihood of the validation rows.

        Fixed noise parameters (``scale="mle"``) are first fitted on the training rows
        at the current parameters, so the score is an exact held-out log-likelihood.
        A diverged network, whose fitted scale is not finite, scores ``-inf``.
        """
        noise = self.fit_noise(training)
        if not noise.has_finite_parameters():
            return -np.inf
        return validation_mean(self.log_likelihood(validation, noise),
                               validation.sample_weight)

    def network_input(self, X, training=False):
        """What the network sees of the rows ``X``: corrupted (in training only), then
        transformed."""
        if training and self.corruption is not None:
            X = self.corruption(X, self.random_state)
        if self.input_transform is not None:
            X = self.input_transform(X)
        return X

    # ----------------------------------------------------------------- inference
    def chunks(self, X):
        """``(rows, dense chunk)`` pairs covering the rows of X, in the network's dtype."""
        return row_chunks(X, max(self.network.layer_sizes), self.network.dtype)

    def forward(self, X, start=0, stop=None):
        """Output of layers ``start`` to ``stop - 1`` on X, computed chunk by chunk."""
        net = self.network
        stop = net.n_layers if stop is None else stop
        out = np.empty((X.shape[0], net.layer_sizes[stop]), dtype=net.dtype)
        for rows, chunk in self.chunks(X):
            if start == 0:
                chunk = self.network_input(chunk)
            out[rows] = net.forward(chunk, start=start, stop=stop)[-1]
        return out

    def _chunked_data(self, data):
        """``(rows, chunk data, raw outputs)`` over row chunks of ``data``."""
        dtype = self.network.dtype
        for rows, chunk in data.chunks(chunk_rows(max(self.network.layer_sizes))):
            if chunk.X.dtype != dtype:
                chunk.X = chunk.X.astype(dtype)
            yield rows, chunk, self.network.forward(self.network_input(chunk.X))[-1]

    def log_likelihood(self, data, noise=None):
        """Exact per-sample log-likelihood of the (observed) targets.

        ``-inf`` for a sample with an observed target outside the noise model's support.
        """
        noise = self.noise if noise is None else noise
        out = np.empty(data.n_samples, dtype=self.network.dtype)
        for rows, chunk, raw in self._chunked_data(data):
            targets = chunk.X if chunk.Y is None else chunk.Y
            out[rows] = noise.log_likelihood(targets, raw, chunk.mask)
        return out

    def fixed_statistics(self, data):
        """The noise model's sufficient statistics for its fixed parameters, summed over
        ``data`` at the current network (None if it has nothing to fit).

        They are summed over row chunks, so no more than one chunk's raw outputs are
        ever held, and they add up over calls (streaming).
        """
        if not self.noise.has_fixed_parameters():
            return None  # no forward pass over data that would give nothing
        statistics = None
        for _, chunk, raw in self._chunked_data(data):
            targets = chunk.X if chunk.Y is None else chunk.Y
            chunk_statistics = self.noise.fixed_statistics(targets, raw, chunk.sample_weight,
                                                           chunk.mask)
            if chunk_statistics is None:
                return None
            statistics = (chunk_statistics if statistics is None
                          else statistics + chunk_statistics)
        return statistics

    def fit_noise(self, data):
        """The noise model with its fixed parameters at their ML values on ``data``."""
        return self.noise_from_statistics(self.fixed_statistics(data))

    def noise_from_statistics(self, statistics):
        """The noise model with its fixed parameters at the ML values that these summed
        statistics give (itself when there is nothing to fit)."""
        if statistics is None:
            return self.noise
        return self.noise.fit_fixed(statistics, pooled=self.pooled_scale)
