"""Calibration: PIT histograms of a fixed and a learned scale.

A predictive distribution ``F`` is calibrated when the probability integral transform
``F(y)`` of held-out targets is uniform on [0, 1]: then its 90% intervals hold 90% of
the points, in every region. The histogram of ``pit(X, y)`` shows how a model fails:
a U shape means intervals too narrow where it matters, a hump intervals too wide.

The data are those of ``plot_heteroscedastic_regression.py``: ``y = sin(2x) + x / 2``
plus noise whose standard deviation grows from 0.1 at ``x = 0`` to 1.15 at
``|x| = 3``. Both models use the default settings of ``MLPLikelihoodRegressor``; one
has the default fixed Gaussian scale, one a learned scale
(``Gaussian(scale="learned")``, which turns validation-based early stopping on by
default). The fixed scale is about right on average (its overall 90% interval covers
close to 90%), but split by region it is far too wide near ``x = 0`` (a hump) and far
too narrow in the tails (a U). The learned scale is close to flat in every region. The printed table gives
the held-out log-likelihood, the CRPS (both proper scoring rules; the CRPS is in the
units of y, lower is better) and the coverage of the 90% interval per region, with
those of the true distribution, the ceiling, beside them.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from skae import MLPLikelihoodRegressor
from skae.noise import Gaussian

FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))
rng = np.random.RandomState(0)


def true_distribution(x):
    return stats.norm(np.sin(2 * x) + 0.5 * x, 0.1 + 0.35 * np.abs(x))


def make_data(n):
    x = rng.uniform(-3, 3, size=n)
    return x[:, None], true_distribution(x).rvs(random_state=rng)


X_train, y_train = make_data(1000)
X_test, y_test = make_data(4000)
x_test = X_test[:, 0]
models = {
    "fixed scale": MLPLikelihoodRegressor(random_state=0),
    "learned scale": MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), random_state=0),
}
regions = {"all x": np.ones_like(x_test, dtype=bool), "|x| < 1": np.abs(x_test) < 1,
           "|x| > 2": np.abs(x_test) > 2}

print(f"{'held-out':<16}{'log-lik':>9}{'CRPS':>8}" + "".join(
    f"{'90% cov. ' + name:>18}" for name in regions))
fig, axes = plt.subplots(2, len(regions), figsize=(11, 5.5), sharex=True)
for row, (name, model) in zip(axes, models.items()):
    model.fit(X_train, y_train)
    pit = model.pit(X_test, y_test)
    inside = (pit >= 0.05) & (pit <= 0.95)  # the central 90% interval
    print(f"{name:<16}{model.log_likelihood(X_test, y_test).mean():>9.3f}"
          f"{model.crps(X_test, y_test).mean():>8.3f}"
          + "".join(f"{inside[mask].mean():>18.3f}" for mask in regions.values()))
    for ax, (region, mask) in zip(row, regions.items()):
        ax.hist(pit[mask], bins=20, range=(0, 1), density=True, color="tab:blue",
                alpha=0.7)
        ax.axhline(1, color="black", ls=":", lw=1)
        ax.set_title(f"{name}, {region}", fontsize=10)
# the ceiling: the distribution the data were drawn from (closed-form Gaussian CRPS)
truth = true_distribution(x_test)
z = (y_test - truth.mean()) / truth.std()
true_crps = truth.std() * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z)
                           - 1 / np.sqrt(np.pi))
inside = np.abs(z) <= stats.norm.ppf(0.95)
print(f"{'true distribution':<16}{truth.logpdf(y_test).mean():>9.3f}{true_crps.mean():>8.3f}"
      + "".join(f"{inside[mask].mean():>18.3f}" for mask in regions.values()))
for ax in axes[-1]:
    ax.set_xlabel("PIT value F(y)")
for row in axes:
    row[0].set_ylabel("density")
fig.suptitle("PIT histograms on held-out data (flat = calibrated)")
fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "calibration.png", dpi=80)
print(f"saved {FIGURE_DIR / 'calibration.png'}")
