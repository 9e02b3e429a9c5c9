"""The finite-difference check of an objective's gradient that the gradient tests share."""

import numpy as np


def assert_gradient_matches(objective, data, eps=1e-6):
    """Assert that the gradient ``objective.loss_and_grad(data)`` leaves in the network's
    ``grad`` matches central finite differences of the loss, parameter by parameter."""
    net = objective.network
    objective.loss_and_grad(data)
    analytic = net.grad.copy()
    numeric = np.empty_like(analytic)
    for k in range(net.theta.size):
        saved = net.theta[k]
        net.theta[k] = saved + eps
        up = objective.loss_and_grad(data)
        net.theta[k] = saved - eps
        down = objective.loss_and_grad(data)
        net.theta[k] = saved
        numeric[k] = (up - down) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)
