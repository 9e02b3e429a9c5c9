"""MLPLikelihoodRegressor with default settings: are its distributions honest?

Protocol (issue #13). Defaults only: X standardised by ``StandardScaler`` in a
``Pipeline``, nothing else; ``noise=Gaussian(scale="learned")`` counts as a default
choice of noise model. For every data set, the held-out negative log-likelihood per
sample (NLL, lower is better, in y's own units), the coverage of the central 90%
predictive interval and R^2, as mean +- sd over 3 seeds (``random_state`` of the
estimator 0, 1, 2; for the simulated sets also the draw of the data).

Data sets:

- ``diabetes``: ``load_diabetes``, 5-fold ``KFold(shuffle=True, random_state=0)``.
- ``heteroscedastic``: the data of ``examples/plot_heteroscedastic_regression.py``
  (``y = sin(2x) + x/2 + (0.1 + 0.35|x|) eps``, 1000 training and 2000 held-out points);
  the true distribution's NLL is printed beside.
- ``friedman1``: ``make_friedman1(1000 rows, noise=1)``, 5-fold as diabetes; the true
  model's NLL (its mean, sd 1) beside.
- ``skewed``: 1500 rows of 5 uniform features, ``y = 2 sin(pi x0) + 2 x1^2 + x2 +
  exp(0.8 x3) eps`` with Student-t(5) noise eps: heavy tails and a scale varying
  threefold; 5-fold; the true NLL beside.

Baselines: a linear model with a constant sigma (``LinearRegression``, sigma its ML
value on the training residuals) and scikit-learn's ``MLPRegressor`` with its defaults
on standardised y (``TransformedTargetRegressor``), sigma likewise constant.

``--candidates`` also measures the alternatives that issue #13 asks to compare, for a
learned scale (one stage, ``location_first=False``; the patience 10 and 200 epochs of a
fit that does not stop early; both, the defaults before the two-stage fit; no weight
averaging, MLPRegressor's step 1e-3, as before they became the defaults, two hidden layers; no early stopping; early stopping, the default; a stronger weight
penalty; a constant factor on the learned scale refitted on held-out residuals, with
and without early stopping; smaller batches and a larger step; a longer patience
``n_iter_no_change``, a larger ``validation_fraction``, more epochs; the gallery
example's hand-tuned settings, for reference) and for the default
fixed scale (early stopping; the larger step without it; its ML value on held-out rather than training
residuals). The held-out refits are emulated here: the network trains on 90% of the
training rows and the factor, or sigma, is fitted on the other 10%.

``--hindsight`` asks how much the choice of the stopping epoch costs the learned scale's
one-stage fit (``location_first=False``, patience 10): emulated epoch by epoch, scored
on the held-out rows at the epoch early stopping picks and at the best of 300 epochs in
hindsight.

Run ``python benchmarks/bench_regressor_defaults.py [--candidates] [--sets a,b] [--only text]
[--seeds 0 1 2]`` or ``... --hindsight [--sets a,b]``.
"""

import argparse
import time
import warnings

import numpy as np
from scipy import stats
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import r2_score
from sklearn.model_selection import KFold, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import MLPLikelihoodRegressor
from skae.noise import Gaussian

warnings.filterwarnings("ignore", category=ConvergenceWarning)
SEEDS = (0, 1, 2)
Z90 = stats.norm.ppf(0.95)


# ------------------------------------------------------------------------ data sets
def _folds(X, y, seed):
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        yield X[train], y[train], X[test], y[test], None


def diabetes(seed):
    X, y = load_diabetes(return_X_y=True)
    yield from _folds(X, y, seed)


def heteroscedastic(seed):
    rng = np.random.RandomState(seed)

    def draw(n):
        x = rng.uniform(-3, 3, size=n)
        mean, sd = np.sin(2 * x) + 0.5 * x, 0.1 + 0.35 * np.abs(x)
        return x[:, None], mean + sd * rng.standard_normal(n), stats.norm(mean, sd)

    X, y, _ = draw(1000)
    X_test, y_test, truth = draw(2000)
    yield X, y, X_test, y_test, truth.logpdf(y_test)


def friedman1(seed):
    X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=seed)
    mean = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
            + 10 * X[:, 3] + 5 * X[:, 4])
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        yield X[train], y[train], X[test], y[test], stats.norm(mean[test], 1).logpdf(y[test])


