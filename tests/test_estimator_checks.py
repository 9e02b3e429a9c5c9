"""scikit-learn's own estimator checks, for several noise models."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import (AutoEncoder, AutoEncoderImputer, MLPLikelihoodRegressor,
                  VariationalAutoEncoder)
from skae.noise import Gaussian, Laplace, StudentT

# Small networks and few epochs keep the ~50 checks per estimator fast; the checks
# test the API contract, not model quality (except check_regressors_train's R^2 > 0.5).
_FAST = dict(hidden_layer_sizes=(16,), max_iter=50, random_state=0)
_FAST_REG = dict(hidden_layer_sizes=(32,), max_iter=200, random_state=0)

ESTIMATORS = [
    AutoEncoder(noise="gaussian", **_FAST),
    AutoEncoder(noise=Gaussian(scale="learned"), **_FAST),
    AutoEncoder(noise="laplace", **_FAST),
    AutoEncoder(noise="poisson", **_FAST),
    AutoEncoder(noise="gaussian", solver="lbfgs", **_FAST),
    MLPLikelihoodRegressor(noise="gaussian", **_FAST_REG),
    # early_stopping="auto" holds out a random tenth of the rows for a learned scale,
    # which sample weights cannot reproduce; these two check weights without it
    MLPLikelihoodRegressor(noise=Gaussian(scale="learned"), early_stopping=False,
                           **_FAST_REG),
    MLPLikelihoodRegressor(noise=Laplace(scale="learned"), early_stopping=False,
                           **_FAST_REG),
    MLPLikelihoodRegressor(noise=StudentT(), **_FAST_REG),
    MLPLikelihoodRegressor(noise="poisson", **_FAST_REG),
    MLPLikelihoodRegressor(noise="gaussian", solver="lbfgs", **_FAST_REG),
    AutoEncoderImputer(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
    VariationalAutoEncoder(n_importance_samples=50, **_FAST),
    VariationalAutoEncoder(noise=Gaussian(scale="learned"), n_importance_samples=50, **_FAST),
]


def _expected_failures(estimator):
    if isinstance(estimator, VariationalAutoEncoder):
        reason = ("the reparameterisation noise is drawn per row: a row repeated twice "
                  "gets two draws where a weight of 2 gets one, equal in expectation only")
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    if isinstance(estimator, MLPLikelihoodRegressor) and estimator.noise == "poisson":
        return {
            "check_regressor_multioutput": (
                "the check draws negative multi-output targets without honouring the "
                "positive_only target tag; Poisson rightly rejects them"
            )
        }
    if isinstance(estimator, MLPLikelihoodRegressor) and isinstance(estimator.noise, StudentT):
        # test_regressor.py::test_sample_weight_equals_repetition checks it at 1e-5
        reason = (
            "early_stopping='auto' holds out a random tenth of the rows (not of the "
            "weight); without it, weighted and repeated sums round differently (1e-16) "
            "and 200 Adam steps on the check's three-valued targets amplify that to "
            "~1e-7, above its rtol=1e-7"
        )
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_sample_weight_equivalence_on_sparse_data": reason}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
