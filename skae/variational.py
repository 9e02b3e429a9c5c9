"""VariationalAutoEncoder: a density estimator and generator with an autoencoder's API."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._base import BaseLikelihoodNetwork, observed_mask
from ._dask import lazy_on_dask
from ._training import Data
from ._variational import EncoderDecoder, VariationalObjective
from .autoencoder import AutoEncoder
from .noise import Bernoulli, Categorical, Poisson
from .noise._base import model_blocks


class VariationalAutoEncoder(AutoEncoder):
    """Variational autoencoder: a density of x and a generator, with PCA's interface.

    A latent code ``z ~ N(0, I)`` of ``n_components`` units is decoded into the
    parameters of the noise model ``p(x | z)``; the model's density of ``x`` is

    .. math:: p(x) = \\int p(x \\mid z)\\, \\mathcal{N}(z; 0, I)\\, dz.

    The encoder outputs the mean ``mu(x)`` and, through a softplus, the standard
    deviation ``sigma(x)`` of a Gaussian posterior approximation
    ``q(z | x) = N(mu(x), diag sigma^2(x))``. Training
    maximises the evidence lower bound (ELBO) of the training data,

    .. math:: \\log p(x) \\ge \\mathrm{ELBO}(x) =
              \\mathbb{E}_{q(z \\mid x)}\\big[\\log p(x \\mid z)\\big]
              - \\mathrm{KL}\\big(q(z \\mid x) \\,\\|\\, \\mathcal{N}(0, I)\\big),

    the expectation estimated with one draw ``z = mu + sigma * eps`` per row and step
    (the reparameterisation trick) and the KL term exact; ``beta`` weights the KL term.
    :meth:`score_samples` estimates ``log p(x)`` itself by importance sampling
    (the IWAE bound, tighter than the ELBO and exact as ``n_importance_samples``
    grows), so a held-out :meth:`score` is a density comparable with those of
    :class:`~sklearn.mixture.GaussianMixture`, :class:`~sklearn.neighbors.KernelDensity`
    or :class:`~sklearn.decomposition.PCA`, and can choose ``n_components`` or
    ``noise`` in :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the latent code.
    hidden_layer_sizes : array-like of int, default=(100,)
        Sizes of the encoder's hidden layers; the decoder uses them in reverse order.
    activation : {"relu", "identity", "logistic", "tanh", "leaky_relu", "softplus"}, \
            default="relu"
        Activation of the hidden layers.
    noise : str or NoiseModel, default="gaussian"
        The decoder's likelihood ``p(x | z)``, any model of :mod:`skae.noise`. For a
        density of real data use ``Gaussian(scale="learned")`` (a scale per pixel and
        code). With ``scale="mle"`` (the default of ``"gaussian"``) the scale is one
        number shared by all features, profiled out of training: every step uses its
        maximum-likelihood value on the batch at that step's draw, so training
        maximises the ELBO over the scale too, and ``noise_`` holds its final ML value.
        With ``hidden_layer_sizes=()`` that is the linear VAE, whose ELBO optimum is
        probabilistic PCA (reaching it takes a larger learning rate than the default
        and more epochs than a plateau of the training loss allows: the fit first
        sits near the collapsed state, code on the prior). For discrete data:
        ``Binomial(n_trials)``, ``CategoricalLevels(n_levels)``, ``"poisson"``,
        ``"categorical"``. ``"bernoulli"`` is a density of binary data only,
        ``"categorical"`` of one-hot rows only, ``"poisson"`` of integer counts only:
        :meth:`score_samples` refuses other values (``"continuous_bernoulli"`` is the
        normalised density of values in [0, 1]).
    beta : float, default=1.0
        Weight of the KL term in the training loss: 1 trains the ELBO; other values
        give the beta-VAE (the reported :meth:`elbo` and :meth:`score_samples` are
        unweighted).
    n_importance_samples : int, default=1000
        Number K of posterior draws per row of :meth:`score_samples` and
        :meth:`elbo`. The estimate grows with K towards ``log p(x)``; see Notes.
    solver : {"adam", "sgd"}, default="adam"
        Optimizer. L-BFGS is not offered: the ELBO is estimated with fresh noise at
        every step, which a line search cannot handle.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights of encoder and decoder.
    batch_size, learning_rate, learning_rate_init, power_t, max_iter, shuffle, tol, \
