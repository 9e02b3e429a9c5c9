"""Novelty detection with ``score_samples``: the log-likelihood as an anomaly score.

The models see only digits 0 to 4 (70% of them). A digit that the model finds
unlikely, a low ``score_samples``, is flagged as novel. We score the held-out 0-4
digits (normal) and all the 5-9 digits (novel, never seen) and compare, by the area
under the ROC curve:

- ``AutoEncoder`` (64-128-8-128-64, relu) under Gaussian and under Bernoulli noise:
  ``score_samples`` is the log-likelihood of the digit under its decoded distribution;
- ``PCA(n_components=8)``: probabilistic PCA's log-likelihood, at the same code size;
- ``IsolationForest``: its ``score_samples`` (higher is more normal), as a reference
  that is not a likelihood.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from skae import AutoEncoder

# 200 epochs are enough here; the loss still creeps down after them.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

digits = load_digits()
X = (digits.data / 16).astype(np.float32)
train, normal_test = train_test_split(np.flatnonzero(digits.target < 5), test_size=0.3,
                                      random_state=0)
test = np.r_[normal_test, np.flatnonzero(digits.target >= 5)]
X_train, X_test, digit_test = X[train], X[test], digits.target[test]
is_novel = digit_test >= 5

models = {
    "AutoEncoder, Gaussian": AutoEncoder(
        n_components=8, hidden_layer_sizes=(128,), noise="gaussian", random_state=0),
    "AutoEncoder, Bernoulli": AutoEncoder(
        n_components=8, hidden_layer_sizes=(128,), noise="bernoulli", random_state=0),
    "PCA (8 components)": PCA(n_components=8),
    "IsolationForest": IsolationForest(random_state=0),
}

print(f"trained on {len(X_train)} digits 0-4; scored {len(normal_test)} held-out 0-4 "
      f"(normal) and {int(is_novel.sum())} digits 5-9 (novel)")
print(f"{'anomaly score = -score_samples':<32}{'ROC AUC':>9}")
fig, (ax_roc, ax_digit) = plt.subplots(1, 2, figsize=(10, 4), width_ratios=[1, 1.3])
scores = {}
for name, model in models.items():
    scores[name] = -model.fit(X_train).score_samples(X_test)
    auc = roc_auc_score(is_novel, scores[name])
    print(f"{name:<32}{auc:>9.3f}")
    false_positive_rate, true_positive_rate, _ = roc_curve(is_novel, scores[name])
    ax_roc.plot(false_positive_rate, true_positive_rate, label=f"{name} (AUC {auc:.3f})")
ax_roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
ax_roc.set(title="novel digits 5-9 versus held-out 0-4", xlabel="false positive rate",
           ylabel="true positive rate", aspect="equal")
ax_roc.legend(fontsize=8, loc="lower right")

shown = "AutoEncoder, Gaussian"
print(f"\nmedian anomaly score of the {shown} model per held-out digit class")
medians = [np.median(scores[shown][digit_test == d]) for d in range(10)]
print("".join(f"{d:>8}" for d in range(10)))
print("".join(f"{m:>8.1f}" for m in medians))
ax_digit.boxplot([scores[shown][digit_test == d] for d in range(10)], positions=range(10),
                 showfliers=False)
ax_digit.axvspan(4.5, 9.5, color="tab:red", alpha=0.1, label="novel (not in training)")
ax_digit.set(title=f"{shown}: anomaly score by digit", xlabel="digit",
             ylabel="-log-likelihood (held-out)")
ax_digit.legend(fontsize=8, loc="upper left")

fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "anomaly_detection.png", dpi=80)
print(f"saved {FIGURE_DIR / 'anomaly_detection.png'}")
