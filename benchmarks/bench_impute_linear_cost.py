"""What AutoEncoderImputer's linear models cost: fits with ``linear_weight=0.5`` (the
default, which fits a logistic regression per discrete variable) and with 0 (which
skips them), side by side.

Each table is masked at 20% (MCAR, seed 0) and fitted ``--rounds`` times with each
weight, the two taking turns within a round, single-threaded; a fit's CPU time is
``time.process_time()`` around ``fit``. The script prints the median CPU seconds of
each and the median of the per-round ratios. Tables: the synthetic mixed table of
``bench_impute.py`` (1,000 rows, 5 discrete variables of 11 columns) and a table of
2,000 rows and 40 categorical columns of 6 levels each (``_tables.latent_categorical``).

``python benchmarks/bench_impute_linear_cost.py`` (``--rounds 3``).
"""

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

import _tables
import bench_impute as B
from skae import AutoEncoderImputer


def cpu_of_fit(holes, weight):
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.process_time()
        AutoEncoderImputer(linear_weight=weight, random_state=0).fit(holes)
        return time.process_time() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tables = {"mixed_1000": _tables.latent_mixed(1000, seed=0)[0],
              "categorical_40x6": _tables.latent_categorical(2000, 40, 6, seed=0)}
    start = time.time()
    print(f"AutoEncoderImputer fit, CPU seconds (one thread), MCAR 20%, {args.rounds} "
          "rounds; medians")
    for name, complete in tables.items():
        holes, _ = B.with_holes(complete, 0.2, 0)
        times = np.array([[cpu_of_fit(holes, weight) for weight in (0.5, 0.0)]
                          for _ in range(args.rounds)])
        with_models, without = np.median(times, axis=0)
        ratio = np.median(times[:, 0] / times[:, 1])
        print(f"  {name:17s} linear_weight=0.5 {with_models:6.2f} s, 0 {without:6.2f} s: "
              f"{ratio:.2f}x", flush=True)
    print(f"\nwall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
