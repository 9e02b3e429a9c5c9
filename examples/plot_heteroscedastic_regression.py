"""Heteroscedastic regression: predicting a whole distribution, not a point.

The targets are y = sin(2x) + x / 2 + noise whose standard deviation grows with |x|,
from 0.1 at x = 0 to 1.15 at |x| = 3. ``MLPLikelihoodRegressor`` with
``Gaussian(scale="learned")`` outputs a mean and a scale for every x and is trained by
maximum likelihood; ``predict_interval`` turns them into predictive bands. We compare
it with the same network under a fixed (homoscedastic) Gaussian scale, and with
scikit-learn's ``MLPRegressor``, which only predicts the mean.

On held-out data we print the coverage of the 50% and 90% bands (overall, near the
centre and in the tails) and the mean log-likelihood; the true distribution's mean
log-likelihood is the ceiling no model can beat on average.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.neural_network import MLPRegressor

from skae import MLPLikelihoodRegressor
from skae.noise import Gaussian

FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))
rng = np.random.RandomState(0)


def true_mean(x):
    return np.sin(2 * x) + 0.5 * x


def true_std(x):
    return 0.1 + 0.35 * np.abs(x)


def make_data(n):
    x = rng.uniform(-3, 3, size=n)
    return x[:, None], true_mean(x) + true_std(x) * rng.standard_normal(n)


X_train, y_train = make_data(1000)
X_test, y_test = make_data(2000)
x_test = X_test[:, 0]

settings = dict(hidden_layer_sizes=(64, 64), learning_rate_init=0.01, max_iter=1000,
                n_iter_no_change=50, random_state=0)
models = {
    "learned scale": MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), **settings),
    "fixed scale": MLPLikelihoodRegressor(noise="gaussian", **settings),
}
point_model = MLPRegressor(**settings).fit(X_train, y_train)

regions = {"all": np.ones_like(x_test, dtype=bool), "|x| < 1": np.abs(x_test) < 1,
           "|x| > 2": np.abs(x_test) > 2}
print(f"held-out ({len(X_test)} points)")
print(f"{'':<30}{'coverage of 50% band':>24}{'coverage of 90% band':>24}")
print(f"{'model':<30}" + "".join(f"{r:>8}" for r in regions) * 2 + f"{'log-lik':>10}{'MSE':>8}")
for name, model in models.items():
    model.fit(X_train, y_train)
    coverage = []
    for c in (0.5, 0.9):
        lower, upper = model.predict_interval(X_test, coverage=c)
        inside = (lower <= y_test) & (y_test <= upper)
        coverage += [inside[mask].mean() for mask in regions.values()]
    log_lik = model.log_likelihood(X_test, y_test).mean()
    mse = np.mean((model.predict(X_test) - y_test) ** 2)
    print(f"{'Gaussian, ' + name:<30}" + "".join(f"{v:>8.3f}" for v in coverage)
          + f"{log_lik:>10.3f}{mse:>8.3f}")
oracle = stats.norm(true_mean(x_test), true_std(x_test)).logpdf(y_test).mean()
print(f"{'true distribution':<30}{'':>48}{oracle:>10.3f}"
      f"{np.mean((true_mean(x_test) - y_test) ** 2):>8.3f}")
print(f"{'sklearn MLPRegressor':<30}{'':>48}{'-':>10}"
      f"{np.mean((point_model.predict(X_test) - y_test) ** 2):>8.3f}")

grid = np.linspace(-3, 3, 301)[:, None]
learned = models["learned scale"]
fig, (ax, ax_std) = plt.subplots(1, 2, figsize=(11, 4), width_ratios=[1.6, 1])
ax.scatter(x_test, y_test, s=3, color="grey", alpha=0.4, label="held-out data")
for c, alpha in [(0.9, 0.2), (0.5, 0.35)]:
    ax.fill_between(grid[:, 0], *learned.predict_interval(grid, coverage=c),
                    color="tab:blue", alpha=alpha, lw=0, label=f"{c:.0%} band (learned scale)")
ax.plot(grid, learned.predict(grid), color="tab:blue", label="predictive mean (learned scale)")
ax.plot(grid, point_model.predict(grid), color="tab:orange", ls="--",
        label="sklearn MLPRegressor")
ax.plot(grid, true_mean(grid), color="black", lw=1, ls=":", label="true mean")
ax.set(title="MLPLikelihoodRegressor(noise=Gaussian(scale='learned'))", xlabel="x",
       ylabel="y")
ax.legend(fontsize=8, loc="upper left")

ax_std.plot(grid, true_std(grid), color="black", ls=":", label="true")
for (name, model), colour in zip(models.items(), ["tab:blue", "tab:red"]):
    ax_std.plot(grid, model.predict_params(grid)["scale"],
                color=colour, label=name)
ax_std.set(title="predictive standard deviation", xlabel="x", ylabel="std of y given x")
ax_std.legend(fontsize=8)

fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "heteroscedastic_regression.png", dpi=80)
print(f"saved {FIGURE_DIR / 'heteroscedastic_regression.png'}")
