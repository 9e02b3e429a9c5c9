"""What the tests of the noise models' scipy distributions in the tails share
(tests/test_dist_tails.py, tests/test_levels_tails.py)."""

import numpy as np

# Raw outputs from the centre to far beyond where a sigmoid rounds to 0 or 1 (|r| ~ 37
# in float64, ~ 17 in float32) and a softmax rounds a level's probability to 0.
EXTREME_RAW = [-700.0, -100.0, -40.0, -17.0, -5.0, 0.0, 5.0, 17.0, 40.0, 100.0, 700.0]
MODERATE_RAW = [-5.0, -1.5, -0.3, 0.0, 0.7, 2.0, 5.0]


def assert_log_mass_is_the_models(noise, raw, levels, rtol, scale=1, level_rounding=None):
    """``dist(raw).logpmf(y) == -nll_terms(y, raw)`` at every level, to ``rtol`` and to
    the model's own rounding: its terms sum values of the size of ``scale`` times the
    row's largest |raw|, each exact to epsilon. Where the model's log-mass is -inf,
    so is the distribution's. ``level_rounding`` (n_rows, n_levels), where given, is a
    further error allowed per row and level (inf: the distribution may lose the
    level)."""
    frozen = noise.dist(raw)
    largest = np.abs(raw).max(axis=1, keepdims=True).astype(np.float64)
    rounding = 4 * np.finfo(raw.dtype).eps * (1 + scale * largest)
    for level in levels:
        y = np.full((raw.shape[0], 1), level, dtype=raw.dtype)
        # the model's gradient is NaN where a gap rounded away; only its terms are compared
        with np.errstate(invalid="ignore"):
            expected = -noise.nll_terms(y, raw)
        log_mass = frozen.logpmf(y)
        assert not np.any(np.isnan(expected)) and not np.any(expected == np.inf)
        np.testing.assert_array_equal(log_mass[~np.isfinite(expected)],
                                      expected[~np.isfinite(expected)],
                                      err_msg=f"level {level}")
        finite = np.isfinite(expected)
        error = np.abs(log_mass[finite] - expected[finite])
        allowed = rtol * np.abs(expected) + rounding
        if level_rounding is not None:
            allowed = allowed + level_rounding[:, [int(level)]]
        allowed = allowed[finite]
        assert np.all(error <= allowed), (level, raw[finite[:, 0]][error > allowed],
                                          log_mass[finite][error > allowed],
                                          expected[finite][error > allowed])
