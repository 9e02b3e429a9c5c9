"""Restoring corrupted digits: PCA, a plain AutoEncoder and a denoising AutoEncoder.

Held-out digits (grey levels scaled to [0, 1]) have 30% of their pixels set to 0 at
random: strokes get holes. Each model restores a corrupted digit by encoding and
decoding it, ``inverse_transform(transform(corrupted))``, and we measure the mean
squared error per pixel against the clean digit.

- PCA is fitted on the clean training digits; we show the number of components with
  the lowest restoration error, chosen on the held-out digits themselves (an oracle,
  so PCA's figure is optimistic).
- The plain AutoEncoder (64-128-16-128-64, relu, Bernoulli noise) is trained to
  reconstruct clean digits. It has never seen a hole, and it reproduces the holes.
- The denoising AutoEncoder is the same network trained with
  ``corruption="mask", corruption_level=0.3``: at every step a fresh 30% of its input
  pixels is zeroed, while the loss is still the likelihood of the clean digit. It
  learns to fill holes from the rest of the digit.

The same corruption is drawn once for the held-out digits (seed 0). The settings are
those of ``benchmarks/bench_denoising.py`` with the default linear code (the benchmark's
tanh code was chosen for the kNN accuracy of its codes, not for restoration) and fewer
epochs, so that the example runs in seconds; the benchmark gives the figures over three seeds and for Gaussian and
salt-and-pepper noise too.
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skae import AutoEncoder

# A fixed number of epochs (tol=0): the loss still creeps down after them.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data / 16, digits.target, test_size=360, random_state=0)
corrupted = np.where(np.random.default_rng(0).random(X_test.shape) < 0.3, 0.0, X_test)


def autoencoder(**corruption):
    return AutoEncoder(n_components=16, hidden_layer_sizes=(128,), noise="bernoulli",
                       learning_rate_init=2e-3, batch_size=64, alpha=1e-4, max_iter=100,
                       tol=0.0, random_state=0, **corruption)


def restoration_mse(restored):
    return float(np.mean((restored - X_test) ** 2))


pca = PCA().fit(X_train)
pca_restorations = []
for k in range(1, X_train.shape[1] + 1):
    components = pca.components_[:k]
    pca_restorations.append((corrupted - pca.mean_) @ components.T @ components + pca.mean_)
best_k = int(np.argmin([restoration_mse(r) for r in pca_restorations])) + 1

restored = {f"PCA ({best_k} components)": pca_restorations[best_k - 1]}
for name, model in [("plain AutoEncoder", autoencoder()),
                    ("denoising AutoEncoder", autoencoder(corruption="mask",
                                                          corruption_level=0.3))]:
    model.fit(X_train)
    restored[name] = model.inverse_transform(model.transform(corrupted))

print(f"{len(X_train)} training / {len(X_test)} held-out digits; held-out pixels zeroed: "
      f"{np.mean(corrupted != X_test):.1%} (30% drawn, some were 0 already)")
print("restoration MSE per pixel against the clean held-out digits (lower is better):")
print(f"  {'corrupted, unrestored':<32}{restoration_mse(corrupted):.4f}")
for name, images in restored.items():
    print(f"  {name:<32}{restoration_mse(images):.4f}")

rows = {"clean": X_test, "30% masked": corrupted, **restored}
examples = [np.flatnonzero(y_test == digit)[0] for digit in range(10)]
fig, axes = plt.subplots(len(rows), 10, figsize=(8.5, 4.7))
for axes_row, (label, images) in zip(axes, rows.items()):
    for ax, i in zip(axes_row, examples):
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    title = label if label == "clean" else f"{label}\nMSE {restoration_mse(images):.4f}"
    axes_row[0].set_ylabel(title.replace(" (", "\n("), rotation=0, ha="right",
                           va="center", fontsize=8)
fig.suptitle("held-out digits, 30% of pixels zeroed, and their restorations\n"
             "(64-128-16-128-64 relu, Bernoulli noise, 100 epochs)", fontsize=10)
fig.subplots_adjust(left=0.2, right=0.98, top=0.87, bottom=0.02, hspace=0.12)

FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "denoising.png", dpi=80)
print(f"saved {FIGURE_DIR / 'denoising.png'}")
