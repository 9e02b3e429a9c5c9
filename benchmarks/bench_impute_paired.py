"""AutoEncoderImputer's fill-time options, paired: the same fitted network fills each
mask with two values of ``refine`` or of ``linear_weight``.

Both options act in ``transform`` only (the linear models of ``linear_weight`` are
fitted whatever its value), so one fit gives both fills, and their difference is the
effect of the option alone, free of the spread of masks and training draws. Each table
of ``bench_impute.py`` is masked (entry-wise MCAR, ``M = rng.random((n, d)) < rate``
with ``rng = np.random.default_rng(seed)``) at each rate for every seed, and each mask
is fitted ``--draws`` times (``random_state = seed + 100 k``), the other options at
their defaults. Per table and rate, the script prints the categorical accuracy with
each value (means over the fits), their paired difference with its standard error, and
on how many fits the first value filled more (fewer) masked categorical entries
correctly. Both options change discrete fills only; the script checks that the real and
count fills are identical.

``python benchmarks/bench_impute_paired.py linear_weight 0.5 0`` or ``... refine true
false`` (``--datasets diabetes iris``; ``--seeds 0 15``: seeds 0..14; ``--draws 3``;
``--rates 0.2 0.5``).
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bench_impute as B
from skae import AutoEncoderImputer

OPTIONS = {"refine": lambda v: {"true": True, "false": False}[v.lower()],
           "linear_weight": float}


def paired_accuracies(complete, rate, seed, random_state, option, values):
    """Accuracy on the masked categorical entries with each of ``values``, one fit."""
    holes, M = B.with_holes(complete, rate, seed)
    with threadpool_limits(1):
        imputer = AutoEncoderImputer(random_state=random_state).fit(holes)
        fills = [imputer.set_params(**{option: value}).transform(holes) for value in values]
    for c in complete.columns:
        if not B.is_categorical(complete[c]):
            assert fills[0][c].equals(fills[1][c]), c
    return [B.scores(complete, M, {c: filled[c].to_numpy() for c in complete.columns})[1]
            for filled in fills]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("option", choices=sorted(OPTIONS))
    parser.add_argument("values", nargs=2)
    parser.add_argument("--datasets", nargs="*", default=[])
    parser.add_argument("--seeds", nargs=2, type=int, default=(0, 5), metavar=("FROM", "TO"))
    parser.add_argument("--draws", type=int, default=3)
    parser.add_argument("--rates", nargs="*", type=float, default=[0.2, 0.5])
    args = parser.parse_args()
    try:
        values = [OPTIONS[args.option](v) for v in args.values]
    except (KeyError, ValueError):
        parser.error(f"values of {args.option}: got {args.values}")
    tables = B.chosen_tables(parser, args.datasets)
    seeds = range(*args.seeds)
    first, second = (f"{args.option}={v}" for v in values)
    start = time.time()
    print(f"{first} minus {second} on the same fits: masks of seeds {list(seeds)}, "
          f"{args.draws} training draws each; accuracy on masked categorical entries")
    for rate in args.rates:
        print(f"\nMCAR {rate:.0%}")
        for name, complete in tables.items():
            pairs = np.array([paired_accuracies(complete, rate, seed, seed + 100 * k,
                                                args.option, values)
                              for seed in seeds for k in range(args.draws)])
            diff = pairs[:, 0] - pairs[:, 1]
            se = diff.std(ddof=1) / np.sqrt(len(diff))
            print(f"  {name:14s} {first} {pairs[:, 0].mean():.3f}, {second} "
                  f"{pairs[:, 1].mean():.3f}: {diff.mean():+.4f} ± {se:.4f} (se, "
                  f"{len(diff)} fits); better on {(diff > 0).sum()}, worse on "
                  f"{(diff < 0).sum()}", flush=True)
    print(f"\nwall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
