"""A check of the :class:`NoiseModel` contract, in the manner of ``check_estimator``.

Each property is a small function ``check_<name>(model, rng)`` that raises
``AssertionError`` saying what is wrong; :data:`NOISE_MODEL_CHECKS` lists them in the
order :func:`check_noise_model` runs them, from the most basic (shapes) to the most
specific, so that the first failure is the most telling. Tests can parametrize over
model x check with the list.

Every check draws its own data: raw outputs ``raw ~ N(0, 0.5^2)`` and targets drawn
from the model itself with ``model.sample``, so that any model can be checked without
knowing its support.
"""

import functools
import warnings
from numbers import Real

import numpy as np
from scipy import integrate
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from ._base import model_blocks

# Raw outputs drawn with this standard deviation keep probabilities away from 0 and 1
# and rates and scales near 1, where finite differences and float32 are accurate.
_RAW_SCALE = 0.5
# Central differences: truncation error ~ eps^2, rounding error ~ 1e-16 |nll| / eps.
_FD_EPS = 1e-6
_FD_RTOL = 1e-4
_FD_ATOL = 1e-6
# Two computations of the same number in float64 (e.g. two summation orders).
_RTOL = 1e-10
# A float32 result against the float64 one, both computed from the same inputs.
_FLOAT32_RTOL = 1e-4
# Fraction of entries masked by the mask checks.
_MASKED_FRACTION = 0.3

# For each support, values outside it that validate_target must reject.
_OUTSIDE_SUPPORT = {
    "real": [],
    "unit_interval": [1.5, -0.5],
    "nonnegative": [-1.0],
    "positive": [0.0, -1.0],
    "simplex": [(0.5, 0.7)],  # a row, completed with zeros
    "ordinal": [-1.0, 0.5, 1000.0],  # below, between and above the levels
}


def check_noise_model(model, *, n_samples=30, n_targets=4, random_state=0):
    """Check that a noise model honours the :class:`~skae.noise.NoiseModel` contract.

    Runs every check of :data:`NOISE_MODEL_CHECKS` on data drawn from the model
    itself: shapes; the gradient against central finite differences, with and
    without a mask; constants that do not depend on the raw outputs; the NLL against
    minus the ``scipy.stats`` log-density of :meth:`~skae.noise.NoiseModel.dist`;
    float32 in, float32 out; ``clone`` and ``get_params``; fixed statistics that add
    over row chunks and whose fit maximises the likelihood; masked entries that
    contribute nothing, whatever they hold; and targets outside the support, which
    ``validate_target`` rejects and whose NLL is ``+inf``.

    Parameters
    ----------
    model : NoiseModel
        The noise model to check; it is not modified.
    n_samples : int, default=30
        Number of rows of the data the checks draw.
    n_targets : int, default=4
        Number of target columns; must match a parameter given per target (such as
        ``Gaussian(scale=np.array([...]))``). At least 2, for column-group models
        such as :class:`~skae.noise.Categorical`.
    random_state : int, RandomState instance or None, default=0
        Seeds the data; every check starts from the same seed, so a check's data do
        not depend on which checks ran before it.

    Raises
    ------
    AssertionError
        At the first failing check, naming the check and the model and saying what
        was wrong. An unexpected exception raised by the model within a check is
        reported the same way, chained to the original.

    See Also
    --------
    sklearn.utils.estimator_checks.check_estimator : The same idea for estimators.

    Examples
    --------
    >>> from skae.noise import Gaussian
    >>> from skae.utils import check_noise_model
    >>> check_noise_model(Gaussian(scale="learned"))
    """
    if n_samples < 4 or n_targets < 1:
        raise ValueError("check_noise_model needs n_samples >= 4 and n_targets >= 1; "
                         f"got {n_samples} and {n_targets}.")
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    for check in NOISE_MODEL_CHECKS:
        check(model, np.random.RandomState(seed), n_samples=n_samples,
              n_targets=n_targets)


