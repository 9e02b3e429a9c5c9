"""Input corruption for denoising training: masking, hiding, Gaussian and salt-and-pepper noise.

A denoising autoencoder sees a corrupted copy :math:`\\tilde x \\sim q(\\tilde x \\mid x)`
of each training row and is scored on the likelihood of the clean row,
:math:`-\\log p(x \\mid g(f(\\tilde x)))`. The corruption is an estimator-independent
callable ``corruption(X, random_state)``: any objective can apply it to the inputs of
its training batches (see ``Objective``'s ``corruption``).
"""

from numbers import Real

import numpy as np
import scipy.sparse as sp

CORRUPTIONS = ("mask", "hide", "gaussian", "salt_and_pepper")

# the kinds whose level is a fraction of entries, as opposed to a standard deviation
_FRACTION_KINDS = ("mask", "hide", "salt_and_pepper")


def check_corruption(corruption, corruption_level):
    """Raise a ValueError naming the parameters if the level does not suit the kind.

    ``corruption_level`` is a fraction of entries in ``[0, 1)`` for ``"mask"``,
    ``"hide"`` and ``"salt_and_pepper"`` and a standard deviation ``>= 0`` for
    ``"gaussian"``; the type and sign are checked by the estimator's
    ``_parameter_constraints``.
    """
    if corruption is None:
        return
    if corruption not in CORRUPTIONS:
        raise ValueError(f"corruption must be None or one of {CORRUPTIONS}; got "
                         f"{corruption!r}.")
    if not isinstance(corruption_level, Real) or not np.isfinite(corruption_level) or (
            corruption_level < 0):
        raise ValueError("corruption_level must be a finite number >= 0; got "
                         f"{corruption_level!r}.")
    if corruption in _FRACTION_KINDS and corruption_level >= 1:
        raise ValueError(
            f"With corruption={corruption!r}, corruption_level is the fraction of entries "
            f"corrupted and must lie in [0, 1); got {corruption_level!r}."
        )


class Corruption:
    """A random corruption of input rows, drawn afresh at every call.

    ``"mask"``
        Each entry is set to 0 with probability ``level`` (masking noise: the encoder
        must infer what it does not see from what it does). Zero is "off" for pixels,
        counts and standardised data alike.
    ``"hide"``
        Each entry is set to NaN (missing) with probability ``level``: the network
        sees it as it sees a missing entry (filled, with its indicator where the
        model has them), so it learns to fill in what it cannot see from what it can.
        Needs dense X: sparse matrices cannot hold NaN.
    ``"gaussian"``
        :math:`\\tilde x = x + \\varepsilon`, :math:`\\varepsilon \\sim N(0, \\text{level}^2)`
        independently per entry.
    ``"salt_and_pepper"``
        Each entry is, with probability ``level``, set to ``low`` or ``high`` (each
        with probability 1/2). They are the smallest and largest value of the
        training data as a whole, not per feature, so that every pixel of an image
        can be hit with the image's black and white (0 and 1 for data in [0, 1];
        a feature that never varies in training is still corrupted).

    Missing entries (NaN) stay missing. The result is a dense array of X's dtype.
    The parameters are checked by :func:`check_corruption` when an estimator fits, not
    here, so that a model whose parameters were changed after fitting still predicts.

    Parameters
    ----------
    kind : {"mask", "hide", "gaussian", "salt_and_pepper"}
    level : float
        Fraction of entries corrupted, or the standard deviation of ``"gaussian"``.
    low, high : float, default=0.0, 1.0
        The values of ``"salt_and_pepper"``.
    """

    def __init__(self, kind, level, low=0.0, high=1.0):
        # level as given: an objective built for inference carries a corruption it
        # never applies, whatever set_params left in corruption_level
        self.kind, self.level = kind, level
        self.low, self.high = float(low), float(high)

    @classmethod
    def fit(cls, kind, level, X):
        """The corruption with ``low`` and ``high`` the extremes of X's finite entries."""
        if kind != "salt_and_pepper" or X.shape[0] == 0:
            return cls(kind, level)
        if sp.issparse(X):
            low, high = X.min(), X.max()
        else:
            low, high = np.nanmin(X), np.nanmax(X)
        return cls(kind, level, low, high)

    def __call__(self, X, random_state):
        X = X.toarray() if sp.issparse(X) else np.asarray(X)
        if self.kind == "gaussian":
            noise = random_state.standard_normal(X.shape)
            noise *= self.level
            return X + noise.astype(X.dtype, copy=False)
        hit = random_state.random_sample(X.shape) < self.level
        if self.kind == "mask":
            # a product keeps NaN (a missing entry) missing, where assigning 0 would not
            return X * (~hit).astype(X.dtype)
        if self.kind == "hide":
            return np.where(hit, X.dtype.type(np.nan), X)
        high = random_state.random_sample(X.shape) < 0.5
        values = np.where(high, X.dtype.type(self.high), X.dtype.type(self.low))
        hit &= ~np.isnan(X)
        return np.where(hit, values, X)

    def __repr__(self):
        return f"Corruption({self.kind!r}, {self.level!r})"
