"""skae: scikit-learn estimators trained by maximum likelihood on a NumPy backpropagation core."""

from . import noise
from .autoencoder import AutoEncoder
from .imputer import AutoEncoderImputer
from .regressor import MLPLikelihoodRegressor, crps_scorer, log_likelihood_scorer
from .variational import VariationalAutoEncoder

__all__ = ["AutoEncoder", "AutoEncoderImputer", "MLPLikelihoodRegressor",
           "VariationalAutoEncoder", "crps_scorer", "log_likelihood_scorer", "noise"]
__version__ = "0.1.0"
