"""MSE versus cross-entropy, seen through backpropagation.

The theory is in docs/theory.md, sections "Output links and the canonical-link gradient"
and "Worked example: one sigmoid neuron".

Left and middle: one sigmoid neuron, input x = 1, target y = 0, trained by plain SGD
(eta = 0.15, 300 steps) from (w, b) = (0.6, 0.9) and from the saturated (2, 2).

- Squared error on a sigmoid output is Gaussian noise with a logistic link,
  C = (a - y)^2 / 2, whose gradient carries sigma'(z): from (2, 2) the neuron is
  saturated and learning crawls.
- Cross-entropy is Bernoulli noise, C = -log(1 - a) for y = 0, whose gradient is
  a - y: the sigma'(z) factor cancels and both starts learn at once.

Right: the same sigma' <= 1/4 factor, once per layer, makes gradients shrink
geometrically through a deep sigmoid network; ReLU does not.

Everything is measured through the public API: the starting (w, b) is written into
the writable views ``coefs_`` and ``intercepts_``, the output is read with ``predict``
after every ``partial_fit`` step, and per-layer gradients are read off the weight
change of one full-batch SGD step.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from skae import MLPLikelihoodRegressor
from skae.noise import Gaussian

FIGURE_DIR = Path(os.environ.get(
    "SKAE_FIGURE_DIR", Path(__file__).resolve().parent.parent / "docs" / "images"))
EPOCHS = 300
X = np.array([[1.0]])
y = np.array([0.0])
STARTS = [(0.6, 0.9), (2.0, 2.0)]
COSTS = {  # the noise models' losses, without constants, as functions of the output a
    "MSE (Gaussian, logistic link)": (Gaussian(link="logistic"), lambda a: 0.5 * a**2),
    "cross-entropy (Bernoulli)": ("bernoulli", lambda a: -np.log1p(-a)),
}


def one_neuron(noise):
    return MLPLikelihoodRegressor(
        hidden_layer_sizes=(), noise=noise, solver="sgd", learning_rate_init=0.15,
        momentum=0, nesterovs_momentum=False, alpha=0, batch_size=1, shuffle=False,
        random_state=0)


def train_from(noise, w, b):
    """Output a after 0, 1, ..., EPOCHS SGD steps started at (w, b); and the loss curve."""
    neuron = one_neuron(noise).partial_fit(X, y)  # initialises the network
    neuron.coefs_[0][...] = w
    neuron.intercepts_[0][...] = b
    n_init_epochs = len(neuron.loss_curve_)
    outputs = [neuron.predict(X)[0]]
    for _ in range(EPOCHS):  # one sample, batch_size=1: one epoch is one SGD step
        neuron.partial_fit(X, y)
        outputs.append(neuron.predict(X)[0])
    assert neuron.t_ == n_init_epochs + EPOCHS
    return np.array(outputs), np.array(neuron.loss_curve_[n_init_epochs:])


fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
checkpoints = [0, 50, 100, 150, 300]
print("output a of the neuron after k SGD steps (target y = 0)")
print(f"{'cost':<32}{'start (w, b)':>14}" + "".join(f"{f'k={k}':>9}" for k in checkpoints))
for (name, (noise, cost)), colour in zip(COSTS.items(), ["tab:red", "tab:blue"]):
    for (w, b), style in zip(STARTS, ["--", "-"]):
        a, loss_curve = train_from(noise, w, b)
        print(f"{name:<32}{f'({w:g}, {b:g})':>14}" + "".join(f"{a[k]:9.4f}" for k in checkpoints))
        # loss_curve_[k] is the training loss evaluated before step k + 1: the NLL less
        # its constants, i.e. exactly the cost (the squared error / 2 for Gaussian)
        np.testing.assert_allclose(loss_curve, cost(a[:-1]), rtol=1e-6, atol=1e-12)
        label = f"{name.split(' (')[0]}, start ({w:g}, {b:g})"
        axes[0].plot(a, style, color=colour, label=label)
        axes[1].semilogy(cost(a), style, color=colour, label=label)
print("(costs computed as (a - y)^2 / 2 and -log(1 - a) from these outputs agree with "
      "loss_curve_)")

axes[0].set(title="one sigmoid neuron: output a (target 0)", xlabel="epoch (SGD step)",
            ylabel="output a", ylim=(0, 1))
axes[1].set(title="cost C per epoch", xlabel="epoch (SGD step)", ylabel="C  (log scale)")
axes[0].legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.42, 0.86))

# Gradient per layer at initialisation, deep sigmoid vs deep relu network.
# Two copies from the same seeded initialisation take one full-batch SGD step of size 1
# and 2: the difference of their weights is exactly the gradient at initialisation.
digits = load_digits()
X_digits, y_odd = digits.data / 16, (digits.target % 2).astype(float)
print("\nFrobenius norm of dLoss/dW_l at initialisation, 8 hidden layers of 32 units, "
      "Bernoulli noise on 'digit is odd'")
print(f"{'layer':<12}" + "".join(f"{l:>10}" for l in range(1, 10)))
for activation, colour in [("logistic", "tab:red"), ("relu", "tab:green")]:
    weights = []
    for step in (1.0, 2.0):
        net = MLPLikelihoodRegressor(
            hidden_layer_sizes=(32,) * 8, activation=activation, noise="bernoulli",
            solver="sgd", learning_rate_init=step, momentum=0, nesterovs_momentum=False,
            alpha=0, batch_size=len(X_digits), shuffle=False, random_state=0)
        net.partial_fit(X_digits, y_odd)
        weights.append([W.copy() for W in net.coefs_])
    norms = [np.linalg.norm(W1 - W2) for W1, W2 in zip(*weights)]
    print(f"{activation:<12}" + "".join(f"{n:10.2e}" for n in norms))
    axes[2].semilogy(range(1, len(norms) + 1), norms, "o-", color=colour, label=activation)
axes[2].set(title="gradient per layer at initialisation", xlabel="layer (1 = input side)",
            ylabel="||dLoss/dW||  (log scale)")
axes[2].legend()

fig.tight_layout()
FIGURE_DIR.mkdir(parents=True, exist_ok=True)
fig.savefig(FIGURE_DIR / "mse_vs_cross_entropy.png", dpi=80)
print(f"saved {FIGURE_DIR / 'mse_vs_cross_entropy.png'}")
