"""Missing inputs: what a network sees of rows with NaN."""

import numpy as np
import scipy.sparse as sp


class FillMissing:
    """Missing entries filled with the training column means, and optionally the
    missingness pattern appended as indicator columns.

    A network cannot take NaN. Filled with the column mean alone, a missing entry
    looks like an observed average value; the indicators let the encoder tell the
    two apart (``[x_filled, 1{x missing}]``, twice the width).

    Parameters
    ----------
    means : ndarray of shape (n_features,)
        Fill values: each column's mean over its observed training entries (0 for a
        column never observed).
    indicators : bool
        Append the indicators (a model fitted on data with missing entries).
    """

    def __init__(self, means, indicators):
        self.means = means
        self.indicators = indicators

    @classmethod
    def fit(cls, X):
        """Fill values from the observed entries of X; indicators iff X has NaN."""
        if sp.issparse(X):  # NaN is rejected in sparse input
            return cls(np.asarray(X.mean(axis=0)).ravel().astype(X.dtype), False)
        missing = np.isnan(X)
        counts = (~missing).sum(axis=0)
        sums = np.where(missing, 0, X).sum(axis=0, dtype=np.float64)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        return cls(means.astype(X.dtype), bool(missing.any()))

    def n_outputs(self, n_features):
        return 2 * n_features if self.indicators else n_features

    def __call__(self, X):
        if sp.issparse(X):
            return X
        missing = np.isnan(X)
        if not self.indicators:
            return np.where(missing, self.means, X) if missing.any() else X
        return np.hstack([np.where(missing, self.means, X), missing.astype(X.dtype)])


class MaskObserved:
    """Training-input corruption: each observed entry is hidden (set to NaN) with
    probability ``rate``, so that the network learns to fill in what it cannot see
    from what it can (denoising by masking); the targets stay clean.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of hiding an observed entry.
    """

    def __init__(self, rate):
        self.rate = rate

    def __call__(self, X, random_state):
        hidden = random_state.random_sample(X.shape) < self.rate
        return np.where(hidden, np.asarray(np.nan, dtype=X.dtype), X)
