"""Did computing Bernoulli, Ordinal, Binomial and CategoricalLevels dist from the logits
slow them down?

``python benchmarks/bench_dist_tails.py --base dc5d541`` times what the regressor's
``predict_interval``, ``predict_dist`` and ``sample`` ask of a noise model's frozen
scipy distribution (``dist(raw).interval(0.9)``, ``.mean()``, ``.var()``, and the
model's ``sample``, which for Bernoulli and Binomial is ``dist(raw).rvs``) and the
log-mass on 10,000 rows, with skae
as committed at ``--base`` (distributions built from rounded probabilities) against skae
in the working tree. Both revisions are imported side by side (see
``compare_revisions.py``); in each round every operation is timed under both, in an
order that alternates from round to round, as the best of a few repeats. The figure is
the median over rounds of the per-round ratio ``head / base`` (above 1: the head is
slower). It also prints, for both revisions, how many of the logpmf values at
``|raw|`` up to 700 are not the model's ``-nll_terms``.
"""

import argparse
import tempfile
import time

import numpy as np

from compare_revisions import import_revision

N_ROWS = 10_000
REPEATS = 3


def _best_seconds(function):
    best = np.inf
    for _ in range(REPEATS):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def operations(skae, rng):
    """``{name: callable}`` on 10,000 rows of moderate raw outputs."""
    bernoulli, ordinal = skae.noise.Bernoulli(), skae.noise.Ordinal(n_levels=5)
    raw_b = rng.normal(scale=3, size=(N_ROWS, 1))
    raw_o = rng.normal(scale=2, size=(N_ROWS, 4))
    binomial, levels = skae.noise.Binomial(n_trials=16), skae.noise.CategoricalLevels(17)
    raw_l = rng.normal(scale=2, size=(N_ROWS, 17))
    return {
        "Bernoulli interval(0.9)": lambda: bernoulli.dist(raw_b).interval(0.9),
        "Bernoulli mean, var": lambda: bernoulli.dist(raw_b).stats(),
        "Bernoulli rvs (sample)": lambda: bernoulli.sample(raw_b, 1, 0),
        "Ordinal(5) interval(0.9)": lambda: ordinal.dist(raw_o).interval(0.9),
        "Ordinal(5) mean, var": lambda: ordinal.dist(raw_o).stats(),
        "Ordinal(5) rvs": lambda: ordinal.dist(raw_o).rvs(random_state=0),
        "Ordinal(5) logpmf": lambda: ordinal.dist(raw_o).logpmf(
            np.minimum(np.arange(N_ROWS) % 5, 4)[:, None]),
        "Binomial(16) interval(0.9)": lambda: binomial.dist(raw_b).interval(0.9),
        "Binomial(16) mean, var": lambda: binomial.dist(raw_b).stats(),
        "Binomial(16) rvs (sample)": lambda: binomial.sample(raw_b, 1, 0),
        "Binomial(16) logpmf": lambda: binomial.dist(raw_b).logpmf(
            (np.arange(N_ROWS) % 17)[:, None]),
        "Levels(17) interval(0.9)": lambda: levels.dist(raw_l).interval(0.9),
        "Levels(17) mean, var": lambda: levels.dist(raw_l).stats(),
        "Levels(17) rvs": lambda: levels.dist(raw_l).rvs(random_state=0),
        "Levels(17) logpmf": lambda: levels.dist(raw_l).logpmf(
            (np.arange(N_ROWS) % 17)[:, None]),
    }


def mismatches(skae):
    """How many ``dist(raw).logpmf(y)`` at extreme raw are not ``-nll_terms(y, raw)``:
    further from it than 1e-6 relatively, or absolutely than the larger of 1e-6 and the
    model's own rounding (its terms sum values of ``scale`` times the row's largest
    |raw|, each exact to epsilon, which in float32 is far above 1e-6 at |raw| = 700)."""
    values = [-700.0, -100.0, -40.0, -17.0, -5.0, 0.0, 5.0, 17.0, 40.0, 100.0, 700.0]
    cases = [(skae.noise.Bernoulli(), np.array(values)[:, None], 2, 1),
             (skae.noise.Ordinal(n_levels=3),
              np.array([[a, b] for a in values for b in values]), 3, 1),
             (skae.noise.Binomial(n_trials=16), np.array(values)[:, None], 17, 16),
             (skae.noise.CategoricalLevels(n_levels=3),
              np.array([[a, b, c] for a in values for b in values for c in values]), 3, 1)]
    counts = {}
    for noise, raw, n_levels, scale in cases:
        wrong = total = 0
        for dtype in (np.float64, np.float32):
            r = raw.astype(dtype)
            frozen = noise.dist(r)
            rounding = 4 * np.finfo(dtype).eps * (1 + scale * np.abs(raw).max(axis=1,
                                                                          keepdims=True))
            for level in range(n_levels):
                y = np.full((r.shape[0], 1), level, dtype=dtype)
                with np.errstate(all="ignore"):
                    expected = -noise.nll_terms(y, r)
                    got = frozen.logpmf(y)
                    allowed = 1e-6 * np.abs(expected) + np.maximum(1e-6, rounding)
                    close = (np.abs(got - expected) <= allowed) | (got == expected)
                wrong += int((~close).sum())
                total += close.size
        counts[type(noise).__name__] = (wrong, total)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="dc5d541", help="the revision to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        revisions = {"base": import_revision(args.base, folder),
                     "head": import_revision(None, folder)}
        for name, skae in revisions.items():
            for model, (wrong, total) in mismatches(skae).items():
                print(f"{name}: {model} logpmf != -nll_terms in {wrong} of {total} cases "
                      f"(|raw| up to 700, float64 and float32)")
        ops = {name: operations(skae, np.random.default_rng(0))
               for name, skae in revisions.items()}
        ratios = {op: [] for op in ops["head"]}
        seconds = {name: {op: [] for op in ops["head"]} for name in revisions}
        for round_ in range(args.rounds):
            order = ["base", "head"] if round_ % 2 == 0 else ["head", "base"]
            for op in ratios:
                timed = {name: _best_seconds(ops[name][op]) for name in order}
                for name in revisions:
                    seconds[name][op].append(timed[name])
                ratios[op].append(timed["head"] / timed["base"])
    print(f"\n{N_ROWS} rows, {args.rounds} rounds, best of {REPEATS} per round")
    print(f"{'operation':<28} {'base ms':>9} {'head ms':>9} {'head/base':>9}   per round")
    for op, per_round in ratios.items():
        print(f"{op:<28} {1e3 * np.median(seconds['base'][op]):9.2f} "
              f"{1e3 * np.median(seconds['head'][op]):9.2f} {np.median(per_round):9.2f}   "
              + " ".join(f"{r:.2f}" for r in per_round))


if __name__ == "__main__":
    main()
