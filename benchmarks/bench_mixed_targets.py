"""A count, a flag and an amount predicted jointly by one MLPLikelihoodRegressor with a
ColumnNoise: target scaling block by block (``target_scaling=True``, the default)
against none (``target_scaling=False``, what a ColumnNoise got before).

Synthetic data, 3 inputs: ``count ~ Poisson(exp(0.5 x0))``, ``flag ~ Bernoulli(sigmoid(2
x1))``, ``amount = 5000 + 1000 (x2 + 0.5 x0 x2 + 0.3 eps)``, an amount in units of
thousands as a price or an income comes. 2,000 training rows, 2,000 held out; the
regressor's defaults otherwise (``hidden_layer_sizes=(100,)``); seeds 0..2. Printed per
setting: the held-out mean log-likelihood of each block (exact, with constants; the
amount's in its own units) and their total, the amount's RMSE, and the CPU seconds of
the fit, mean ± sd over the seeds, then the per-seed difference.

``python benchmarks/bench_mixed_targets.py``
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skae import MLPLikelihoodRegressor
from skae.noise import Bernoulli, ColumnNoise, Gaussian, Poisson

SEEDS = (0, 1, 2)


def table(rng, n):
    X = rng.normal(size=(n, 3))
    count = rng.poisson(np.exp(0.5 * X[:, 0]))
    flag = rng.random(n) < 1 / (1 + np.exp(-2 * X[:, 1]))
    amount = 5000 + 1000 * (X[:, 2] + 0.5 * X[:, 0] * X[:, 2] + 0.3 * rng.normal(size=n))
    return X, np.column_stack([count, flag, amount]).astype(float)


def noise():
    return ColumnNoise([("count", Poisson(), [0]), ("flag", Bernoulli(), [1]),
                        ("amount", Gaussian(), [2])])


def scores(reg, X, Y):
    """Held-out mean log-likelihood per block (one block alone at a time: the others'
    targets NaN), the amount's RMSE."""
    per_block = []
    for column in range(3):
        only = np.full_like(Y, np.nan)
        only[:, column] = Y[:, column]
        per_block.append(float(np.mean(reg.log_likelihood(X, only))))
    rmse = float(np.sqrt(np.mean((reg.predict(X)[:, 2] - Y[:, 2]) ** 2)))
    return per_block + [sum(per_block), rmse]


def main():
    # the defaults run all their 200 epochs here, and say so each time
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    results = {True: [], False: []}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        X, Y = table(rng, 4000)
        for scaling in (True, False):
            reg = MLPLikelihoodRegressor(noise=noise(), target_scaling=scaling,
                                         random_state=seed)
            with threadpool_limits(1):
                cpu = time.process_time()
                reg.fit(X[:2000], Y[:2000])
                cpu = time.process_time() - cpu
            results[scaling].append(scores(reg, X[2000:], Y[2000:]) + [cpu])
    names = ["count", "flag", "amount", "total", "amount RMSE", "fit CPU s"]
    print("held-out mean log-likelihood per block (higher is better), amount RMSE and fit "
          f"CPU seconds, mean ± sd over seeds {list(SEEDS)}\n")
    print("| target_scaling | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for scaling in (True, False):
        values = np.array(results[scaling])
        cells = [f"{m:.3f} ± {s:.3f}" for m, s in zip(values.mean(0), values.std(0))]
        print(f"| {scaling} | " + " | ".join(cells) + " |")
    diff = np.array(results[True]) - np.array(results[False])
    print("\nTrue minus False per seed:")
    for name, column in zip(names[:5], diff.T):
        print(f"  {name:12s} " + " ".join(f"{v:+.3f}" for v in column))
    print(f"\nwall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
