"""The main job: an AutoEncoder against PCA on scikit-learn's digits.

Run ``python -m skae --help`` for the options.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from . import AutoEncoder
from .noise import NOISE_MODELS


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skae",
        description="Fit an AutoEncoder on scikit-learn's digits (scaled to [0, 1]) and "
                    "compare its held-out reconstruction error and log-likelihood with "
                    "PCA's at the same code size.",
    )
    parser.add_argument("--n-components", type=int, default=8, help="code size (default: 8)")
    parser.add_argument("--noise", default="bernoulli", choices=sorted(NOISE_MODELS),
                        help="noise model of the decoder (default: bernoulli)")
    parser.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")
    parser.add_argument("--learning-rate", type=float, default=3e-3,
                        help="Adam's learning rate (default: 0.003)")
    parser.add_argument("--hidden", type=int, nargs="*", default=[128],
                        help="encoder hidden layer sizes (default: 128)")
    parser.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    args = parser.parse_args(argv)
    if args.n_components < 1 or args.epochs < 1 or not args.learning_rate > 0:
        parser.error("--n-components, --epochs and --learning-rate must be positive")
    return args


def _progress(epoch, epochs, loss, started, width=30):
    done = int(width * epoch / epochs)
    line = (f"[{'#' * done}{'.' * (width - done)}] epoch {epoch:>4}/{epochs}  "
            f"loss {loss:10.4f}  {time.perf_counter() - started:5.1f}s")
    if sys.stdout.isatty():
        print("\r" + line, end="\n" if epoch == epochs else "", flush=True)
    elif epoch == epochs or epoch % max(1, epochs // 5) == 0:
        print(line, flush=True)


def main(argv=None):
    args = _parse_args(argv)
    X = (load_digits().data / 16).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=360, random_state=0)
    print(f"skae: AutoEncoder vs PCA on digits ({X.shape[0]} x {X.shape[1]}, scaled to "
          f"[0, 1], float32); {len(X_train)} train / {len(X_test)} held-out samples")
    print(f"AutoEncoder: layers {[X.shape[1], *args.hidden, args.n_components]} and back, "
          f"noise={args.noise}, adam (learning rate {args.learning_rate:g}), {args.epochs} "
          "epochs")

    ae = AutoEncoder(n_components=args.n_components, hidden_layer_sizes=tuple(args.hidden),
                     noise=args.noise, learning_rate_init=args.learning_rate,
                     random_state=args.random_state)
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        ae.partial_fit(X_train)
        _progress(epoch, args.epochs, ae.loss_curve_[-1], started)

    pca = PCA(n_components=args.n_components).fit(X_train)
    rows = [
        (f"AutoEncoder ({args.noise})", ae.inverse_transform(ae.transform(X_test)),
         ae.score(X_test), f"{args.noise} likelihood"),
        (f"PCA ({args.n_components})", pca.inverse_transform(pca.transform(X_test)),
         pca.score(X_test), "probabilistic PCA, Gaussian likelihood"),
    ]
    print()
    print(f"{'held-out (360 digits)':<24}{'reconstruction MSE':>20}{'mean log-likelihood':>22}")
    for name, reconstruction, score, model in rows:
        mse = float(np.mean((reconstruction - X_test) ** 2))
        print(f"{name:<24}{mse:>20.5f}{score:>22.3f}   ({model})")
    print("\nLog-likelihoods are per image, summed over the 64 pixels. PCA's is a density of "
          "x. The\nAutoEncoder's scores each image under its own reconstruction: it is not a "
          "density and\ngrows with --n-components, so compare it across noise models or "
          "training settings at one\ncode size, never with PCA's (see docs/theory.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
