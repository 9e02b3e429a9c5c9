"""W2: an MNIST-sized autoencoder, skae against MLPRegressor, PyTorch and the GEMM bound.

Data: :func:`_common.mnist_like`, 60,000 training and 10,000 held-out synthetic 28x28
images in [0, 1] (smooth Gaussian-blob basis images mixed by standard-normal codes and
passed through a sigmoid; seed 0), float32. Network 784-256-32-256-784, relu, Adam
(lr 1e-3), batch 256, alpha 1e-4, a few epochs per fit, every tool running all of them;
round ``r`` seeds every tool with ``r``. The comparable MLPRegressor is
``hidden_layer_sizes=(256, 32, 256)`` fitted on ``(X, X)`` (its 32-unit middle layer
is relu, skae's code layer is linear).

GEMM bound: the matrix products one epoch of training needs at least, timed alone on
random float32 operands laid out as skae lays them out, with ``np.matmul`` into
preallocated outputs: per batch and layer the forward product ``a_{l-1} W_l``, the
weight gradient ``a_{l-1}^T delta_l`` and, for every layer but the first, the input
gradient ``delta_l W_l^T``; 234 batches of 256 rows and one of 96, as an epoch has.
MLPRegressor computes the same products, so no tool can be faster than the bound at
the same thread count.

Targets: skae's epoch at most 1.4x the GEMM bound, at most 0.5x MLPRegressor's, and
below PyTorch's, at an equal or better held-out reconstruction MSE.

Run ``python benchmarks/bench_mnist_autoencoder.py`` (``--quick``: 10,000 rows, one
round of 2 epochs, no JSON written; ``--threads 1``: one thread for every tool).
"""

import argparse

from _common import (add_common_arguments, autoencoder_trials, limit_threads, machine_info,
                     mnist_like, paired_ratio, print_ratios, report_targets, run_rounds, save)

LAYERS = (784, 256, 32, 256, 784)
BATCH, ALPHA = 256, 1e-4


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit")
    args = parser.parse_args()
    n_train, n_test, rounds, epochs = ((10_000, 2_000, 1, 2) if args.quick
                                       else (60_000, 10_000, args.rounds, args.epochs))

    X = mnist_like(n_train + n_test, seed=0)
    X_train, X_test = X[:n_train], X[n_train:]
    trials = autoencoder_trials(LAYERS, X_train, X_test, epochs, BATCH, ALPHA)

    limit_threads(args.threads)
    machine = machine_info(args.threads)
    print(f"MNIST-sized autoencoder {'-'.join(map(str, LAYERS))}, batch {BATCH}, "
          f"{epochs} epochs per fit, {rounds} rounds, {n_train} train / {n_test} test rows")
    results, summary = run_rounds(trials, rounds)
    print("(MLPRegressor's 32-unit middle layer is relu; skae's and PyTorch's code is "
          "linear. GEMM bound: the epoch's matrix products alone.)")

    s, sk = summary["skae"], summary["MLPRegressor"]
    ratios = {"skae / GEMM bound": paired_ratio(results, "skae", "GEMM bound"),
              "skae / MLPRegressor": paired_ratio(results, "skae", "MLPRegressor"),
              "GEMM bound / MLPRegressor": paired_ratio(results, "GEMM bound", "MLPRegressor")}
    targets = {
        "skae / GEMM bound <= 1.4": (ratios["skae / GEMM bound"][0], 1.4, True),
        "skae / MLPRegressor <= 0.5": (ratios["skae / MLPRegressor"][0], 0.5, True),
        "skae MSE <= MLPRegressor MSE": (s["test_mse"], sk["test_mse"], True),
    }
    if "PyTorch" in summary:
        pt = summary["PyTorch"]
        ratios["skae / PyTorch"] = paired_ratio(results, "skae", "PyTorch")
        targets["skae / PyTorch < 1"] = (ratios["skae / PyTorch"][0], 1.0, True)
        targets["skae MSE <= PyTorch MSE"] = (s["test_mse"], pt["test_mse"], True)
    print_ratios(ratios)
    verdicts = report_targets(targets)
    print(f"(GEMM bound / MLPRegressor = {ratios['GEMM bound / MLPRegressor'][0]:.2f}: the "
          "lowest skae / MLPRegressor any implementation of these products could reach.)")

    if not args.quick:
        save("bench_mnist_autoencoder", {
            "machine": machine,
            "config": dict(layers=list(LAYERS), batch_size=BATCH, epochs=epochs, rounds=rounds,
                           threads=args.threads, n_train=n_train, n_test=n_test,
                           alpha=ALPHA, dtype="float32"),
            "summary": summary, "ratios": ratios, "targets": verdicts,
        })


if __name__ == "__main__":
    main()
