"""The NoiseModel contract, checked by ``skae.utils.check_noise_model`` on every built-in
model and option, and the check's own failures on deliberately broken models."""

import doctest

import numpy as np
import pytest
from _registry import N_TARGETS, NOISE_MODELS, noise_id

from skae.noise import Gaussian, LogNormal
from skae.noise._check import NOISE_MODEL_CHECKS, check_noise_model
from skae.utils import check_noise_model as public_check_noise_model


@pytest.mark.parametrize("check", NOISE_MODEL_CHECKS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("model", NOISE_MODELS, ids=noise_id)
def test_noise_model_contract(model, check):
    check(model, np.random.RandomState(0), n_targets=N_TARGETS)


def test_check_noise_model_is_public():
    assert public_check_noise_model is check_noise_model


def test_check_noise_model_docstring_example_runs():
    runner = doctest.DocTestRunner()
    for test in doctest.DocTestFinder().find(check_noise_model):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0 and attempted > 0


# Deliberately broken models: each must fail the check that names its defect, and
# every check before it must pass.
class WrongGradient(Gaussian):
    """The gradient is 1.1 times the true one, on every path."""

    def nll_and_grad(self, y, raw, out=None, mask=None, include_constants=True):
        nll, grad = super().nll_and_grad(y, raw, out=out, mask=mask,
                                         include_constants=include_constants)
        grad *= 1.1
        return nll, grad


class OffByConstant(Gaussian):
    """Every NLL term is 0.1 too large: a wrong constant, invisible to training."""

    def _constant_terms(self, y):
        return super()._constant_terms(y) + 0.1


class RaisingMean(Gaussian):
    """The mean raises on valid raw outputs."""

    def mean(self, raw):
        raise RuntimeError("no mean today")


class LogOfZero(LogNormal):
    """Takes the log of the targets before the base class checks the support."""

    def nll_terms(self, y, raw):
        np.log(y)
        return super().nll_terms(y, raw)


@pytest.mark.parametrize("model, match", [
    (WrongGradient(), r"^check_gradient_finite_differences failed for WrongGradient\(\): "
                      r"analytic gradient differs from finite differences at raw\[\d+, \d+\]"),
    (OffByConstant(), r"^check_nll_matches_scipy failed for OffByConstant\(\): nll "
                      r"differs from minus the scipy.stats log-density of dist\(raw\) at "
                      r"nll\[\d+\]"),
    (RaisingMean(), r"^check_shapes failed for RaisingMean\(\): raised RuntimeError: "
                    r"no mean today"),
    (LogOfZero(), r"^check_nll_outside_support failed for LogOfZero\(\): the target 0.0 "
                  r"raised RuntimeWarning: divide by zero"),
])
def test_check_noise_model_names_the_failing_check(model, match):
    with pytest.raises(AssertionError, match=match):
        check_noise_model(model)


def test_wrong_gradient_message_gives_both_values():
    with pytest.raises(AssertionError) as info:
        check_noise_model(WrongGradient())
    analytic, numeric = map(float, str(info.value).split(": ")[-1].split(" (")[0]
                            .split(" vs "))
    np.testing.assert_allclose(analytic, 1.1 * numeric, rtol=1e-4)  # 6 digits shown


def test_check_noise_model_validates_its_arguments():
    with pytest.raises(ValueError, match="n_samples >= 4"):
        check_noise_model(Gaussian(), n_samples=2)
