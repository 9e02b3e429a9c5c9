"""AutoEncoder: a nonlinear, likelihood-aware transformer that stands wherever PCA stands."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._activations import ACTIVATIONS
from ._base import BaseLikelihoodNetwork, _is_stochastic, observed_mask
from ._corruption import CORRUPTIONS, Corruption, check_corruption
from ._dask import lazy_on_dask
from ._missing import FillMissing
from ._penalties import ContractivePenalty, SparsityPenalty
from ._training import Data


class AutoEncoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseLikelihoodNetwork):
    """Autoencoder trained by maximum likelihood under a chosen noise model.

    The encoder maps ``x`` through ``hidden_layer_sizes`` to a code ``z`` of
    ``n_components`` units (linear by default); the decoder mirrors the encoder and
    outputs the parameters ``omega`` of the noise model ``p(x | omega)``. Training
    maximises the likelihood of the data under the decoded distribution:

    .. math:: \\min_\\theta \\; -\\sum_i \\log p\\big(x_i \\mid
              \\omega = g_\\theta(f_\\theta(\\tilde x_i))\\big)
              + \\tfrac{\\alpha}{2}\\lVert W\\rVert^2 + \\text{penalties}

    where :math:`\\tilde x_i = x_i` unless ``corruption`` is set (a denoising
    autoencoder: the input is corrupted, the target is not), and the optional
    penalties (``sparsity``, ``contraction``) act on the code.

    With ``noise="gaussian"`` this is the squared reconstruction error, with
    ``"bernoulli"`` the binary cross-entropy. With ``hidden_layer_sizes=()`` and
    ``activation="identity"`` it is the classic linear autoencoder, whose optimum spans
    the principal subspace.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code layer (output of :meth:`transform`).
    hidden_layer_sizes : array-like of int, default=(100,)
        Sizes of the encoder's hidden layers; the decoder uses them in reverse order.
        ``()`` makes encoder and decoder single affine maps.
    activation : {"relu", "identity", "logistic", "tanh", "leaky_relu", "softplus"}, \
            default="relu"
        Activation of the hidden layers. The code layer's is ``code_activation``
        (linear by default, so that no code unit can die).
    noise : str or NoiseModel, default="gaussian"
        The distribution of the data given its reconstruction: ``"gaussian"``,
        ``"bernoulli"``, ``"categorical"``, ``"laplace"``, ``"poisson"``,
        ``"student_t"``, ``"lognormal"`` or an instance from :mod:`skae.noise`.
    solver : {"adam", "sgd", "lbfgs"}, default="adam"
        Optimizer, as in :class:`sklearn.neural_network.MLPRegressor`.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Minibatch size for the stochastic solvers; ``"auto"`` is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule of ``solver="sgd"``.
    learning_rate_init : float, default=1e-3
        Initial step size of ``"sgd"`` and ``"adam"``.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (``"sgd"``, ``"adam"``) or iterations (``"lbfgs"``).
    shuffle : bool, default=True
        Whether to shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the early-stopping split.
    tol : float, default=1e-4
        Training stops when the loss (or validation score) has not improved by ``tol``
        for ``n_iter_no_change`` consecutive epochs.
    verbose : bool, default=False
        Print the loss of every epoch.
    warm_start : bool, default=False
        Continue from the previous solution when ``fit`` is called again.
    momentum : float, default=0.9
        Momentum of ``"sgd"``.
    nesterovs_momentum : bool, default=True
        Whether ``"sgd"`` uses Nesterov's momentum.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when its mean
        log-likelihood stops improving; the best parameters are kept.
    validation_fraction : float, default=0.1
        Fraction of the data held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical stabiliser.
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of ``"lbfgs"``.
    n_threads : int, default=None
        Number of BLAS threads for training and inference. None chooses per pass:
        one thread where the network's matrix products are small (more threads only
        spin, and on a busy machine compete for the cores), the library's setting
        where they are large. The process-wide setting is left as it was.
    partial_fit_noise : bool, default=True
        Whether each :meth:`partial_fit` call also updates the fixed noise parameters
        (one forward pass over the call's data). Set it to False when streaming, and
        call :meth:`fit_noise` once at the end.
    code_activation : {"identity", "logistic", "tanh", "relu", "leaky_relu", \
            "softplus"}, default="identity"
        Activation of the code layer. The default linear code cannot die; a
        ``"logistic"`` code in (0, 1) is the classic sparse and contractive
        autoencoder's.
    corruption : {"mask", "hide", "gaussian", "salt_and_pepper"} or None, default=None
        Corrupt the inputs of training batches, afresh every batch, while the loss
        stays the likelihood of the clean rows (a denoising autoencoder):
        ``"mask"`` sets a fraction ``corruption_level`` of the entries to 0,
        ``"hide"`` hides a fraction ``corruption_level`` of the observed entries as
        missing (NaN): the network sees them at the training mean beside a
        missingness indicator, as it sees missing entries, while the likelihood
        keeps every observed entry, so it learns to fill in what it cannot see
        (dense X only; a fit with ``"hide"`` gives the network the indicator
        columns even when X has no NaN),
        ``"gaussian"`` adds :math:`N(0, \\text{corruption\\_level}^2)` noise to every
        entry, ``"salt_and_pepper"`` sets a fraction ``corruption_level`` of the
        entries to the smallest or the largest value of the training data (each
        with probability 1/2; 0 or 1 for data in [0, 1]). :meth:`transform`,
        :meth:`score_samples` and the validation score see the inputs as given.
        The fresh corruption makes the training loss noisy from epoch to epoch, so
        the plateau rule (``tol``, ``n_iter_no_change``) can stop training long
        before ``max_iter`` even with ``tol=0``; pass ``n_iter_no_change=np.inf``
        to run every epoch, or stop early on the held-out likelihood.
    corruption_level : float, default=0.25
        Fraction of entries corrupted (``"mask"``, ``"hide"``, ``"salt_and_pepper"``;
        in [0, 1))
        or standard deviation of the noise (``"gaussian"``). Ignored without
        ``corruption``.
    contraction : float, default=0.0
        Weight :math:`\\lambda` of the contractive penalty
        :math:`\\lambda \\lVert \\partial z / \\partial x \\rVert_F^2` on the code's
        Jacobian, averaged over the rows. Exact for an encoder of one layer
        (``hidden_layer_sizes=()``); deeper, an unbiased estimate from one random
        direction per row (see ``docs/theory.md``).
    sparsity : float, default=0.0
        Weight :math:`\\beta` of the sparsity penalty on the code. With
        ``code_activation="logistic"``, the KL divergence of each code unit's mean
        activation over the batch from ``sparsity_target``, summed over units:
        the mean of a logistic unit is a firing probability, and the KL term holds
        it near the target from both sides, so that no unit dies. Otherwise the L1
        norm of the code, averaged over the rows (activations that are not
        probabilities have no KL).
    sparsity_target : float in (0, 1), default=0.05
        Target mean activation :math:`\\rho` of a logistic code unit.

    Attributes
    ----------
    noise_ : NoiseModel
        The fitted noise model. With a fixed scale (``scale="mle"``, the default of
        Gaussian and Laplace) its ``scale`` is the maximum-likelihood value on the
        training residuals, one value shared by all features as PCA's
        ``noise_variance_``, so :meth:`score_samples` is an exact log-likelihood of
        each sample under its own reconstruction.
    coefs_ : list of ndarray
        Weight matrices of encoder and decoder, views into one parameter vector.
    intercepts_ : list of ndarray
        Bias vectors.
    loss_ : float
        Training loss of the last epoch (or the final L-BFGS loss): the weighted mean
        NLL less its constant terms, plus the penalty (squared error / 2 for the
        default Gaussian, as scikit-learn's MLP).
    loss_curve_ : list of float
        ``loss_`` per epoch or L-BFGS iteration.
    validation_scores_ : list of float or None
        Mean log-likelihood of the validation rows per epoch, with
        ``early_stopping=True``: exact, with fixed noise parameters fitted on the
        training rows at that epoch.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    best_loss_ : float or None
        Lowest training loss, without early stopping.
    n_iter_ : int
        Number of epochs (or L-BFGS iterations) run by the last call to ``fit`` or
        ``partial_fit``.
    t_ : int
        Number of training samples seen by the stochastic solver.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of target columns of the likelihood (``n_features_in_``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of the features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear, Gaussian special case.
    MLPLikelihoodRegressor : The same machinery for supervised targets.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoEncoder
    >>> X = load_digits().data / 16
    >>> ae = AutoEncoder(n_components=2, noise="bernoulli", max_iter=5, random_state=0)
    >>> ae.fit_transform(X).shape
    (1797, 2)
    >>> ae.inverse_transform(ae.transform(X[:3])).shape
    (3, 64)
    """

    _parameter_constraints = {
        **BaseLikelihoodNetwork._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "code_activation": [StrOptions(set(ACTIVATIONS))],
        "corruption": [StrOptions(set(CORRUPTIONS)), None],
        "corruption_level": [Interval(Real, 0, None, closed="left")],
        "contraction": [Interval(Real, 0, None, closed="left")],
        "sparsity": [Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    }
    _pooled_scale = True
    _allow_nan_input = True

    def __init__(self, n_components=2, *, hidden_layer_sizes=(100,), activation="relu",
                 noise="gaussian", solver="adam", alpha=0.0001, batch_size="auto",
                 learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, n_iter_no_change=10, max_fun=15000, n_threads=None,
                 partial_fit_noise=True, code_activation="identity", corruption=None,
                 corruption_level=0.25, contraction=0.0, sparsity=0.0,
                 sparsity_target=0.05):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes, activation=activation, noise=noise,
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
        self.code_activation = code_activation
        self.corruption = corruption
        self.corruption_level = corruption_level
        self.contraction = contraction
        self.sparsity = sparsity
        self.sparsity_target = sparsity_target

    def _layers(self, n_features, n_raw):
        hidden = self._hidden_sizes()
        sizes = [self._input_fill.n_outputs(n_features), *hidden, self.n_components, *hidden[::-1], n_raw]
        activations = [self.activation] * len(hidden) + [self.code_activation] + (
            [self.activation] * len(hidden))
        return sizes, activations

    def _training_terms(self, network):
        # an objective built for inference carries them unused
        state = getattr(self, "_training_state", None)
        random_state = None if state is None else state.random_state
        corruption = None
        if self.corruption is not None:
            low, high = getattr(self, "_corruption_range", (0.0, 1.0))
            corruption = Corruption(self.corruption, self.corruption_level, low, high)
        return dict(corruption=corruption, random_state=random_state,
                    penalties=self._penalties(network, random_state))

    def _penalties(self, network, random_state):
        code = network.n_layers // 2  # as _code_layer, for the network being trained
        penalties = []
        if self.sparsity:
            penalties.append(SparsityPenalty(self.sparsity, self.sparsity_target, code,
                                              network.activations[code - 1]))
        if self.contraction:
            penalties.append(ContractivePenalty(
                self.contraction, code, network.activations[:code], self.n_features_in_,
                random_state=random_state))
        return penalties

    @property
    def _code_layer(self):
        # The fitted network is the encoder, then its mirror image: the code is the
        # output of its first half. Read from the fitted network, never from the current
        # hyperparameters, which set_params may have changed since.
        return self._network.n_layers // 2

    @property
    def _fitted_n_components(self):
        return self._network.layer_sizes[self._code_layer]

    def _target_names(self, X, y):
        columns = getattr(X, "columns", None)
        return None if columns is None else [str(c) for c in columns]

    def _validate_fit_data(self, X, y, reset):
        dtype = [np.float64, np.float32] if reset else self._network.dtype
        X = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=dtype,
                          ensure_all_finite="allow-nan")
        if reset:
            self._input_fill = FillMissing.fit(X)
            if self.corruption == "hide" and not sp.issparse(X):
                # Without indicators a hidden entry would look like an observed entry
                # that happens to equal its column's mean, and the network could not
                # learn to tell what it must fill in from what it sees. The input
                # layer is fixed by the first fit: later fits and partial_fit calls
                # keep it, whatever corruption they use.
                self._input_fill.indicators = True
        return X, None

    def _noise_for_training(self, noise, targets, sample_weight, mask, warm):
        # The hook that fit and partial_fit take and fit_noise does not: what shapes
        # training alone is checked and set up here, so that fit_noise still works
        # after set_params(solver="lbfgs") and keeps the salt-and-pepper values.
        check_corruption(self.corruption, self.corruption_level)
        if self.corruption == "hide" and sp.issparse(targets):
            raise ValueError(
                "corruption='hide' hides entries as NaN, which a sparse matrix cannot "
                "hold; pass X as a dense array, or use corruption='mask'.")
        self._check_deterministic_for_lbfgs()
        if not warm:  # a range kept from an earlier fit is not this data's
            self.__dict__.pop("_corruption_range", None)
        if self.corruption == "salt_and_pepper" and not hasattr(self, "_corruption_range"):
            # the values of salt and pepper: the range of the data fit started on
            fitted = Corruption.fit(self.corruption, self.corruption_level, targets)
            self._corruption_range = (fitted.low, fitted.high)
        return noise

    def _check_deterministic_for_lbfgs(self):
        # L-BFGS builds its curvature from differences of gradients, which fresh random
        # draws at every evaluation would turn into noise
        if self.solver != "lbfgs":
            return
        if self.corruption is not None:
            raise ValueError(
                f"corruption={self.corruption!r} draws a new corruption at every loss "
                "evaluation, which solver='lbfgs' cannot follow; use solver='adam' or "
                "'sgd'.")
        if self.contraction and self._hidden_sizes():
            raise ValueError(
                "With hidden layers, the contraction penalty is estimated from random "
                "directions drawn at every loss evaluation, which solver='lbfgs' cannot "
                "follow; use solver='adam' or 'sgd', or hidden_layer_sizes=() (exact).")

    def _input_transform(self):
        # NaN (missing) inputs filled, with their indicators if fit saw any
        return self._input_fill

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder to X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; must lie in the noise model's support (e.g. [0, 1] for
            Bernoulli). NaN marks a missing entry (dense X only): it has no likelihood
            term in training, validation or the fitted scale, and the encoder sees it
            filled with its column's training mean beside a missingness indicator
            (the network's input is then twice as wide).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights; integer weights act as repeated rows.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, None, sample_weight, incremental=False)

    @available_if(_is_stochastic)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Run one epoch over X, initialising the network on the first call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The estimator.

        Notes
        -----
        A fixed noise parameter (``scale="mle"``) is estimated from the residuals of
        every call's data so far, each taken with the network as it stood after the
        epoch that trained on it: its sufficient statistics add up across calls. That
        costs one forward pass over each call's data; ``partial_fit_noise=False`` skips
        it, and :meth:`fit_noise` then estimates the parameter exactly for the final
        network in one streaming pass. ``early_stopping=True`` is not supported.

        The first call's data fix how missing inputs are seen for good: the columns'
        fill values, and whether the encoder has missingness indicators (only if that
        data holds NaN, or with ``corruption="hide"``). NaN in a later call, met by an
        encoder without indicators, is filled at the first call's means with a
        warning.
        """
        return self._fit(X, None, sample_weight, incremental=True)

    def fit_noise(self, X, y=None, sample_weight=None):
        """Re-estimate the fixed noise parameters (e.g. ``scale="mle"``) on X.

        The maximum-likelihood values for the network as it stands, from sufficient
        statistics summed over row chunks in one pass: the exact estimate, over data
        of any size, after streaming training with :meth:`partial_fit`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data, e.g. everything :meth:`partial_fit` has seen.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : object
            The estimator, with ``noise_`` updated.
        """
        return self._fit_noise(X, None, sample_weight)

    @lazy_on_dask
    def transform(self, X):
        """Encode X: the code layer's activations.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data to encode; NaN entries are filled as in :meth:`fit`.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the dtype the model was fitted in.
        """
        return self._forward(self._validate_X(X), stop=self._code_layer)

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
            The decoder's mean (probabilities for Bernoulli, rates for Poisson).
        """
        check_is_fitted(self)
        codes = self._check_codes(X)
        return self.noise_.mean(self._forward(codes, start=self._code_layer))

    def _check_codes(self, X):
        codes = check_array(X, dtype=self._network.dtype, input_name="X")
        if codes.shape[1] != self._fitted_n_components:
            raise ValueError(
                f"X has {codes.shape[1]} features, but inverse_transform expects codes of "
                f"n_components={self._fitted_n_components} features."
            )
        return codes

    @lazy_on_dask
    def score_samples(self, X):
        """Log-likelihood of each sample under its own decoded distribution.

        ``log p(x_i | omega = g(f(x_i)))``, exact, with normalising constants: the
        likelihood of ``x_i`` under the distribution decoded from its own code. For a
        row with missing (NaN) entries it is the exact likelihood of its observed
        entries: the decoded distribution factorises over columns given the code, so
        the missing ones integrate out. Higher
        is better; low values flag anomalies. A sample with a feature outside the noise
        model's support (e.g. above 1 under Bernoulli noise) has likelihood zero and
        scores ``-inf``.

        This is **not a density of x**: ``x_i`` is scored under a distribution built
        from ``x_i`` itself, and the score grows with ``n_components`` (a larger code
        passes more of ``x_i`` through). Within a fixed ``n_components`` it compares
        noise models and training settings; it never chooses ``n_components``, and it
        is not comparable with :meth:`sklearn.decomposition.PCA.score_samples`, which
        is a density. See ``docs/theory.md``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        X = self._validate_X(X)
        return self._log_likelihood(Data(X, mask=observed_mask(X)))

    def score(self, X, y=None):
        """Mean of :meth:`score_samples` (higher is better).

        Compare it across noise models or training settings at one ``n_components``;
        it grows with ``n_components`` and so cannot choose it.

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

    @property
    def _n_features_out(self):
        return self._fitted_n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.positive_only = self._noise_support() != "real"
        tags.input_tags.allow_nan = True
        # the entries "hide" hides are NaN, which a sparse matrix cannot hold
        tags.input_tags.sparse = self.corruption != "hide"
        return tags
