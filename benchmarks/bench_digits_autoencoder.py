"""W1: a small autoencoder on the digits, skae against MLPRegressor and PyTorch.

Data: ``load_digits().data / 16`` in float32, ``train_test_split(test_size=360,
random_state=0)``. Network 64-128-8-128-64, relu, Adam (lr 1e-3), batch 128, alpha
1e-4, 200 epochs, float32 throughout; every tool runs all epochs (``tol=0`` and
``n_iter_no_change`` above ``max_iter``), and round ``r`` seeds every tool with ``r``.

The comparable MLPRegressor is ``hidden_layer_sizes=(128, 8, 128)`` fitted on
``(X, X)``; its 8-unit middle layer is relu where skae's code layer is linear. The
PyTorch twin has skae's layers (linear code) and scikit-learn's objective. The GEMM
bound row times an epoch's matrix products alone (see ``_common.gemm_epoch_seconds``).

Targets: skae at least 3x faster per epoch than MLPRegressor and faster than PyTorch,
at an equal or better held-out reconstruction MSE.

Run ``python benchmarks/bench_digits_autoencoder.py`` (``--quick``: one round of 20
epochs, no JSON written; ``--threads 1``: one thread for every tool).
"""

import argparse

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from _common import (add_common_arguments, autoencoder_trials, limit_threads, machine_info,
                     paired_ratio, print_ratios, report_targets, run_rounds, save)

LAYERS = (64, 128, 8, 128, 64)
BATCH, ALPHA = 128, 1e-4



def load_data():
    """The digits scaled to [0, 1], float32: ``(X_train, X_test)``."""
    X = (load_digits().data / 16).astype(np.float32)
    return train_test_split(X, test_size=360, random_state=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    rounds, epochs = (1, 20) if args.quick else (args.rounds, args.epochs)

    X_train, X_test = load_data()
    trials = autoencoder_trials(LAYERS, X_train, X_test, epochs, BATCH, ALPHA)

    limit_threads(args.threads)
    machine = machine_info(args.threads)
    print(f"digits autoencoder {'-'.join(map(str, LAYERS))}, batch {BATCH}, {epochs} epochs, "
          f"{rounds} rounds, {X_train.shape[0]} train / {X_test.shape[0]} test rows")
    results, summary = run_rounds(trials, rounds)
    print("(MLPRegressor's 8-unit middle layer is relu; skae's and PyTorch's code is linear. "
          "GEMM bound: the epoch's matrix products alone.)")

    s, sk = summary["skae"], summary["MLPRegressor"]
    ratios = {"MLPRegressor / skae": paired_ratio(results, "MLPRegressor", "skae")}
    targets = {
        "MLPRegressor / skae >= 3": (ratios["MLPRegressor / skae"][0], 3.0, False),
        "skae MSE <= MLPRegressor MSE": (s["test_mse"], sk["test_mse"], True),
    }
    if "PyTorch" in summary:
        pt = summary["PyTorch"]
        ratios["PyTorch / skae"] = paired_ratio(results, "PyTorch", "skae")
        targets["PyTorch / skae > 1"] = (ratios["PyTorch / skae"][0], 1.0, False)
        targets["skae MSE <= PyTorch MSE"] = (s["test_mse"], pt["test_mse"], True)
    print_ratios(ratios)
    verdicts = report_targets(targets)

    if not args.quick:
        save("bench_digits_autoencoder", {
            "machine": machine,
            "config": dict(layers=list(LAYERS), batch_size=BATCH, epochs=epochs, rounds=rounds,
                           threads=args.threads, alpha=ALPHA, dtype="float32"),
            "summary": summary, "ratios": ratios, "targets": verdicts,
        })


if __name__ == "__main__":
    main()
