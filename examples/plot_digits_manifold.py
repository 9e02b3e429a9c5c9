"""A two-dimensional map of the digits: AutoEncoder versus PCA.

Both models explain the 64 grey levels of a digit (scaled to [0, 1]) from a code of
two numbers, under the same Gaussian noise model: PCA with a linear encoder and
decoder, the AutoEncoder with one hidden layer of 128 relu units on each side. The
nonlinear code keeps the digit classes much further apart. We measure it on held-out
digits: a 5-nearest-neighbour classifier trained on the training digits' codes
predicts the class of the held-out digits from their codes.
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
from sklearn.neighbors import KNeighborsClassifier

from skae import AutoEncoder

# 200 epochs are enough for the map; the loss still creeps down after them.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

digits = load_digits()
X = (digits.data / 16).astype(np.float32)
X_train, X_test, y_train, y_test = train_test_split(
    X, digits.target, test_size=0.25, stratify=digits.target, random_state=0)

models = {
    "AutoEncoder (64-128-2-128-64, relu)": AutoEncoder(
        n_components=2, hidden_layer_sizes=(128,), noise="gaussian", max_iter=200,
        random_state=0),
    "PCA (2 components)": PCA(n_components=2),
}

fig = plt.figure(figsize=(10, 7.6))
top, bottom = fig.subfigures(2, 1, height_ratios=[2.5, 1])
map_axes = top.subplots(1, 2)
image_axes = bottom.subplots(3, 10)
examples = [np.flatnonzero(y_test == digit)[0] for digit in range(10)]

print(f"{len(X_train)} training / {len(X_test)} held-out digits")
print(f"{'held-out':<38}{'5-NN accuracy on codes':>24}{'reconstruction MSE':>21}")
reconstructions = {}
for (name, model), ax in zip(models.items(), map_axes):
    codes_train = model.fit_transform(X_train)
    codes_test = model.transform(X_test)
    knn = KNeighborsClassifier(n_neighbors=5).fit(codes_train, y_train)
    accuracy = knn.score(codes_test, y_test)
    reconstructions[name] = model.inverse_transform(codes_test)
    mse = float(np.mean((reconstructions[name] - X_test) ** 2))
    print(f"{name:<38}{accuracy:>24.3f}{mse:>21.5f}")

    ax.scatter(*codes_test.T, c=y_test, cmap="tab10", s=8, alpha=0.8)
    for digit in range(10):
        centre = np.median(codes_test[y_test == digit], axis=0)
        ax.text(*centre, str(digit), fontsize=14, weight="bold", ha="center", va="center",
                color=plt.cm.tab10(digit), bbox=dict(facecolor="white", alpha=0.7, lw=0))
    ax.set(title=f"{name}\nheld-out codes; 5-NN accuracy {accuracy:.2f}",
           xlabel="code 1", ylabel="code 2")

rows = {"original": X_test, **{name.split(" (")[0]: r for name, r in reconstructions.items()}}
for axes_row, (label, images) in zip(image_axes, rows.items()):
    for ax, i in zip(axes_row, examples):
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes_row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
bottom.suptitle("held-out digits and their reconstructions from 2 numbers", fontsize=10)

FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "digits_manifold.png", dpi=80)
print(f"saved {FIGURE_DIR / 'digits_manifold.png'}")
