"""A sparse overcomplete autoencoder on the digits: codes for a linear classifier.

Data: ``load_digits().data / 16``, ``train_test_split(test_size=360, random_state=0)``.
Network 64-256-64: ``AutoEncoder(n_components=256, hidden_layer_sizes=(),
code_activation="logistic", noise="bernoulli")``, Adam (``learning_rate_init`` 2e-3),
batches of 64, a fixed 200 epochs (``tol=0, n_iter_no_change=inf``), with the KL
sparsity penalty ``sparsity=SPARSITY``, ``sparsity_target=0.05``. The weight was chosen once, on seed
0, from 0.1, 0.3, 1 and 3: 0.1 left the mean activation at 0.066, too near the 0.07
bound, and 1 and 3 lowered the accuracy with 10 labels per class.

Protocol, per seed ``s`` (0, 1, 2) of the autoencoder:

- the autoencoder is fitted on the training digits, without labels;
- ``LogisticRegression(C=C_LOGISTIC, max_iter=5000)`` is fitted on the codes of
  the training digits and scored on the codes of the 360 held-out digits, with all
  training labels and with 10 labels per class (the labelled rows drawn from the
  training split with ``RandomState(r)``, r = 0..4, and the accuracy averaged over
  the five draws);
- "mean activation" is the mean code value over the held-out digits and units.

The classifier's inverse penalty ``C`` was chosen once, for every feature set alike,
on a validation split of the training digits (``train_test_split(X_train,
test_size=360, random_state=0)``; the autoencoders fitted on the rest, seeds 0, 1, 2):
of 1, 3, 10, 30 and 100, the one with the highest mean of the two accuracies
(all labels, 10 labels per class) on the codes of the sparse autoencoder: 10 (0.9394;
30 and 100 tie with it to three decimals, 0.9393; 0.9335 at the default 1, whose L2
penalty holds back the large weights that codes of mean 0.06 need). The raw pixels'
figures are with the same ``C``. ``python benchmarks/select_issue10_settings.py``
repeats the choice.

Baselines in the same run: the same classifier on the raw pixels, and the
autoencoder without the penalty (``sparsity=0``).

Targets (issue 10): mean activation at most 0.07; accuracy at least 0.975 with all
labels and 0.90 with 10 labels per class.

Run ``python benchmarks/bench_sparse.py`` (``--quick``: one seed, 30 epochs;
``--seeds 0 1 2 3 4``: other seeds).
"""

import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from _common import digits_split, seeds_and_epochs
from skae import AutoEncoder

warnings.filterwarnings("ignore", category=ConvergenceWarning)

EPOCHS = 200
SPARSITY = 0.3
C_LOGISTIC = 10.0
LABEL_DRAWS = range(5)


def few_labels(y, per_class, seed):
    rng = np.random.RandomState(seed)
    return np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False)
                           for c in np.unique(y)])


def accuracies(Z_train, Z_test, y_train, y_test):
    """Accuracy with all labels, and the mean over draws of 10 labels per class."""
    def accuracy(rows):
        model = LogisticRegression(C=C_LOGISTIC, max_iter=5000).fit(Z_train[rows], y_train[rows])
        return model.score(Z_test, y_test)

    few = np.mean([accuracy(few_labels(y_train, 10, r)) for r in LABEL_DRAWS])
    return accuracy(slice(None)), float(few)


def autoencoder(sparsity, seed, epochs):
    return AutoEncoder(n_components=256, hidden_layer_sizes=(), code_activation="logistic",
                       noise="bernoulli", sparsity=sparsity, sparsity_target=0.05,
                       learning_rate_init=2e-3, batch_size=64, max_iter=epochs, tol=0.0,
                       n_iter_no_change=np.inf, random_state=seed)


def main():
    seeds, epochs = seeds_and_epochs(EPOCHS)
    X_train, X_test, y_train, y_test = digits_split()
    start = time.perf_counter()
    raw_all, raw_few = accuracies(X_train, X_test, y_train, y_test)
    results = {"plain AE (sparsity=0)": [], f"sparse AE (sparsity={SPARSITY})": []}
    for seed in seeds:
        for name, sparsity in zip(results, (0.0, SPARSITY)):
            ae = autoencoder(sparsity, seed, epochs).fit(X_train)
            Z_train, Z_test = ae.transform(X_train), ae.transform(X_test)
            results[name].append((float(Z_test.mean()),
                                  *accuracies(Z_train, Z_test, y_train, y_test)))
    print(f"digits / 16, 64-256-64 logistic code, Bernoulli, {epochs} epochs, seeds {seeds} "
          f"({time.perf_counter() - start:.0f} s)\n")
    print("| features | mean activation | accuracy, all labels | accuracy, 10 labels/class |")
    print("|---|---|---|---|")
    print(f"| raw pixels | - | {raw_all:.3f} | {raw_few:.3f} |")
    for name, rows in results.items():
        rows = np.array(rows)
        cells = [f"{m:.3f} ± {s:.3f} ({' '.join(f'{v:.3f}' for v in col)})"
                 for m, s, col in zip(rows.mean(0), rows.std(0), rows.T)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    sparse = np.array(results[f"sparse AE (sparsity={SPARSITY})"])
    for column, (label, target, below) in enumerate([("mean activation", 0.07, True),
                                                     ("accuracy, all labels", 0.975, False),
                                                     ("accuracy, 10 labels/class", 0.90, False)]):
        value = sparse[:, column].mean()
        worst = sparse[:, column].max() if below else sparse[:, column].min()
        met = (lambda v: v <= target) if below else (lambda v: v >= target)
        print(f"  {label}: {value:.3f} (target {'≤' if below else '≥'} {target}) "
              f"{'met' if met(value) else 'NOT met'} on the mean, "
              f"{'met' if met(worst) else 'NOT met'} on every seed (worst {worst:.3f})")


if __name__ == "__main__":
    main()
