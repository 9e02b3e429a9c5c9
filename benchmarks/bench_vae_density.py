"""VariationalAutoEncoder as a density estimator: dequantised digits against PCA,
GaussianMixture and a PyTorch reference VAE, and checks of the estimate's honesty.

Protocol (issue #10):

- ``X = load_digits().data``; dequantised once, before the split:
  ``u = np.random.default_rng(0).uniform(size=X.shape)``, ``x = (X + u) / 17``, a
  density on [0, 1]^64; ``train_test_split(x, test_size=360, random_state=0)``.
- Scores: held-out mean log-likelihood in nats per image. A discrete decoder
  (CategoricalLevels(17) or Binomial(16)) is fitted to the levels ``k = floor(17 x)``
  (the original integers) and scored as ``log P(k) + 64 ln 17``, the exact
  piecewise-constant density of x.
- VAE: 64-128-8-128-64, tanh, Adam (lr 1e-3), batches of 100, alpha 1.0,
  ``n_threads=1``; the Gaussian decoder for a fixed 3000 epochs, the discrete ones with
  early stopping on the validation ELBO (10% of the training rows, 30 epochs of
  patience, at most 1000 epochs: they overfit within a few hundred); ``score`` with the
  default ``n_importance_samples``; fit CPU seconds by ``time.process_time``.
- Baselines in the same run: ``PCA(8/16/32).score``, ``GaussianMixture`` (diag) with
  a few component counts, the count chosen on a validation split of the training rows.
- Honesty: per-row ELBO <= IWAE; IWAE at K = 1, 10, 100, 1000, 5000; the integral of
  ``exp(score_samples)`` over a grid for 2-D toys; fitting and scoring on ``2 x``
  against ``-d ln 2``.
- Model selection: held-out score against ``n_components`` on data of known intrinsic
  dimension (a curved 2-D manifold in 10-D: a tanh VAE with a learned scale, and the
  linear VAE for comparison), and scikit-learn's ``test_pca_score3`` data on seeds 0..4
  (the linear VAE, whose ELBO optimum is probabilistic PCA: ``hidden_layer_sizes=()``,
  ``Gaussian()`` with its one scale profiled out of training, full batches, 2000
  epochs at learning rate 3e-2 then 1000 at 3e-3 by warm start; and the earlier
  (16,) tanh VAE with a learned scale for comparison).
- PyTorch: the same VAE (same layers, init, Adam, batches, one draw per row, analytic
  KL), in float64 and in float32, ``torch.set_num_threads(1)``; fits of the same
  number of epochs take turns with skae's, the ratio of CPU seconds per round and its
  median are printed. Skipped when torch is not importable.

``python benchmarks/bench_vae_density.py`` (``--seeds 0 1 2``, ``--quick`` for a
smoke run with few epochs).
"""

import argparse
import math
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split

from skae import VariationalAutoEncoder
from skae.noise import Binomial, CategoricalLevels, Gaussian

warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    import torch
except ImportError:  # PyTorch is optional: its rows are skipped
    torch = None

D = 64
LOG_LEVELS = D * math.log(17)
ARCH = dict(n_components=8, hidden_layer_sizes=(128,), activation="tanh", alpha=1.0,
            learning_rate_init=1e-3, batch_size=100, tol=0.0, n_iter_no_change=10**9,
            n_threads=1)


def protocol_data():
    X = load_digits().data
    u = np.random.default_rng(0).uniform(size=X.shape)
    x = (X + u) / 17
    return train_test_split(x, test_size=360, random_state=0)


def fit_timed(estimator, X):
    start = time.process_time()
    estimator.fit(X)
    return estimator, time.process_time() - start


