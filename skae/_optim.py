"""Optimizers acting in place on one flat parameter vector.

Each stochastic optimizer keeps its state in flat arrays of the parameters' size and
updates ``theta`` with a handful of in-place vector operations per step: no
per-layer Python loop, no allocation after the first step.
"""

import math

import numpy as np
from scipy import optimize


class _ScratchFree:
    """Saves an optimizer without its scratch vector, which is rebuilt on loading."""

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_scratch"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._scratch = np.empty_like(self._state_vector())


class SGD(_ScratchFree):
    """Stochastic gradient descent with momentum (optionally Nesterov's).

    ``v <- momentum * v - lr * g``; ``theta <- theta + v`` (plain) or
    ``theta <- theta + momentum * v - lr * g`` (Nesterov). Learning-rate schedules as in
    scikit-learn: ``"constant"``, ``"invscaling"`` (``lr_init / (t + 1) ** power_t``,
    ``t`` the number of samples seen) and ``"adaptive"`` (divided by 5 each time
    training stops improving, until it falls below 1e-6).
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.001, learning_rate="constant",
                 momentum=0.9, nesterov=True, power_t=0.5):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.schedule = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)
        self._scratch = np.empty(n_params, dtype=dtype)

    def _state_vector(self):
        return self.velocity

    def step(self, theta, grad):
        v, lr = self.velocity, self.learning_rate
        v *= self.momentum
        np.multiply(grad, lr, out=self._scratch)
        v -= self._scratch
        if self.nesterov:
            theta -= self._scratch
            np.multiply(v, self.momentum, out=self._scratch)
            theta += self._scratch
        else:
            theta += v

    def iteration_ends(self, time_step):
        if self.schedule == "invscaling":
            self.learning_rate = self.learning_rate_init / (time_step + 1) ** self.power_t

    def trigger_stopping(self, message, verbose):
        """Whether training should stop after ``n_iter_no_change`` epochs without progress."""
        if self.schedule != "adaptive":
            if verbose:
                print(message + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(message + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(message + f" Setting learning rate to {self.learning_rate:f}")
        return False


class Adam(_ScratchFree):
    """Adam (Kingma & Ba, 2014) on the flat vector.

    ``m <- b1 m + (1 - b1) g``; ``v <- b2 v + (1 - b2) g^2``;
    ``theta <- theta - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.

    The moments are stored without their ``(1 - b)`` factors, ``M = m / (1 - b1)`` and
    ``V = v / (1 - b2)``, which turns each update into ``M <- b1 M + g`` and
    ``V <- b2 V + g^2`` and moves the factors into the scalars of the last step:
    the same update in ten passes over the parameters instead of twelve.
    """

    def __init__(self, n_params, dtype, learning_rate_init=0.001, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8):
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros(n_params, dtype=dtype)  # M = m / (1 - beta_1)
        self.v = np.zeros(n_params, dtype=dtype)  # V = v / (1 - beta_2)
        self._scratch = np.empty(n_params, dtype=dtype)

    def _state_vector(self):
        return self.m

    def step(self, theta, grad):
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        m, v, tmp = self.m, self.v, self._scratch
        m *= b1
        m += grad
        v *= b2
        np.multiply(grad, grad, out=tmp)
        v += tmp
        # lr_t m / (sqrt(v) + eps) with m = (1 - b1) M and sqrt(v) = sqrt(1 - b2) sqrt(V)
        root = math.sqrt(1 - b2)
        step = (self.learning_rate_init * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
                * (1 - b1) / root)
        np.sqrt(v, out=tmp)
        tmp += self.epsilon / root
        np.divide(m, tmp, out=tmp)
        tmp *= step
        theta -= tmp

    def iteration_ends(self, time_step):
        pass

    def trigger_stopping(self, message, verbose):
        if verbose:
            print(message + " Stopping.")
        return True


def minimize_lbfgs(loss_and_grad, theta, max_iter, max_fun, tol, callback=None):
    """Minimise ``loss_and_grad(theta) -> (loss, grad)`` with SciPy's L-BFGS-B.

    SciPy works in float64 on its own copy of the parameters; ``theta`` (of any float
    dtype) receives each iterate, so the data and the network stay in their dtype.
    """
    def fun(x):
        theta[...] = x
        loss, grad = loss_and_grad(theta)
        return loss, grad.astype(np.float64)

    return optimize.minimize(
        fun,
        theta.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        callback=callback,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
