"""The variational autoencoder's networks and objective: the negative ELBO and the
importance-weighted estimate of log p(x).

The encoder outputs the mean ``mu`` and, through a softplus, the standard deviation
``sigma`` of a Gaussian posterior ``q(z | x)`` (a softplus rather than an exponential,
so that large inputs cannot overflow the scale); the decoder maps a code ``z`` to the
raw outputs of a noise model ``p(x | z)``; the prior is ``N(0, I)``. With
``z = mu + sigma * eps``, ``eps ~ N(0, I)`` (the reparameterisation), one draw per row
and step, a batch's loss is

.. math:: L_B = \\frac{1}{\\sum_i w_i} \\sum_{i \\in B} w_i \\Big[ -\\log p(x_i \\mid z_i)
          + \\beta\\, \\mathrm{KL}\\big(q(z \\mid x_i) \\,\\|\\, p(z)\\big) \\Big]
          + \\frac{\\alpha}{2 \\sum_i w_i} \\lVert W \\rVert^2,
          \\qquad \\mathrm{KL} = \\sum_j \\big(\\tfrac12 (\\mu_j^2 + \\sigma_j^2 - 1)
          - \\log \\sigma_j\\big)

and its gradient flows from the noise model back through the decoder, into the code
(``d/d mu = dL/dz + beta mu``, ``d/d sigma = dL/dz * eps + beta (sigma - 1 / sigma)``,
times the softplus's slope for the raw output) and on through the encoder. A noise
model's fixed parameters (``scale="mle"``) are profiled out: each step sets them to
their ML values on the batch at its draw.
"""

import math
import zlib

import numpy as np
from scipy.special import logsumexp

from ._network import Network
from .noise._links import SoftplusLink
from ._objective import CHUNK_VALUES, Objective, validation_mean

# The posterior's standard deviation: softplus of the raw output, floored so that its
# log and its inverse stay finite.
SCALE_LINK = SoftplusLink(floor=1e-6)
# Seeds of the fixed draws of inference and validation, so that repeated calls agree.
IMPORTANCE_SEED = 0
VALIDATION_SEED = 1


class EncoderDecoder:
    """A Gaussian encoder and a decoder: two networks over one flat parameter vector.

    Described by the layers of the matching autoencoder, ``(n_features, *hidden,
    n_components, *hidden[::-1], n_raw)``: the encoder takes the first half, with
    ``2 * n_components`` outputs (means, then raw scales); the decoder the second.

    Parameters
    ----------
    layer_sizes : sequence of int
    activations : sequence of str
        One per hidden layer of the description (the code layer's is ``identity``).
    dtype : numpy dtype
    """

    def __init__(self, layer_sizes, activations, dtype):
        self.layer_sizes = tuple(int(s) for s in layer_sizes)
        self.activations = tuple(activations) + ("identity",)
        code = (len(self.layer_sizes) - 1) // 2
        self.n_components = self.layer_sizes[code]
        encoder_sizes = (*self.layer_sizes[:code], 2 * self.n_components)
        decoder_sizes = self.layer_sizes[code:]
        n_encoder = Network.count_params(encoder_sizes)
        theta = np.zeros(n_encoder + Network.count_params(decoder_sizes), dtype=dtype)
        grad = np.zeros_like(theta)
        self.encoder = Network(encoder_sizes, activations[: code - 1], dtype, theta, grad)
        self.decoder = Network(decoder_sizes, activations[code:], dtype, theta, grad,
                               offset=n_encoder)
        self.theta, self.grad = theta, grad

    def __setstate__(self, state):
        self.__dict__.update(state)
        # the networks rebuild their views into the one shared vector
        self.theta, self.grad = self.encoder._shared_theta, self.encoder._shared_grad

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["theta"], state["grad"]
        return state

    @property
    def dtype(self):
        return self.theta.dtype

    @property
    def n_layers(self):
        return len(self.layer_sizes) - 1

    @property
    def n_weights(self):
        return self.encoder.n_weights + self.decoder.n_weights

    @property
    def weights(self):
        return self.encoder.weights + self.decoder.weights

    @property
    def biases(self):
        return self.encoder.biases + self.decoder.biases

    def weight_blocks(self):
        """The weights of both networks (what the L2 penalty acts on) and their gradients."""
        return [(net.theta[: net.n_weights], net.grad[: net.n_weights])
                for net in (self.encoder, self.decoder)]

    def initialize(self, random_state, output_bias=None):
        """Glorot-uniform weights, zero biases but the scales' (``sigma = 1`` at first:
        the prior's), and the decoder's output bias at the noise model's marginal fit."""
        self.encoder.initialize(random_state)
        self.encoder.biases[-1][self.n_components :] = SCALE_LINK.inverse(1.0)
        self.decoder.initialize(random_state, output_bias)

    def clear_buffers(self):
        self.encoder.clear_buffers()
        self.decoder.clear_buffers()


