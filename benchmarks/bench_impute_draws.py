"""AutoEncoderImputer's training draws: how much its 20% MCAR figures move with
``random_state`` alone, on the same masks.

``bench_impute.py`` fits AutoEncoderImputer once per mask (``random_state=seed``), so
its figures mix the spread of the masks with that of one training draw. Here each mask
is imputed by ``n_draws`` fits of ``random_state = seed + 100 k`` (k = 0, 1, ...), and
the script prints, per table, the 20% MCAR numeric RMSE and categorical accuracy of
each draw (means over the masks' seeds), their mean over the draws, and those of the
draws' ensemble: the numeric fills averaged and each categorical entry given the level
that most of the draws filled (ties go to the first draw). The first draw is the one
that ``bench_impute.py`` runs. Every figure is set beside the best baseline of
``bench_impute.py`` on the same masks (the baselines do not depend on the draw), as its
acceptance compares: RMSE / best, accuracy - best.

If the ensemble of several draws scores no better than the mean of the single draws,
the gap to a baseline is a bias of the model, not the spread of its training. Last, the
mean of the draws' accuracy minus the best baseline's is taken mask by mask, with the
standard error of its mean over the masks: how far the gap is known.

``python benchmarks/bench_impute_draws.py`` (``--datasets diabetes iris``: only those
tables; ``--seeds 5 15``: the masks of seeds 5..14; ``--draws 3``).
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bench_impute as B
from skae import AutoEncoderImputer

RATE = 0.2


def baselines(complete, M, holes, seed):
    """``{method: (rmse, accuracy)}`` of bench_impute's baselines on one mask."""
    return {name: B.scores(complete, M, B.timed(method, holes, seed)[0])
            for name, method in B.METHODS.items() if name != "AutoEncoderImputer"}


def ensemble(fills, complete):
    """The draws' fills combined: numeric columns averaged, categorical ones by vote."""
    out = {}
    for c in complete.columns:
        columns = [f[c] for f in fills]
        if B.is_categorical(complete[c]):
            stacked = np.column_stack(columns).astype(object)
            out[c] = np.array([max(row.tolist(), key=row.tolist().count) for row in stacked],
                              dtype=object)
        else:
            out[c] = np.mean([np.asarray(v, dtype=float) for v in columns], axis=0)
    return out


def run(complete, seeds, n_draws):
    """Per seed: the baselines' scores, each draw's and the ensemble's (rmse, accuracy)."""
    rows = []
    for seed in seeds:
        holes, M = B.with_holes(complete, RATE, seed)
        fills = []
        for k in range(n_draws):
            with threadpool_limits(1):  # as bench_impute runs it
                filled = AutoEncoderImputer(random_state=seed + 100 * k).fit_transform(holes)
            fills.append({c: filled[c].to_numpy() for c in holes.columns})
        rows.append({"baselines": baselines(complete, M, holes, seed),
                     "draws": [B.scores(complete, M, f) for f in fills],
                     "ensemble": B.scores(complete, M, ensemble(fills, complete))})
    return rows


def report(name, rows, n_draws):
    methods = rows[0]["baselines"]
    base = {m: np.mean([r["baselines"][m] for r in rows], axis=0) for m in methods}
    best_rmse = min(v[0] for v in base.values())
    best_accuracy = np.nanmax([v[1] for v in base.values()])
    draws = np.mean([r["draws"] for r in rows], axis=0)  # (n_draws, 2)
    ens = np.mean([r["ensemble"] for r in rows], axis=0)

    def cell(score):
        rmse, accuracy = score
        text = f"RMSE {rmse:.3f} ({rmse / best_rmse:.3f}x)"
        if not np.isnan(accuracy):
            text += f", accuracy {accuracy:.3f} ({accuracy - best_accuracy:+.3f})"
        return text

    print(f"{name}: best baseline RMSE {best_rmse:.3f}, accuracy {best_accuracy:.3f}")
    lines = [(f"draw {k} (random_state seed + {100 * k})", draws[k]) for k in range(n_draws)]
    lines += [(f"mean of the {n_draws} draws", draws.mean(axis=0)),
              (f"ensemble of the {n_draws} draws", ens)]
    for label, score in lines:
        print(f"  {label:33s} {cell(score)}", flush=True)
    if not np.isnan(best_accuracy) and len(rows) > 1:
        print("  " + paired_gap(rows, methods, base))


def paired_gap(rows, methods, base):
    """The mean of the draws' accuracy minus the best baseline's, mask by mask: its mean
    and the standard error of that mean over the masks."""
    best = max(methods, key=lambda m: base[m][1])
    gaps = np.array([np.mean([d[1] for d in r["draws"]]) - r["baselines"][best][1]
                     for r in rows])
    se = gaps.std(ddof=1) / np.sqrt(len(gaps))
    return (f"accuracy, mean of the draws minus {best}, per mask: {gaps.mean():+.3f} "
            f"± {se:.3f} (standard error over {len(gaps)} masks)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", metavar="NAME")
    parser.add_argument("--seeds", nargs=2, type=int, default=(0, 5),
                        metavar=("FIRST", "STOP"))
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    chosen = B.chosen_tables(parser, args.datasets)
    seeds = range(*args.seeds)
    print(f"MCAR {RATE:.0%}, masks of seeds {list(seeds)}, {args.draws} training draws; "
          "means over the seeds")
    for name, complete in chosen.items():
        report(name, run(complete, seeds, args.draws), args.draws)
    print(f"\nwall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
