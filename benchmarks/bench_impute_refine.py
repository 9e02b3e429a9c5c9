"""AutoEncoderImputer's refinement, paired: the same fitted network fills each mask with
``refine=True`` and with ``refine=False``.

``refine`` acts in ``transform`` only, so one fit gives both fills, and their difference
is the effect of refinement alone, free of the spread of masks and training draws. Each
table of ``bench_impute.py`` is masked (entry-wise MCAR, ``M = rng.random((n, d)) <
rate`` with ``rng = np.random.default_rng(seed)``) at each rate for every seed, and each
mask is fitted ``--draws`` times (``random_state = seed + 100 k``). Per table and rate,
the script prints the categorical accuracy with and without refinement (means over the
fits), their paired difference with its standard error, and on how many fits
refinement filled more (fewer) masked categorical entries correctly. Real and count
columns are never refined; the script checks that their fills are identical.

``python benchmarks/bench_impute_refine.py`` (``--datasets diabetes iris``; ``--seeds 0
15``: seeds 0..14; ``--draws 3``; ``--rates 0.2 0.5``).
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bench_impute as B
from skae import AutoEncoderImputer


def paired_accuracies(complete, rate, seed, random_state):
    """Accuracy on the masked categorical entries with and without refinement, one fit."""
    holes, M = B.with_holes(complete, rate, seed)
    with threadpool_limits(1):
        imputer = AutoEncoderImputer(random_state=random_state).fit(holes)
        fills = {refine: imputer.set_params(refine=refine).transform(holes)
                 for refine in (True, False)}
    for c in complete.columns:
        if not B.is_categorical(complete[c]):
            assert fills[True][c].equals(fills[False][c]), c
    return [B.scores(complete, M, {c: fills[refine][c].to_numpy() for c in complete.columns})[1]
            for refine in (True, False)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=[])
    parser.add_argument("--seeds", nargs=2, type=int, default=(0, 5), metavar=("FROM", "TO"))
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--rates", nargs="*", type=float, default=[0.2, 0.5])
    args = parser.parse_args()
    tables = B.chosen_tables(parser, args.datasets)
    seeds = range(*args.seeds)
    start = time.time()
    print(f"refine=True minus refine=False on the same fits: masks of seeds {list(seeds)}, "
          f"{args.draws} training draws each; accuracy on masked categorical entries")
    for rate in args.rates:
        print(f"\nMCAR {rate:.0%}")
        for name, complete in tables.items():
            pairs = np.array([paired_accuracies(complete, rate, seed, seed + 100 * k)
                              for seed in seeds for k in range(args.draws)])
            diff = pairs[:, 0] - pairs[:, 1]
            se = diff.std(ddof=1) / np.sqrt(len(diff))
            print(f"  {name:14s} refined {pairs[:, 0].mean():.3f}, first fills "
                  f"{pairs[:, 1].mean():.3f}: {diff.mean():+.4f} ± {se:.4f} (se, "
                  f"{len(diff)} fits); better on {(diff > 0).sum()}, worse on "
                  f"{(diff < 0).sum()}", flush=True)
    print(f"\nwall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
