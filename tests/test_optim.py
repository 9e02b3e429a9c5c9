"""Step-by-step comparison of skae's optimizers with scikit-learn's.

skae's ``Adam`` and ``SGD`` update one flat parameter vector in place; scikit-learn's
``AdamOptimizer`` and ``SGDOptimizer`` (private, in ``_stochastic_optimizers``) update
a list of per-layer arrays. Both are fed the same gradients, split into layers for
scikit-learn, and the parameters must agree after every step to 1e-12 in float64:
the two compute the same update in a different order of floating-point operations,
which costs a few ulps per step, far below that tolerance, while any change of a
hyperparameter's meaning shows up well above it.
"""

import math

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from skae._optim import SGD, Adam

LAYER_SHAPES = [(3, 4), (4,), (4, 2), (2,)]
LAYER_SIZES = [math.prod(shape) for shape in LAYER_SHAPES]
N_PARAMS = sum(LAYER_SIZES)
N_STEPS = 40

# the message the training loop passes to ``trigger_stopping``
MESSAGE = ("Training loss did not improve more than tol=0.000100 for 10 consecutive "
           "epochs.")


def _split(flat):
    """Per-layer copies of a flat vector: the layout scikit-learn's optimizers take."""
    bounds = np.cumsum([0] + LAYER_SIZES)
    return [flat[start:stop].reshape(shape).copy()
            for start, stop, shape in zip(bounds[:-1], bounds[1:], LAYER_SHAPES)]


def _concatenate(arrays):
    return np.concatenate([a.ravel() for a in arrays])


def _gradients(rng, n_steps=N_STEPS, dtype=np.float64):
    # per-parameter scales from 1e-8 to 10: Adam's epsilon dominates the update of the
    # smallest and is negligible for the largest, so a wrong epsilon cannot hide
    scales = np.logspace(-8, 1, N_PARAMS)
    # a common drift on top of the noise lets momentum build up a velocity
    grads = (rng.standard_normal((n_steps, N_PARAMS)) + 0.5) * scales
    return grads.astype(dtype)


def _assert_same_params(theta, params, step):
    np.testing.assert_allclose(theta, _concatenate(params), rtol=1e-12, atol=1e-12,
                               err_msg=f"parameters differ after step {step}")


