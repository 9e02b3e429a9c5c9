"""What the benchmark scripts share: data, per-epoch clocks, the PyTorch twin, output.

Every script times its tools in one process and makes the NumPy ones (skae,
MLPRegressor, the GEMM bound) take turns **epoch by epoch**: each fits in a thread of
its own, and only the tool whose turn it is computes; at the end of each epoch it hands
over to the next. PyTorch runs by itself, before or after them (see :func:`alternate`). The load of a shared
machine comes and goes in spells of a few seconds, so tools that alternate only fit by
fit can meet different spells; epoch by epoch, neighbouring epochs of all tools see
the same machine. Figures are medians of per-epoch times, and ratios are taken within
each round (see :func:`paired_ratio`).

Per-epoch times of scikit-learn's ``MLPRegressor`` and of skae come from their
``verbose`` output: both print ``Iteration N, loss = ...`` at the end of every epoch,
and :class:`EpochClock` timestamps those lines (and hands the turn over there). An
epoch's time runs from the moment its tool got the turn to that line, so waiting for
the other tools is never counted. The first epoch of a fit also holds input validation
and initialisation.
"""

import contextlib
import datetime
import io
import json
import os
import platform
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

RESULTS_DIR = Path(__file__).resolve().parent / "results"

warnings.filterwarnings("ignore", category=ConvergenceWarning)

try:
    import torch
except ImportError:  # PyTorch is optional: its rows are skipped
    torch = None