# ----------------------------------------------------------------------- baselines
def baselines(x_train, x_test):
    print("\n== baselines (held-out log-likelihood, nats per image)")
    for k in (8, 16, 32):
        print(f"PCA({k}).score: {PCA(k).fit(x_train).score(x_test):.1f}")
    fit_rows, val_rows = train_test_split(x_train, test_size=0.2, random_state=0)
    best = None
    for n in (10, 20, 40, 60):
        gmm = GaussianMixture(n, covariance_type="diag", random_state=0)
        validation = gmm.fit(fit_rows).score(val_rows)
        held_out = GaussianMixture(n, covariance_type="diag", random_state=0).fit(
            x_train).score(x_test)
        print(f"GaussianMixture({n}, diag): validation {validation:.1f}, "
              f"held-out {held_out:.1f}")
        if best is None or validation > best[0]:
            best = (validation, n, held_out)
    print(f"GaussianMixture chosen by validation: {best[1]} components, held-out "
          f"{best[2]:.1f}")


# ---------------------------------------------------------------------- the VAEs
def gaussian_vae(seed, epochs):
    return VariationalAutoEncoder(noise=Gaussian(scale="learned"), max_iter=epochs,
                                  random_state=seed, **ARCH)


def discrete_vae(noise, seed, epochs):
    return VariationalAutoEncoder(noise=noise, random_state=seed, **{
        **ARCH, "max_iter": min(epochs, 1000), "early_stopping": True,
        "n_iter_no_change": 30})


def density_rows(x_train, x_test, seeds, epochs):
    print(f"\n== VariationalAutoEncoder, {epochs} epochs, default K "
          f"(n_importance_samples={VariationalAutoEncoder().n_importance_samples})")
    k_train, k_test = np.floor(17 * x_train), np.floor(17 * x_test)
    models = {}
    for name, make, train, test, shift in [
        ("Gaussian(scale='learned') on x", lambda s: gaussian_vae(s, epochs), x_train,
         x_test, 0.0),
        ("CategoricalLevels(17) on k", lambda s: discrete_vae(CategoricalLevels(17), s,
                                                              epochs), k_train, k_test,
         LOG_LEVELS),
        ("Binomial(16) on k", lambda s: discrete_vae(Binomial(16), s, epochs), k_train,
         k_test, LOG_LEVELS),
    ]:
        for seed in seeds:
            vae, seconds = fit_timed(make(seed), train)
            start = time.process_time()
            score = vae.score(test) + shift
            score_seconds = time.process_time() - start
            elbo = vae.elbo(test).mean() + shift
            print(f"{name}, seed {seed}: held-out score {score:.2f} (ELBO {elbo:.2f}), "
                  f"fit {seconds:.1f} CPU s, score {score_seconds:.1f} CPU s, "
                  f"n_iter_ {vae.n_iter_}")
            models.setdefault(name, vae)
    return models


# ----------------------------------------------------------------------- honesty
def honesty(vae, x_test):
    print("\n== honesty of the estimate (Gaussian VAE, seed of the first row above)")
    iwae, elbo = vae.score_samples(x_test), vae.elbo(x_test)
    print(f"rows with ELBO <= IWAE: {np.sum(elbo <= iwae)} of {len(iwae)}; mean ELBO "
          f"{elbo.mean():.3f}, mean IWAE {iwae.mean():.3f}")
    scores = {}
    for k in (1, 10, 100, 1000, 5000):
        start = time.process_time()
        scores[k] = vae.set_params(n_importance_samples=k).score(x_test)
        print(f"IWAE K={k}: {scores[k]:.3f} ({time.process_time() - start:.1f} CPU s)")
    steps = np.diff(list(scores.values()))
    print(f"non-decreasing in K: {bool(np.all(steps >= 0))}; "
          f"|IWAE(1000) - IWAE(5000)| = {abs(scores[1000] - scores[5000]):.3f}")
    vae.set_params(n_importance_samples=VariationalAutoEncoder().n_importance_samples)


