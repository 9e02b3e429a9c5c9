"""Size of a saved model against the size of its parameters, and the round trip.

The W1 network (digits autoencoder 64-128-8-128-64, float32, Adam, 20 epochs) saved by
pickle, joblib and skops, as committed at ``--base`` (default a066cc4, before saves
dropped their scratch) and in the working tree, with the optimizer's state kept and
discarded (``discard_optimizer_state()``). Every loaded model is checked to give
bit-identical codes, and (optimizer kept) to resume ``partial_fit`` exactly.

Run ``python benchmarks/bench_saves.py``.
"""

import argparse
import io
import pickle
import tempfile
import warnings

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from compare_revisions import import_revision


def _sizes(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    sizes = {"pickle": len(pickle.dumps(est)), "joblib": len(buffer.getvalue())}
    try:
        import skops.io as sio
        sizes["skops"] = len(sio.dumps(est))
    except ImportError:
        sizes["skops"] = None
    return sizes


def _check_round_trip(skae, est, X):
    from skae.utils import SKOPS_TRUSTED_TYPES
    import skops.io as sio

    loaders = {"pickle": lambda e: pickle.loads(pickle.dumps(e)),
               "skops": lambda e: sio.loads(sio.dumps(e), trusted=SKOPS_TRUSTED_TYPES)}
    for name, load in loaders.items():
        loaded = load(est)
        assert np.array_equal(loaded.transform(X), est.transform(X)), name
        assert loaded.transform(X).dtype == np.float32, name
        if est._optimizer is not None:
            twin = load(est)
            twin.partial_fit(X)
            loaded.partial_fit(X)
            assert np.array_equal(loaded._network.theta, twin._network.theta), name
    return "identical outputs, float32 kept" + (", partial_fit resumes exactly"
                                                if est._optimizer is not None else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="a066cc4")
    args = parser.parse_args()
    X = (load_digits().data / 16).astype(np.float32)
    print(f"{'revision':<15}{'optimizer':<11}{'parameters':>11}{'pickle':>16}{'joblib':>16}"
          f"{'skops':>16}   (bytes, and size / parameters)")
    with tempfile.TemporaryDirectory() as folder:
        for label, rev in [(args.base, args.base), ("working tree", None)]:
            skae = import_revision(rev, folder)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                ae = skae.AutoEncoder(n_components=8, hidden_layer_sizes=(128,), batch_size=128,
                                      max_iter=20, random_state=0).fit(X)
            params = ae._network.theta.nbytes
            states = [("kept", ae)]
            if hasattr(ae, "discard_optimizer_state"):
                states.append(("discarded", pickle.loads(pickle.dumps(ae)).discard_optimizer_state()))
            for state, model in states:
                sizes = _sizes(model)
                cells = "".join(f"{s:>10} {s / params:4.1f}x" if s else f"{'-':>16}"
                                for s in sizes.values())
                print(f"{label:<15}{state:<11}{params:>11}{cells}")
                if rev is None:
                    print(f"{'':<26}round trip: {_check_round_trip(skae, model, X)}")


if __name__ == "__main__":
    main()
