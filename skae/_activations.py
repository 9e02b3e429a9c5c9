"""Activation functions: forward and backward written side by side, both in place.

Every forward overwrites ``z`` and may use ``zeros``, a read-only array of zeros of
``z``'s shape that the network keeps with its training buffers (None outside training).
Every backward is expressed through the activation's *output* ``a`` rather than its
input ``z``, so the network keeps one buffer per layer and never stores ``z``; it
overwrites ``delta`` and forms its factor in ``scratch`` (an array of delta's shape)
rather than in temporaries:

======================  =====================  ==========================
name                    a = sigma(z)           sigma'(z) in terms of a
======================  =====================  ==========================
``identity``            z                      1
``logistic``            1 / (1 + exp(-z))      a (1 - a)
``tanh``                tanh(z)                1 - a^2
``relu``                max(z, 0)              1 if a > 0 else 0
``leaky_relu``          max(z, 0.01 z)         1 if a > 0 else 0.01
``softplus``            log(1 + exp(z))        1 - exp(-a)
======================  =====================  ==========================

:func:`activation_slopes` gives ``sigma'`` and its derivative with respect to ``a``, as
new arrays, for the penalties on the network's Jacobian.
"""

import numpy as np
from scipy.special import expit

_LEAKY_SLOPE = 0.01


def _identity(z, zeros=None):
    return z


def _identity_backward(a, delta, scratch):
    return delta


def _identity_slopes(a):
    return np.ones_like(a), np.zeros_like(a)


def _logistic(z, zeros=None):
    return expit(z, out=z)


def _logistic_backward(a, delta, scratch):
    np.subtract(1, a, out=scratch)
    scratch *= a
    delta *= scratch
    return delta


def _logistic_slopes(a):
    return a * (1 - a), 1 - 2 * a


def _tanh(z, zeros=None):
    return np.tanh(z, out=z)


def _tanh_backward(a, delta, scratch):
    np.multiply(a, a, out=scratch)
    np.subtract(1, scratch, out=scratch)
    delta *= scratch
    return delta


def _tanh_slopes(a):
    return 1 - a * a, -2 * a


def _relu(z, zeros=None):
    # against an array of zeros, not the scalar 0, where the network has one: NumPy's
    # maximum is about twice as fast when both operands are full arrays of one dtype
    return np.maximum(z, 0 if zeros is None else zeros, out=z)


def _relu_backward(a, delta, scratch):
    # multiplying by the boolean mask beat every way of forming a 0/1 float mask in
    # ``scratch``, and is several times faster than assigning through the mask
    return np.multiply(delta, a > 0, out=delta)


def _relu_slopes(a):
    return (a > 0).astype(a.dtype), np.zeros_like(a)


def _leaky_relu(z, zeros=None):
    return np.maximum(z, _LEAKY_SLOPE * z, out=z)


def _leaky_relu_backward(a, delta, scratch):
    # factor = slope + (1 - slope) [a > 0]; putmask/copyto through the mask are slower
    np.multiply(a > 0, scratch.dtype.type(1 - _LEAKY_SLOPE), out=scratch)
    scratch += _LEAKY_SLOPE
    delta *= scratch
    return delta


def _leaky_relu_slopes(a):
    return np.where(a > 0, a.dtype.type(1), a.dtype.type(_LEAKY_SLOPE)), np.zeros_like(a)


def _softplus(z, zeros=None):
    return np.logaddexp(0, z, out=z)


def _softplus_backward(a, delta, scratch):
    # d/dz log(1 + e^z) = sigmoid(z) = 1 - exp(-a) = -expm1(-a)
    np.negative(a, out=scratch)
    np.expm1(scratch, out=scratch)
    np.negative(scratch, out=scratch)
    delta *= scratch
    return delta


def _softplus_slopes(a):
    return -np.expm1(-a), np.exp(-a)


# name -> (forward, backward): forward(z, zeros) overwrites z with a; backward(a, delta, scratch)
# overwrites delta (and scratch).
ACTIVATIONS = {
    "identity": (_identity, _identity_backward),
    "logistic": (_logistic, _logistic_backward),
    "tanh": (_tanh, _tanh_backward),
    "relu": (_relu, _relu_backward),
    "leaky_relu": (_leaky_relu, _leaky_relu_backward),
    "softplus": (_softplus, _softplus_backward),
}

# name -> slopes(a) = (sigma'(z), d sigma'(z) / d a), both through the output a and in
# new arrays: what a penalty on the network's Jacobian (the contractive penalty) needs
# beside the backward pass. Piecewise-linear activations have a constant slope between
# kinks, so its derivative is zero.
_SLOPES = {
    "identity": _identity_slopes,
    "logistic": _logistic_slopes,
    "tanh": _tanh_slopes,
    "relu": _relu_slopes,
    "leaky_relu": _leaky_relu_slopes,
    "softplus": _softplus_slopes,
}


def activation_slopes(activation, a):
    """``(sigma'(z), d sigma'(z) / d a)`` of the named activation, from its output ``a``.

    Raises
    ------
    KeyError
        For a name that is not an activation.
    """
    try:
        slopes_of = _SLOPES[activation]
    except KeyError:
        raise KeyError(f"Unknown activation {activation!r}; expected one of "
                       f"{sorted(_SLOPES)}.") from None
    return slopes_of(a)
