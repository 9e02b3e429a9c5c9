"""Missing inputs: what a network sees of rows with NaN."""

import warnings

import numpy as np
import scipy.sparse as sp

# A model whose first fit saw no NaN has an encoder without missingness indicators.
MISSING_WITHOUT_INDICATORS = (
    "X has missing entries (NaN), but the model was first fitted on data without any: "
    "its encoder has no missingness indicators and sees each missing entry at its "
    "column's training mean, as if observed, which biases its codes and scores. Fit on "
    "data with missing entries (or with corruption='hide') for an encoder that tells "
    "them apart.")


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
    def fit(cls, X, chunk_rows=4096):
        """Fill values from the observed entries of X; indicators iff X has NaN.

        Summed chunk by chunk, so that no copy of X (nor a mask of it) is ever made.
        """
        if sp.issparse(X):  # NaN is rejected in sparse input
            return cls(np.asarray(X.mean(axis=0)).ravel().astype(X.dtype), False)
        sums = np.zeros(X.shape[1])
        counts = np.zeros(X.shape[1])
        for start in range(0, X.shape[0], chunk_rows):
            chunk = X[start : start + chunk_rows]
            sums += np.nansum(chunk, axis=0, dtype=np.float64)
            counts += chunk.shape[0] - np.isnan(chunk).sum(axis=0)
        means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
        return cls(means.astype(X.dtype), bool((counts < X.shape[0]).any()))

    def n_outputs(self, n_features):
        return 2 * n_features if self.indicators else n_features

    def __call__(self, X):
        if sp.issparse(X):
            return X
        # NaN propagates through a sum: one pass and no mask for the rows (every training
        # batch of a model fitted without missing values) that need no filling
        if not self.indicators and not np.isnan(np.sum(X)):
            return X
        missing = np.isnan(X)
        if not self.indicators:
            if not missing.any():
                return X
            warnings.warn(MISSING_WITHOUT_INDICATORS, UserWarning, stacklevel=2)
            return np.where(missing, self.means, X)
        return np.hstack([np.where(missing, self.means, X), missing.astype(X.dtype)])

