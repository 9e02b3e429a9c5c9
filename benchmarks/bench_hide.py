"""AutoEncoder(corruption="hide"): filling entries of held-out rows that it cannot see.

Protocol, per table and seed (``rng = np.random.default_rng(seed)``):

- the table (scikit-learn's diabetes, 442 x 10, and breast cancer, 569 x 30, numeric
  features only) is standardised on the complete data, so that an error in units of a
  column's standard deviation is the plain error;
- 20% of its entries are made missing, MCAR (``rng.random(X.shape) < 0.2``);
- a random quarter of the rows is held out; the models are fitted on the others,
  NaN included;
- in the held-out rows, 20% of the observed entries are hidden (set to NaN) and
  filled by ``inverse_transform(transform(rows))``; the figure is the RMSE of those
  fills against the true values (RMSE / sd; a mean fill scores about 1.0).

Models, with one configuration for both tables: ``AutoEncoder(n_components=4,
hidden_layer_sizes=(64,), max_iter=200)`` (every epoch run, ``n_iter_no_change`` out
of reach, ``random_state=seed``) with ``corruption=None`` and with
``corruption="hide", corruption_level=0.2``; and the column means of the training
rows. Both AutoEncoders see the missingness indicators (the training data have NaN).

``python benchmarks/bench_hide.py`` (~5 s; ``--seeds``, ``--n-components``).
"""

import argparse
import subprocess
import warnings
from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning

from skae import AutoEncoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)
MISSING_RATE = 0.2
HIDDEN_RATE = 0.2
HELD_OUT_FRACTION = 0.25
MODELS = ("column mean", "corruption=None", "corruption='hide'")


def tables():
    return {"diabetes": datasets.load_diabetes().data,
            "breast_cancer": datasets.load_breast_cancer().data}


def fill_errors(X, seed, n_components):
    """RMSE / sd of each model's fills of the hidden held-out entries."""
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    rng = np.random.default_rng(seed)
    with_missing = np.where(rng.random(X.shape) < MISSING_RATE, np.nan, X)
    rows = rng.permutation(X.shape[0])
    n_held_out = int(HELD_OUT_FRACTION * X.shape[0])
    held_out, train = rows[:n_held_out], rows[n_held_out:]
    seen = with_missing[held_out]
    hidden = (rng.random(seen.shape) < HIDDEN_RATE) & ~np.isnan(seen)
    inputs = np.where(hidden, np.nan, seen)
    truth = X[held_out][hidden]

    fills = {"column mean": np.broadcast_to(np.nanmean(with_missing[train], axis=0),
                                             seen.shape)}
    for name, corruption in (("corruption=None", None), ("corruption='hide'", "hide")):
        ae = AutoEncoder(n_components=n_components, hidden_layer_sizes=(64,),
                         corruption=corruption, corruption_level=HIDDEN_RATE,
                         max_iter=200, n_iter_no_change=10**6, random_state=seed)
        ae.fit(with_missing[train])
        fills[name] = ae.inverse_transform(ae.transform(inputs))
    return {name: float(np.sqrt(np.mean((fill[hidden] - truth) ** 2)))
            for name, fill in fills.items()}, int(hidden.sum())


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-components", type=int, default=4)
    args = parser.parse_args()
    print(f"commit {commit()}; n_components={args.n_components}, hidden (64,), 200 epochs; "
          f"{MISSING_RATE:.0%} MCAR NaN, {HIDDEN_RATE:.0%} of the held-out rows' observed "
          "entries hidden")
    print("\nRMSE / sd of the fills of hidden held-out entries, per seed\n")
    print("| table | seed | hidden entries | " + " | ".join(MODELS) + " |")
    print("|---|---|---|" + "---|" * len(MODELS))
    summary = {}
    for table, X in tables().items():
        per_seed = []
        for seed in args.seeds:
            errors, n_hidden = fill_errors(X, seed, args.n_components)
            per_seed.append(errors)
            print(f"| {table} | {seed} | {n_hidden} | "
                  + " | ".join(f"{errors[m]:.3f}" for m in MODELS) + " |")
        summary[table] = per_seed
    print("\nmean ± sd over seeds; 'hide' below None on how many seeds\n")
    print("| table | " + " | ".join(MODELS) + " | hide < None |")
    print("|---|" + "---|" * (len(MODELS) + 1))
    for table, per_seed in summary.items():
        cells = []
        for model in MODELS:
            values = np.array([errors[model] for errors in per_seed])
            sd = values.std(ddof=1) if len(values) > 1 else 0.0
            cells.append(f"{values.mean():.3f} ± {sd:.3f}")
        wins = sum(e["corruption='hide'"] < e["corruption=None"] for e in per_seed)
        print(f"| {table} | " + " | ".join(cells) + f" | {wins}/{len(per_seed)} |")


if __name__ == "__main__":
    main()
