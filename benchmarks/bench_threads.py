"""BLAS threads: where a second thread pays, and what skae's automatic choice costs.

Three measurements, each taking turns between the settings it compares, round by round,
and reporting the median over rounds of the ratio within each round:

1. **Crossover.** One training step's matrix products (forward, weight and input
   gradients) of a layer ``rows x fan_in @ fan_in x fan_out`` with one and with two
   BLAS threads, for products from 0.25 to 64 million multiply-adds.
2. **Loaded machine.** Two busy-loop processes run beside the W1 network (digits
   autoencoder 64-128-8-128-64, batch 128, 30 epochs): skae's automatic choice
   (``n_threads=None``) against ``threadpool_limits(1)`` and two forced threads.
3. **Quiet machine.** The W2 network (784-256-32-256-784, batch 256, 2 epochs on
   10,000 mnist-like rows) and W1: the automatic choice against two forced threads.

Run ``python benchmarks/bench_threads.py`` (``--rounds N``; ``--quick`` for one round).
"""

import argparse
import multiprocessing
import subprocess
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from _common import mnist_like

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
import skae  # noqa: E402
from skae._threads import SINGLE_THREAD_BELOW  # noqa: E402


def _busy_loop():
    while True:
        pass


def _median_ratio(times, numerator, denominator):
    ratios = [t[numerator] / t[denominator] for t in times]
    return float(np.median(ratios)), ratios


def _time(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def crossover(rounds):
    rng = np.random.default_rng(0)
    print("1. One step's products of a layer, two BLAS threads against one")
    print(f"{'multiply-adds':>15}{'shape':>22}{'1 thread (us)':>16}{'2 threads (us)':>16}"
          f"{'1/2 (median)':>14}")
    for rows, fan_in, fan_out in [(128, 64, 32), (128, 64, 128), (200, 100, 100),
                                  (128, 128, 256), (256, 128, 256), (256, 256, 256),
                                  (256, 512, 256), (256, 784, 256), (512, 512, 256)]:
        a = rng.standard_normal((rows, fan_in), dtype=np.float32)
        w = rng.standard_normal((fan_in, fan_out), dtype=np.float32)
        d = rng.standard_normal((rows, fan_out), dtype=np.float32)
        repeats = max(3, int(2e8 / (rows * fan_in * fan_out)))

        def step():
            for _ in range(repeats):
                a @ w
                a.T @ d
                d @ w.T

        times = []
        for _ in range(rounds):
            result = {}
            for threads in (1, 2):
                with threadpool_limits(threads, user_api="blas"):
                    step()  # warm the threads up
                    result[threads] = _time(step) / repeats
            times.append(result)
        ratio, _ = _median_ratio(times, 1, 2)
        work = rows * fan_in * fan_out
        print(f"{work:>15,}{f'{rows}x{fan_in}x{fan_out}':>22}"
              f"{1e6 * np.median([t[1] for t in times]):>16.1f}"
              f"{1e6 * np.median([t[2] for t in times]):>16.1f}{ratio:>14.2f}")
    print(f"skae uses one thread below {SINGLE_THREAD_BELOW:,} multiply-adds.\n")


def _fit(X, layers, batch, epochs, n_threads=None, limit=None):
    ae = skae.AutoEncoder(n_components=layers[2], hidden_layer_sizes=layers[1:2],
                          batch_size=batch, max_iter=epochs, tol=0, n_iter_no_change=10**6,
                          random_state=0, n_threads=n_threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if limit is None:
            return _time(lambda: ae.fit(X))
        with threadpool_limits(limit, user_api="blas"):
            return _time(lambda: ae.fit(X))


def _compare(title, X, layers, batch, epochs, settings, rounds, baseline):
    times = []
    for r in range(rounds):
        names = list(settings)
        names = names[r % len(names):] + names[:r % len(names)]  # rotate the order
        times.append({name: _fit(X, layers, batch, epochs, **settings[name]) for name in names})
    print(title)
    for name in settings:
        print(f"  {name:<28} median {np.median([t[name] for t in times]):7.2f} s")
    for name in settings:
        if name != baseline:
            ratio, per_round = _median_ratio(times, name, baseline)
            print(f"  {name} / {baseline}: median {ratio:.3f}  (rounds: "
                  + " ".join(f"{x:.2f}" for x in per_round) + ")")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for the 'python -m skae' timing; the README's "
                             "main-job command installs skae without the test extras, "
                             "and pandas alone adds about a second of imports")
    parser.add_argument("--only-main", action="store_true",
                        help="only time 'python -m skae' beside two busy loops")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    digits = (load_digits().data / 16).astype(np.float32)
    w1, w2 = (64, 128, 8, 128, 64), (784, 256, 32, 256, 784)
    mnist = mnist_like(10_000, seed=0).astype(np.float32)

    if args.only_main:
        _time_main_job_loaded(args.python, rounds)
        return
    crossover(rounds)
    _compare("3. Quiet machine, W2 network (2 epochs, 10,000 rows)", mnist, w2, 256, 2,
             {"automatic": {}, "two threads": {"n_threads": 2}}, rounds, "two threads")
    _compare("3. Quiet machine, W1 network (30 epochs)", digits, w1, 128, 30,
             {"automatic": {}, "two threads": {"n_threads": 2}}, rounds, "two threads")

    busy = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(2)]
    for process in busy:
        process.start()
    try:
        _compare("2. Loaded machine (two busy loops), W1 network (30 epochs)", digits, w1,
                 128, 30, {"automatic": {}, "threadpool_limits(1)": {"limit": 1},
                           "two threads": {"n_threads": 2}},
                 rounds, "threadpool_limits(1)")
    finally:
        for process in busy:
            process.terminate()
    _time_main_job_loaded(args.python, rounds)


def _time_main_job_loaded(python, rounds):
    """Wall time of the README's main job, ``python -m skae``, beside two busy loops."""
    busy = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(2)]
    for process in busy:
        process.start()
    try:
        times = [_time(lambda: subprocess.run([python, "-m", "skae"], check=True,
                                              capture_output=True))
                 for _ in range(rounds)]
    finally:
        for process in busy:
            process.terminate()
    print(f"2. Loaded machine: python -m skae ({python}) took median "
          f"{np.median(times):.2f} s (runs: " + " ".join(f"{t:.2f}" for t in times) + ")")


if __name__ == "__main__":
    main()