# ----------------------------------------------------------------------------- data
def digits_split():
    """``X_train, X_test, y_train, y_test``: the digits scaled to [0, 1] (``X / 16``) with
    their labels, split as issue #10's protocol splits them
    (``train_test_split(test_size=360, random_state=0)``)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    digits = load_digits()
    return train_test_split(digits.data / 16, digits.target, test_size=360, random_state=0)


def seeds_and_epochs(epochs):
    """The seeds and epochs of a quality benchmark: seeds 0, 1, 2 (or those given with
    ``--seeds``) and ``epochs``, or with ``--quick`` (a smoke run) seed 0 and 30 epochs."""
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="seed 0 and 30 epochs only")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds to run (default: 0 1 2)")
    args = parser.parse_args()
    return ([0], 30) if args.quick else (args.seeds, epochs)


def mnist_like(n_samples, seed=0, n_basis=40, side=28):
    """Synthetic MNIST-sized images in [0, 1], float32, shape ``(n_samples, side**2)``.

    Each image is ``sigmoid(2 * c @ B - 1)``: ``B`` holds ``n_basis`` smooth basis
    images (isotropic Gaussian blobs with centres uniform in the middle of the frame
    and widths of 1.5 to 4 pixels, each scaled to a peak of 1) and ``c`` is a
    standard-normal code per image. The data thus lie near a smooth
    ``n_basis``-dimensional manifold, with grey levels spread over (0, 1) as in MNIST.
    Rows are generated in chunks, in float32, so the generator never holds a float64
    copy of the data.
    """
    rng = np.random.RandomState(seed)
    grid = np.arange(side, dtype=np.float64)
    centres = rng.uniform(4, side - 4, size=(n_basis, 2))
    widths = rng.uniform(1.5, 4.0, size=n_basis)
    rows = np.exp(-0.5 * ((grid[None, :] - centres[:, :1]) / widths[:, None]) ** 2)
    cols = np.exp(-0.5 * ((grid[None, :] - centres[:, 1:]) / widths[:, None]) ** 2)
    basis = (rows[:, :, None] * cols[:, None, :]).reshape(n_basis, side * side)
    basis = (2.0 * basis).astype(np.float32)
    X = np.empty((n_samples, side * side), dtype=np.float32)
    for start in range(0, n_samples, 10_000):
        stop = min(start + 10_000, n_samples)
        codes = rng.standard_normal((stop - start, n_basis)).astype(np.float32)
        chunk = X[start:stop]
        np.matmul(codes, basis, out=chunk)
        chunk -= 1.0
        np.negative(chunk, out=chunk)
        np.exp(chunk, out=chunk)
        chunk += 1.0
        np.reciprocal(chunk, out=chunk)
    return X


# --------------------------------------------------------------------------- timing
class EpochClock(io.TextIOBase):
    """Per-epoch clock of one fit, and a stand-in for stdout during a verbose fit.

    ``epoch_ends()`` (called on each ``Iteration N`` line, or by a loop of our own)
    stamps the end of an epoch, calls ``on_epoch`` (which returns once this tool has
    the turn again) and stamps the resumption.
    """

    def __init__(self, on_epoch=None):
        self.on_epoch = on_epoch
        self.ends, self.resumes = [], []
        self.stopped = None

    def start(self):
        self.resumes.append(time.perf_counter())

    def epoch_ends(self):
        self.ends.append(time.perf_counter())
        if self.on_epoch is not None:
            self.on_epoch()
        self.resumes.append(time.perf_counter())

    def stop(self):
        self.stopped = time.perf_counter()

    def write(self, text):
        if text.startswith("Iteration"):
            self.epoch_ends()
        return len(text)

    def epoch_seconds(self):
        return np.subtract(self.ends, self.resumes[: len(self.ends)])

    def busy_seconds(self):
        """Seconds from start to stop, less the time spent waiting for the turn."""
        waited = sum(r - e for e, r in zip(self.ends, self.resumes[1:]))
        return self.stopped - self.resumes[0] - waited


class _ThreadStdout(io.TextIOBase):
    """``sys.stdout`` that sends each thread's output to that thread's clock, if any."""

    def __init__(self, default):
        self.default = default
        self.local = threading.local()

    def write(self, text):
        return (getattr(self.local, "clock", None) or self.default).write(text)

    def flush(self):
        self.default.flush()


@contextlib.contextmanager
def _stdout_to(clock):
    if not isinstance(sys.stdout, _ThreadStdout):
        sys.stdout = _ThreadStdout(sys.stdout)
    sys.stdout.local.clock = clock
    try:
        yield
    finally:
        sys.stdout.local.clock = None


def fit_timed(estimator, *args, on_epoch=None):
    """Fit a verbose estimator; return ``(busy seconds, per-epoch seconds)``."""
    clock = EpochClock(on_epoch)
    estimator.set_params(verbose=True)
    with _stdout_to(clock):
        clock.start()
        estimator.fit(*args)
        clock.stop()
    estimator.set_params(verbose=False)
    return clock.busy_seconds(), clock.epoch_seconds()


def mse(a, b):
    return float(np.mean((np.asarray(a, dtype=np.float64) - b) ** 2))


# --------------------------------------------------------------- the PyTorch twin
def torch_fit(layer_sizes, activations, X, Y, epochs, batch_size, alpha, seed,
              learning_rate=1e-3, on_epoch=None):
    """Train the same MLP in PyTorch; return ``(model, fit seconds, per-epoch seconds)``.

    The same objective and optimiser as scikit-learn's ``MLPRegressor``: Glorot-uniform
    weights, zero biases, ``0.5 * ||y - f(x)||^2`` summed over outputs and averaged over
    the batch, L2 on the weights only as ``alpha / batch_size`` weight decay (the
    gradient scikit-learn adds), Adam with ``(0.9, 0.999, 1e-8)``, rows reshuffled every
    epoch. ``Y=None`` trains an autoencoder (targets are the inputs).
    """
    torch.manual_seed(seed)
    layers = []
    for (fan_in, fan_out), activation in zip(zip(layer_sizes[:-1], layer_sizes[1:]),
                                             activations):
        linear = torch.nn.Linear(fan_in, fan_out)
        torch.nn.init.xavier_uniform_(linear.weight)
        torch.nn.init.zeros_(linear.bias)
        layers.append(linear)
        if activation == "relu":
            layers.append(torch.nn.ReLU())
        elif activation != "identity":
            raise ValueError(activation)
    model = torch.nn.Sequential(*layers)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.Adam(
        [{"params": weights, "weight_decay": alpha / batch_size},
         {"params": biases, "weight_decay": 0.0}],
        lr=learning_rate, betas=(0.9, 0.999), eps=1e-8,
    )
    Xt = torch.from_numpy(X)
    Yt = Xt if Y is None else torch.from_numpy(Y.reshape(len(Y), -1))
    generator = torch.Generator().manual_seed(seed)
    n_samples = X.shape[0]
    clock = EpochClock(on_epoch)
    clock.start()
    for _ in range(epochs):
        order = torch.randperm(n_samples, generator=generator)
        for first in range(0, n_samples, batch_size):
            rows = order[first : first + batch_size]
            xb = Xt[rows]
            yb = xb if Y is None else Yt[rows]
            optimizer.zero_grad(set_to_none=True)
            loss = 0.5 * (model(xb) - yb).pow(2).sum(dim=1).mean()
            loss.backward()
            optimizer.step()
        clock.epoch_ends()
    clock.stop()
    return model, clock.busy_seconds(), clock.epoch_seconds()


def torch_predict(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


# --------------------------------------------------------------------------- threads
def add_common_arguments(parser):
    parser.add_argument("--quick", action="store_true", help="smoke run, nothing saved")
    parser.add_argument(
        "--threads", type=int, default=None,
        help="threads for every tool (BLAS and PyTorch); default: each library's own "
             "default. On a loaded machine, multi-threaded BLAS between small Python "
             "steps suffers most, so compare both settings.")


def limit_threads(n_threads):
    """Cap BLAS threads (NumPy, SciPy) and PyTorch's intra-op threads at ``n_threads``.

    Returns the threadpoolctl controller; ``None`` leaves every library as it is.
    """
    if n_threads is None:
        return None
    if torch is not None:
        torch.set_num_threads(n_threads)
    return threadpool_limits(limits=n_threads, user_api="blas")


# --------------------------------------------------------------------------- output
def machine_info(n_threads=None):
    blas = [
        {k: lib.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
        for lib in threadpool_info() if lib["user_api"] == "blas"
    ]
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "blas": blas,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "torch": None if torch is None else torch.__version__,
        "torch_threads": None if torch is None else torch.get_num_threads(),
        "threads_requested": n_threads,
        "loadavg_start": os.getloadavg(),
    }


def print_table(header, rows):
    """Print rows (sequences of already formatted cells) under a header, aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:>{w}}}" for w in widths)
    print(line.format(*header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line.format(*row))


def save(name, payload):
    """Write ``payload`` (with the machine's description) to results/NAME.json.

    A run with ``--threads N`` goes to results/NAME_threadsN.json instead, so that the
    two settings' latest figures sit side by side.
    """
    threads = payload["machine"]["threads_requested"]
    payload = {"benchmark": name, "command": " ".join(["python", *sys.argv]), **payload}
    payload["machine"]["loadavg_end"] = os.getloadavg()
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / (name + ("" if threads is None else f"_threads{threads}") + ".json")
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n")
    print(f"\nwrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value))


def report_targets(targets):
    """Print and return the verdicts on ``{name: (value, target, smaller_is_better)}``."""
    verdicts = {}
    print()
    for name, (value, target, smaller_is_better) in targets.items():
        met = value <= target if smaller_is_better else value >= target
        verdicts[name] = {"value": value, "target": target, "met": bool(met)}
        print(f"{name:<32} {value:9.4g}   {'met' if met else 'NOT met'}")
    return verdicts


# ------------------------------------------------------------------- the protocol
class _Turns:
    """Tools take turns epoch by epoch; only the one at the head of the queue computes."""

    def __init__(self, names):
        self._queue = list(names)
        self._changed = threading.Condition()

    def wait(self, name):
        with self._changed:
            self._changed.wait_for(lambda: self._queue[0] == name)

    def pass_on(self, name):
        """End ``name``'s epoch: to the back of the queue, then wait for the next turn."""
        with self._changed:
            self._queue.append(self._queue.pop(0))
            self._changed.notify_all()
        self.wait(name)

    def leave(self, name):
        with self._changed:
            self._queue.remove(name)
            self._changed.notify_all()


def _round(trials, order, seed):
    """Run one round: every trial in a thread of its own, taking turns epoch by epoch."""
    turns = _Turns(order)
    results, errors = {}, {}

    def run(name):
        try:
            turns.wait(name)
            results[name] = trials[name](seed=seed, on_epoch=lambda: turns.pass_on(name))
        except BaseException as exc:  # re-raised in the main thread
            errors[name] = exc
        finally:
            turns.leave(name)

    threads = [threading.Thread(target=run, args=(name,)) for name in order]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise next(iter(errors.values()))
    return results


def alternate(trials, rounds, alone=("PyTorch",)):
    """Run every trial once per round; return ``{name: [result, ...]}``.

    Round ``r`` calls every ``trial(seed=r, on_epoch=...)``, so all tools start from
    the same seeds and the held-out MSE is a median over ``rounds`` initialisations, not
    one draw. The NumPy tools take turns epoch by epoch: a trial calls ``on_epoch()`` at
    the end of each epoch, which returns when it has the turn again. Tools named in
    ``alone`` run by themselves, before or after the others in alternate rounds: PyTorch
    has a thread pool of its own, and OpenBLAS's threads keep their cores busy for a
    moment after each product, which would slow whichever PyTorch epoch came next.
    A trial returns a dict with ``fit_s`` (seconds it computed), ``epoch_s``
    (per-epoch seconds), ``n_iter`` and ``test_mse``.
    """
    results = {name: [] for name in trials}
    names = [name for name in trials if name not in alone]
    for round_ in range(rounds):
        # rotate the order so that no tool always runs right after the same other one
        shift = round_ % len(names)
        groups = [names[shift:] + names[:shift]] + [[name] for name in trials if name in alone]
        if round_ % 2:
            groups.reverse()
        round_results = {}
        for group in groups:
            round_results.update(_round(trials, group, seed=round_))
        for name in trials:
            result = round_results[name]
            results[name].append(result)
            print(f"  round {round_ + 1}/{rounds} {name:<14} fit {result['fit_s']:7.2f} s  "
                  f"n_iter {result['n_iter']}  test MSE {result['test_mse']:.5f}", flush=True)
    return results


def gemm_epoch_seconds(layer_sizes, n_samples, batch_size, rng):
    """Seconds for the matrix products of one training epoch, nothing else.

    Per batch and layer: the forward product ``a_{l-1} W_l``, the weight gradient
    ``a_{l-1}^T delta_l`` and, for every layer but the first, the input gradient
    ``delta_l W_l^T``, with ``np.matmul`` into preallocated float32 outputs laid out as
    skae lays them out; ``n_samples // batch_size`` full batches and the remainder.
    """
    shapes = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in shapes]
    weight_grads = [np.empty(shape, np.float32) for shape in shapes]

    def operands(rows):
        def random(width):
            return rng.standard_normal((rows, width)).astype(np.float32)

        inputs = [random(fan_in) for fan_in, _ in shapes]
        outputs = [np.empty((rows, fan_out), np.float32) for _, fan_out in shapes]
        deltas = [random(fan_out) for _, fan_out in shapes]
        input_grads = [np.empty((rows, fan_in), np.float32) for fan_in, _ in shapes]
        return inputs, outputs, deltas, input_grads

    def products(inputs, outputs, deltas, input_grads):
        for l, W in enumerate(weights):
            np.matmul(inputs[l], W, out=outputs[l])
        for l in range(len(weights) - 1, -1, -1):
            np.matmul(inputs[l].T, deltas[l], out=weight_grads[l])
            if l > 0:
                np.matmul(deltas[l], weights[l].T, out=input_grads[l])

    n_full, remainder = divmod(n_samples, batch_size)
    full, last = operands(batch_size), operands(remainder) if remainder else None
    products(*full)  # warm up
    start = time.perf_counter()
    for _ in range(n_full):
        products(*full)
    if last is not None:
        products(*last)
    return time.perf_counter() - start


def gemm_trial(layer_sizes, n_samples, batch_size, epochs):
    """A trial timing ``epochs`` GEMM-only epochs (the first left out, as for a fit)."""
    def trial(seed, on_epoch=None):
        rng = np.random.RandomState(seed)
        epoch_s = []
        for _ in range(epochs):
            epoch_s.append(gemm_epoch_seconds(layer_sizes, n_samples, batch_size, rng))
            if on_epoch is not None:
                on_epoch()
        epoch_s = np.array(epoch_s)
        return dict(fit_s=epoch_s.sum(), epoch_s=epoch_s, n_iter=epochs, test_mse=np.nan)

    return trial


def _epoch_median(run):
    epochs = run["epoch_s"]
    return float(np.median(epochs[1:] if len(epochs) > 1 else epochs))


def paired_ratio(results, numerator, denominator):
    """Median over rounds of ``numerator``'s / ``denominator``'s median epoch in that round.

    The load of a shared machine comes and goes in spells of a few seconds, which can
    slow one tool's whole fit and spare the other's. The two tools of one round run
    back to back, so taking the ratio within each round and then the median over rounds
    discards such spells, where a ratio of overall medians mixes them in. Returns the
    median and the per-round ratios.
    """
    per_round = [_epoch_median(a) / _epoch_median(b)
                 for a, b in zip(results[numerator], results[denominator])]
    return float(np.median(per_round)), per_round


def summarise(results):
    """Medians per tool: per-epoch time (first epoch of each fit left out when there are
    more, since it also holds validation and initialisation), fit time / n_iter_, and
    the held-out MSE over the rounds' seeds."""
    summary = {}
    for name, runs in results.items():
        epochs = np.concatenate([r["epoch_s"][1:] if len(r["epoch_s"]) > 1 else r["epoch_s"]
                                 for r in runs])
        test_mse = [r["test_mse"] for r in runs]
        summary[name] = {
            "epoch_ms": 1e3 * float(np.median(epochs)),
            "fit_per_iter_ms": 1e3 * float(np.median([r["fit_s"] / r["n_iter"] for r in runs])),
            "n_iter": sorted({r["n_iter"] for r in runs}),
            # None where there is no model (the GEMM bound): JSON has no NaN
            "test_mse": None if np.isnan(test_mse).all() else float(np.median(test_mse)),
            "test_mse_per_seed": None if np.isnan(test_mse).all() else test_mse,
            "n_epoch_samples": int(epochs.size),
        }
    return summary


def print_ratios(ratios):
    """Print ``{name: (median, per_round)}`` from :func:`paired_ratio`."""
    print("\nratios within each round (median, then the rounds in order):")
    for name, (median, per_round) in ratios.items():
        print(f"  {name:<26} {median:6.3f}   " + " ".join(f"{r:.3f}" for r in per_round))


def run_rounds(trials, rounds, reference="skae"):
    """:func:`alternate`, then print the per-tool summary; return ``(results, summary)``."""
    results = alternate(trials, rounds)
    summary = summarise(results)
    print()
    print_summary(summary, reference)
    return results, summary


def print_summary(summary, reference="skae"):
    ref = summary[reference]["epoch_ms"]
    rows = [
        (name, f"{s['epoch_ms']:.2f}", f"{s['fit_per_iter_ms']:.2f}",
         ",".join(map(str, s["n_iter"])),
         "-" if s["test_mse"] is None else f"{s['test_mse']:.5f}",
         f"{s['epoch_ms'] / ref:.2f}")
        for name, s in summary.items()
    ]
    print_table(("tool", "ms/epoch", "fit ms/n_iter", "n_iter", "test MSE (median)",
                 f"time / {reference}"), rows)


def autoencoder_trials(layers, X_train, X_test, epochs, batch_size, alpha):
    """skae, MLPRegressor, PyTorch and GEMM-bound trials of one autoencoder benchmark.

    ``layers`` is ``(n_features, hidden, code, hidden, n_features)``. Every tool runs all
    ``epochs`` (``tol=0``, ``n_iter_no_change`` above ``max_iter``); MLPRegressor fits
    ``(X, X)`` with ``hidden_layer_sizes=layers[1:-1]`` (its middle layer is relu where
    skae's and PyTorch's code is linear).
    """
    import skae
    from sklearn.neural_network import MLPRegressor

    common = dict(activation="relu", solver="adam", learning_rate_init=1e-3, alpha=alpha,
                  batch_size=batch_size, max_iter=epochs, tol=0.0,
                  n_iter_no_change=epochs + 1)

    def run_skae(seed, on_epoch=None):
        ae = skae.AutoEncoder(n_components=layers[2], hidden_layer_sizes=(layers[1],),
                              random_state=seed, **common)
        fit_s, epoch_s = fit_timed(ae, X_train, on_epoch=on_epoch)
        assert ae.coefs_[0].dtype == np.float32
        reconstruction = ae.inverse_transform(ae.transform(X_test))
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=ae.n_iter_,
                    test_mse=mse(reconstruction, X_test))

    def run_sklearn(seed, on_epoch=None):
        mlp = MLPRegressor(hidden_layer_sizes=layers[1:-1], random_state=seed, **common)
        fit_s, epoch_s = fit_timed(mlp, X_train, X_train, on_epoch=on_epoch)
        assert mlp.coefs_[0].dtype == np.float32
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=mlp.n_iter_,
                    test_mse=mse(mlp.predict(X_test), X_test))

    def run_torch(seed, on_epoch=None):
        model, fit_s, epoch_s = torch_fit(layers, ("relu", "identity", "relu", "identity"),
                                          X_train, None, epochs, batch_size, alpha, seed,
                                          on_epoch=on_epoch)
        return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=len(epoch_s),
                    test_mse=mse(torch_predict(model, X_test), X_test))

    trials = {"skae": run_skae, "MLPRegressor": run_sklearn}
    if torch is not None:
        trials["PyTorch"] = run_torch
    else:
        print("PyTorch not importable: its row is skipped.")
    trials["GEMM bound"] = gemm_trial(layers, X_train.shape[0], batch_size, epochs)
    return trials
