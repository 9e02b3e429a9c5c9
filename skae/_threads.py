"""How many BLAS threads a fit or an inference pass uses.

OpenBLAS's threads spin while they wait for work. On small matrix products a second
thread gains little even on a quiet machine, and on a loaded one the spinning threads
compete with other processes for the cores: training slows down several-fold. skae
therefore runs a network whose training batches make small matrix products on one BLAS
thread, in training and inference alike, and leaves the library's own setting for a
network whose products are large. ``benchmarks/bench_threads.py`` measures the
crossover. The limit holds inside the pass only: the process-wide setting
is restored when the pass ends, normally or by an exception.
"""

import contextlib

from threadpoolctl import ThreadpoolController

# Multiply-adds of the largest matrix product of a batch (rows x fan_in x fan_out)
# below which one BLAS thread is used; see benchmarks/README.md.
SINGLE_THREAD_BELOW = 6_000_000

_controller = None


def _get_controller():
    # Inspecting the loaded libraries costs milliseconds: do it once per process.
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def largest_product(layer_sizes, n_rows):
    """Multiply-adds of the largest ``(n_rows, fan_in) @ (fan_in, fan_out)`` product."""
    return n_rows * max(fan_in * fan_out for fan_in, fan_out
                        in zip(layer_sizes[:-1], layer_sizes[1:]))


def blas_threads(n_threads, work):
    """A context limiting BLAS to ``n_threads`` threads, or to the automatic choice for
    products of ``work`` multiply-adds when ``n_threads`` is None."""
    if n_threads is None:
        if work >= SINGLE_THREAD_BELOW:
            return contextlib.nullcontext()
        n_threads = 1
    return _get_controller().limit(limits=n_threads, user_api="blas")
