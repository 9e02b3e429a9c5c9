"""Did a change make skae faster? Two revisions of skae, epoch by epoch, on one workload.

``python benchmarks/compare_revisions.py W3 --base HEAD~1`` times skae as committed at
``--base`` against skae as it is in the working tree (or at ``--head REV``), on the
network and data of W1, W2 or W3, with the protocol of the other scripts: both fit in
one process, take turns epoch by epoch, and the figure is the median over rounds of the
ratio of their median epochs (``base / head``: above 1 means the head is faster). Each
revision is extracted with ``git archive`` into a temporary folder and imported under a
name of its own, so the two never share a module.
"""

import argparse
import importlib
import subprocess
import sys
import tarfile
import tempfile
import warnings
from io import BytesIO
from pathlib import Path

import numpy as np

from _common import fit_timed, mnist_like, paired_ratio, print_ratios, run_rounds

REPO = Path(__file__).resolve().parent.parent


def import_revision(rev, folder):
    """Import skae as committed at ``rev`` (``None``: the working tree) as a new module."""
    if rev is None:
        sys.path.insert(0, str(REPO))
        return importlib.import_module("skae")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "skae"],
                             check=True, capture_output=True).stdout
    target = Path(folder) / rev.replace("~", "_").replace("^", "_")
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    name = "skae_" + target.name.replace("-", "_").replace(".", "_")
    (target / "skae").rename(target / name)
    sys.path.insert(0, str(target))
    return importlib.import_module(name)


def workload(name, quick):
    """``(estimator name, parameters, fit arguments, epochs)`` of W1, W2 or W3, as their
    benchmark scripts define them."""
    common = dict(activation="relu", solver="adam", learning_rate_init=1e-3)
    if name == "W1":
        import bench_digits_autoencoder as w1
        X, _ = w1.load_data()
        return ("AutoEncoder", dict(n_components=w1.LAYERS[2], hidden_layer_sizes=w1.LAYERS[1:2],
                                    batch_size=w1.BATCH, alpha=w1.ALPHA, **common),
                (X,), 10 if quick else 60)
    if name == "W2":
        import bench_mnist_autoencoder as w2
        X = mnist_like(10_000 if quick else 60_000, seed=0)
        return ("AutoEncoder", dict(n_components=w2.LAYERS[2], hidden_layer_sizes=w2.LAYERS[1:2],
                                    batch_size=w2.BATCH, alpha=w2.ALPHA, **common),
                (X,), 2 if quick else 3)
    import bench_regression as w3
    X, y = w3.make_data(20_000 if quick else 100_000)
    return ("MLPLikelihoodRegressor", dict(hidden_layer_sizes=w3.HIDDEN, batch_size=w3.BATCH,
                                           alpha=w3.ALPHA, noise="gaussian", **common),
            (X, y), 2 if quick else 3)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["W1", "W2", "W3"])
    parser.add_argument("--base", default="HEAD", help="git revision (default: HEAD)")
    parser.add_argument("--head", default=None,
                        help="git revision (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="smaller data, 2 rounds")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    with tempfile.TemporaryDirectory() as folder:
        modules = {f"base {args.base}": import_revision(args.base, folder),
                   f"head {args.head or 'work tree'}": import_revision(args.head, folder)}
        estimator, params, fit_args, epochs = workload(args.workload, args.quick)
        params.update(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1)

        def trial_of(module):
            def trial(seed, on_epoch=None):
                est = getattr(module, estimator)(random_state=seed, **params)
                fit_s, epoch_s = fit_timed(est, *fit_args, on_epoch=on_epoch)
                return dict(fit_s=fit_s, epoch_s=epoch_s, n_iter=est.n_iter_,
                            test_mse=np.nan)
            return trial

        trials = {name: trial_of(module) for name, module in modules.items()}
        base, head = trials
        results, _ = run_rounds(trials, 2 if args.quick else args.rounds, reference=base)
    print_ratios({f"{base} / {head}": paired_ratio(results, base, head)})


if __name__ == "__main__":
    main()