def toy_2d(name, seed):
    rng = np.random.RandomState(seed)
    if name == "ring":
        angle = rng.uniform(0, 2 * np.pi, 1000)
        X = np.c_[np.cos(angle), np.sin(angle)] + 0.1 * rng.normal(size=(1000, 2))
    else:  # two moons
        t = rng.uniform(0, np.pi, 1000)
        upper = rng.uniform(size=1000) < 0.5
        X = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)],
                     np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        X = X + 0.1 * rng.normal(size=X.shape)
    return X


def integrals(seeds, epochs):
    print("\n== integral of exp(score_samples) over a grid, 2-D toys "
          "(2-16-16-1-16-16-2 tanh, learned scale)")
    grid = np.linspace(-3, 3, 241)
    xx, yy = np.meshgrid(grid, grid)
    points = np.c_[xx.ravel(), yy.ravel()]
    cell = (grid[1] - grid[0]) ** 2
    for name in ("ring", "moons"):
        for seed in seeds:
            X = toy_2d(name, seed)
            vae = VariationalAutoEncoder(1, hidden_layer_sizes=(16, 16), activation="tanh",
                                         noise=Gaussian(scale="learned"), max_iter=epochs,
                                         learning_rate_init=3e-3, batch_size=100,
                                         random_state=seed).fit(X)
            integral = np.exp(vae.score_samples(points)).sum() * cell
            print(f"{name}, seed {seed}: integral {integral:.4f} over [-3, 3]^2 "
                  f"(score on its data {vae.score(X):.3f})")