def skewed(seed):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(1500, 5))
    mean = 2 * np.sin(np.pi * X[:, 0]) + 2 * X[:, 1] ** 2 + X[:, 2]
    scale = np.exp(0.8 * X[:, 3])
    y = mean + scale * rng.standard_t(5, size=1500)
    truth = stats.t(5, mean, scale)
    for train, test in KFold(5, shuffle=True, random_state=0).split(X):
        yield X[train], y[train], X[test], y[test], truth.logpdf(y)[test]


DATA_SETS = {"diabetes": diabetes, "heteroscedastic": heteroscedastic,
             "friedman1": friedman1, "skewed": skewed}


# --------------------------------------------------------------------------- models
class ConstantSigma:
    """A point regressor with a Gaussian of constant sigma, its ML value on the
    training residuals."""

    def __init__(self, regressor):
        self.regressor = regressor

    def fit(self, X, y):
        self.model_ = make_pipeline(StandardScaler(), self.regressor).fit(X, y)
        self.sigma_ = np.sqrt(np.mean((self.model_.predict(X) - y) ** 2))
        return self

    def evaluate(self, X, y):
        mean = self.model_.predict(X)
        return stats.norm(mean, self.sigma_).logpdf(y), mean, (
            mean - Z90 * self.sigma_, mean + Z90 * self.sigma_)


class Skae:
    """An MLPLikelihoodRegressor behind a StandardScaler."""

    def __init__(self, **params):
        self.params = params

    def fit(self, X, y, seed):
        self.model_ = make_pipeline(StandardScaler(), MLPLikelihoodRegressor(
            random_state=seed, **self.params)).fit(X, y)
        return self

    def evaluate(self, X, y):
        Z = self.model_[0].transform(X)
        reg = self.model_[-1]
        return reg.log_likelihood(Z, y), reg.predict(Z), reg.predict_interval(Z, 0.9)


class HeldOutSigma(Skae):
    """Candidate: the default fixed scale, its ML value taken on a held-out tenth of
    the training rows (the network trained on the rest)."""

    def fit(self, X, y, seed):
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.1,
                                                      random_state=seed)
        super().fit(X_fit, y_fit, seed)
        residuals = y_val - self.model_[-1].predict(self.model_[0].transform(X_val))
        self.sigma_ = np.sqrt(np.mean(residuals**2))
        return self

    def evaluate(self, X, y):
        mean = self.model_[-1].predict(self.model_[0].transform(X))
        dist = stats.norm(mean, self.sigma_)
        return dist.logpdf(y), mean, dist.interval(0.9)


class RefittedScale(Skae):
    """Candidate: a learned scale times one factor, fitted by maximum likelihood on a
    held-out tenth of the training rows (the network trained on the rest)."""

    def fit(self, X, y, seed):
        X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.1,
                                                      random_state=seed)
        super().fit(X_fit, y_fit, seed)
        params = self.model_[-1].predict_params(self.model_[0].transform(X_val))
        z = (y_val - params["loc"]) / params["scale"]
        self.factor_ = np.sqrt(np.mean(z**2))
        return self

    def evaluate(self, X, y):
        params = self.model_[-1].predict_params(self.model_[0].transform(X))
        dist = stats.norm(params["loc"], self.factor_ * params["scale"])
        return dist.logpdf(y), params["loc"], dist.interval(0.9)


