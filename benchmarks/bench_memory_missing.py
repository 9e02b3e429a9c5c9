"""Memory of a fit on data with missing entries: the peak of Python-traced allocations
(``tracemalloc``) during ``AutoEncoder.fit``, on 100,000 x 50 float32 rows, complete and
with 10% of one column NaN, beside the size of X.

A fit with NaN needs the mask of the observed entries (one byte per entry, a quarter of
float32 X) for the likelihood; nothing else of X's size. Target: the fit with NaN adds at
most half of X's size over the complete fit's peak.

One epoch, a linear network with a code of 5 (so that the network's own buffers stay
small beside X), batches of 1,000 rows, one thread. ``python
benchmarks/bench_memory_missing.py``.
"""

import tracemalloc
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from skae import AutoEncoder


def peak_mib_of_fit(X):
    ae = AutoEncoder(n_components=5, hidden_layer_sizes=(), max_iter=1, batch_size=1000,
                     random_state=0)
    tracemalloc.start()
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ae.fit(X)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100_000, 50)).astype(np.float32)
    holes = X.copy()
    holes[rng.random(len(X)) < 0.1, 3] = np.nan
    size = X.nbytes / 2**20
    complete, missing = peak_mib_of_fit(X), peak_mib_of_fit(holes)
    print(f"X: {X.shape[0]:,} x {X.shape[1]} float32, {size:.1f} MiB")
    print(f"peak traced memory of fit, complete X:              {complete:6.1f} MiB")
    print(f"peak traced memory of fit, 10% NaN in one column:   {missing:6.1f} MiB")
    extra = (missing - complete) / size
    print(f"added by the NaN: {extra:.2f} x X's size "
          f"({'met' if extra <= 0.5 else 'NOT met'}: <= 0.5)")


if __name__ == "__main__":
    main()
