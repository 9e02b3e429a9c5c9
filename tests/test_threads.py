"""BLAS threads: chosen per pass, and never changed outside it."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from skae import AutoEncoder, MLPLikelihoodRegressor
from skae._objective import Objective
from skae._threads import SINGLE_THREAD_BELOW, largest_product

pytestmark = pytest.mark.skipif(
    not any(m["user_api"] == "blas" for m in threadpool_info()),
    reason="no BLAS library that threadpoolctl can control",
)


def _blas_threads():
    return {m["num_threads"] for m in threadpool_info() if m["user_api"] == "blas"}


@pytest.fixture
def two_blas_threads():
    with threadpool_limits(limits=2, user_api="blas"):
        yield


def _record_threads(monkeypatch, seen, fail_after=None):
    original = Objective.loss_and_grad

    def recording(self, batch):
        seen.append(_blas_threads())
        if fail_after is not None and len(seen) > fail_after:
            raise RuntimeError("boom")
        return original(self, batch)

    monkeypatch.setattr(Objective, "loss_and_grad", recording)


@pytest.mark.parametrize("n_threads, hidden, expected", [
    (None, (16,), {1}),  # small products: one thread
    (None, (1024,), {2}),  # large products: the library's setting
    (2, (16,), {2}),
    (1, (1024,), {1}),
])
def test_fit_uses_the_chosen_threads_and_restores_the_setting(
        monkeypatch, two_blas_threads, n_threads, hidden, expected):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 64))
    seen = []
    _record_threads(monkeypatch, seen)
    AutoEncoder(hidden_layer_sizes=hidden, max_iter=1, batch_size=200, n_threads=n_threads,
                random_state=0).fit(X)
    assert set().union(*seen) == expected
    assert _blas_threads() == {2}


def test_setting_is_restored_after_an_exception(monkeypatch, two_blas_threads):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(100, 3)), rng.normal(size=100)
    seen = []
    _record_threads(monkeypatch, seen, fail_after=2)
    with pytest.raises(RuntimeError, match="boom"):
        MLPLikelihoodRegressor(hidden_layer_sizes=(8,), random_state=0).fit(X, y)
    assert seen[0] == {1} and _blas_threads() == {2}


def test_crossover_separates_the_benchmark_networks():
    # W1 (digits autoencoder, batches of 128) runs on one thread; W2 (784-256 layers,
    # batches of 256) and W3 (256-unit regression, batches of 256) on the library's
    assert largest_product([64, 128, 8, 128, 64], 128) < SINGLE_THREAD_BELOW
    assert largest_product([784, 256, 32, 256, 784], 256) >= SINGLE_THREAD_BELOW
    assert largest_product([50, 256, 256, 1], 256) >= SINGLE_THREAD_BELOW
