"""Statistics shared by the noise models: row dot products and weighted marginals."""

import numpy as np


def _einsum_row_dot(a, b):
    return np.einsum("ij,ij->i", a, b)


# ``sum_j a_ij b_ij`` for every row i; NumPy >= 2.0's vecdot is a SIMD loop, twice as
# fast as einsum here.
row_dot = getattr(np, "vecdot", _einsum_row_dot)


def weighted_mean(values, sample_weight):
    return np.average(values, axis=0, weights=sample_weight)


def weighted_median(values, sample_weight):
    """Column-wise weighted median that equals ``np.median`` of rows repeated by weight.

    The mean of the first sorted value whose cumulative weight reaches half the total
    and the first that passes it: for integer weights, the two middle rows (or the
    middle row twice) of the repeated data, so weights act exactly as repetitions.
    """
    if sample_weight is None:
        return np.median(values, axis=0)
    order = np.argsort(values, axis=0)
    cumulative = np.cumsum(np.asarray(sample_weight, dtype=float)[order], axis=0)
    half = 0.5 * cumulative[-1]
    lower = (cumulative < half).sum(axis=0)
    upper = (cumulative <= half).sum(axis=0)
    ordered = np.take_along_axis(values, order, axis=0)
    columns = np.arange(values.shape[1])
    return (ordered[lower, columns] + ordered[upper, columns]) / 2


def robust_spread(deviations, sample_weight):
    """Median absolute deviation, or the mean one where more than half the deviations
    are zero (discrete targets), so that a scale never starts at its floor."""
    mad = weighted_median(deviations, sample_weight)
    return np.where(mad > 0, mad, weighted_mean(deviations, sample_weight))


def entry_weights(sample_weight, mask, shape):
    """Weight of every entry: its row's sample weight where observed, 0 where masked."""
    weights = np.ones(shape[0]) if sample_weight is None else np.asarray(sample_weight,
                                                                          dtype=float)
    weights = np.broadcast_to(weights[:, None], shape)
    return weights if mask is None else np.where(mask, weights, 0.0)
