"""Denoising autoencoders on the digits: restoring corrupted held-out digits.

Data: ``load_digits().data / 16``, ``train_test_split(test_size=360, random_state=0)``.
Network 64-128-16-128-64 (relu hidden layers, ``CODE_ACTIVATION`` code), Bernoulli
noise (cross-entropy on [0, 1]), Adam with ``learning_rate_init`` 2e-3, batches of 64,
``alpha`` 1e-4, a fixed ``EPOCHS`` epochs (``n_iter_no_change=inf``: with a corruption
drawn afresh every batch the training loss is noisy, and the default stopping rule ended
two of the three 30%-masking fits of seeds 0, 1, 2 early, after 158 and 184 epochs).

The code activation was chosen once, by 5-fold cross-validation on the training digits
alone (``StratifiedKFold(5, shuffle=True, random_state=0)``; each fold's autoencoder
fitted on the other four, seeds 0, 1, 2; the kNN protocol below with the fold in place
of the held-out digits, masked by ``RandomState(1000 + 10 s + fold)``): of
``"identity"``, ``"tanh"`` and ``"logistic"``, the one with the highest mean 5-NN
accuracy, ``"tanh"`` (0.910; identity 0.886, logistic 0.897). The held-out figures of
all three had been seen in exploratory runs before this rule was fixed; a first rule, one
split of 360 validation digits, was too noisy to separate them. The plain AutoEncoder
has the same network. ``python benchmarks/select_issue10_settings.py`` repeats the
choice.

Protocol, per seed ``s`` (0, 1, 2) and corruption:

- the held-out digits are corrupted once by ``skae._corruption.Corruption`` drawn from
  ``RandomState(1000 + s)``: 30% masking (entries set to 0), Gaussian noise of sd
  0.2 (not clipped), salt-and-pepper at 20% (entries set to 0 or 1);
- the denoising AutoEncoder is trained with the same corruption
  (``corruption=kind, corruption_level=level``), the plain one with none, both seeded
  ``random_state=s``;
- a restoration is ``inverse_transform(transform(corrupted))``, the decoder's mean;
  its error is the mean squared error per pixel against the clean held-out digits;
- PCA restores by ``inverse_transform(transform(corrupted))`` with PCA fitted on the
  clean training digits; "best k" is the number of components (1..64) with the
  lowest held-out error, chosen on the held-out digits themselves (an oracle, so
  PCA's figure is optimistic).

kNN protocol (30% masking): a 5-nearest-neighbour classifier is fitted on the codes
of the *clean* training digits and predicts the labels of the codes of the *masked*
held-out digits; PCA with 16 components (the AutoEncoder's code size) is the baseline.

Targets (issue 10): restoration MSE at most 0.025 (masking), 0.0145 (Gaussian),
0.027 (salt-and-pepper); 5-NN accuracy on masked digits at least 0.90.

Run ``python benchmarks/bench_denoising.py`` (``--quick``: one seed, 30 epochs;
``--seeds 0 1 2 3 4``: other seeds).
"""

import time
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsClassifier

from _common import digits_split, seeds_and_epochs
from skae import AutoEncoder
from skae._corruption import Corruption

warnings.filterwarnings("ignore", category=ConvergenceWarning)

EPOCHS = 200
CODE_ACTIVATION = "tanh"
CORRUPTIONS = [("mask", 0.3), ("gaussian", 0.2), ("salt_and_pepper", 0.2)]
TARGETS = {"mask": 0.025, "gaussian": 0.0145, "salt_and_pepper": 0.027}
KNN_TARGET = 0.90


def autoencoder(corruption, level, seed, epochs):
    return AutoEncoder(
        n_components=16, hidden_layer_sizes=(128,), noise="bernoulli",
        code_activation=CODE_ACTIVATION, corruption=corruption, corruption_level=level,
        learning_rate_init=2e-3, batch_size=64, alpha=1e-4, max_iter=epochs, tol=0.0,
        n_iter_no_change=np.inf, random_state=seed)


def restoration_error(model, corrupted, clean):
    return float(np.mean((model.inverse_transform(model.transform(corrupted)) - clean) ** 2))


