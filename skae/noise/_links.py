"""Links: the maps from a raw network output to a distribution parameter.

A link is a small object with the map itself (``forward``), its inverse (used to start
the output bias at a parameter value) and its derivative ``d parameter / d raw``
(used by the chain rule when a parameter is not in its canonical form), in the manner
of ``sklearn._loss.link``. Links act elementwise.
"""

import numpy as np
from scipy import special


class IdentityLink:
    """``parameter = raw``."""

    name = "identity"

    def forward(self, raw):
        return raw

    def inverse(self, parameter):
        return parameter

    def derivative(self, raw, parameter):
        return 1.0


class LogisticLink:
    """``parameter = 1 / (1 + exp(-raw))``, a probability or a mean in (0, 1)."""

    name = "logistic"

    def forward(self, raw):
        return special.expit(raw)

    def inverse(self, parameter):
        # clipped so that a marginal of exactly 0 or 1 starts at a finite logit
        return special.logit(np.clip(parameter, 1e-3, 1 - 1e-3))

    def derivative(self, raw, parameter):
        return parameter * (1 - parameter)


class SoftplusLink:
    """``parameter = floor + log(1 + exp(raw))``: a positive parameter such as a scale.

    The floor keeps ``1 / scale`` finite on a perfectly fitted point (scales), or
    bounds a parameter away from a degenerate value (Student-t degrees of freedom
    above 1, so that the mean exists).
    """

    name = "softplus"

    def __init__(self, floor=0.0):
        self.floor = floor

    def forward(self, raw):
        return np.logaddexp(0, raw) + self.floor

    def inverse(self, parameter):
        excess = np.maximum(np.asarray(parameter, dtype=float) - self.floor, 1e-3)
        return excess + np.log(-np.expm1(-excess))

    def derivative(self, raw, parameter):
        return special.expit(raw)


class LogLink:
    """``parameter = exp(raw)``, capped so that the rate stays finite in float32."""

    name = "log"

    def __init__(self, max_raw=80.0):
        self.max_raw = max_raw

    def forward(self, raw):
        return np.exp(np.minimum(raw, self.max_raw))

    def inverse(self, parameter):
        return np.log(np.maximum(parameter, 1e-3))

    def derivative(self, raw, parameter):
        return parameter


class AffineLink:
    """``parameter = shift + unit * base(raw)``: a link into other units.

    A location-scale model for targets ``u(y) = shift + unit * u(y')`` keeps the
    network working in the standardised units of ``y'``; its location link gains the
    shift and the unit, its scale link the unit alone. ``shift`` and ``unit`` hold one
    value per target column.
    """

    name = "affine"

    def __init__(self, base, shift, unit):
        self.base = base
        self.shift = shift
        self.unit = unit

    # shift and unit are cast to the dtype of the array at hand, so that float32 raw
    # outputs give float32 parameters whatever dtype the units were stored in
    def _units(self, like):
        dtype = np.result_type(like, np.float32)
        return (np.asarray(self.shift, dtype=dtype), np.asarray(self.unit, dtype=dtype))

    def forward(self, raw):
        shift, unit = self._units(raw)
        return shift + unit * self.base.forward(raw)

    def inverse(self, parameter):
        shift, unit = self._units(parameter)
        return self.base.inverse((parameter - shift) / unit)

    def derivative(self, raw, parameter):
        shift, unit = self._units(raw)
        return unit * self.base.derivative(raw, (parameter - shift) / unit)


LOCATION_LINKS = {"identity": IdentityLink(), "logistic": LogisticLink()}