def scale_shift(x_train, x_test, seeds, epochs):
    print("\n== fit and score on 2 x: the score should move by -d ln 2")
    curve_rng = np.random.RandomState(0)
    t = curve_rng.uniform(-2, 2, 1500)
    curve = np.c_[t, np.sin(t), 0.5 * t**2] + 0.1 * curve_rng.normal(size=(1500, 3))
    cases = [("3-D curve", curve[:1000], curve[1000:],
              dict(n_components=1, hidden_layer_sizes=(32,), activation="tanh",
                   learning_rate_init=3e-3, batch_size=100), max(epochs // 4, 50)),
             ("digits", x_train, x_test, ARCH, max(epochs // 6, 50))]
    for name, train, test, params, n_epochs in cases:
        d = train.shape[1]
        for seed in seeds:
            scores = [VariationalAutoEncoder(noise=Gaussian(scale="learned"),
                                             max_iter=n_epochs, random_state=seed,
                                             **params).fit(factor * train)
                      .score(factor * test) for factor in (1, 2)]
            print(f"{name}, seed {seed}: score(x) {scores[0]:.2f}, score(2x) "
                  f"{scores[1]:.2f}, shift {scores[1] - scores[0]:.2f} against "
                  f"-{d} ln 2 = {-d * math.log(2):.2f} (off by "
                  f"{scores[1] - scores[0] + d * math.log(2):+.2f})")


# --------------------------------------------------------------- model selection
# The linear VAE of test_pca_score3: no hidden layer and one noise scale shared by all
# features (Gaussian(), profiled out of training), whose ELBO optimum is probabilistic
# PCA; full batches, then a tenth of the learning rate by warm start, so that the fit
# settles on that optimum instead of wandering around it with the step noise.
LINEAR_VAE = dict(hidden_layer_sizes=(), noise=Gaussian(), tol=0.0,
                  n_iter_no_change=10**9, n_threads=1)
LINEAR_STAGES = ((3e-2, 2000), (3e-3, 1000))


def linear_vae_score(k, seed, train, test, stages):
    vae = VariationalAutoEncoder(k, batch_size=len(train), random_state=seed, **LINEAR_VAE)
    for stage, (learning_rate, epochs) in enumerate(stages):
        vae.set_params(learning_rate_init=learning_rate, max_iter=epochs,
                       warm_start=stage > 0).fit(train)
    return vae.score(test)


def _joined(scores, digits):
    return ", ".join(f"{s:.{digits}f}" for s in scores)


def curved_10d(seed):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(1500, 2))
    A, B = rng.normal(size=(2, 10)), rng.normal(size=(10, 10)) / np.sqrt(10)
    X = np.tanh(z @ A) @ B + 0.05 * rng.normal(size=(1500, 10))
    return X[:1000], X[1000:]


def pca_score3_data():
    """scikit-learn's test_pca_score3: one component in 3-D, isotropic unit noise."""
    n, p = 200, 3
    rng = np.random.RandomState(0)
    Xl = rng.randn(n, p) + rng.randn(n, 1) * np.array([3, 4, 5]) + np.array([1, 0, 7])
    Xt = rng.randn(n, p) + rng.randn(n, 1) * np.array([3, 4, 5]) + np.array([1, 0, 7])
    return Xl, Xt


def model_selection(seeds, epochs, score3_seeds, stages):
    print("\n== held-out score against n_components")
    for seed in seeds:
        train, test = curved_10d(seed)
        scores = [VariationalAutoEncoder(k, hidden_layer_sizes=(64,), activation="tanh",
                                         noise=Gaussian(scale="learned"),
                                         max_iter=epochs, learning_rate_init=3e-3,
                                         batch_size=100, random_state=seed)
                  .fit(train).score(test) for k in (1, 2, 3, 4)]
        linear = [linear_vae_score(k, seed, train, test, stages) for k in (1, 2, 3, 4)]
        pca = [PCA(k).fit(train).score(test) for k in (1, 2, 3, 4)]
        print(f"2-D latent, tanh map into 10-D, seed {seed}: VAE (64,) tanh, learned "
              f"scale, k=1..4 {_joined(scores, 2)} (chosen k={np.argmax(scores) + 1}); "
              f"linear VAE k=1..4 {_joined(linear, 2)}; PCA k=1..4 {_joined(pca, 2)}")
    Xl, Xt = pca_score3_data()
    pca = [PCA(k).fit(Xl).score(Xt) for k in range(3)]
    print(f"test_pca_score3 data: PCA k=0..2 {_joined(pca, 4)} (the right answer: 1)")
    schedule = ", then ".join(f"{n} epochs at {lr:g}" for lr, n in stages)
    print(f"linear VAE (hidden_layer_sizes=(), Gaussian() profiled pooled scale, full "
          f"batch, {schedule}):")
    chosen = []
    for seed in score3_seeds:
        scores = [linear_vae_score(k, seed, Xl, Xt, stages) for k in (1, 2, 3)]
        chosen.append(int(np.argmax(scores)) + 1)
        print(f"  seed {seed}: k=1..3 {_joined(scores, 4)}; chosen k={chosen[-1]}; k=1 "
              f"minus PCA(1) {scores[0] - pca[1]:+.4f}, k=1 minus the best k>1 "
              f"{scores[0] - max(scores[1:]):+.4f}")
    print(f"  chosen k=1 on {chosen.count(1)} of {len(chosen)} seeds")
    print("for comparison, VAE (16,) tanh, learned per-feature scale, 500 epochs at 0.01, "
          "batches of 50 (default tol):")
    for seed in score3_seeds:
        scores = [VariationalAutoEncoder(k, hidden_layer_sizes=(16,), activation="tanh",
                                         noise=Gaussian(scale="learned"), max_iter=500,
                                         learning_rate_init=1e-2, batch_size=50,
                                         random_state=seed).fit(Xl).score(Xt)
                  for k in (1, 2, 3)]
        print(f"  seed {seed}: k=1..3 {_joined(scores, 4)}; chosen k="
              f"{int(np.argmax(scores)) + 1}")


# ----------------------------------------------------------------------- PyTorch
def torch_vae_fit(x_train, epochs, seed):
    """The same VAE in PyTorch: 64-128-(8+8) encoder, 8-128-128 decoder (means and
    softplus scales), tanh, Glorot-uniform weights, zero biases, Adam, one draw per
    row, analytic KL. Returns CPU seconds of the loop."""
    torch.manual_seed(seed)
    X = torch.from_numpy(x_train)
    dtype = X.dtype
    d, k, h = X.shape[1], ARCH["n_components"], ARCH["hidden_layer_sizes"][0]

    def linear(fan_in, fan_out):
        layer = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)
        return layer

    encoder = torch.nn.Sequential(linear(d, h), torch.nn.Tanh(), linear(h, 2 * k))
    decoder = torch.nn.Sequential(linear(k, h), torch.nn.Tanh(), linear(h, 2 * d))
    params = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(params, lr=ARCH["learning_rate_init"])
    batch = ARCH["batch_size"]
    start = time.process_time()
    for _ in range(epochs):
        order = torch.randperm(X.shape[0])
        for first in range(0, X.shape[0], batch):
            xb = X[order[first : first + batch]]
            mu, log_var = encoder(xb).chunk(2, dim=1)
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            loc, raw_scale = decoder(z).chunk(2, dim=1)
            scale = torch.nn.functional.softplus(raw_scale) + 1e-6
            nll = (0.5 * ((xb - loc) / scale) ** 2 + torch.log(scale)).sum(dim=1)
            kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(dim=1)
            loss = (nll + kl).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return time.process_time() - start


def pytorch_timing(x_train, epochs, rounds):
    print(f"\n== fit CPU seconds against PyTorch {torch.__version__ if torch else ''} "
          f"({epochs} epochs, one thread each; turns alternate)")
    if torch is None:
        print("torch is not importable: skipped")
        return
    torch.set_num_threads(1)
    for dtype in (np.float64, np.float32):
        data = x_train.astype(dtype)
        ratios = []
        for r in range(rounds):
            order = ("skae", "torch") if r % 2 == 0 else ("torch", "skae")
            seconds = {}
            for tool in order:
                if tool == "skae":
                    seconds[tool] = fit_timed(gaussian_vae(r, epochs), data)[1]
                else:
                    seconds[tool] = torch_vae_fit(data, epochs, r)
            ratios.append(seconds["skae"] / seconds["torch"])
            print(f"{np.dtype(dtype).name} round {r}: skae {seconds['skae']:.2f} s, "
                  f"PyTorch {seconds['torch']:.2f} s, ratio skae / PyTorch "
                  f"{ratios[-1]:.2f}")
        print(f"{np.dtype(dtype).name}: median ratio skae / PyTorch "
              f"{np.median(ratios):.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=3000)
    parser.add_argument("--quick", action="store_true", help="few epochs, one seed")
    parser.add_argument("--only", nargs="+", default=None,
                        help="sections: baselines density honesty integral shift "
                             "selection torch")
    args = parser.parse_args()
    epochs, seeds = (50, [0]) if args.quick else (args.epochs, args.seeds)
    sections = set(args.only or ["baselines", "density", "honesty", "integral", "shift",
                                 "selection", "torch"])
    x_train, x_test = protocol_data()
    if "baselines" in sections:
        baselines(x_train, x_test)
    if "density" in sections or "honesty" in sections:
        models = density_rows(x_train, x_test, seeds, epochs)
        if "honesty" in sections:
            honesty(models["Gaussian(scale='learned') on x"], x_test)
    if "integral" in sections:
        integrals(seeds, max(epochs // 4, 30))
    if "shift" in sections:
        scale_shift(x_train, x_test, seeds[:1], epochs)
    if "selection" in sections:
        # test_pca_score3 on seeds 0..4 whatever --seeds says; --quick: seed 0 and a
        # tenth of the schedule
        score3_seeds, stages = (([0], tuple((lr, n // 10) for lr, n in LINEAR_STAGES))
                                if args.quick else (range(5), LINEAR_STAGES))
        model_selection(seeds, max(epochs // 4, 30), score3_seeds, stages)
    if "torch" in sections:
        pytorch_timing(x_train, max(epochs // 10, 5), rounds=3)


if __name__ == "__main__":
    main()