def _noise_check(function):
    """Make ``function`` fail with a message naming the check and the model.

    An exception other than ``AssertionError`` (the model raising on valid input)
    fails the check too, chained to the original for its traceback.
    """

    @functools.wraps(function)
    def check(model, rng, *, n_samples=30, n_targets=4):
        try:
            function(model, rng, n_samples=n_samples, n_targets=n_targets)
        except AssertionError as exc:
            # the message says it all; the wrapper's frame would add nothing
            raise AssertionError(
                f"{function.__name__} failed for {model!r}: {exc}"
            ) from None
        except Exception as exc:
            raise AssertionError(
                f"{function.__name__} failed for {model!r}: raised "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    return check


# --------------------------------------------------------------------- helpers
def _draw(model, rng, n_samples, n_targets):
    """Random raw outputs, and float64 targets drawn from the model given them."""
    raw = _RAW_SCALE * rng.standard_normal((n_samples, model.n_raw(n_targets)))
    draws = np.asarray(model.sample(raw, 1, random_state=rng))
    if draws.shape != (1, n_samples, n_targets):
        raise AssertionError(
            f"sample(raw, 1) returned shape {draws.shape}; expected "
            f"{(1, n_samples, n_targets)}."
        )
    return draws[0].astype(np.float64), raw


def _draw_mask(rng, shape):
    """A mask of observed entries with about 30% masked, and at least one fully
    observed row and one partly masked row, whatever the draw."""
    mask = rng.uniform(size=shape) >= _MASKED_FRACTION
    mask[0] = True
    mask[1, 0] = False
    return mask


def _garbage(rng, shape):
    """Finite values, mostly outside the supports and off the simplex: whatever a
    caller may leave in masked entries."""
    return rng.choice([-1e3, 1e3 + 0.5, -0.25], size=shape)


def _observed_terms(model, mask):
    """Which likelihood terms are observed: one term per entry, or one per row whose
    every entry must be observed (a categorical variable spread over the columns);
    a composite model's blocks side by side."""
    n_targets = mask.shape[1]
    observed = np.empty((mask.shape[0], model.n_terms(n_targets)), dtype=bool)
    for block, columns, _, terms in model_blocks(model, n_targets):
        observed[:, terms] = _block_observed_terms(block, mask[:, columns])
    return observed


def _block_observed_terms(model, mask):
    n_targets = mask.shape[1]
    n_terms = model.n_terms(n_targets)
    if n_terms == n_targets:
        return mask
    if n_terms == 1:
        return mask.all(axis=1, keepdims=True)
    raise AssertionError(
        f"n_terms({n_targets}) = {n_terms}; the checks know one term per target "
        "column or one per row."
    )


def _observed_columns(model, mask):
    """Whether the term of each entry is observed, shape of ``mask``."""
    observed = np.empty_like(mask)
    for block, columns, _, _ in model_blocks(model, mask.shape[1]):
        observed[:, columns] = np.broadcast_to(
            _block_observed_terms(block, mask[:, columns]), (mask.shape[0], columns.size))
    return observed


def _observed_raw(model, mask):
    """Which raw columns carry an observed term: raw column ``k * d + j`` belongs to
    target ``j``, unless one term covers the whole row (block by block)."""
    n_targets = mask.shape[1]
    observed = np.empty((mask.shape[0], model.n_raw(n_targets)), dtype=bool)
    for block, columns, raw_columns, _ in model_blocks(model, n_targets):
        block_mask = mask[:, columns]
        terms = _block_observed_terms(block, block_mask)
        if terms.shape[1] == 1:
            observed[:, raw_columns] = terms
        else:
            observed[:, raw_columns] = np.tile(block_mask,
                                               (1, raw_columns.size // columns.size))
    return observed


def _fail_at(message, name, index, actual, desired, n_bad, n_total):
    where = f"{name}[{', '.join(str(int(i)) for i in index)}]" if index else name
    raise AssertionError(
        f"{message} at {where}: {actual:.6g} vs {desired:.6g} "
        f"({n_bad} of {n_total} entries differ)."
    )


def _assert_close(actual, desired, message, *, name, rtol=_RTOL, atol=_RTOL,
                  equal_nan=False):
    """Like ``assert_allclose``, with ``atol`` relative to the largest finite
    ``|desired|`` (at least 1), and a message that names the worst entry.
    ``equal_nan`` accepts NaN where both have it (a parameter a column lacks)."""
    actual = np.asarray(actual, dtype=np.float64)
    desired = np.asarray(desired, dtype=np.float64)
    if actual.shape != desired.shape:
        raise AssertionError(f"{message}: shape {actual.shape} vs {desired.shape}.")
    finite = np.abs(desired[np.isfinite(desired)])
    atol = atol * max(1.0, finite.max(initial=0.0))
    close = np.isclose(actual, desired, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    with np.errstate(invalid="ignore"):
        excess = np.abs(actual - desired) - rtol * np.abs(desired)
    # NaN or an infinity on one side only is the worst mismatch
    excess = np.where(close, -np.inf, np.nan_to_num(excess, nan=np.inf))
    index = np.unravel_index(np.argmax(excess), excess.shape)
    _fail_at(message, name, index, actual[index], desired[index], (~close).sum(),
             close.size)


def _assert_shape(array, shape, what):
    actual = np.shape(array)
    if actual != shape:
        raise AssertionError(f"{what} has shape {actual}; expected {shape}.")


def _numerical_gradient(function, raw):
    """Central differences of the scalar ``function`` at ``raw``."""
    raw = raw.copy()
    grad = np.empty_like(raw)
    for index in np.ndindex(raw.shape):
        saved = raw[index]
        raw[index] = saved + _FD_EPS
        up = function(raw)
        raw[index] = saved - _FD_EPS
        down = function(raw)
        raw[index] = saved
        grad[index] = (up - down) / (2 * _FD_EPS)
    return grad


def _log_density(frozen, y):
    logpdf = getattr(frozen, "logpdf", None)
    return logpdf(y) if logpdf is not None else frozen.logpmf(y)


def _scipy_log_likelihood(model, y, raw):
    """Per-row log-likelihood of ``y`` under ``model.dist(raw)``; a composite model's
    ``dist`` gives one frozen distribution per block, each scored on its columns."""
    frozen = model.dist(raw)
    if not isinstance(frozen, dict):
        return _frozen_log_likelihood(model, frozen, y, raw)
    total = 0
    for (block, columns, raw_columns, _), block_frozen in zip(
            model_blocks(model, y.shape[1]), frozen.values()):
        total = total + _frozen_log_likelihood(block, block_frozen, y[:, columns],
                                               raw[:, raw_columns])
    return total


def _frozen_log_likelihood(model, frozen, y, raw):
    n_samples, n_targets = y.shape
    if model.n_terms(n_targets) == n_targets:  # independent entries
        return np.sum(_log_density(frozen, y), axis=1)
    # A multivariate distribution per row (a multinomial with one trial), evaluated
    # row by row with that row's parameters.
    return np.array([np.sum(_log_density(model.dist(raw[i : i + 1]), y[i]))
                     for i in range(n_samples)])


def _frozen_means(frozen):
    """The mean of a frozen distribution, or of each of a composite's."""
    if isinstance(frozen, dict):
        return [np.asarray(f.mean(), dtype=np.float64) for f in frozen.values()]
    return [np.asarray(frozen.mean(), dtype=np.float64)]


def _same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.shape(a) == np.shape(b) and np.array_equal(a, b)
    if isinstance(a, BaseEstimator) and isinstance(b, BaseEstimator):
        return type(a) is type(b) and _same_params(a.get_params(), b.get_params())
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        # a composite's blocks: (name, model, columns) tuples
        return len(a) == len(b) and all(_same_value(x, z) for x, z in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def _same_params(a, b):
    return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)


def _assert_same_params(actual, desired, what):
    if actual.keys() != desired.keys():
        raise AssertionError(f"{what} has keys {sorted(actual)}; expected {sorted(desired)}.")
    for key in desired:
        if not _same_value(actual[key], desired[key]):
            raise AssertionError(
                f"{what} has {key}={actual[key]!r}; expected {desired[key]!r}."
            )


def _fitted_parameters(model, fitted):
    """The numeric parameters that ``fit_fixed`` changed, by name (a composite's
    nested ones as ``block__param``, not the blocks that hold them)."""
    before, after = model.get_params(), fitted.get_params()
    return {k: v for k, v in after.items()
            if _is_number(v) and not _same_value(v, before.get(k))}


def _is_number(value):
    return (isinstance(value, (Real, np.ndarray)) and not isinstance(value, bool))


def _nudged(fitted, changed, factor):
    return clone(fitted).set_params(**{k: v * factor for k, v in changed.items()})


def _assert_maximises_likelihood(model, fitted, total_nll, what):
    """The fitted parameters beat themselves multiplied or divided by 1.05."""
    changed = _fitted_parameters(model, fitted)
    if not changed:
        raise AssertionError(
            f"{what} changed no parameter, although fixed_statistics is not None."
        )
    best = total_nll(fitted)
    for factor in (1.05, 1 / 1.05):
        other = total_nll(_nudged(fitted, changed, factor))
        if not best <= other:
            raise AssertionError(
                f"{what} is not the maximum-likelihood fit: total NLL {best:.6g} with "
                f"{changed}, but {other:.6g} with {', '.join(changed)} multiplied by "
                f"{factor:.4g}."
            )


def _column(value, j, n_targets):
    """Column ``j`` of a parameter given per target column (or shared by all)."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n_targets,))[j]


def _parameter_columns(model, name, n_targets):
    """The target columns a parameter belongs to: a composite's ``block__param``
    those of its block, any other all of them."""
    if getattr(model, "layout", None) is not None and "__" in name:
        block_name = name.split("__", 1)[0]
        for block in model.layout(n_targets):
            if block.name == block_name:
                return np.arange(n_targets)[block.columns]
    return np.arange(n_targets)


# ----------------------------------------------------------------------- checks
@_noise_check
def check_shapes(model, rng, *, n_samples, n_targets):
    """Every method returns arrays of the documented shapes."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    n, d = y.shape
    _assert_shape(raw, (n, model.n_raw(d)), "raw")
    _assert_shape(model.nll_terms(y, raw), (n, model.n_terms(d)), "nll_terms(y, raw)")
    _assert_shape(model.nll(y, raw), (n,), "nll(y, raw)")
    out = np.empty_like(raw)
    nll, grad = model.nll_and_grad(y, raw, out=out)
    _assert_shape(nll, (n,), "nll_and_grad(y, raw)[0]")
    if grad is not out:
        raise AssertionError("nll_and_grad(y, raw, out=out) did not return `out` as "
                             "the gradient.")
    _assert_shape(model.grad(y, raw), raw.shape, "grad(y, raw)")
    params = model.params(raw)
    missing = set(model.param_names) - set(params)
    if missing:
        raise AssertionError(f"params(raw) lacks {sorted(missing)} of param_names.")
    for name, value in params.items():
        _assert_shape(value, (n, d), f"params(raw)[{name!r}]")
    _assert_shape(model.mean(raw), (n, d), "mean(raw)")
    _assert_shape(model.sample(raw, 3, random_state=rng), (3, n, d), "sample(raw, 3)")
    _assert_shape(model.initial_raw(y), (model.n_raw(d),), "initial_raw(y)")
    weights = rng.uniform(0.5, 2.0, n)
    _assert_shape(model.initial_raw(y, sample_weight=weights), (model.n_raw(d),),
                  "initial_raw(y, sample_weight)")


@_noise_check
def check_nll_paths_agree(model, rng, *, n_samples, n_targets):
    """``nll``, the row sums of ``nll_terms``, ``log_likelihood`` and both paths of
    ``nll_and_grad`` (the fast unmasked one and the masked one, with every entry
    observed) give the same numbers."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    nll = model.nll(y, raw)
    _assert_close(model.nll_terms(y, raw).sum(axis=1), nll,
                  "nll_terms(y, raw).sum(axis=1) differs from nll(y, raw)", name="nll")
    _assert_close(model.log_likelihood(y, raw), -nll,
                  "log_likelihood(y, raw) differs from -nll(y, raw)", name="nll")
    fast_nll, fast_grad = model.nll_and_grad(y, raw)
    _assert_close(fast_nll, nll, "nll_and_grad(y, raw)[0] (the unmasked fast path) "
                  "differs from nll(y, raw)", name="nll")
    observed = np.ones(y.shape, dtype=bool)
    masked_nll, masked_grad = model.nll_and_grad(y, raw, mask=observed)
    _assert_close(masked_nll, nll, "nll_and_grad(y, raw, mask) with every entry "
                  "observed differs from nll(y, raw)", name="nll")
    _assert_close(model.nll(y, raw, mask=observed), nll, "nll(y, raw, mask) with "
                  "every entry observed differs from nll(y, raw)", name="nll")
    _assert_close(fast_grad, masked_grad, "the gradient of nll_and_grad's fast path "
                  "differs from the masked path with every entry observed", name="raw")
    _assert_close(model.grad(y, raw), fast_grad,
                  "grad(y, raw) differs from nll_and_grad(y, raw)[1]", name="raw")


@_noise_check
def check_gradient_finite_differences(model, rng, *, n_samples, n_targets):
    """The gradient of ``nll(...).sum()`` matches central finite differences, without
    and with a mask of observed entries."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    numeric = _numerical_gradient(lambda r: model.nll(y, r).sum(), raw)
    _assert_close(model.nll_and_grad(y, raw)[1], numeric,
                  "analytic gradient differs from finite differences", name="raw",
                  rtol=_FD_RTOL, atol=_FD_ATOL)
    mask = _draw_mask(rng, y.shape)
    y = np.where(mask, y, np.nan)
    numeric = _numerical_gradient(lambda r: model.nll(y, r, mask=mask).sum(), raw)
    _assert_close(model.nll_and_grad(y, raw, mask=mask)[1], numeric,
                  "analytic gradient with a mask differs from finite differences",
                  name="raw", rtol=_FD_RTOL, atol=_FD_ATOL)


@_noise_check
def check_constants_do_not_depend_on_raw(model, rng, *, n_samples, n_targets):
    """``nll_and_grad(include_constants=False)`` gives the same gradient, and an NLL
    that differs from the exact one by an amount that does not depend on ``raw``."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    other_raw = _RAW_SCALE * rng.standard_normal(raw.shape)
    for mask in (None, _draw_mask(rng, y.shape)):
        y_in = y if mask is None else np.where(mask, y, np.nan)
        which = "" if mask is None else " with a mask"
        constants = []
        for r in (raw, other_raw):
            nll, grad = model.nll_and_grad(y_in, r, mask=mask)
            bare_nll, bare_grad = model.nll_and_grad(y_in, r, mask=mask,
                                                     include_constants=False)
            _assert_close(bare_grad, grad, "the gradient of nll_and_grad(..., "
                          f"include_constants=False){which} differs from the one "
                          "with constants", name="raw")
            constants.append(nll - bare_nll)
        _assert_close(constants[1], constants[0], "nll_and_grad(y, raw) minus "
                      f"nll_and_grad(y, raw, include_constants=False){which} changes "
                      "with raw, so the constants left out depend on it", name="nll")


@_noise_check
def check_nll_matches_scipy(model, rng, *, n_samples, n_targets):
    """``nll`` is minus the log-density (or mass) of ``dist(raw)`` in ``scipy.stats``,
    constants included."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    expected = -_scipy_log_likelihood(model, y, raw)
    _assert_close(model.nll(y, raw), expected, "nll differs from minus the "
                  "scipy.stats log-density of dist(raw)", name="nll", rtol=1e-8,
                  atol=1e-8)


@_noise_check
def check_float32(model, rng, *, n_samples, n_targets):
    """float32 inputs give float32 results, close to the float64 ones."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    y32, raw32 = y.astype(np.float32), raw.astype(np.float32)
    # float64 copies of the float32 inputs: only the arithmetic differs
    y64, raw64 = y32.astype(np.float64), raw32.astype(np.float64)
    results = {
        "nll_terms(y, raw)": lambda y, raw: model.nll_terms(y, raw),
        "nll(y, raw)": lambda y, raw: model.nll(y, raw),
        "nll_and_grad(y, raw)[0]": lambda y, raw: model.nll_and_grad(y, raw)[0],
        "nll_and_grad(y, raw)[1]": lambda y, raw: model.nll_and_grad(y, raw)[1],
        "mean(raw)": lambda y, raw: model.mean(raw),
    }
    for name in model.params(raw):
        results[f"params(raw)[{name!r}]"] = lambda y, raw, name=name: model.params(raw)[name]
    for what, compute in results.items():
        single = np.asarray(compute(y32, raw32))
        if single.dtype != np.float32:
            raise AssertionError(f"{what} is {single.dtype} for float32 y and raw.")
        _assert_close(single, compute(y64, raw64), f"{what} in float32 differs from "
                      "float64", name="result", rtol=_FLOAT32_RTOL, atol=_FLOAT32_RTOL,
                      equal_nan=what.startswith("params"))
    # the distribution of a float32 network's outputs works too
    for single, double in zip(_frozen_means(model.dist(raw32)),
                              _frozen_means(model.dist(raw64))):
        _assert_close(single, double, "dist(raw).mean() in float32 differs from "
                      "float64", name="mean", rtol=_FLOAT32_RTOL, atol=_FLOAT32_RTOL)
    _assert_shape(model.sample(raw32, 2, random_state=rng), (2,) + y.shape,
                  "sample(raw, 2) with float32 raw")


@_noise_check
def check_clone_and_params(model, rng, *, n_samples, n_targets):
    """``clone`` and ``set_params(**get_params())`` give the same model, and the
    repr names the class."""
    params = model.get_params()
    cloned = clone(model)
    _assert_same_params(cloned.get_params(), params, "clone(model).get_params()")
    target = clone(model)
    if target.set_params(**params) is not target:
        raise AssertionError("set_params did not return the model.")
    _assert_same_params(target.get_params(), params,
                        "set_params(**model.get_params()).get_params()")
    text = repr(model)
    if not isinstance(text, str) or type(model).__name__ not in text:
        raise AssertionError(f"repr(model) = {text!r} does not name the class.")
    y, raw = _draw(model, rng, n_samples, n_targets)
    _assert_close(cloned.nll(y, raw), model.nll(y, raw),
                  "the NLL of clone(model) differs from the model's", name="nll")


@_noise_check
def check_fixed_statistics_additive(model, rng, *, n_samples, n_targets):
    """``fixed_statistics`` add up over row chunks, and integer sample weights act as
    repetitions of rows."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    weights = rng.uniform(0.5, 2.0, n_samples)
    whole = model.fixed_statistics(y, raw, sample_weight=weights)
    half = n_samples // 2
    parts = [model.fixed_statistics(y[rows], raw[rows], sample_weight=weights[rows])
             for rows in (slice(None, half), slice(half, None))]
    if (whole is not None) != model.has_fixed_parameters():
        raise AssertionError(
            f"has_fixed_parameters() is {model.has_fixed_parameters()}, but "
            f"fixed_statistics returned {'None' if whole is None else 'statistics'}; "
            "estimators skip the statistics pass when it says there is nothing to fit.")
    if whole is None:
        if any(part is not None for part in parts):
            raise AssertionError("fixed_statistics is None for all rows, not for some.")
        return
    _assert_close(np.add(*parts), whole, "fixed statistics of the two halves of the "
                  "rows do not add up to those of all rows", name="statistics")
    counts = rng.randint(0, 3, n_samples)
    _assert_close(model.fixed_statistics(y, raw, sample_weight=counts),
                  model.fixed_statistics(np.repeat(y, counts, axis=0),
                                         np.repeat(raw, counts, axis=0)),
                  "fixed statistics with integer sample weights differ from those of "
                  "rows repeated as often", name="statistics")


@_noise_check
def check_fit_fixed_maximises_likelihood(model, rng, *, n_samples, n_targets):
    """``fit_fixed`` sets the fixed parameters to values whose weighted NLL is no
    larger than with them multiplied or divided by 1.05, pooled or per column."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    weights = rng.uniform(0.5, 2.0, n_samples)
    statistics = model.fixed_statistics(y, raw, sample_weight=weights)
    if statistics is None:
        return
    for pooled in (False, True):
        _assert_maximises_likelihood(
            model, model.fit_fixed(statistics, pooled=pooled),
            lambda fitted: weights @ fitted.nll(y, raw),
            f"fit_fixed(statistics, pooled={pooled})",
        )


@_noise_check
def check_masked_nll_and_grad(model, rng, *, n_samples, n_targets):
    """Masked entries contribute nothing: with NaN or garbage in them, the NLL is the
    sum of the observed terms and the gradient is the unmasked one with the masked
    entries' raw columns zeroed, whatever the masked entries hold."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    mask = _draw_mask(rng, y.shape)
    expected_nll = np.where(_observed_terms(model, mask), model.nll_terms(y, raw),
                            0).sum(axis=1)
    expected_grad = np.where(_observed_raw(model, mask), model.nll_and_grad(y, raw)[1],
                             0)
    results = {}
    for what, filler in (("NaN", np.nan), ("garbage", _garbage(rng, y.shape))):
        y_masked = np.where(mask, y, filler)
        nll = model.nll(y_masked, raw, mask=mask)
        train_nll, grad = model.nll_and_grad(y_masked, raw, mask=mask)
        _assert_close(nll, expected_nll, f"nll(y, raw, mask) with {what} in the masked "
                      "entries differs from the sum of nll_terms over observed entries",
                      name="nll")
        _assert_close(train_nll, expected_nll, f"nll_and_grad(y, raw, mask)[0] with "
                      f"{what} in the masked entries differs from the sum of nll_terms "
                      "over observed entries", name="nll")
        _assert_close(grad, expected_grad, f"the gradient with {what} in the masked "
                      "entries differs from the unmasked one with the masked entries' "
                      "raw columns zeroed", name="raw")
        _assert_close(model.grad(y_masked, raw, mask=mask), grad, "grad(y, raw, mask) "
                      "differs from nll_and_grad(y, raw, mask)[1]", name="raw")
        results[what] = nll, train_nll, grad
    for name, nan, garbage in zip(("nll", "nll_and_grad's nll", "the gradient"),
                                  results["NaN"], results["garbage"]):
        _assert_close(garbage, nan, f"{name} changes with the values of masked entries "
                      "(garbage vs NaN)", name="result", rtol=0, atol=0)


@_noise_check
def check_masked_fixed_statistics(model, rng, *, n_samples, n_targets):
    """With a mask, the fixed statistics of column ``j`` are those of the rows where
    it is observed, so is the per-column fit, and the pooled fit maximises the
    likelihood of the observed entries."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    mask = _draw_mask(rng, y.shape)
    weights = rng.uniform(0.5, 2.0, n_samples)
    y_masked = np.where(mask, y, np.nan)
    statistics = model.fixed_statistics(y_masked, raw, sample_weight=weights, mask=mask)
    if statistics is None:
        return
    statistics = np.asarray(statistics)
    observed = _observed_columns(model, mask)
    # column j of the statistics, and of the fit, of the rows where column j is observed
    by_column = np.empty_like(statistics)
    fitted_by_column = []
    for j in range(n_targets):
        rows = observed[:, j]
        alone = model.fixed_statistics(y[rows], raw[rows], sample_weight=weights[rows])
        by_column[..., j] = np.asarray(alone)[..., j]
        fitted_by_column.append(model.fit_fixed(alone).get_params())
    _assert_close(statistics, by_column, "fixed statistics with a mask differ from "
                  "those of the rows where each column is observed", name="statistics")
    for name, value in _fitted_parameters(model, model.fit_fixed(statistics)).items():
        columns = _parameter_columns(model, name, n_targets)
        expected = [_column(fitted_by_column[j][name], k, columns.size)
                    for k, j in enumerate(columns)]
        _assert_close(np.broadcast_to(value, (columns.size,)), expected, "fit_fixed of "
                      f"the statistics with a mask gives another {name} than the rows "
                      "where each column is observed", name=name)
    _assert_maximises_likelihood(
        model, model.fit_fixed(statistics, pooled=True),
        lambda fitted: weights @ fitted.nll(y_masked, raw, mask=mask),
        "fit_fixed(statistics, pooled=True) with a mask",
    )


@_noise_check
def check_validate_target(model, rng, *, n_samples, n_targets):
    """``validate_target`` accepts the model's own draws, rejects a value outside
    the support, NaN (unless missing values are allowed) and infinity with a
    ValueError naming the model and the value, and clips values a few ulps outside a
    closed bound."""
    for block, _, _, _ in model_blocks(model, n_targets):
        if block.support not in _OUTSIDE_SUPPORT:
            raise AssertionError(f"support {block.support!r} is none of "
                                 f"{sorted(_OUTSIDE_SUPPORT)}.")
    y, _ = _draw(model, rng, n_samples, n_targets)
    name = type(model).__name__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _assert_close(model.validate_target(y), y, "validate_target changed targets "
                      "drawn from the model", name="y", rtol=0, atol=0)
        y_nan = y.copy()
        y_nan[1, 0] = np.nan
        _assert_raises_naming(model.validate_target, y_nan, [name, "NaN"],
                              "a NaN target")
        model.validate_target(y_nan, allow_missing=True)
        y_inf = y.copy()
        y_inf[1, 0] = np.inf
        _assert_raises_naming(lambda y: model.validate_target(y, allow_missing=True),
                              y_inf, [name, "inf"], "an infinite target")
        for value, columns in _outside_cases(model, n_targets):
            y_bad, _ = _put_outside(y, value, columns)
            shown = [name] + [_number_pattern(v) for v in np.atleast_1d(value)]
            _assert_raises_naming(model.validate_target, y_bad, shown,
                                  f"the target {value}")
        _check_rounding_is_clipped(model, y)


def _outside_cases(model, n_targets):
    """``(value, columns)``: each value outside the support of the block that owns
    ``columns`` (every column for a model that is not a composite)."""
    return [(value, columns) for block, columns, _, _ in model_blocks(model, n_targets)
            for value in _OUTSIDE_SUPPORT.get(block.support, [])]


def _put_outside(y, value, columns):
    """``y`` with ``value`` at row 2 in the second of ``columns`` (the first if there
    is one) or, for a row value, over ``columns`` of row 2; and the entries changed."""
    y_bad = y.copy()
    changed = np.zeros(y.shape, dtype=bool)
    if np.ndim(value) == 0:
        changed[2, columns[min(1, columns.size - 1)]] = True
        y_bad[changed] = value
    else:
        y_bad[2, columns] = 0.0
        y_bad[2, columns[: len(value)]] = value
        changed[2, columns] = True
    return y_bad, changed


def _number_pattern(value):
    # 0.5 may print as "0.5" or "5e-01"; -1 as "-1.0" or "-1"
    return (repr(float(value)), f"{value:g}")


def _assert_raises_naming(validate, y, shown, what):
    try:
        validate(y)
    except ValueError as exc:
        message = str(exc)
        for expected in shown:
            options = (expected,) if isinstance(expected, str) else expected
            if not any(option in message for option in options):
                raise AssertionError(
                    f"the ValueError of validate_target for {what} does not show "
                    f"{options[0]!r}: {message!r}."
                ) from None
        return
    raise AssertionError(f"validate_target did not raise a ValueError for {what}.")


def _check_rounding_is_clipped(model, y):
    # MinMaxScaler lands a few ulps beyond 0 or 1 (1.0000000000000002)
    for block, columns, _, _ in model_blocks(model, y.shape[1]):
        bounds = {"unit_interval": (0.0, 1.0), "nonnegative": (0.0,)}.get(block.support, ())
        for bound in bounds:
            _check_bound_is_clipped(model, y, bound, columns)


def _check_bound_is_clipped(model, y, bound, columns):
    value = bound + (2 if bound else -2) * np.finfo(np.float64).eps
    near, changed = _put_outside(y, value, columns)
    try:
        clipped = model.validate_target(near)
    except ValueError as exc:
        raise AssertionError(f"validate_target rejected {value!r}, a few ulps "
                             f"outside the bound {bound}: {exc}") from None
    if clipped[changed][0] != bound:
        raise AssertionError(f"validate_target returned {clipped[changed][0]!r} "
                             f"for {value!r}; expected it clipped to {bound}.")


@_noise_check
def check_nll_outside_support(model, rng, *, n_samples, n_targets):
    """A target outside the support has likelihood zero: its ``nll_terms`` are
    ``+inf``, its row's ``log_likelihood`` is ``-inf``, the other rows are untouched,
    and no warning is raised."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    terms = model.nll_terms(y, raw)
    log_likelihood = model.log_likelihood(y, raw)
    for value, columns in _outside_cases(model, n_targets):
        y_bad, changed = _put_outside(y, value, columns)
        impossible = ~np.broadcast_to(_observed_terms(model, ~changed), terms.shape)
        with warnings.catch_warnings(), np.errstate(divide="warn", over="warn",
                                                    invalid="warn", under="ignore"):
            warnings.simplefilter("error")
            try:
                bad_terms = model.nll_terms(y_bad, raw)
                bad_log_likelihood = model.log_likelihood(y_bad, raw)
            except Warning as warning:
                raise AssertionError(f"the target {value} raised "
                                     f"{type(warning).__name__}: {warning}") from None
        expected = np.where(impossible, np.inf, terms)
        _assert_close(bad_terms, expected, f"nll_terms with the target {value} differs "
                      "from +inf at its terms and from the valid terms elsewhere",
                      name="nll_terms")
        expected = np.where(impossible.any(axis=1), -np.inf, log_likelihood)
        _assert_close(bad_log_likelihood, expected, f"log_likelihood with the target "
                      f"{value} differs from -inf in its row and from the valid rows "
                      "elsewhere", name="log_likelihood")


def _numeric_crps(frozen, y):
    """The integral of ``(F(t) - 1{t >= y})^2`` for one scalar distribution: a sum
    over the integers of its support up to where the mass left is below 1e-15
    (discrete), or quadrature on either side of ``y`` (continuous)."""
    low, high = frozen.support()
    if hasattr(frozen, "pmf"):
        k = np.arange(low, max(y, frozen.isf(1e-15)) + 20)
        return np.sum((frozen.cdf(k) - (k >= y)) ** 2)
    below = integrate.quad(lambda t: float(frozen.cdf(t)) ** 2, low, y, limit=200)[0]
    above = integrate.quad(lambda t: float(frozen.sf(t)) ** 2, y, high, limit=200)[0]
    return below + above


@_noise_check
def check_crps(model, rng, *, n_samples, n_targets):
    """Where a model has a closed-form ``crps``, it is the integral of
    ``(F(t) - 1{t >= y})^2`` with ``F`` the CDF of ``dist(raw)`` (a composite's block
    by block), computed numerically for a few rows, and float32 inputs give a float32
    result."""
    y, raw = _draw(model, rng, n_samples, n_targets)
    try:
        closed = model.crps(y, raw)
    except ValueError as exc:
        if "no closed-form CRPS" in str(exc):
            return
        raise
    _assert_shape(closed, y.shape, "crps(y, raw)")
    rows = min(3, n_samples)
    expected = np.empty((rows, y.shape[1]))
    for block, columns, raw_columns, _ in model_blocks(model, y.shape[1]):
        params = block.params(raw[:rows][:, raw_columns])
        for i in range(rows):
            for k, j in enumerate(columns):
                entry = {name: value[i, k] for name, value in params.items()}
                expected[i, j] = _numeric_crps(block._scipy(entry), y[i, j])
    _assert_close(closed[:rows], expected, "crps differs from the numerical integral of "
                  "(F(t) - 1{t >= y})^2", name="crps", rtol=1e-6, atol=1e-9)
    single = model.crps(y.astype(np.float32), raw.astype(np.float32))
    if single.dtype != np.float32:
        raise AssertionError(f"crps(y, raw) is {single.dtype} for float32 y and raw.")


NOISE_MODEL_CHECKS = [
    check_shapes,
    check_nll_paths_agree,
    check_gradient_finite_differences,
    check_constants_do_not_depend_on_raw,
    check_nll_matches_scipy,
    check_float32,
    check_clone_and_params,
    check_fixed_statistics_additive,
    check_fit_fixed_maximises_likelihood,
    check_masked_nll_and_grad,
    check_masked_fixed_statistics,
    check_validate_target,
    check_nll_outside_support,
    check_crps,
]
"""The checks of :func:`check_noise_model`, in the order it runs them."""
