"""W4: memory added by fitting the MNIST-sized autoencoder, and the time to encode.

Each tool runs in a fresh subprocess, so that peaks never mix. The child generates the
W2 data (60,000 x 784 float32, :func:`_common.mnist_like`), then resets the peak
resident set size (``echo 5 > /proc/self/clear_refs`` sets ``VmHWM`` back to
``VmRSS`` on Linux), reads ``VmRSS``, fits, and reads ``VmHWM``: the difference is the
memory the fit added at its peak over the data it was given. Network
784-256-32-256-784, relu, Adam, batch 256, one epoch by default (buffers are all in
place after the first batches).

Encoding time, on the 60,000 training rows (median of 3): skae's ``transform`` (the
32-unit code) against the same two layers of the fitted MLPRegressor computed by hand
in NumPy (``relu(X W_1 + b_1) W_2 + b_2``; MLPRegressor has no public way to stop at a
hidden layer), and, for scale, MLPRegressor's full ``predict`` against skae's full
reconstruction ``inverse_transform(transform(X))``. The peak memory each adds is
measured the same way as the fit's.

Target: skae's added memory at most MLPRegressor's, and no float64 copy of the float32
data (which alone would add 2 x 188 MB).

Run ``python benchmarks/bench_memory.py`` (``--quick``: 10,000 rows, no JSON written).
"""

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from _common import add_common_arguments, limit_threads, machine_info, print_table, save

LAYERS = (784, 256, 32, 256, 784)
BATCH, ALPHA, SEED = 256, 1e-4, 0


def _status_mb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak():
    """Set VmHWM back to VmRSS; return the current RSS in MB."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    rss, peak = _status_mb("VmRSS"), _status_mb("VmHWM")
    if peak > rss + 1:
        raise RuntimeError("/proc/self/clear_refs did not reset VmHWM on this kernel")
    return rss


def _measure(function):
    """Run ``function()``; return its value and the peak MB it added."""
    before = _reset_peak()
    value = function()
    return value, _status_mb("VmHWM") - before


def _median_seconds(function, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def child(tool, n_samples, epochs):
    """Fit one tool on fresh data; print one JSON line of measurements."""
    from _common import mnist_like

    X = mnist_like(n_samples, seed=SEED)
    common = dict(activation="relu", solver="adam", learning_rate_init=1e-3, alpha=ALPHA,
                  batch_size=BATCH, max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1,
                  random_state=SEED)
    result = {"tool": tool, "data_mb": X.nbytes / 2**20}
    if tool == "skae":
        import skae

        model = skae.AutoEncoder(n_components=LAYERS[2], hidden_layer_sizes=(LAYERS[1],),
                                 **common)
        _, result["fit_added_mb"] = _measure(lambda: model.fit(X))
        result["dtype"] = str(model.coefs_[0].dtype)
        encode = lambda: model.transform(X)  # noqa: E731
        full = lambda: model.inverse_transform(model.transform(X))  # noqa: E731
    elif tool == "MLPRegressor":
        from sklearn.neural_network import MLPRegressor

        model = MLPRegressor(hidden_layer_sizes=LAYERS[1:-1], **common)
        _, result["fit_added_mb"] = _measure(lambda: model.fit(X, X))
        result["dtype"] = str(model.coefs_[0].dtype)
        (W1, W2), (b1, b2) = model.coefs_[:2], model.intercepts_[:2]
        encode = lambda: np.maximum(X @ W1 + b1, 0) @ W2 + b2  # noqa: E731
        full = lambda: model.predict(X)  # noqa: E731
    else:
        from _common import torch, torch_fit, torch_predict

        box = {}
        _, result["fit_added_mb"] = _measure(lambda: box.setdefault("fit", torch_fit(
            LAYERS, ("relu", "identity", "relu", "identity"), X, None, epochs, BATCH, ALPHA,
            SEED)))
        model = box["fit"][0]
        result["dtype"] = str(model[0].weight.dtype)
        encoder = model[:3]  # linear, relu, linear

        def encode():
            with torch.no_grad():
                return encoder(torch.from_numpy(X)).numpy()

        full = lambda: torch_predict(model, X)  # noqa: E731
    codes, result["encode_added_mb"] = _measure(encode)
    assert codes.shape == (n_samples, LAYERS[2]) and codes.dtype == np.float32
    result["encode_s"] = _median_seconds(encode)
    reconstruction, result["full_forward_added_mb"] = _measure(full)
    assert reconstruction.dtype == np.float32
    result["full_forward_s"] = _median_seconds(full)
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--n-samples", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n_samples = args.n_samples or (10_000 if args.quick else 60_000)
    limit_threads(args.threads)
    if args.child:
        child(args.child, n_samples, args.epochs)
        return

    machine = machine_info(args.threads)
    from _common import torch

    tools = ["skae", "MLPRegressor"] + ([] if torch is None else ["PyTorch"])
    print(f"memory added by fitting {'-'.join(map(str, LAYERS))} on {n_samples} x 784 "
          f"float32 ({n_samples * 784 * 4 / 2**20:.0f} MB), {args.epochs} epoch(s); "
          "one subprocess per tool")
    results = {}
    for tool in tools:
        command = [sys.executable, sys.argv[0], "--child", tool, "--n-samples", str(n_samples),
                   "--epochs", str(args.epochs)]
        if args.threads is not None:
            command += ["--threads", str(args.threads)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        results[tool] = json.loads(output.strip().splitlines()[-1])
        print(f"  {tool:<14} fit added {results[tool]['fit_added_mb']:7.1f} MB", flush=True)

    print()
    print_table(
        ("tool", "fit added MB", "dtype", "encode ms", "encode added MB", "full forward ms",
         "full forward added MB"),
        [(tool, f"{r['fit_added_mb']:.1f}", r["dtype"], f"{1e3 * r['encode_s']:.1f}",
          f"{r['encode_added_mb']:.1f}", f"{1e3 * r['full_forward_s']:.1f}",
          f"{r['full_forward_added_mb']:.1f}") for tool, r in results.items()],
    )
    print("(encode: skae transform; MLPRegressor's first two layers by hand in NumPy; "
          "PyTorch's first two layers. full forward: skae inverse_transform(transform), "
          "MLPRegressor predict, PyTorch model(X).)")

    s, sk = results["skae"], results["MLPRegressor"]
    from _common import report_targets

    verdicts = report_targets({
        "skae fit added MB <= MLPRegressor's": (s["fit_added_mb"], sk["fit_added_mb"], True),
        "skae fit added MB < float64 copy": (s["fit_added_mb"], 2 * s["data_mb"], True),
        "skae encode / MLPRegressor encode": (s["encode_s"] / sk["encode_s"], 1.0, True),
    })
    if not args.quick:
        save("bench_memory", {
            "machine": machine,
            "config": dict(layers=list(LAYERS), batch_size=BATCH, epochs=args.epochs,
                           n_samples=n_samples, threads=args.threads, dtype="float32"),
            "results": results, "targets": verdicts,
        })


if __name__ == "__main__":
    main()