LEARNED = dict(noise=Gaussian(scale="learned"))
MODELS = {
    "skae MLPLikelihoodRegressor()": lambda: Skae(),
    'skae noise=Gaussian(scale="learned")': lambda: Skae(**LEARNED),
    "linear model, constant sigma": lambda: ConstantSigma(LinearRegression()),
    "MLPRegressor (y standardised), constant sigma": lambda: ConstantSigma(
        TransformedTargetRegressor(MLPRegressor(random_state=0),
                                   transformer=StandardScaler())),
}
# the defaults of the one-stage fit, before location_first and the "auto" patience
ONE_STAGE = dict(location_first=False, n_iter_no_change=10, max_iter=200)
CANDIDATES = {
    "learned, location_first=False": lambda: Skae(**LEARNED, location_first=False),
    "learned, n_iter_no_change=10, max_iter=200": lambda: Skae(
        **LEARNED, n_iter_no_change=10, max_iter=200),
    "learned, one stage, n_iter_no_change=10, max_iter=200 (the defaults before)":
        lambda: Skae(**LEARNED, **ONE_STAGE),
    "learned, weight_averaging=0": lambda: Skae(**LEARNED, weight_averaging=0),
    "learned, learning_rate_init=1e-2": lambda: Skae(**LEARNED, learning_rate_init=1e-2),
    "learned, learning_rate_init=3e-2": lambda: Skae(**LEARNED, learning_rate_init=3e-2),
    "learned, learning_rate_init=1e-3": lambda: Skae(**LEARNED, learning_rate_init=1e-3),
    "learned, one stage, weight_averaging=0, learning_rate_init=1e-3 (the first defaults)":
        lambda: Skae(**LEARNED, **ONE_STAGE, weight_averaging=0, learning_rate_init=1e-3),
    "learned, (64, 64)": lambda: Skae(**LEARNED, hidden_layer_sizes=(64, 64)),
    "learned, early_stopping=False": lambda: Skae(**LEARNED, early_stopping=False),
    "learned, early_stopping=True": lambda: Skae(**LEARNED, early_stopping=True),
    "learned, no ES, alpha=1e-1": lambda: Skae(**LEARNED, early_stopping=False, alpha=0.1),
    "learned, ES, alpha=1e-1": lambda: Skae(**LEARNED, alpha=0.1),
    "learned, no ES, scale refitted held out": lambda: RefittedScale(
        **LEARNED, early_stopping=False),
    "learned, ES, scale refitted held out": lambda: RefittedScale(**LEARNED),
    "learned, ES, batch_size=32": lambda: Skae(**LEARNED, batch_size=32),
    "learned, ES, batch_size=32, lr=3e-3": lambda: Skae(
        **LEARNED, batch_size=32, learning_rate_init=3e-3),
    "learned, ES, n_iter_no_change=20": lambda: Skae(**LEARNED, n_iter_no_change=20),
    "learned, ES, n_iter_no_change=30": lambda: Skae(**LEARNED, n_iter_no_change=30),
    "learned, ES, n_iter_no_change=30, max_iter=1000": lambda: Skae(
        **LEARNED, n_iter_no_change=30, max_iter=1000),
    "learned, ES, n_iter_no_change=50, max_iter=1000": lambda: Skae(
        **LEARNED, n_iter_no_change=50, max_iter=1000),
    "learned, ES, validation_fraction=0.2": lambda: Skae(**LEARNED, validation_fraction=0.2),
    "learned, ES, n_iter_no_change=30, lr=3e-3": lambda: Skae(
        **LEARNED, n_iter_no_change=30, learning_rate_init=3e-3),
    "learned, ES, n_iter_no_change=30, batch_size=32, lr=3e-3": lambda: Skae(
        **LEARNED, n_iter_no_change=30, batch_size=32, learning_rate_init=3e-3),
    "learned, ES, n_iter_no_change=30, validation_fraction=0.2": lambda: Skae(
        **LEARNED, n_iter_no_change=30, validation_fraction=0.2),
    "learned, ES, gallery settings (64, 64), lr=1e-2": lambda: Skae(
        **LEARNED, hidden_layer_sizes=(64, 64), learning_rate_init=1e-2, max_iter=1000,
        n_iter_no_change=50),
    "fixed, early_stopping=True": lambda: Skae(early_stopping=True),
    "fixed, learning_rate_init=2e-2 (no early stopping)": lambda: Skae(
        learning_rate_init=2e-2),
    "fixed, sigma from held-out residuals": lambda: HeldOutSigma(),
    "fixed, ES, sigma from held-out residuals": lambda: HeldOutSigma(early_stopping=True),
}


# ---------------------------------------------------------------------- evaluation
def run(make_model, data_set):
    """Per seed: (NLL per sample, 90% coverage, R^2) on all held-out rows, and the
    true model's NLL if known."""
    per_seed, truth = [], []
    for seed in SEEDS:
        log_lik, inside, y_all, pred_all, true_ll = [], [], [], [], []
        for X, y, X_test, y_test, true_log_lik in DATA_SETS[data_set](seed):
            model = make_model()
            if isinstance(model, Skae):
                model.fit(X, y, seed)
            else:
                model.fit(X, y)
            ll, pred, (lower, upper) = model.evaluate(X_test, y_test)
            log_lik.append(ll)
            inside.append((lower <= y_test) & (y_test <= upper))
            y_all.append(y_test)
            pred_all.append(pred)
            if true_log_lik is not None:
                true_ll.append(true_log_lik)
        y_all, pred_all = np.concatenate(y_all), np.concatenate(pred_all)
        per_seed.append((-np.concatenate(log_lik).mean(), np.concatenate(inside).mean(),
                         r2_score(y_all, pred_all)))
        if true_ll:
            truth.append(-np.concatenate(true_ll).mean())
    return np.array(per_seed), (np.mean(truth) if truth else None)