def _sgd_pair(momentum, nesterov, learning_rate="constant", learning_rate_init=0.1,
              power_t=0.5, seed=0):
    """skae's and scikit-learn's SGD on the same random initial parameters."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(N_PARAMS)
    params = _split(theta)
    ours = SGD(N_PARAMS, np.float64, learning_rate_init, learning_rate, momentum,
               nesterov, power_t)
    theirs = SGDOptimizer(params, learning_rate_init, learning_rate, momentum, nesterov,
                          power_t)
    return rng, theta, params, ours, theirs


ADAM_SETTINGS = [
    # learning_rate_init, beta_1, beta_2, epsilon
    (0.001, 0.9, 0.999, 1e-8),  # scikit-learn's defaults
    (0.1, 0.9, 0.999, 1e-8),  # large steps
    (0.01, 0.0, 0.5, 1e-8),  # no first-moment averaging, short second-moment memory
    (0.003, 0.5, 0.9999, 1e-4),  # long second-moment memory, epsilon of middle scales
    (0.05, 0.99, 0.9, 0.1),  # epsilon larger than most gradients
]


@pytest.mark.parametrize("learning_rate_init, beta_1, beta_2, epsilon", ADAM_SETTINGS)
def test_adam_steps_match_sklearn(learning_rate_init, beta_1, beta_2, epsilon):
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(N_PARAMS)
    params = _split(theta)
    ours = Adam(N_PARAMS, np.float64, learning_rate_init, beta_1, beta_2, epsilon)
    theirs = AdamOptimizer(params, learning_rate_init, beta_1, beta_2, epsilon)
    for step, grad in enumerate(_gradients(rng), start=1):
        ours.step(theta, grad)
        theirs.update_params(params, _split(grad))
        _assert_same_params(theta, params, step)
    assert ours.t == theirs.t == N_STEPS


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_constant_steps_match_sklearn(momentum, nesterov):
    rng, theta, params, ours, theirs = _sgd_pair(momentum, nesterov)
    for step, grad in enumerate(_gradients(rng), start=1):
        ours.step(theta, grad)
        theirs.update_params(params, _split(grad))
        _assert_same_params(theta, params, step)
    # the velocity is the same quantity in both: momentum * v - lr * g
    np.testing.assert_allclose(ours.velocity, _concatenate(theirs.velocities),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
@pytest.mark.parametrize("power_t", [0.5, 0.25])
def test_sgd_invscaling_steps_match_sklearn(momentum, nesterov, power_t):
    rng, theta, params, ours, theirs = _sgd_pair(momentum, nesterov, "invscaling",
                                                 learning_rate_init=0.5,
                                                 power_t=power_t)
    # as in training: 37 samples in batches of 10, so 4 steps per epoch, and
    # iteration_ends receives the number of samples seen after each epoch
    n_samples, steps_per_epoch, time_step = 37, 4, 0
    for step, grad in enumerate(_gradients(rng), start=1):
        ours.step(theta, grad)
        theirs.update_params(params, _split(grad))
        _assert_same_params(theta, params, step)
        if step % steps_per_epoch == 0:
            time_step += n_samples
            ours.iteration_ends(time_step)
            theirs.iteration_ends(time_step)
            assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-12)
    # the schedule did act: the rate fell from 0.5 to 0.5 / 371 ** power_t
    assert ours.learning_rate == pytest.approx(0.5 / 371**power_t, rel=1e-12)


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_adaptive_matches_sklearn(momentum, nesterov, capsys):
    rng, theta, params, ours, theirs = _sgd_pair(momentum, nesterov, "adaptive")
    grads = iter(_gradients(rng, n_steps=100))
    n_reductions, step, time_step = 0, 0, 0
    while True:
        # an epoch of three steps, then the end-of-epoch calls of the training loop,
        # as if the loss had stalled for n_iter_no_change epochs every time
        for grad in (next(grads) for _ in range(3)):
            step += 1
            ours.step(theta, grad)
            theirs.update_params(params, _split(grad))
            _assert_same_params(theta, params, step)
        time_step += 30
        ours.iteration_ends(time_step)
        theirs.iteration_ends(time_step)

        ours_stops = ours.trigger_stopping(MESSAGE, True)
        ours_printed = capsys.readouterr().out
        theirs_stops = theirs.trigger_stopping(MESSAGE, True)
        theirs_printed = capsys.readouterr().out
        assert ours_stops == theirs_stops
        assert ours_printed == theirs_printed
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-12)
        if theirs_stops:
            break
        n_reductions += 1

    # 0.1 / 5 ** 8 = 2.56e-7 is the first rate at or below 1e-6, so eight reductions
    # and the ninth call stops
    assert n_reductions == 8
    assert theirs.learning_rate == pytest.approx(0.1 / 5**8, rel=1e-12)
    # a further fit (warm_start, partial_fit) goes on with that last rate, and asking
    # again still says stop without reducing it further
    for grad in (next(grads) for _ in range(5)):
        step += 1
        ours.step(theta, grad)
        theirs.update_params(params, _split(grad))
        _assert_same_params(theta, params, step)
    assert ours.trigger_stopping(MESSAGE, False)
    assert theirs.trigger_stopping(MESSAGE, False)
    assert ours.learning_rate == theirs.learning_rate
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("learning_rate_init, n_reductions", [
    (1e-6, 0),  # exactly at the threshold: it stops ("<=", not "<")
    (0.99e-6, 0),
    (1.01e-6, 1),
    (5e-6, 2),  # 5e-6 / 5 rounds to just above 1e-6
])
def test_sgd_adaptive_threshold_matches_sklearn(learning_rate_init, n_reductions, capsys):
    _, _, _, ours, theirs = _sgd_pair(0.9, True, "adaptive", learning_rate_init)
    flags = []
    for _ in range(n_reductions + 2):
        ours_stops = ours.trigger_stopping(MESSAGE, True)
        ours_printed = capsys.readouterr().out
        theirs_stops = theirs.trigger_stopping(MESSAGE, True)
        assert ours_printed == capsys.readouterr().out
        assert ours_stops is theirs_stops
        assert ours.learning_rate == theirs.learning_rate
        flags.append(theirs_stops)
    assert flags == [False] * n_reductions + [True, True]


def _make_stoppers(solver, learning_rate):
    theta = np.zeros(N_PARAMS)
    if solver == "adam":
        return Adam(N_PARAMS, np.float64), AdamOptimizer(_split(theta))
    return (SGD(N_PARAMS, np.float64, 0.1, learning_rate),
            SGDOptimizer(_split(theta), 0.1, learning_rate))


@pytest.mark.parametrize("solver, learning_rate", [
    ("adam", None), ("sgd", "constant"), ("sgd", "invscaling"), ("sgd", "adaptive"),
])
@pytest.mark.parametrize("verbose", [False, True])
def test_trigger_stopping_matches_sklearn(solver, learning_rate, verbose, capsys):
    # the returned flag and what is printed, on a first call: only adaptive SGD goes on
    # (after dividing its rate by 5), the other schedules and Adam stop at once
    ours, theirs = _make_stoppers(solver, learning_rate)
    ours_stops = ours.trigger_stopping(MESSAGE, verbose)
    ours_printed = capsys.readouterr().out
    theirs_stops = theirs.trigger_stopping(MESSAGE, verbose)
    theirs_printed = capsys.readouterr().out
    assert ours_stops is theirs_stops is (learning_rate != "adaptive")
    assert ours_printed == theirs_printed
    assert bool(ours_printed) is verbose
    if solver == "sgd":
        assert ours.learning_rate == theirs.learning_rate


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_float32_stays_float32_and_close_to_sklearn_float64(solver):
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(N_PARAMS).astype(np.float32)
    # scikit-learn runs in float64 on exactly the same values: the float32 parameters
    # and gradients, cast, so the difference is skae's float32 rounding alone
    params = _split(theta.astype(np.float64))
    if solver == "adam":
        ours = Adam(N_PARAMS, np.float32, learning_rate_init=0.01)
        theirs = AdamOptimizer(params, learning_rate_init=0.01)
        states = [ours.m, ours.v]
    else:
        ours = SGD(N_PARAMS, np.float32, 0.05, "constant", momentum=0.9, nesterov=True)
        theirs = SGDOptimizer(params, 0.05, "constant", momentum=0.9, nesterov=True)
        states = [ours.velocity]
    for step, grad in enumerate(_gradients(rng, n_steps=20, dtype=np.float32), start=1):
        ours.step(theta, grad)
        theirs.update_params(params, _split(grad.astype(np.float64)))
        assert theta.dtype == np.float32
        assert all(state.dtype == np.float32 for state in states)
        # float32 rounding (ulp 1.2e-7) of parameters that grow to ~16 under SGD's
        # momentum, accumulated over the steps: the runs use 1-2% of this tolerance
        np.testing.assert_allclose(theta, _concatenate(params), rtol=1e-5, atol=1e-5,
                                   err_msg=f"parameters differ after step {step}")