verbose, warm_start, momentum, nesterovs_momentum, validation_fraction, beta_1, beta_2, \
epsilon, n_iter_no_change, max_fun, n_threads, partial_fit_noise
        As in :class:`AutoEncoder`.
    corruption : {"mask", "hide", "gaussian", "salt_and_pepper"} or None, default=None
        Corrupt the encoder's inputs of training batches, as in :class:`AutoEncoder`
        (a denoising VAE): the ELBO stays that of the clean rows, and scoring,
        :meth:`transform` and :meth:`elbo` see the inputs as given. With ``"hide"``
        the encoder sees the hidden entries as missing (at the training mean, beside
        their indicators), and the ELBO keeps every observed entry.
    corruption_level : float, default=0.25
        The fraction of entries corrupted (``"mask"``, ``"hide"``,
        ``"salt_and_pepper"``) or the
        standard deviation of the added noise (``"gaussian"``).
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the early-stopping split and the
        reparameterisation noise of training (not the draws of inference, which are
        fixed).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its mean ELBO
        (KL times ``beta``, one fixed draw per row) stops improving; the best
        parameters are kept.

    Attributes
    ----------
    noise_ : NoiseModel
        The fitted decoder likelihood (with a fixed ``"mle"`` scale, set to its
        maximum-likelihood value at one posterior draw per training row).
    coefs_, intercepts_ : list of ndarray
        Weights and biases of the encoder, then of the decoder; views into one
        parameter vector. The encoder's last layer has ``2 * n_components`` units:
        the means, then the raw scales (``sigma = softplus(raw) + 1e-6``).
    loss_ : float
        Training loss of the last epoch: the weighted mean negative ELBO (KL times
        ``beta``) less the noise model's constant terms, plus the penalty. With a
        profiled ``scale="mle"`` the constant terms are included, as the log-scale
        term then varies with the parameters.
    loss_curve_, validation_scores_, best_validation_score_, best_loss_, n_iter_, t_, \
n_layers_, n_outputs_, n_features_in_, feature_names_in_
        As in :class:`AutoEncoder`; ``validation_scores_`` are validation ELBOs.

    See Also
    --------
    AutoEncoder : The deterministic autoencoder; its score is not a density.
    sklearn.mixture.GaussianMixture, sklearn.neighbors.KernelDensity : Other densities.

    Notes
    -----
    The IWAE estimate (Burda, Grosse & Salakhutdinov, 2016) of ``log p(x)`` is

    .. math:: \\hat\\ell_K(x) = \\log \\frac1K \\sum_{k=1}^K
              \\frac{p(x \\mid z_k)\\, \\mathcal{N}(z_k; 0, I)}{q(z_k \\mid x)},
              \\qquad z_k \\sim q(z \\mid x),

    computed by log-sum-exp. Its expectation never decreases with K, starts at the
    ELBO (K = 1) and tends to ``log p(x)``. Its draws ``z_k = mu + sigma eps_k`` are
    seeded by the row's own values: repeated calls give the same numbers, and a row's
    score does not depend on the rows scored with it. The Monte Carlo errors of
    different rows are independent and average out in :meth:`score`, but identical
    rows share their draws and their errors: on data with many repeated rows
    (discrete data) :meth:`score` averages fewer independent errors, and needs a
    larger K for the same precision. The cost
    is K decoder passes per row, computed in chunks of bounded memory.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import VariationalAutoEncoder
    >>> from skae.noise import Gaussian
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> vae = VariationalAutoEncoder(n_components=1, noise=Gaussian(scale="learned"),
    ...                              hidden_layer_sizes=(16,), max_iter=5,
    ...                              n_importance_samples=50, random_state=0).fit(X)
    >>> vae.transform(X[:2]).shape, vae.sample(4, random_state=0).shape
    ((2, 1), (4, 3))
    >>> bool(np.all(vae.elbo(X[:5]) <= vae.score_samples(X[:5])))
    True
    """

    _parameter_constraints = {
        **{name: constraint for name, constraint in AutoEncoder._parameter_constraints.items()
           if name not in ("code_activation", "contraction", "sparsity", "sparsity_target")},
        "solver": [StrOptions({"sgd", "adam"})],
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_importance_samples": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_components=2, *, hidden_layer_sizes=(100,), activation="relu",
                 noise="gaussian", beta=1.0, n_importance_samples=1000, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, n_threads=None,
                 partial_fit_noise=True, corruption=None, corruption_level=0.25):
        # BaseLikelihoodNetwork's __init__, not AutoEncoder's: AutoEncoder's options for a
        # deterministic code (code_activation, contraction, sparsity) are not parameters
        # of a VAE, whose code is a distribution and whose encoder ends linear
        BaseLikelihoodNetwork.__init__(
            self, hidden_layer_sizes=hidden_layer_sizes, activation=activation, noise=noise,
            solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, n_threads=n_threads,
            partial_fit_noise=partial_fit_noise,
        )
        self.n_components = n_components
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.beta = beta
        self.n_importance_samples = n_importance_samples

    # what AutoEncoder's methods read of those options: a linear code, no penalty
    code_activation = "identity"
    contraction = sparsity = 0.0

    # ------------------------------------------------------------------ fitting
    def _new_network(self, layers, dtype):
        return EncoderDecoder(*layers, dtype)

    def _make_objective(self, network, noise):
        terms = self._training_terms(network)  # the corruption; no penalty here
        return VariationalObjective(
            network, noise, self.alpha, self.beta, input_transform=self._input_transform(),
            corruption=terms["corruption"], random_state=terms["random_state"])

    # ---------------------------------------------------------------- inference
    def _estimates(self, X):
        X = self._validate_X(X)
        noise = self.noise_
        _refuse_unnormalised(noise, X)
        with self._blas_threads():
            return self._fitted_objective().estimates(
                Data(X, mask=observed_mask(X)), noise, self.n_importance_samples)

    @lazy_on_dask
    def transform(self, X):
        """Encode X: the posterior means ``mu(x)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode; NaN entries are filled as in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
        """
        X = self._validate_X(X)
        with self._blas_threads():
            return self._fitted_objective().encode(X)[0]

    @lazy_on_dask
    def inverse_transform(self, X):
        """Decode codes to the mean of the decoded distribution.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, e.g. from :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features_in_)
        """
        check_is_fitted(self)
        codes = self._check_codes(X)
        with self._blas_threads():
            return self.noise_.mean(self._fitted_objective().decode(codes))

    def sample(self, n_samples=1, random_state=None):
        """Draw samples from the model: ``z ~ N(0, I)``, then ``x ~ p(x | z)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the codes and the noise model's draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            In the dtype the model was fitted in.
        """
        check_is_fitted(self)
        if (not isinstance(n_samples, Integral) or isinstance(n_samples, bool)
                or n_samples < 1):
            raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
        random_state = check_random_state(random_state)
        dtype = self._network.dtype
        codes = random_state.standard_normal((n_samples, self._fitted_n_components))
        with self._blas_threads():
            raw = self._fitted_objective().decode(codes.astype(dtype))
        draws = self.noise_.sample(raw, 1, random_state=random_state)[0]
        return np.asarray(draws).astype(dtype, copy=False)

    @lazy_on_dask
    def score_samples(self, X):
        """Importance-weighted estimate of ``log p(x)`` of each sample (IWAE).

        With ``K = n_importance_samples`` posterior draws, seeded by the row (see
        Notes): a lower bound of ``log p(x)`` in expectation, tighter than
        :meth:`elbo` and tending to ``log p(x)`` as K grows. For a row with missing
        (NaN) entries it estimates the density of the observed entries. A sample
        outside the noise model's support scores ``-inf``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        log_density : ndarray of shape (n_samples,)

        Raises
        ------
        ValueError
            Under ``Bernoulli`` noise, for values other than 0 and 1: the Bernoulli
            cross-entropy of a grey level is not a normalised density.
        """
        return self._estimates(X)[0]

    @lazy_on_dask
    def elbo(self, X):
        """The evidence lower bound of each sample, with the unweighted KL term.

        ``E_q[log p(x | z) + log p(z) - log q(z | x)]``, estimated by the mean of the
        log importance weights of the same ``n_importance_samples`` draws as
        :meth:`score_samples`, so that it never exceeds that score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
        """
        return self._estimates(X)[1]

    def score(self, X, y=None):
        """Mean of :meth:`score_samples`: the average log-density (higher is better).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))


