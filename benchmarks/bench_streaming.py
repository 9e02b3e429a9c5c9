"""Streaming with drifting noise: the held-out log-likelihood by how the scale is fitted.

Twenty chunks of 500 rows, ``y = sin(2 x_1) + x_2 + e`` with ``e ~ N(0, s^2)``, the
noise level ``s`` drifting from 0.05 (first chunk) to 0.30 (last); the chunks are fed to
``partial_fit`` in a shuffled order (as dask-ml's ``Incremental`` shuffles blocks), 5
passes. Held out: 5,000 rows over the same range of noise levels. The fixed scale
(``scale="mle"``) after training is estimated

- from the last chunk alone (what skae did before: a random chunk, under shuffling);
- from every chunk's residuals accumulated over the calls (``partial_fit`` now);
- by ``fit_noise`` over all training rows after training (exact for the final network);

and compared with the same network with its scale fitted on all training data at once.
Over several seeds; the target is ``fit_noise`` within 0.05 nats per sample of that.

Run ``python benchmarks/bench_streaming.py``.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # skae as in this tree
from skae import MLPLikelihoodRegressor  # noqa: E402
from skae.noise import Gaussian  # noqa: E402


def _data(rng, levels, n):
    X = rng.uniform(-1, 1, size=(n * len(levels), 2))
    s = np.repeat(levels, n)
    y = np.sin(2 * X[:, 0]) + X[:, 1] + s * rng.normal(size=len(s))
    return X, y


def _held_out(reg, scale, X, y):
    noise = Gaussian(scale=scale)
    return float(np.mean(noise.log_likelihood(y[:, None], reg.predict(X)[:, None])))


def run(seed):
    rng = np.random.RandomState(seed)
    levels = np.linspace(0.05, 0.30, 20)
    X, y = _data(rng, levels, 500)
    X_test, y_test = _data(rng, levels, 250)
    chunks = np.array_split(np.arange(len(y)), 20)
    reg = MLPLikelihoodRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01,
                                 random_state=seed)
    last = None
    for _ in range(5):
        for c in rng.permutation(20):
            reg.partial_fit(X[chunks[c]], y[chunks[c]])
            last = chunks[c]
    residual = y - reg.predict(X)
    figures = {
        "last chunk only": _held_out(reg, np.sqrt(np.mean(residual[last] ** 2)), X_test, y_test),
        "accumulated (partial_fit)": _held_out(reg, float(reg.noise_.scale[0]), X_test, y_test),
    }
    reg.fit_noise(X, y)
    figures["fit_noise after training"] = _held_out(reg, float(reg.noise_.scale[0]),
                                                    X_test, y_test)
    figures["scale fitted on all data"] = _held_out(reg, np.sqrt(np.mean(residual**2)),
                                                    X_test, y_test)
    return figures


def main():
    results = [run(seed) for seed in range(5)]
    print("Held-out mean log-likelihood (nats per sample), drifting noise 0.05 -> 0.30")
    print(f"{'scale from':<28}" + "".join(f"{f'seed {s}':>10}" for s in range(5))
          + f"{'mean':>10}{'- all data':>12}")
    reference = np.array([r["scale fitted on all data"] for r in results])
    for name in results[0]:
        values = np.array([r[name] for r in results])
        print(f"{name:<28}" + "".join(f"{v:>10.4f}" for v in values)
              + f"{values.mean():>10.4f}{np.max(np.abs(values - reference)):>12.4f}")
    print("(last column: the largest gap to 'scale fitted on all data' over the seeds)")


if __name__ == "__main__":
    main()