def row_draws(X, n_draws, n_components):
    """Standard normal draws of shape (n_rows, n_draws, n_components), those of each
    row seeded by its bytes: a row's draws (and so its estimates) do not depend on
    the rows it is scored with, repeat from call to call, and differ between rows,
    so that their Monte Carlo errors average out over a data set. The first K draws
    of a row are the same for any ``n_draws >= K``."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    eps = np.empty((X.shape[0], n_draws, n_components))
    for i, row in enumerate(X):
        seed = np.random.SeedSequence([IMPORTANCE_SEED, zlib.crc32(row.tobytes())])
        eps[i] = np.random.default_rng(seed).standard_normal((n_draws, n_components))
    return eps


def _kl_to_prior(mu, sigma):
    """KL(N(mu, sigma^2) || N(0, 1)) of each row, summed over the code."""
    return (0.5 * (mu * mu + sigma * sigma - 1) - np.log(sigma)).sum(axis=1)


def _posterior(encoded, k):
    """Means, standard deviations and the raw scales of the encoder's outputs."""
    mu, raw_scale = encoded[:, :k], encoded[:, k:]
    return mu, SCALE_LINK.forward(raw_scale), raw_scale


class VariationalObjective(Objective):
    """The negative ELBO of a batch with its gradient, and the ELBO and IWAE estimates.

    Parameters
    ----------
    network : EncoderDecoder
    noise : NoiseModel
        The decoder's likelihood ``p(x | z)``.
    alpha : float
        L2 penalty on the weights of both networks.
    beta : float
        Weight of the KL term in training (1: the ELBO).
    input_transform : callable, default=None
        What the encoder sees of X (missing entries filled, as in AutoEncoder).
    corruption : callable, default=None
        Corrupts the encoder's inputs of training batches (a denoising VAE).
    random_state : RandomState, default=None
        Draws the reparameterisation noise (and the corruption) of training batches.
    """

    def __init__(self, network, noise, alpha, beta=1.0, input_transform=None,
                 corruption=None, random_state=None):
        super().__init__(network, noise, alpha, pooled_scale=True,
                         input_transform=input_transform, corruption=corruption,
                         random_state=random_state)
        self.beta = beta

    # ------------------------------------------------------------------ training
    def loss_and_grad(self, batch):
        """The batch's weighted negative ELBO (KL times ``beta``) plus the penalty; its
        gradient is left in ``self.grad``."""
        net = self.network
        encoder, decoder = net.encoder, net.decoder
        X = batch.X
        n, k = X.shape[0], net.n_components
        weights = (np.full(n, 1.0 / n, dtype=net.dtype) if batch.sample_weight is None
                   else (batch.sample_weight / batch.sample_weight.sum()).astype(net.dtype))
        total_weight = n if batch.sample_weight is None else batch.sample_weight.sum()

        encoded = encoder.forward(self.network_input(X, training=True), reuse_buffers=True)
        mu, sigma, raw_scale = _posterior(encoded[-1], k)
        eps = self.random_state.standard_normal((n, k)).astype(net.dtype, copy=False)
        z = mu + sigma * eps
        decoded = decoder.forward(z, reuse_buffers=True)
        noise = self._profiled_noise(batch, decoded[-1])
        if not noise.has_finite_parameters():
            return np.inf  # diverged: the loop restores the parameters and stops
        # at a profiled scale the log-scale term varies with the parameters: it stays in
        nll, delta = noise.nll_and_grad(X, decoded[-1], out=decoder.output_delta(n),
                                        mask=batch.mask,
                                        include_constants=noise is not self.noise)
        kl = _kl_to_prior(mu, sigma)
        delta *= weights[:, None]
        code_grad = decoder.backward(decoded, delta, input_gradient=True)

        beta_weights = (self.beta * weights)[:, None]
        code_delta = encoder.output_delta(n)
        np.add(code_grad, beta_weights * mu, out=code_delta[:, :k])
        code_grad *= eps
        code_grad += beta_weights * (sigma - 1 / sigma)
        np.multiply(code_grad, SCALE_LINK.derivative(raw_scale, sigma),
                    out=code_delta[:, k:])
        encoder.backward(encoded, code_delta)

        loss = float(weights @ (nll + self.beta * kl))
        if self.alpha:
            penalty = 0.0
            for w, g in net.weight_blocks():
                g += (self.alpha / total_weight) * w
                penalty += float(w @ w)
            loss += 0.5 * self.alpha * penalty / total_weight
        return loss

    def _profiled_noise(self, batch, raw):
        """The noise model of a training step: with fixed parameters (``scale="mle"``),
        set to their ML values on the batch at this draw.

        The step then follows the batch ELBO maximised over those parameters (profiled
        out): by the envelope theorem, the gradient of the maximum with respect to the
        network is the gradient at the maximiser. Training at a unit scale instead would
        weight the KL term by one over the squared noise scale, and a linear decoder with
        a pooled scale would not reach probabilistic PCA, the ELBO's optimum.
        """
        if not self.noise.has_fixed_parameters():
            return self.noise
        statistics = self.noise.fixed_statistics(batch.X, raw, batch.sample_weight,
                                                 batch.mask)
        return self.noise.fit_fixed(statistics, pooled=self.pooled_scale)

    def validation_score(self, validation, training):
        """Weighted mean validation ELBO (KL times ``beta``), one fixed draw per row, so
        that epochs are compared on the same noise.

        Fixed noise parameters are first fitted on the training rows.
        """
        noise = self.fit_noise(training)
        if not noise.has_finite_parameters():
            return -np.inf
        draws = np.random.RandomState(VALIDATION_SEED)
        scores = np.empty(validation.n_samples)
        for rows, chunk in validation.chunks(self._chunk_rows(1)):
            eps = draws.standard_normal((chunk.n_samples, 1, self.network.n_components))
            log_lik, kl, _ = self._decoded_log_likelihood(chunk, noise, eps)
            scores[rows] = log_lik[:, 0] - self.beta * kl
        return validation_mean(scores, validation.sample_weight)

    # ----------------------------------------------------------------- inference
    def _chunk_rows(self, n_draws):
        """Rows per chunk for ``n_draws`` codes per row through the widest layer."""
        width = max(self.network.layer_sizes)
        return max(1, CHUNK_VALUES // (width * n_draws))

    def encode(self, X):
        """Posterior means and standard deviations of the rows of X, chunk by chunk."""
        k = self.network.n_components
        out = np.empty((X.shape[0], 2 * k), dtype=self.network.dtype)
        for rows, chunk in self.chunks(X):
            out[rows] = self.network.encoder.forward(self.network_input(chunk))[-1]
        return _posterior(out, k)[:2]

    def decode(self, Z):
        """The noise model's raw outputs for the codes Z, chunk by chunk."""
        decoder = self.network.decoder
        out = np.empty((Z.shape[0], decoder.layer_sizes[-1]), dtype=self.network.dtype)
        for rows, chunk in self.chunks(Z):
            out[rows] = decoder.forward(chunk)[-1]
        return out

    def _decoded_log_likelihood(self, chunk, noise, eps):
        """For a dense chunk and draws ``eps`` of shape (n_rows, n_draws, k):
        ``log p(x | z)`` of each row and draw, the KL of each
        row, and the rest of the log importance weight ``log p(z) - log q(z | x)``."""
        encoded = self.network.encoder.forward(self.network_input(chunk.X))[-1]
        k = self.network.n_components
        mu, sigma, _ = _posterior(encoded, k)
        z = mu[:, None, :] + sigma[:, None, :] * eps.astype(mu.dtype, copy=False)
        n, n_draws = z.shape[:2]
        raw = self.network.decoder.forward(z.reshape(n * n_draws, k))[-1]
        mask = None if chunk.mask is None else np.repeat(chunk.mask, n_draws, axis=0)
        log_lik = noise.log_likelihood(np.repeat(chunk.X, n_draws, axis=0), raw, mask)
        log_prior_ratio = (0.5 * (eps * eps).sum(axis=-1) - 0.5 * (z * z).sum(axis=-1)
                           + np.log(sigma).sum(axis=1)[:, None])
        return (log_lik.reshape(n, n_draws), _kl_to_prior(mu, sigma),
                log_prior_ratio)

    def estimates(self, data, noise, n_draws):
        """The IWAE estimate of ``log p(x)`` and the ELBO of every row, from the same
        ``n_draws`` codes per row.

        .. math:: \\hat{\\ell}_K(x) = \\log \\frac1K \\sum_{k=1}^K w_k, \\qquad
                  \\mathrm{ELBO}(x) = \\frac1K \\sum_k \\log w_k, \\qquad
                  w_k = \\frac{p(x \\mid z_k)\\, p(z_k)}{q(z_k \\mid x)}

        with ``z_k = mu(x) + sigma(x) eps_k`` and ``eps_1..eps_K`` drawn by
        :func:`row_draws`, seeded by the row itself. Both average the same log weights, so the
        ELBO never exceeds the IWAE estimate (Jensen's inequality), row by row. The
        weights are summed by log-sum-exp over
        blocks of draws, so memory stays bounded for any ``n_draws``.
        """
        width = max(self.network.layer_sizes)
        draws_per_block = min(n_draws, max(1, CHUNK_VALUES // width))
        iwae = np.empty(data.n_samples, dtype=self.network.dtype)
        elbo = np.empty(data.n_samples, dtype=self.network.dtype)
        for rows, chunk in data.chunks(self._chunk_rows(draws_per_block)):
            if chunk.X.dtype != self.network.dtype:
                chunk.X = chunk.X.astype(self.network.dtype)
            eps = row_draws(chunk.X, n_draws, self.network.n_components)
            log_weight_sums, log_weight_total = [], 0.0
            for start in range(0, n_draws, draws_per_block):
                block = eps[:, start : start + draws_per_block]
                log_lik, _, log_prior_ratio = self._decoded_log_likelihood(
                    chunk, noise, block)
                log_weight = log_lik + log_prior_ratio
                log_weight_sums.append(logsumexp(log_weight, axis=1))
                log_weight_total = log_weight_total + log_weight.sum(axis=1)
            iwae[rows] = logsumexp(np.stack(log_weight_sums), axis=0) - math.log(n_draws)
            elbo[rows] = log_weight_total / n_draws
        return iwae, elbo

    def log_likelihood(self, data, noise=None, n_draws=100):
        """The IWAE estimate of each row's ``log p(x)``."""
        return self.estimates(data, self.noise if noise is None else noise, n_draws)[0]

    def _chunked_data(self, data):
        """``(rows, chunk data, raw outputs)`` over row chunks, the raw outputs decoded
        from one posterior draw per row (seeded): the base class fits the fixed noise
        parameters on them, which maximises the ELBO's reconstruction term in
        expectation."""
        draws = np.random.RandomState(VALIDATION_SEED)
        k = self.network.n_components
        for rows, chunk in data.chunks(self._chunk_rows(1)):
            if chunk.X.dtype != self.network.dtype:
                chunk.X = chunk.X.astype(self.network.dtype)
            mu, sigma, _ = _posterior(
                self.network.encoder.forward(self.network_input(chunk.X))[-1], k)
            eps = draws.standard_normal(mu.shape).astype(mu.dtype)
            yield rows, chunk, self.network.decoder.forward(mu + sigma * eps)[-1]

