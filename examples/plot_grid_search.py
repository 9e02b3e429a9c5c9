"""Model selection by held-out log-likelihood: ``Pipeline`` + ``GridSearchCV``.

``AutoEncoder.score`` is the mean of ``log p(x | decode(encode(x)))``, the
log-likelihood of each sample under the distribution decoded from its own code,
higher is better; a pipeline's ``score`` passes it through, and it is what
``GridSearchCV`` maximises by default. It is not a density of ``x`` (unlike
``PCA.score``), and it grows with the code size. So within a fixed ``n_components``
the score compares noise models and training (architecture, epochs); it never
chooses ``n_components``. The grid below spans two code sizes, and its ranking is
to be read within each code size only (see docs/theory.md, section "What
``AutoEncoder.score`` measures, and what it does not"). Gaussian and Laplace
likelihoods are both densities of the same scaled pixels given the reconstruction,
so at one code size they compare directly.

Next to the log-likelihood we cross-validate two reconstruction errors, measured in
the original grey levels (0 to 16). Within one noise model a higher log-likelihood
should mean a lower error of that model's kind (squared for Gaussian, absolute for
Laplace), which the script checks. Across noise models the likelihood compares whole
distributions, not one error, so the script prints whether the winner also has the
lowest squared and the lowest absolute error. A deliberately undertrained candidate
(2 epochs) checks the direction of the ranking: it should rank last.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skae import AutoEncoder

# The candidates are trained briefly to keep the search fast.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

X = load_digits().data.astype(np.float32)  # grey levels 0 to 16
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)


def log_likelihood(pipeline, X, y=None):
    return pipeline.score(X)  # the default of GridSearchCV(scoring=None), named here


def reconstruction(pipeline, X):
    return pipeline.inverse_transform(pipeline.transform(X))


def negative_mse(pipeline, X, y=None):
    return -float(np.mean((reconstruction(pipeline, X) - X) ** 2))


def negative_mae(pipeline, X, y=None):
    return -float(np.mean(np.abs(reconstruction(pipeline, X) - X)))


pipeline = Pipeline([
    ("scale", MinMaxScaler(clip=True)),
    ("ae", AutoEncoder(max_iter=50, learning_rate_init=0.005, random_state=0)),
])
param_grid = [
    {"ae__n_components": [2, 8], "ae__hidden_layer_sizes": [(32,), (128,)],
     "ae__noise": ["gaussian", "laplace"]},
    {"ae__n_components": [8], "ae__hidden_layer_sizes": [(128,)], "ae__noise": ["gaussian"],
     "ae__max_iter": [2]},
]
search = GridSearchCV(
    pipeline, param_grid, cv=3, refit="log_likelihood",
    scoring={"log_likelihood": log_likelihood, "mse": negative_mse, "mae": negative_mae},
).fit(X_train)

results = search.cv_results_
order = np.argsort(results["rank_test_log_likelihood"], kind="stable")
names = []
print(f"3-fold cross-validation on {len(X_train)} digits; per-image log-likelihood of the "
      "scaled pixels, errors in grey levels")
print(f"{'rank':>4}  {'noise':<9}{'code':>5}{'hidden':>8}{'epochs':>7}"
      f"{'log-likelihood':>17}{'MSE':>8}{'MAE':>8}")
for i in order:
    params = results["params"][i]
    epochs = params.get("ae__max_iter", pipeline["ae"].max_iter)
    names.append(f"{params['ae__noise']}, code {params['ae__n_components']}, "
                 f"hidden {params['ae__hidden_layer_sizes'][0]}"
                 + (f", {epochs} epochs" if epochs != pipeline["ae"].max_iter else ""))
    print(f"{results['rank_test_log_likelihood'][i]:>4}  {params['ae__noise']:<9}"
          f"{params['ae__n_components']:>5}{params['ae__hidden_layer_sizes'][0]:>8}"
          f"{epochs:>7}"
          f"{results['mean_test_log_likelihood'][i]:>10.2f} +- "
          f"{results['std_test_log_likelihood'][i]:<4.2f}"
          f"{-results['mean_test_mse'][i]:>8.3f}{-results['mean_test_mae'][i]:>8.3f}")

for noise, error in [("gaussian", "mse"), ("laplace", "mae")]:
    rows = [i for i in order if results["params"][i]["ae__noise"] == noise]
    agree = np.all(np.diff(results[f"mean_test_{error}"][rows]) < 0)
    print(f"{noise}: ranking by log-likelihood = ranking by lowest {error.upper()}: {agree}")

winner = order[0]
for error in ("mse", "mae"):
    lowest = winner == np.argmax(results[f"mean_test_{error}"])
    print(f"the best-ranked model has the lowest cross-validated {error.upper()}: {lowest}")
undertrained = [i for i in order if results["params"][i].get("ae__max_iter") == 2]
print(f"the undertrained model ranks last: {undertrained == [order[-1]]}")
print("Within a fixed n_components the score compares noise models and training; it never "
      "chooses\nn_components (the AutoEncoder's score is not a density of x and grows with the "
      "code size).")

best = search.best_estimator_
print(f"\nbest: {search.best_params_}")
print(f"best on {len(X_test)} held-out digits: log-likelihood {best.score(X_test):.2f}, "
      f"MSE {-negative_mse(best, X_test):.3f}, MAE {-negative_mae(best, X_test):.3f}")

fig, (ax_bar, *error_axes) = plt.subplots(1, 3, figsize=(14, 4.2), width_ratios=[1.4, 1, 1])
colours = {"gaussian": "tab:blue", "laplace": "tab:green"}
bar_colours = [colours[results["params"][i]["ae__noise"]] for i in order]
ax_bar.barh(range(len(order)), results["mean_test_log_likelihood"][order],
            xerr=results["std_test_log_likelihood"][order], color=bar_colours)
ax_bar.set_yticks(range(len(order)), names, fontsize=8)
ax_bar.invert_yaxis()
ax_bar.set(title="GridSearchCV ranking (best at top)",
           xlabel="cross-validated log-likelihood per image\n(higher is better)")

for ax, error in zip(error_axes, ["mse", "mae"]):
    for noise, colour in colours.items():
        rows = [i for i in order if results["params"][i]["ae__noise"] == noise]
        ax.plot(results["mean_test_log_likelihood"][rows], -results[f"mean_test_{error}"][rows],
                "o-", color=colour, label=noise)
    ax.set(title=f"reconstruction {error.upper()} (cross-validated)",
           xlabel="cross-validated log-likelihood per image",
           ylabel=f"{error.upper()} (grey levels{'^2' if error == 'mse' else ''})")
    ax.legend(fontsize=8)

fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "grid_search.png", dpi=80)
print(f"saved {FIGURE_DIR / 'grid_search.png'}")
