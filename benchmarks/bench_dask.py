"""Scaling out: dask-ml's Incremental, GridSearchCV on three joblib backends, and the
memory of a fit on a memory-mapped array.

Three parts, run one after the other (``--part`` picks one):

``incremental``
    200,000 x 50 float32 rows in 10 blocks of 20,000, AutoEncoder 50-64-5-64-50 (relu,
    adam, batch 256). One pass of ``partial_fit`` over the blocks in order, in memory,
    against ``dask_ml.wrappers.Incremental(..., shuffle_blocks=False).fit`` on a
    ``distributed.LocalCluster`` of 2 worker processes x 1 thread (the blocks made and
    kept on the workers first, so the time is training, not sending the data; a first
    untimed fit lets the workers import skae). The two are timed alternately, 3
    rounds; the parameters must be bit-identical. Then lazy
    inference: the shape dask reports for ``Incremental.transform`` (dask-ml's wrapper)
    and for ``inc.estimator_.transform`` (skae's own dask support), what each computes,
    and the time of the cluster's transform against an in-memory one.
``search``
    GridSearchCV over 8 AutoEncoders on the digits (``X / 16``, float32; ``n_components``
    4 or 8, ``hidden_layer_sizes`` (32,) or (64,), Gaussian or Bernoulli noise; 100
    epochs; ``cv=3``: 24 fits) with ``n_jobs=1``, with ``n_jobs=2`` on joblib's loky
    backend, and on joblib's dask backend on the same LocalCluster; the three must agree
    on every score.
``memmap``
    Peak resident memory (``resource.getrusage`` ``ru_maxrss``) of a process that fits
    an AutoEncoder (100-32-5-32-100, batch 256, one epoch, shuffled) on a memory-mapped
    float32 array of 1,000,000 x 100 (381 MiB) written to a temporary file, with and
    without ``early_stopping=True``; each fit in a fresh subprocess. The file's pages
    that the fit reads count in the resident memory, so the figure to read is the peak
    minus the process's size before the fit minus the file.

The machine (2 cores) is shared with other work: times are noisy; the parts run one at a
time and each time is the median of its rounds.

Run ``python benchmarks/bench_dask.py`` (``--quick``: small sizes, a smoke run).
Needs the ``dask`` extra: ``pip install ".[dask]"``.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # skae as in this tree
# dask's worker processes import skae too: from this tree
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT),
                                                         os.environ.get("PYTHONPATH")]))

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skae import AutoEncoder  # noqa: E402

warnings.filterwarnings("ignore", category=ConvergenceWarning)


def _seconds(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def _smooth_data(n_samples, n_features, seed=0, out=None):
    rng = np.random.RandomState(seed)
    mixing = rng.normal(size=(5, n_features))
    X = np.empty((n_samples, n_features), dtype=np.float32) if out is None else out
    for start in range(0, n_samples, 100_000):  # a chunk at a time: no float64 copy
        rows = slice(start, min(start + 100_000, n_samples))
        codes = rng.normal(size=(rows.stop - rows.start, 5))
        X[rows] = np.tanh(codes @ mixing) + 0.1 * rng.normal(size=(len(codes), n_features))
    return X


# ------------------------------------------------------------------ incremental
def _generated_block(block_info=None):
    """One block of the data, seeded by its position."""
    output = block_info[None]
    return _smooth_data(*output["chunk-shape"], seed=output["chunk-location"][0])


def incremental(client, quick):
    import dask.array as da
    from dask_ml.wrappers import Incremental
    from distributed import wait

    n_samples, block = (20_000, 2_000) if quick else (200_000, 20_000)
    # the blocks are made on the workers (dask's way to load data), then kept there
    dX = da.map_blocks(_generated_block, dtype=np.float32,
                       chunks=((block,) * (n_samples // block), (50,))).persist()
    wait(dX)
    X = dX.compute()
    model = AutoEncoder(5, hidden_layer_sizes=(64,), batch_size=256, random_state=0)
    # not timed: the workers' first import of skae
    Incremental(clone(model), shuffle_blocks=False).fit(dX[:2 * block])

    def in_memory():
        loop = clone(model)
        for start in range(0, n_samples, block):
            loop.partial_fit(X[start:start + block])
        return loop

    def on_cluster():
        return Incremental(clone(model), shuffle_blocks=False).fit(dX)

    times = {"in-memory partial_fit loop": [], "Incremental on the cluster": []}
    for _ in range(1 if quick else 3):
        loop, seconds = _seconds(in_memory)
        times["in-memory partial_fit loop"].append(seconds)
        inc, seconds = _seconds(on_cluster)
        times["Incremental on the cluster"].append(seconds)
    identical = np.array_equal(inc.estimator_._network.theta, loop._network.theta)
    same_scale = bool(inc.estimator_.noise_.scale == loop.noise_.scale)

    print(f"\nIncremental: {n_samples:,} x 50 float32 in {n_samples // block} blocks of "
          f"{block:,}, AutoEncoder 50-64-5-64-50, one pass, blocks in order")
    for name, values in times.items():
        print(f"  {name:<28} {np.median(values):6.2f} s   (rounds: "
              + ", ".join(f"{v:.2f}" for v in values) + ")")
    ratio = np.median(times["Incremental on the cluster"]) / np.median(
        times["in-memory partial_fit loop"])
    print(f"  Incremental / in-memory: {ratio:.2f}; parameters bit-identical: {identical}; "
          f"same fitted scale: {same_scale}")

    wrapper = inc.transform(dX)  # dask-ml's map_blocks without output chunks
    own = inc.estimator_.transform(dX)  # skae's dask support
    computed, cluster_seconds = _seconds(own.compute)
    expected, memory_seconds = _seconds(lambda: loop.transform(X))
    print("\nLazy transform of the dask array (codes have 5 columns):")
    print(f"  Incremental.transform(dX)         reports shape {wrapper.shape}, computes "
          f"{wrapper.blocks[0].compute().shape} for its first block of {block:,} rows")
    print(f"  inc.estimator_.transform(dX)      reports shape {own.shape}, chunks "
          f"{own.chunks[0][:2]}...x{own.chunks[1]}, computes {computed.shape} "
          f"{computed.dtype}")
    print(f"  cluster transform {cluster_seconds:.2f} s, in-memory transform "
          f"{memory_seconds:.2f} s; max |difference| "
          f"{float(np.max(np.abs(computed - expected))):.1e}")
    return {"times_s": times, "ratio": ratio, "bit_identical": identical,
            "wrapper_shape": wrapper.shape, "own_shape": own.shape}


# ------------------------------------------------------------------------ search
def search(client, quick):
    import joblib
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    X = (load_digits().data / 16).astype(np.float32)
    grid = {"n_components": [4, 8], "hidden_layer_sizes": [(32,), (64,)],
            "noise": ["gaussian", "bernoulli"]}
    epochs = 10 if quick else 100
    base = AutoEncoder(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
                       random_state=0)

    def run(n_jobs, backend):
        searcher = GridSearchCV(base, grid, cv=3, n_jobs=n_jobs)
        with joblib.parallel_backend(backend):
            return searcher.fit(X)

    settings = {"n_jobs=1": (1, "loky"), "loky, n_jobs=2": (2, "loky"),
                "dask (2 workers x 1 thread)": (-1, "dask")}
    times = {name: [] for name in settings}
    fitted = {}
    for _ in range(1 if quick else 3):
        for name, (n_jobs, backend) in settings.items():
            fitted[name], seconds = _seconds(lambda: run(n_jobs, backend))
            times[name].append(seconds)
    reference = fitted["n_jobs=1"].cv_results_["mean_test_score"]
    print(f"\nGridSearchCV: 8 AutoEncoders x cv=3 = 24 fits of {epochs} epochs on the "
          "digits (1797 x 64 float32)")
    for name, values in times.items():
        agree = np.allclose(fitted[name].cv_results_["mean_test_score"], reference,
                            rtol=1e-6)
        print(f"  {name:<28} {np.median(values):6.2f} s   (rounds: "
              + ", ".join(f"{v:.2f}" for v in values) + f")   scores as n_jobs=1: {agree}")
    print(f"  best: {fitted['n_jobs=1'].best_params_}")
    return {"times_s": times}


# ------------------------------------------------------------------------ memmap
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def memmap_child(path, shape, early_stopping):
    """Fit on the memory-mapped file; print the peak RSS before and after, in MiB."""
    X = np.memmap(path, dtype=np.float32, mode="r", shape=shape)
    model = AutoEncoder(5, hidden_layer_sizes=(32,), batch_size=256, max_iter=1,
                        early_stopping=early_stopping, random_state=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _, seconds = _seconds(lambda: model.fit(X))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"before_mib": before, "peak_mib": peak, "fit_s": seconds,
                      "dtype": str(model.coefs_[0].dtype)}))


def memmap(quick):
    shape = (100_000, 100) if quick else (1_000_000, 100)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "X.float32")
        X = np.memmap(path, dtype=np.float32, mode="w+", shape=shape)
        _smooth_data(shape[0], shape[1], seed=1, out=X)
        X.flush()
        del X
        file_mib = os.path.getsize(path) / 2**20
        print(f"\nFit on a memory-mapped float32 array of {shape[0]:,} x {shape[1]} "
              f"({file_mib:.0f} MiB file); AutoEncoder 100-32-5-32-100, one epoch; "
              "a fresh subprocess per fit")
        print("  early_stopping  before fit  peak RSS  peak - before - file  fit s")
        results = {}
        for early_stopping in (False, True):
            # A process's ru_maxrss starts at the resident size of the process that
            # forked it: a small launcher in between keeps this one's size out of it.
            command = [sys.executable, "-c", LAUNCHER, sys.executable, __file__,
                       "--memmap-child", path, str(shape[0]), str(shape[1]),
                       str(early_stopping)]
            output = subprocess.run(command, capture_output=True, text=True, check=True)
            r = json.loads(output.stdout.strip().splitlines()[-1])
            working = r["peak_mib"] - r["before_mib"] - file_mib
            print(f"  {str(early_stopping):<14} {r['before_mib']:8.0f} MiB "
                  f"{r['peak_mib']:5.0f} MiB {working:16.0f} MiB {r['fit_s']:10.1f}   "
                  f"({r['dtype']})")
            results[early_stopping] = {**r, "file_mib": file_mib, "working_mib": working}
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["incremental", "search", "memmap", "all"],
                        default="all")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--memmap-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memmap_child:
        path, rows, columns, early_stopping = args.memmap_child
        memmap_child(path, (int(rows), int(columns)), early_stopping == "True")
        return

    import dask
    import dask_ml
    import distributed
    import sklearn

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, scikit-learn "
          f"{sklearn.__version__}, dask {dask.__version__}, distributed "
          f"{distributed.__version__}, dask-ml {dask_ml.__version__}; {os.cpu_count()} "
          f"cores, load average at start {os.getloadavg()[0]:.2f}")
    if args.part in ("incremental", "search", "all"):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster:
            with distributed.Client(cluster) as client:
                if args.part in ("incremental", "all"):
                    incremental(client, args.quick)
                if args.part in ("search", "all"):
                    search(client, args.quick)
    if args.part in ("memmap", "all"):
        memmap(args.quick)
    print(f"\nload average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