def stopping_in_hindsight(data_set, epochs=300):
    """How much does the choice of the stopping epoch cost? The learned scale's
    one-stage fit (``location_first=False``, patience 10: the defaults before the
    two-stage fit), emulated epoch by epoch with ``partial_fit`` on the same 90% of
    the training rows (the average of the weights kept by hand, as ``fit`` does):
    held-out NLL at the epoch early stopping picks on the other 10%, against the best
    of ``epochs`` epochs chosen on the held-out points themselves."""
    print(f"\n{data_set}: NLL at the stopping epoch, emulated (seeds {SEEDS})")
    decay = MLPLikelihoodRegressor().weight_averaging
    patience = ONE_STAGE["n_iter_no_change"]
    rows = []
    for seed in SEEDS:
        by_validation, in_hindsight, true_ll = [], [], []
        for X, y, X_test, y_test, true_log_lik in DATA_SETS[data_set](seed):
            scaler = StandardScaler().fit(X)
            Z_fit, Z_val, y_fit, y_val = train_test_split(
                scaler.transform(X), y, test_size=0.1, random_state=seed)
            Z_test = scaler.transform(X_test)
            reg = MLPLikelihoodRegressor(**LEARNED, learning_rate_init=0.02,
                                         random_state=seed)
            average, history = None, []
            for _ in range(epochs):
                reg.partial_fit(Z_fit, y_fit)
                theta = reg._network.theta
                average = theta.copy() if average is None else (
                    decay * average + (1 - decay) * theta)
                trained = theta.copy()
                theta[...] = average
                history.append((reg.log_likelihood(Z_val, y_val).mean(),
                                reg.log_likelihood(Z_test, y_test)))
                theta[...] = trained
            by_validation.append(history[_stopping_epoch(
                [h[0] for h in history], patience, defaults.tol)][1])
            in_hindsight.append(max((h[1] for h in history), key=np.mean))
            if true_log_lik is not None:
                true_ll.append(true_log_lik)
        rows.append([-np.concatenate(ll).mean() for ll in (by_validation, in_hindsight)]
                    + [-np.concatenate(true_ll).mean() if true_ll else np.nan])
    rows = np.array(rows)
    for column, name in enumerate(("early stopping (validation rows)",
                                   f"best of {epochs} epochs in hindsight (test rows)",
                                   "true distribution")):
        print(f"  {name:<50}{rows[:, column].mean():>8.3f}  (per seed "
              f"{', '.join(f'{v:.3f}' for v in rows[:, column])})")


def _stopping_epoch(scores, patience, tol):
    """The epoch early stopping keeps: the best score before ``patience`` epochs pass
    without an improvement of more than ``tol``."""
    best, best_epoch, stale = -np.inf, 0, 0
    for epoch, score in enumerate(scores):
        stale = 0 if score > best + tol else stale + 1
        if score > best:
            best, best_epoch = score, epoch
        if stale > patience:
            break
    return best_epoch


def main():
    global SEEDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", action="store_true",
                        help="also measure the alternatives for a learned scale")
    parser.add_argument("--sets", default=",".join(DATA_SETS),
                        help="comma-separated data sets (default: all)")
    parser.add_argument("--only", default="",
                        help="measure only the rows whose name contains this text")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS),
                        help="random states of the estimator (and draws of the "
                             "simulated sets); default 0 1 2")
    parser.add_argument("--hindsight", action="store_true",
                        help="only compare the stopping epoch early stopping picks with "
                             "the best one in hindsight (learned scale, emulated)")
    args = parser.parse_args()
    SEEDS = tuple(args.seeds)
    if args.hindsight:
        for data_set in args.sets.split(","):
            stopping_in_hindsight(data_set)
        return
    models = {name: make for name, make in
              {**MODELS, **(CANDIDATES if args.candidates else {})}.items()
              if args.only in name}
    for data_set in args.sets.split(","):
        print(f"\n{data_set} (mean +- sd over seeds {SEEDS})")
        print(f"{'model':<60}{'NLL':>16}{'90% coverage':>18}{'R^2':>16}{'s':>6}")
        truth = None
        for name, make_model in models.items():
            start = time.perf_counter()
            figures, truth = run(make_model, data_set)
            mean, sd = figures.mean(axis=0), figures.std(axis=0)
            cells = "".join(f"{m:>9.3f} +-{s:>5.3f}" for m, s in zip(mean, sd))
            print(f"{name:<60}{cells}{time.perf_counter() - start:>6.0f}", flush=True)
        if truth is not None:
            print(f"{'true distribution':<60}{truth:>9.3f}")


if __name__ == "__main__":
    main()
