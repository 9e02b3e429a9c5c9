"""W3: a wide regression MLP, skae's MLPLikelihoodRegressor against MLPRegressor.

Data: 100,000 training and 20,000 held-out rows of 50 standard-normal features
(float32, seed 0) with the nonlinear target

.. math:: y = \\sin(u_1) + \\tfrac12 u_2 \\tanh(u_3) + 0.3 (u_4^2 - 1) + 0.3\\,\\varepsilon

where ``u_k = x . w_k`` for fixed random unit vectors ``w_k`` and ``eps ~ N(0, 1)``, so
the best possible held-out MSE is the noise variance 0.09. Network 50-256-256-1, relu,
Adam (lr 1e-3), batch 256, alpha 1e-4, a few epochs per fit, round ``r`` seeding every
tool with ``r``; skae with ``noise="gaussian"`` (squared error, as MLPRegressor).
PyTorch, when importable, trains the same network with the same objective. The GEMM
bound row times an epoch's matrix products alone (see ``_common.gemm_epoch_seconds``).

Target: skae at least 2x faster per epoch than MLPRegressor at an equal or better
held-out MSE.

Run ``python benchmarks/bench_regression.py`` (``--quick``: 20,000 rows, one round of 2
epochs, no JSON written; ``--threads 1``: one thread for every tool).
"""

import argparse

import numpy as np
from sklearn.neural_network import MLPRegressor

import skae
from _common import (add_common_arguments, fit_timed, gemm_trial, limit_threads, machine_info,
                     mse, paired_ratio, print_ratios, report_targets, run_rounds, save, torch,
                     torch_fit, torch_predict)

N_FEATURES, HIDDEN, BATCH, ALPHA, NOISE_SD = 50, (256, 256), 256, 1e-4, 0.3


def make_data(n_samples, seed=0):
    """Features and the nonlinear target of the module docstring, float32."""
    rng = np.random.RandomState(seed)
    directions = rng.standard_normal((N_FEATURES, 4))
    directions /= np.linalg.norm(directions, axis=0)
    X = rng.standard_normal((n_samples, N_FEATURES)).astype(np.float32)
    u = X @ directions.astype(np.float32)
    y = (np.sin(u[:, 0]) + 0.5 * u[:, 1] * np.tanh(u[:, 2]) + 0.3 * (u[:, 3] ** 2 - 1)
         + NOISE_SD * rng.standard_normal(n_samples).astype(np.float32))
    return X, y.astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit")
    args = parser.parse_args()
    n_train, n_test, rounds, epochs = ((20_000, 5_000, 1, 2) if args.quick
                                       else (100_000, 20_000, args.rounds, args.epochs))

    X, y = make_data(n_train + n_test)
    X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]
    common = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam",
                  learning_rate_init=1e-3, alpha=ALPHA, batch_size=BATCH, max_iter=epochs,
                  tol=0.0, n_iter_no_change=epochs + 1)

    def run_skae(seed, on_epoch=None):
        reg = skae.MLPLikelihoodRegressor(noise="gaussian", random_state=seed, **common)
        fit_s, epoch_s = fit_timed(reg, X_train, y_train, on_epoch=on_epoch)
        assert reg.coefs_[0].dtype == np.float32
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=reg.n_iter_,
                    test_mse=mse(reg.predict(X_test), y_test))

    def run_sklearn(seed, on_epoch=None):
        reg = MLPRegressor(random_state=seed, **common)
        fit_s, epoch_s = fit_timed(reg, X_train, y_train, on_epoch=on_epoch)
        assert reg.coefs_[0].dtype == np.float32
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=reg.n_iter_,
                    test_mse=mse(reg.predict(X_test), y_test))

    def run_torch(seed, on_epoch=None):
        model, fit_s, epoch_s = torch_fit((N_FEATURES, *HIDDEN, 1), ("relu", "relu", "identity"),
                                          X_train, y_train, epochs, BATCH, ALPHA, seed,
                                          on_epoch=on_epoch)
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=len(epoch_s),
                    test_mse=mse(torch_predict(model, X_test)[:, 0], y_test))

    trials = {"skae": run_skae, "MLPRegressor": run_sklearn}
    if torch is not None:
        trials["PyTorch"] = run_torch
    else:
        print("PyTorch not importable: its row is skipped.")
    trials["GEMM bound"] = gemm_trial((N_FEATURES, *HIDDEN, 1), n_train, BATCH, epochs)

    limit_threads(args.threads)
    machine = machine_info(args.threads)
    print(f"regression {N_FEATURES}-{HIDDEN[0]}-{HIDDEN[1]}-1, batch {BATCH}, {epochs} epochs "
          f"per fit, {rounds} rounds, {n_train} train / {n_test} test rows "
          f"(noise variance {NOISE_SD ** 2:.2f})")
    results, summary = run_rounds(trials, rounds)

    s, sk = summary["skae"], summary["MLPRegressor"]
    ratios = {"MLPRegressor / skae": paired_ratio(results, "MLPRegressor", "skae"),
              "skae / GEMM bound": paired_ratio(results, "skae", "GEMM bound"),
              "MLPRegressor / GEMM bound": paired_ratio(results, "MLPRegressor", "GEMM bound")}
    if "PyTorch" in summary:
        ratios["PyTorch / skae"] = paired_ratio(results, "PyTorch", "skae")
    print_ratios(ratios)
    verdicts = report_targets({
        "MLPRegressor / skae >= 2": (ratios["MLPRegressor / skae"][0], 2.0, False),
        "skae MSE <= MLPRegressor MSE": (s["test_mse"], sk["test_mse"], True),
    })
    print(f"(MLPRegressor / GEMM bound = {ratios['MLPRegressor / GEMM bound'][0]:.2f}: the "
          "highest MLPRegressor / skae any implementation of these products could reach.)")

    if not args.quick:
        save("bench_regression", {
            "machine": machine,
            "config": dict(layers=[N_FEATURES, *HIDDEN, 1], batch_size=BATCH, epochs=epochs,
                           rounds=rounds, threads=args.threads, n_train=n_train,
                           n_test=n_test, alpha=ALPHA, noise_sd=NOISE_SD, dtype="float32"),
            "summary": summary, "ratios": ratios, "targets": verdicts,
        })


if __name__ == "__main__":
    main()