def _dense_rows(values):
    """The observed rows of a block as a dense array (a categorical variable goes
    missing whole, so a row with a NaN is a missing one)."""
    values = values.toarray() if sp.issparse(values) else values
    return values[~np.isnan(values).any(axis=1)]


def _off_support_message(model, values):
    """Why ``model``'s likelihood of ``values`` would not be a normalised density, or
    None. The models whose formula extends beyond their support with a finite value:
    Bernoulli to grey levels, Categorical to rows of probabilities, Poisson to
    non-integer counts (the others score such values -inf)."""
    if type(model) is Bernoulli:
        seen = values.data if sp.issparse(values) else values[~np.isnan(values)]
        off = seen[(seen != 0) & (seen != 1)]
        if off.size:
            return ("Bernoulli noise is a normalised distribution of binary data only, "
                    f"and X holds other values ({off.size} entries, e.g. {off[0]!r}): its "
                    "likelihood would not be a density. Use noise='continuous_bernoulli' "
                    "(a density on [0, 1]), or Binomial(n_trials) for bounded counts.")
    elif type(model) is Categorical:
        rows = _dense_rows(values)
        one_hot = np.isin(rows, (0, 1)).all(axis=1) & (rows.sum(axis=1) == 1)
        if not one_hot.all():
            return ("Categorical noise is a normalised distribution of one-hot rows "
                    f"only, and X holds {np.sum(~one_hot)} other rows, e.g. "
                    f"{rows[~one_hot][0].tolist()}: their likelihood would not be a "
                    "density.")
    elif type(model) is Poisson:
        seen = values.data if sp.issparse(values) else values[~np.isnan(values)]
        off = seen[seen != np.round(seen)]
        if off.size:
            return ("Poisson noise is a distribution of counts, and X holds non-integer "
                    f"values ({off.size} entries, e.g. {off[0]!r}): their likelihood "
                    "would not be a density. Round them to counts, or model them as "
                    "real values (e.g. noise='gaussian').")
    return None


def _refuse_unnormalised(noise, X):
    for model, columns, _, _ in model_blocks(noise, X.shape[1]):
        message = _off_support_message(model, X[:, columns])
        if message:
            raise ValueError(message)

