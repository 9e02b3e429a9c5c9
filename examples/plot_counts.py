"""Count data: Poisson versus Gaussian noise in ``MLPLikelihoodRegressor``.

Counts y ~ Poisson(rate(x)) with a nonlinear log-rate, log rate(x) = 0.5 + 2.5 sin(1.5 x),
so the rate spans 0.14 to 20. The same network (one hidden layer of 32 relu units) is
trained under two noise models:

- Poisson: the network outputs the log-rate, the rate is exp(raw) (always positive),
  and the loss is half the Poisson deviance (plus a constant);
- Gaussian: the network outputs the mean count directly and the loss is the squared
  error, which treats an error of 2 counts the same at rate 0.2 as at rate 20.

scikit-learn's ``PoissonRegressor`` (a linear log-rate) is the linear reference.
We print the held-out mean Poisson deviance (lower is better; the true rate's is the
floor). The deviance needs positive predicted rates, so the Gaussian model's
non-positive predictions are raised to 1e-3, and, for fairness, we also print the
deviance of every model on only the points where the Gaussian model's rate was positive.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import PoissonRegressor
from sklearn.metrics import mean_poisson_deviance

from skae import MLPLikelihoodRegressor

FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))
FLOOR = 1e-3
rng = np.random.RandomState(0)


def true_rate(x):
    return np.exp(0.5 + 2.5 * np.sin(1.5 * x))


def make_data(n):
    x = rng.uniform(-3, 3, size=n)
    return x[:, None], rng.poisson(true_rate(x)).astype(float)


X_train, y_train = make_data(500)
X_test, y_test = make_data(2000)

settings = dict(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=1000,
                n_iter_no_change=50, random_state=0)
models = {
    "MLP, Poisson noise": MLPLikelihoodRegressor(noise="poisson", **settings),
    "MLP, Gaussian noise": MLPLikelihoodRegressor(noise="gaussian", **settings),
    "PoissonRegressor (linear)": PoissonRegressor(alpha=0),
}
predictions = {name: model.fit(X_train, y_train).predict(X_test)
               for name, model in models.items()}
positive = predictions["MLP, Gaussian noise"] > 0

print(f"{len(X_train)} training / {len(X_test)} held-out counts (mean {y_test.mean():.2f}, "
      f"max {y_test.max():.0f})")
print(f"{'held-out mean Poisson deviance':<30}{'all points':>12}"
      f"{'Gaussian rate > 0':>19}{'rates <= 0':>12}")
rows = {**predictions, "true rate": true_rate(X_test[:, 0])}
for name, rate in rows.items():
    print(f"{name:<30}{mean_poisson_deviance(y_test, np.maximum(rate, FLOOR)):>12.3f}"
          f"{mean_poisson_deviance(y_test[positive], rate[positive]):>19.3f}"
          f"{np.mean(rate <= 0):>12.1%}")
print(f"('Gaussian rate > 0': the {positive.sum()} points where the Gaussian model predicts "
      f"a positive rate;\n'all points': its non-positive rates are raised to {FLOOR:g})")

grid = np.linspace(-3, 3, 301)[:, None]
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
axes[0].scatter(X_test[:, 0], y_test + rng.uniform(-0.2, 0.2, len(y_test)), s=3,
                color="grey", alpha=0.3, label="held-out counts (jittered)")
for ax, scale in zip(axes, ["linear", "log"]):
    ax.plot(grid, true_rate(grid), color="black", ls=":", label="true rate")
    for (name, model), colour in zip(models.items(), ["tab:blue", "tab:red", "tab:orange"]):
        ax.plot(grid, model.predict(grid), color=colour, label=name)
    ax.set(yscale=scale, xlabel="x")
axes[0].set(title="predicted rates and held-out counts", ylabel="count / rate")
axes[1].set(title="predicted rates, log scale (rates <= 0 not shown)", ylabel="rate",
            ylim=(0.05, 40))
axes[0].legend(fontsize=8, loc="upper left")

fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "counts.png", dpi=80)
print(f"saved {FIGURE_DIR / 'counts.png'}")
