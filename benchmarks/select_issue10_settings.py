"""How two settings of the issue #10 benchmarks were chosen, on the training digits alone.

The held-out digits of ``bench_denoising.py`` and ``bench_sparse.py`` are never used here.

1. The code activation of ``bench_denoising.py`` (``CODE_ACTIVATION``): for each of
   ``"identity"``, ``"tanh"`` and ``"logistic"``, 5-fold cross-validation on the training
   digits (``StratifiedKFold(5, shuffle=True, random_state=0)``), seeds 0, 1, 2: the
   denoising autoencoder (30% masking) is fitted on four folds, a 5-NN classifier on the
   codes of those clean digits predicts the labels of the codes of the fifth fold, masked
   by ``RandomState(1000 + 10 s + fold)``. The activation with the highest mean accuracy
   is chosen.
2. The inverse penalty ``C`` of the logistic regression of ``bench_sparse.py``
   (``C_LOGISTIC``): the training digits are split by ``train_test_split(test_size=360,
   random_state=0)``; the sparse autoencoder (seeds 0, 1, 2) is fitted on the rest, and
   for each ``C`` in 1, 3, 10, 30, 100 the two accuracies of ``bench_sparse.py`` (all
   labels; 10 labels per class over five draws) are measured on the 360 validation
   digits. The ``C`` with the highest mean of the two, over the seeds, is chosen.

Run ``python benchmarks/select_issue10_settings.py`` (a few minutes on 2 cores).
"""

import warnings

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.neighbors import KNeighborsClassifier

import bench_denoising
import bench_sparse
from _common import digits_split
from skae._corruption import Corruption

warnings.filterwarnings("ignore")

SEEDS = (0, 1, 2)
CODE_ACTIVATIONS = ("identity", "tanh", "logistic")
CS = (1, 3, 10, 30, 100)


def masked_knn_accuracy(activation, seed, X_fit, y_fit, X_val, y_val, rng):
    model = bench_denoising.autoencoder("mask", 0.3, seed, bench_denoising.EPOCHS)
    model.set_params(code_activation=activation).fit(X_fit)
    masked = Corruption("mask", 0.3)(X_val, rng)
    knn = KNeighborsClassifier(5).fit(model.transform(X_fit), y_fit)
    return knn.score(model.transform(masked), y_val)


def select_code_activation(X, y):
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    scores = {}
    for activation in CODE_ACTIVATIONS:
        scores[activation] = np.mean([
            masked_knn_accuracy(activation, seed, X[fit], y[fit], X[val], y[val],
                                np.random.RandomState(1000 + 10 * seed + fold))
            for seed in SEEDS for fold, (fit, val) in enumerate(folds)])
        print(f"  code_activation={activation!r}: mean 5-NN accuracy {scores[activation]:.4f}",
              flush=True)
    return max(scores, key=scores.get)


def select_logistic_c(X, y):
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=360, random_state=0)
    codes = []
    for seed in SEEDS:
        model = bench_sparse.autoencoder(bench_sparse.SPARSITY, seed, bench_sparse.EPOCHS)
        model.fit(X_fit)
        codes.append((model.transform(X_fit), model.transform(X_val)))
    scores = {}
    for C in CS:
        def accuracy(Z_fit, Z_val, rows):
            classifier = LogisticRegression(C=C, max_iter=5000)
            return classifier.fit(Z_fit[rows], y_fit[rows]).score(Z_val, y_val)

        pairs = [(accuracy(Z_fit, Z_val, slice(None)),
                  np.mean([accuracy(Z_fit, Z_val, bench_sparse.few_labels(y_fit, 10, r))
                           for r in bench_sparse.LABEL_DRAWS]))
                 for Z_fit, Z_val in codes]
        all_labels, few = np.mean(pairs, axis=0)
        scores[C] = (all_labels + few) / 2
        print(f"  C={C}: all labels {all_labels:.4f}, 10 labels/class {few:.4f}, "
              f"mean {scores[C]:.4f}", flush=True)
    return max(scores, key=scores.get)


def main():
    X, _, y, _ = digits_split()
    print("denoising: code activation by 5-fold CV of the masked 5-NN accuracy")
    print(f"  chosen: {select_code_activation(X, y)!r} "
          f"(bench_denoising.CODE_ACTIVATION = {bench_denoising.CODE_ACTIVATION!r})")
    print("sparse: logistic regression C on a validation split")
    print(f"  chosen: {select_logistic_c(X, y)} "
          f"(bench_sparse.C_LOGISTIC = {bench_sparse.C_LOGISTIC})")


if __name__ == "__main__":
    main()