def pca_best_k(X_train, corrupted, clean):
    pca = PCA().fit(X_train)
    errors = []
    for k in range(1, X_train.shape[1] + 1):
        W = pca.components_[:k]
        restored = (corrupted - pca.mean_) @ W.T @ W + pca.mean_
        errors.append(np.mean((restored - clean) ** 2))
    return float(min(errors)), int(np.argmin(errors)) + 1


def knn_accuracy(model, X_train, y_train, X_test_corrupted, y_test):
    knn = KNeighborsClassifier(5).fit(model.transform(X_train), y_train)
    return float(knn.score(model.transform(X_test_corrupted), y_test))


def main():
    seeds, epochs = seeds_and_epochs(EPOCHS)
    X_train, X_test, y_train, y_test = digits_split()
    rows = {kind: {"PCA (best k)": [], "plain AE": [], "denoising AE": []}
            for kind, _ in CORRUPTIONS}
    best_k = {kind: [] for kind, _ in CORRUPTIONS}
    knn = {"PCA (16)": [], "plain AE": [], "denoising AE": []}
    start = time.perf_counter()
    for seed in seeds:
        plain = autoencoder(None, 0.0, seed, epochs).fit(X_train)
        for kind, level in CORRUPTIONS:
            corrupted = Corruption.fit(kind, level, X_train)(
                X_test, np.random.RandomState(1000 + seed))
            denoising = autoencoder(kind, level, seed, epochs).fit(X_train)
            pca_error, k = pca_best_k(X_train, corrupted, X_test)
            rows[kind]["PCA (best k)"].append(pca_error)
            best_k[kind].append(k)
            rows[kind]["plain AE"].append(restoration_error(plain, corrupted, X_test))
            rows[kind]["denoising AE"].append(restoration_error(denoising, corrupted, X_test))
            if kind == "mask":
                pca16 = PCA(16).fit(X_train)
                knn["PCA (16)"].append(knn_accuracy(pca16, X_train, y_train, corrupted, y_test))
                knn["plain AE"].append(knn_accuracy(plain, X_train, y_train, corrupted, y_test))
                knn["denoising AE"].append(
                    knn_accuracy(denoising, X_train, y_train, corrupted, y_test))
    print(f"digits / 16, 64-128-16-128-64 relu, {CODE_ACTIVATION} code, Bernoulli, "
          f"{epochs} epochs, seeds {seeds} "
          f"({time.perf_counter() - start:.0f} s)\n")
    print("restoration MSE per pixel against the clean held-out digits, mean ± sd over seeds")
    print("| corruption | PCA (best k) | plain AE | denoising AE | target | met |")
    print("|---|---|---|---|---|---|")
    for kind, level in CORRUPTIONS:
        cells = [f"{np.mean(v):.4f} ± {np.std(v):.4f}" for v in rows[kind].values()]
        mean = np.mean(rows[kind]["denoising AE"])
        worst = max(rows[kind]["denoising AE"])
        print(f"| {kind} {level:g} | {cells[0]} (k={best_k[kind]}) | {cells[1]} | {cells[2]} "
              f"| ≤ {TARGETS[kind]} | {'yes' if mean <= TARGETS[kind] else 'NO'} "
              f"(every seed: {'yes' if worst <= TARGETS[kind] else 'NO'}, worst {worst:.4f}) |")
    print("\n5-NN accuracy on codes of 30%-masked held-out digits (fitted on clean training "
          "codes)")
    for name, values in knn.items():
        print(f"  {name:13s} {np.mean(values):.3f} ± {np.std(values):.3f}  "
              f"{' '.join(f'{v:.3f}' for v in values)}")
    mean, worst = np.mean(knn["denoising AE"]), min(knn["denoising AE"])
    print(f"  target ≥ {KNN_TARGET}: {'met' if mean >= KNN_TARGET else 'NOT met'} on the mean, "
          f"{'met' if worst >= KNN_TARGET else 'NOT met'} on every seed (worst {worst:.3f})")


if __name__ == "__main__":
    main()
