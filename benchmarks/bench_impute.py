"""AutoEncoderImputer against scikit-learn's imputers and chained equations.

Protocol (issue #11):

- Tables: scikit-learn's diabetes (sex as a categorical column), breast cancer (with its
  diagnosis), wine (with its cultivar) and iris (with its species), and a synthetic mixed
  table drawn from a 3-dimensional latent through known per-column likelihoods
  (``_tables.latent_mixed``: Gaussian, Poisson, Bernoulli, categorical and ordinal
  columns).
- Masks: entry-wise MCAR at 20% and 50%, ``rng = np.random.default_rng(seed)``,
  ``M = rng.random((n, d)) < rate``, seeds 0..4 (``d`` counts a categorical variable
  once); every method imputes the same masked tables.
- Scores: numeric RMSE on the masked entries, each error divided by its column's sd on
  the complete table (a fill with the complete-data mean scores 1.0), pooled over the
  numeric columns; accuracy on the masked categorical entries; CPU seconds
  (``time.process_time``, under ``threadpool_limits(1)``) for fit plus transform.
- Methods: ``AutoEncoderImputer()`` with its defaults, given the DataFrame as it is
  (dtypes say which columns are categorical). The baselines see numeric columns
  standardised with their observed mean and sd and each categorical variable one-hot
  (its block all NaN where missing), and a filled block is decoded by its argmax:
  ``SimpleImputer`` (mean; most frequent for categories), ``KNNImputer(5)``,
  ``IterativeImputer()`` (its defaults: BayesianRidge, 10 rounds), and a type-aware
  chained-equation imputer (MICE-style, one model per column with missing entries:
  regressor for a numeric column, classifier for a categorical one, fitted on the
  rows where it is observed, 5 rounds from the mean / mode fill) with
  BayesianRidge / LogisticRegression and with ExtraTrees (30 trees) regressors and
  classifiers.

Then a scaling run: AutoEncoderImputer's CPU time on the synthetic table at 2,000 and
20,000 rows (20% MCAR).

``python benchmarks/bench_impute.py`` (``--quick``: two seeds, smaller tables;
``--datasets diabetes iris``: only those tables; ``--no-scaling``: no scaling run;
``--seeds 5 15``: the masks of seeds 5..14 instead).
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge, LogisticRegression
from threadpoolctl import threadpool_limits

import _tables
from skae import AutoEncoderImputer

warnings.filterwarnings("ignore", category=ConvergenceWarning)
RATES = (0.2, 0.5)


# ------------------------------------------------------------------------ the tables
def tables(quick):
    n_mixed = 600 if quick else 1000
    return {
        "diabetes": _tables.diabetes(),
        "breast_cancer": _tables.breast_cancer(),
        "wine": _tables.wine(),
        "iris": _tables.iris(),
        f"mixed_{n_mixed}": _tables.latent_mixed(n_mixed, seed=0)[0],
    }


def chosen_tables(parser, names, quick=False):
    """The tables named (all if ``names`` is empty); an unknown name is a usage error."""
    chosen = tables(quick)
    if not names:
        return chosen
    unknown = sorted(set(names) - set(chosen))
    if unknown:
        parser.error(f"unknown tables {unknown}; choose from {list(chosen)}")
    return {name: chosen[name] for name in names}


def is_categorical(column):
    # bool columns with holes arrive as objects
    return isinstance(column.dtype, pd.CategoricalDtype) or column.dtype in (bool, object)


def with_holes(frame, rate, seed):
    rng = np.random.default_rng(seed)
    M = rng.random(frame.shape) < rate
    return frame.mask(M), M


# ----------------------------------------------------- the baselines' numeric view
class Encoding:
    """Numeric columns standardised on their observed entries, categorical variables
    one-hot (the whole block NaN where missing); ``decode`` maps a filled matrix back."""

    def __init__(self, holes):
        self.columns = list(holes.columns)
        self.categorical = {c: is_categorical(holes[c]) for c in self.columns}
        self.stats, self.levels = {}, {}
        for c in self.columns:
            if self.categorical[c]:
                self.levels[c] = np.array(sorted(set(holes[c].dropna().tolist())),
                                          dtype=object)
            else:
                seen = holes[c].dropna().to_numpy(float)
                self.stats[c] = (seen.mean(), seen.std() or 1.0)

    def blocks(self):
        start = 0
        for c in self.columns:
            width = len(self.levels[c]) if self.categorical[c] else 1
            yield c, slice(start, start + width)
            start += width

    def encode(self, holes):
        parts = []
        for c in self.columns:
            values = holes[c]
            if self.categorical[c]:
                onehot = (values.to_numpy(object)[:, None] == self.levels[c][None, :]).astype(float)
                onehot[values.isna().to_numpy()] = np.nan
                parts.append(onehot)
            else:
                mean, sd = self.stats[c]
                parts.append(((values.to_numpy(float) - mean) / sd)[:, None])
        return np.hstack(parts)

    def decode(self, Z):
        out = {}
        for c, block in self.blocks():
            if self.categorical[c]:
                out[c] = self.levels[c][np.argmax(Z[:, block], axis=1)]
            else:
                mean, sd = self.stats[c]
                out[c] = Z[:, block][:, 0] * sd + mean
        return out


def numeric_imputer(imputer):
    def impute(holes, seed):
        encoding = Encoding(holes)
        return encoding.decode(clone(imputer).fit_transform(encoding.encode(holes)))
    return impute


def mean_mode(holes, seed):
    out = {}
    for c in holes.columns:
        strategy = "most_frequent" if is_categorical(holes[c]) else "mean"
        values = holes[[c]].astype(object if strategy == "most_frequent" else float)
        if strategy == "most_frequent":
            values = values.where(values.notna(), np.nan)
        out[c] = SimpleImputer(strategy=strategy).fit_transform(values)[:, 0]
    return out


def chained(regressor, classifier, n_rounds=5):
    """Chained equations: from the mean / mode fill, ``n_rounds`` sweeps over the
    columns with missing entries (fewest first), each column refitted on its observed
    rows from all the others (numeric standardised, categories one-hot) and its missing
    entries predicted."""

    def impute(holes, seed):
        encoding = Encoding(holes)
        Z = encoding.encode(holes)
        missing = np.isnan(Z)
        Z = np.where(missing, np.nanmean(Z, axis=0), Z)
        for c, block in encoding.blocks():  # the mode's one-hot, not the frequencies
            if encoding.categorical[c]:
                rows = missing[:, block.start]
                Z[rows, block] = np.eye(block.stop - block.start)[
                    np.argmax(Z[rows, block], axis=1)]
        order = sorted(encoding.blocks(), key=lambda cb: missing[:, cb[1].start].sum())
        for _ in range(n_rounds):
            for c, block in order:
                rows = missing[:, block.start]
                if not rows.any() or rows.all():
                    continue
                others = np.ones(Z.shape[1], bool)
                others[block] = False
                features = Z[:, others]
                if encoding.categorical[c]:
                    target = np.argmax(Z[~rows, block], axis=1)
                    if len(np.unique(target)) < 2:
                        continue
                    model = clone(classifier).set_params(random_state=seed)
                    predicted = model.fit(features[~rows], target).predict(features[rows])
                    Z[rows, block] = np.eye(block.stop - block.start)[predicted]
                else:
                    model = clone(regressor)
                    if "random_state" in model.get_params():
                        model.set_params(random_state=seed)
                    model.fit(features[~rows], Z[~rows, block.start])
                    Z[rows, block.start] = model.predict(features[rows])
        return encoding.decode(Z)

    return impute


def autoencoder_imputer(holes, seed):
    filled = AutoEncoderImputer(random_state=seed).fit_transform(holes)
    for c in holes.columns:  # the acceptance: observed entries bit-identical, no NaN
        seen = holes[c].notna().to_numpy()
        assert not filled[c].isna().any(), c
        assert (filled[c].to_numpy()[seen] == holes[c].to_numpy()[seen]).all(), c
    return {c: filled[c].to_numpy() for c in holes.columns}


METHODS = {
    "AutoEncoderImputer": autoencoder_imputer,
    "mean/mode": mean_mode,
    "KNN(5)": numeric_imputer(KNNImputer(n_neighbors=5)),
    "Iterative()": numeric_imputer(IterativeImputer()),
    "chained linear": chained(BayesianRidge(), LogisticRegression(max_iter=1000)),
    "chained trees": chained(ExtraTreesRegressor(n_estimators=30, n_jobs=1),
                             ExtraTreesClassifier(n_estimators=30, n_jobs=1)),
}


# ------------------------------------------------------------------------- scoring
def scores(complete, M, filled):
    """(pooled sd-scaled RMSE over masked numeric entries, accuracy over masked
    categorical entries); NaN where the table has no such entries."""
    squared, hits, n_numeric, n_categorical = 0.0, 0, 0, 0
    for j, c in enumerate(complete.columns):
        rows = M[:, j]
        truth = complete[c].to_numpy()[rows]
        guess = np.asarray(filled[c])[rows]
        if is_categorical(complete[c]):
            hits += int(np.sum(np.asarray(guess, dtype=object) == np.asarray(truth, object)))
            n_categorical += rows.sum()
        else:
            sd = complete[c].to_numpy(float).std()
            squared += float(np.sum(((guess.astype(float) - truth) / sd) ** 2))
            n_numeric += rows.sum()
    rmse = np.sqrt(squared / n_numeric) if n_numeric else np.nan
    accuracy = hits / n_categorical if n_categorical else np.nan
    return rmse, accuracy


def timed(method, holes, seed):
    with threadpool_limits(1):
        start = time.process_time()
        filled = method(holes, seed)
        return filled, time.process_time() - start


def run(tables_, seeds):
    """``results[table][rate][method] = array (n_seeds, 3)`` of rmse, accuracy, cpu."""
    results = {}
    for name, complete in tables_.items():
        results[name] = {}
        for rate in RATES:
            per_method = {m: [] for m in METHODS}
            for seed in seeds:
                holes, M = with_holes(complete, rate, seed)
                for method_name, method in METHODS.items():
                    filled, cpu = timed(method, holes, seed)
                    per_method[method_name].append((*scores(complete, M, filled), cpu))
            results[name][rate] = {m: np.array(v) for m, v in per_method.items()}
            print(f"  {name} at {rate:.0%} done", flush=True)
    return results


# ------------------------------------------------------------------------ printing
def pm(values, digits=3):
    if np.isnan(values).all():
        return "-"
    return f"{np.mean(values):.{digits}f} ± {np.std(values):.{digits}f}"


def print_tables(results):
    for rate in RATES:
        for k, label in ((0, "numeric RMSE / sd (lower is better)"),
                         (1, "categorical accuracy (higher is better)"),
                         (2, "CPU seconds, fit + transform, one thread")):
            print(f"\n{label}, MCAR {rate:.0%}, mean ± sd over seeds")
            names = list(results)
            header = ["method", *names]
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
            for method in METHODS:
                cells = [pm(results[t][rate][method][:, k], 2 if k == 2 else 3)
                         for t in names]
                print(f"| {method} | " + " | ".join(cells) + " |")


def print_paired(results, reference="AutoEncoderImputer"):
    """Per seed, on the same masks: the reference minus each baseline."""
    print(f"\npaired per seed: {reference} minus each method, mean ± sd of the "
          "difference over seeds, and on how many seeds the reference is better")
    for rate in RATES:
        for k, label, lower_better in ((0, "RMSE", True), (1, "accuracy", False)):
            print(f"\n{label}, MCAR {rate:.0%}")
            for t, by_method in results.items():
                ref = by_method[rate][reference][:, k]
                if np.isnan(ref).all():
                    continue
                cells = []
                for method, values in by_method[rate].items():
                    if method == reference:
                        continue
                    diff = ref - values[:, k]
                    wins = int(np.sum(diff < 0 if lower_better else diff > 0))
                    cells.append(f"{method} {np.mean(diff):+.3f}±{np.std(diff):.3f} "
                                 f"({wins}/{len(diff)})")
                print(f"  {t:<14} " + "; ".join(cells))


def acceptance(results, reference="AutoEncoderImputer"):
    print("\nacceptance (means over seeds):")
    baselines = [m for m in METHODS if m != reference]
    beats_iterative = []
    for t, by_rate in results.items():
        r20 = {m: v.mean(axis=0) for m, v in by_rate[0.2].items()}
        r50 = {m: v.mean(axis=0) for m, v in by_rate[0.5].items()}
        ref20, ref50 = r20[reference], r50[reference]
        best_rmse = min(r20[m][0] for m in baselines)
        line = [f"  {t:<14}"]
        if not np.isnan(ref20[0]):
            line.append(f"20% RMSE {ref20[0]:.3f} / best baseline {best_rmse:.3f} = "
                        f"{ref20[0] / best_rmse:.3f} "
                        f"({'met' if ref20[0] <= 1.05 * best_rmse else 'NOT met'} <= 1.05)")
            line.append(f"vs Iterative() {r20['Iterative()'][0]:.3f}")
            beats_iterative.append(ref20[0] < r20["Iterative()"][0])
            line.append(f"50% RMSE {ref50[0]:.3f} "
                        f"({'met' if ref50[0] <= 1.0 else 'NOT met'} <= 1.00)")
        if not np.isnan(ref20[1]):
            best_acc = max(r20[m][1] for m in baselines)
            line.append(f"20% accuracy {ref20[1]:.3f} - best baseline {best_acc:.3f} = "
                        f"{ref20[1] - best_acc:+.3f} "
                        f"({'met' if ref20[1] >= best_acc - 0.02 else 'NOT met'} >= -0.02)")
        cpu = ref20[2] / r20["chained trees"][2]
        line.append(f"CPU / chained trees {cpu:.3f} ({'met' if cpu <= 1 / 3 else 'NOT met'}"
                    " <= 0.333)")
        print("; ".join(line))
    print(f"  lower 20% RMSE than Iterative() on {sum(beats_iterative)} of "
          f"{len(beats_iterative)} tables "
          f"({'met' if sum(beats_iterative) > len(beats_iterative) / 2 else 'NOT met'})")


def scaling(sizes, seeds):
    print(f"\nscaling: AutoEncoderImputer on the synthetic table, MCAR 20%, "
          f"seeds {list(seeds)}")
    rows = []
    for n in sizes:
        complete = _tables.latent_mixed(n, seed=0)[0]
        cpu, epochs = [], []
        for seed in seeds:
            holes, _ = with_holes(complete, 0.2, seed)
            with threadpool_limits(1):
                start = time.process_time()
                imputer = AutoEncoderImputer(random_state=seed).fit(holes)
                imputer.transform(holes)
                cpu.append(time.process_time() - start)
            epochs.append(imputer.n_iter_)
        rows.append((n, np.mean(cpu), np.mean(epochs)))
        print(f"  {n:>6} rows: CPU {np.mean(cpu):7.2f} s (seeds: "
              + " ".join(f"{c:.2f}" for c in cpu) + f"), epochs {np.mean(epochs):.0f}, "
              f"CPU per row-epoch {1e6 * np.mean(cpu) / n / np.mean(epochs):.1f} µs")
    (n0, c0, e0), (n1, c1, e1) = rows[0], rows[-1]
    print(f"  {n1 // n0}x rows: {c1 / c0:.2f}x CPU; per epoch {(c1 / e1) / (c0 / e0):.2f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two seeds, smaller tables")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--datasets", nargs="+", metavar="NAME",
                        help="only these tables (names as printed, e.g. diabetes iris)")
    parser.add_argument("--seeds", nargs=2, type=int, metavar=("FIRST", "STOP"),
                        help="the masks of seeds FIRST..STOP-1 instead of the protocol's "
                             "0..4 (a check that a setting is not tuned to five masks)")
    args = parser.parse_args()
    seeds = range(2) if args.quick else range(5)
    if args.seeds:
        seeds = range(*args.seeds)
        print(f"masks of seeds {list(seeds)}")
    start = time.perf_counter()
    chosen = chosen_tables(parser, args.datasets, args.quick)
    results = run(chosen, seeds)
    print_tables(results)
    print_paired(results)
    acceptance(results)
    if not args.no_scaling:
        scaling((2000, 20000) if not args.quick else (500, 5000), seeds=range(2))
    print(f"\nwall time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
