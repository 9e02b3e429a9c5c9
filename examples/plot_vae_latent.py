"""The learned manifold: a walk through the 2-D latent space of a VariationalAutoEncoder.

With ``n_components=2`` every digit is explained by two numbers ``z``, and the prior
``z ~ N(0, I)`` says where codes live. Decoding a grid of codes shows the manifold the
decoder has learned: neighbouring codes give neighbouring digits, and the digit classes
take up regions of the plane. The grid sits at the normal quantiles 5%, ..., 95% in each
direction, so every cell covers an equal share of the prior's mass; each image is the
decoder's mean ``E[x | z]`` (``inverse_transform``), the expected grey level of each
pixel.

The decoder is ``Binomial(16)``: a grey level 0..16 is the count of 16 trials. On the
right, the codes of held-out digits (``transform``, the posterior means) are coloured
by their label; a 5-nearest-neighbour classifier trained on the training digits' codes
measures how far apart the classes lie. We also print how the codes spread compared
with the prior, and the dashed square marks the part of the plane the grid shows. The
posterior means spread wider than ``N(0, I)``: the classes in the outer ring are
decoded from codes the prior seldom draws, so ``sample()`` of this 2-D model gives them
less often than the data has them.
"""

import os
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from skae import VariationalAutoEncoder
from skae.noise import Binomial

# A fixed, short training: the loss still creeps down after these epochs.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))

digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data, digits.target, test_size=360, random_state=0)

vae = VariationalAutoEncoder(
    n_components=2, hidden_layer_sizes=(128,), activation="tanh", noise=Binomial(16),
    alpha=1.0, learning_rate_init=3e-3, batch_size=100, max_iter=200, tol=0.0,
    random_state=0,
).fit(X_train)

codes_train, codes_test = vae.transform(X_train), vae.transform(X_test)
accuracy = KNeighborsClassifier(n_neighbors=5).fit(codes_train, y_train).score(
    codes_test, y_test)
print(f"{len(X_train)} training / {len(X_test)} held-out digits, 2-D code, Binomial(16)")
print(f"5-NN accuracy on the held-out codes: {accuracy:.3f}")
inside = np.mean(np.all(np.abs(codes_test) <= norm.ppf(0.95), axis=1))
print(f"held-out codes: mean {np.round(codes_test.mean(axis=0), 2)}, "
      f"sd {np.round(codes_test.std(axis=0), 2)}; {inside:.0%} inside the grid's square "
      f"(the prior puts {0.9**2:.0%} there)")

n_grid = 15
quantiles = norm.ppf(np.linspace(0.05, 0.95, n_grid))
z1, z2 = np.meshgrid(quantiles, quantiles[::-1])  # z2 grows upwards, as in the scatter
decoded = vae.inverse_transform(np.c_[z1.ravel(), z2.ravel()])
# One blank pixel (NaN, drawn white) between neighbouring digits.
tiles = np.full((n_grid, 9, n_grid, 9), np.nan)
tiles[:, :8, :, :8] = decoded.reshape(n_grid, n_grid, 8, 8).transpose(0, 2, 1, 3)
mosaic = tiles.reshape(9 * n_grid, 9 * n_grid)[:-1, :-1]
print(f"decoded grid: {n_grid} x {n_grid} codes at the normal quantiles "
      f"{quantiles[0]:.2f} .. {quantiles[-1]:.2f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 6))
left.imshow(mosaic, cmap="gray_r", vmin=0, vmax=16)
ticks = 9 * np.arange(n_grid) + 3.5
left.set_xticks(ticks[::2], [f"{q:.1f}" for q in quantiles[::2]])
left.set_yticks(ticks[::2], [f"{q:.1f}" for q in quantiles[::-1][::2]])
left.set(xlabel="z1", ylabel="z2",
         title="decoder mean E[x | z] on a grid of normal quantiles")

right.scatter(*codes_test.T, c=y_test, cmap="tab10", s=10, alpha=0.8)
for digit in range(10):
    centre = np.median(codes_test[y_test == digit], axis=0)
    right.text(*centre, str(digit), fontsize=14, weight="bold", ha="center", va="center",
               color=plt.cm.tab10(digit), bbox=dict(facecolor="white", alpha=0.7, lw=0))
right.add_patch(plt.Rectangle((quantiles[0], quantiles[0]), 2 * quantiles[-1],
                              2 * quantiles[-1], fill=False, ls="--", color="grey"))
right.set(aspect="equal", xlabel="z1", ylabel="z2",
          title=f"held-out codes (posterior means), 5-NN accuracy {accuracy:.2f};\n"
                "dashed: the square of the grid on the left")
fig.suptitle("VariationalAutoEncoder, 64-128-2-128-64, tanh, Binomial(16) decoder, "
             "200 epochs")
fig.tight_layout()

FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "vae_latent.png", dpi=90)
print(f"saved {FIGURE_DIR / 'vae_latent.png'}")
