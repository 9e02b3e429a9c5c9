"""AutoEncoderImputer: fill the holes of a mixed table with a likelihood-trained autoencoder."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import check_columns_as_in_fit
from ._objective import Objective
from ._training import Data
from .autoencoder import AutoEncoder
from .regressor import MLPLikelihoodRegressor
from .noise import Bernoulli, Categorical, ColumnNoise, Gaussian, Ordinal, Poisson

# Training settings measured across the tables of benchmarks/bench_impute.py (not tuned
# per table).
BATCH_SIZE = 128
HIDDEN_UNITS_PER_COLUMN = 12
HIDDEN_UNITS_RANGE = (128, 512)
LEARNING_RATE = 3e-3
# The L2 penalty on the weights. With AutoEncoder's 1e-4 the categorical fills of the
# tables with a weakly predicted category overfitted: they were best after a fifth of
# the epochs that the real columns needed. A larger penalty shrank more of the real
# columns' fits than it saved of the categories' on the smallest table (iris).
ALPHA = 0.1
# max_iter="auto": as many epochs as make about this many Adam steps, within the range;
# a table of a few batches needs every epoch of the range, and a larger one fills as
# well with fewer epochs of more steps each
STEPS = 700
EPOCHS_RANGE = (50, 150)
# epochs between refits of the real columns' training scales
SCALE_REFIT_EPOCHS = 10
COLUMN_TYPES = ("real", "count", "binary", "categorical", "ordinal")
# the kinds whose columns share one block of the noise model
_GROUPED = ("real", "count", "binary")
# the kinds whose training terms are those of their hidden entries only
_DISCRETE = ("binary", "categorical", "ordinal")
# The linear conditionals of the discrete variables: the L2 penalty of scikit-learn's
# LogisticRegression (C=1, on the summed log-loss, of standardised inputs), and L-BFGS
# run to the optimum (MLPRegressor's tol of 1e-4 left probabilities 3e-4 from it).
LINEAR_ALPHA = 1.0
LINEAR_MAX_ITER = 500
LINEAR_TOL = 1e-6


class _HiddenEntriesObjective(Objective):
    """Training to fill in: inputs with a random ``rate`` of their observed entries
    hidden, targets the clean rows.

    Each training batch hides fresh entries, a categorical variable's one-hot
    columns together (as it goes missing; a column hidden alone would be told by
    the others). The loss takes

    - a real or count entry's term whether it is hidden or seen (scoring the hidden
      real entries alone gave worse fills on the benchmark tables);
    - a discrete entry's term (the ``fill_only`` columns: binary, categorical,
      ordinal) only where it is hidden, weighted ``1 / rate``, so that each observed
      entry weighs, on average over the draws, as much as a real one. Seen, a
      discrete entry is in the input as it is in the target, and its term rewards
      copying it: on a weakly predicted category (the sex of diabetes's patients)
      those terms left the fills overconfident and less often right than a
      logistic regression's. The harm is in the hidden layers they shape, not in
      the output: a second output head scored on the hidden entries alone, over
      hidden layers trained with the copying terms, did no better.

    The fixed scales and the validation score are taken on entries hidden by a
    fixed draw, and on those only: they measure how well the network fills in, not
    how well it copies what it sees, so ``sample_posterior`` draws with
    the spread of imputation errors.

    With a ``schedule``, training takes the Gaussian likelihood of the real columns
    at the scales that it sets (refitted to their ML values as training goes), not
    at unit scale.
    """

    def __init__(self, *args, rate, variables=None, schedule=None, fill_only=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.rate = rate
        self.variables = variables
        self.schedule = schedule
        self.fill_only = fill_only

    def _hidden(self, data, random_state, score_hidden_only):
        """``data`` as rows whose inputs hide ``rate`` of their observed entries,
        with the clean rows as targets."""
        X = data.X
        observed = ~np.isnan(X) if data.mask is None else data.mask
        if self.variables is None:
            hidden = random_state.random_sample(X.shape) < self.rate
        else:  # a categorical variable's one-hot columns are hidden together
            n_variables = self.variables.max() + 1
            hidden = (random_state.random_sample((X.shape[0], n_variables))
                      < self.rate)[:, self.variables]
        inputs = np.where(hidden, np.asarray(np.nan, dtype=X.dtype), X)
        if score_hidden_only:
            scored = observed & hidden
        elif self.fill_only is not None:
            scored = observed & (hidden | ~self.fill_only)
        else:
            scored = observed
        return Data(inputs, X, data.sample_weight, scored)

    def start_epoch(self):
        noise = self.noise if self.schedule is None else self.schedule.start_epoch(self)
        if self.fill_only is not None and self.fill_only.any():
            noise = _ScaledBlocks(noise, self.fill_only, 1 / self.rate)
        self.training_noise = noise

    def loss_and_grad(self, batch):
        return super().loss_and_grad(self._hidden(batch, self.random_state, False))

    def fixed_statistics(self, data):
        hidden = self._hidden(data.take(slice(None)), np.random.RandomState(0), True)
        return super().fixed_statistics(hidden)

    def validation_score(self, validation, training):
        hidden = self._hidden(validation.take(slice(None)), np.random.RandomState(1), True)
        return super().validation_score(hidden, training)


class _ScaledBlocks:
    """The training loss of a :class:`~skae.noise.ColumnNoise` with the terms of the
    blocks over ``columns`` (a boolean mask of the targets) multiplied by ``factor``.

    Training asks its noise model for ``nll_and_grad`` alone; every score takes the
    unscaled likelihood.
    """

    def __init__(self, noise, columns, factor):
        self.noise, self.columns, self.factor = noise, columns, factor

    def nll_and_grad(self, y, raw, out=None, mask=None, include_constants=True):
        return self.noise._weighted_nll_and_grad(y, raw, out, mask, include_constants,
                                                block_weight=self._block_weight)

    def _block_weight(self, block):
        return self.factor if self.columns[block.columns].all() else 1.0


class _EpochSchedule:
    """What training does at the start of each epoch (:meth:`start_epoch`).

    - The noise model that training uses: the likelihood with its fixed scales (the
      real columns' Gaussian sd) at their ML values, refitted every ``refit_every``
      epochs. At a fixed unit scale (``scale="mle"``'s training loss) the loss would
      be the likelihood only for a column whose fills err by one sd, its mean fill's
      error; a column the others predict well would weigh too little beside the
      exact Bernoulli and Categorical terms. The scales are those of the entries of
      ``data`` hidden by a fixed draw (as ``fixed_statistics``): of the filled
      entries, not of the copied ones. The first ``refit_every`` epochs train at
      unit scale.
    - The sum of the weights after each of the last ``n_averaged`` of ``n_epochs``
      epochs (the last one's added by :meth:`averaged`), for stochastic weight
      averaging within one ``fit``.
    """

    def __init__(self, data, n_epochs, n_averaged, refit_every):
        self.data = data
        self.first_averaged, self.refit_every = n_epochs - n_averaged + 1, refit_every
        self.noise, self.epoch, self.total, self.n_summed = None, 0, None, 0

    def start_epoch(self, objective):
        """The noise model of the epoch starting now (the ``epoch``-th, from 0)."""
        epoch, self.epoch = self.epoch, self.epoch + 1
        if self.noise is None:
            self.noise = objective.noise
        elif epoch % self.refit_every == 0:
            self.noise = objective.fit_noise(self.data)
        if epoch >= self.first_averaged:  # theta is the weights after ``epoch`` epochs
            self._add(objective.theta)
        return self.noise

    def _add(self, theta):
        self.total = theta.copy() if self.total is None else self.total + theta
        self.n_summed += 1

    def averaged(self, theta):
        """The average of the weights after each of the last ``n_averaged`` epochs,
        ``theta`` being those after the last."""
        self._add(theta)
        return self.total / self.n_summed


class _MaskingAutoEncoder(AutoEncoder):
    """An AutoEncoder trained to fill in hidden entries, whose encoder always sees
    missingness indicators."""

    _mask_rate = 0.0
    _variables = None  # the variable of each encoded column
    _fill_only = None  # the encoded columns scored only where hidden
    _pooled_scale = False  # a scale per real column (a block holds all of them)
    _schedule = None

    def _validate_fit_data(self, X, y, reset):
        X, Y = super()._validate_fit_data(X, y, reset)
        if reset:
            self._input_fill.indicators = True
        return X, Y

    def _make_objective(self, network, noise):
        if not (self._mask_rate and hasattr(self, "_training_state")):
            return super()._make_objective(network, noise)
        return _HiddenEntriesObjective(
            network, noise, self.alpha, pooled_scale=self._pooled_scale,
            input_transform=self._input_transform(),
            random_state=self._training_state.random_state,
            rate=self._mask_rate, variables=self._variables, schedule=self._schedule,
            fill_only=self._fill_only)


class _Column:
    """How one input column is encoded for the network and decoded back."""

    # Plain Python and NumPy values only (no pandas dtype), so that skops can save it.
    def __init__(self, name, kind, inferred):
        self.name, self.kind, self.inferred = name, kind, inferred
        self.model = kind  # the kind of noise model, set by fit
        self.levels = None
        self.center, self.spread = 0.0, 1.0
        self.constant = None  # the fill of a column the network does not model

    @property
    def width(self):
        if self.constant is not None or self.empty:  # filled without the network
            return 0
        return len(self.levels) if self.model == "categorical" else 1

    def fit(self, values, observed, dtype):
        self.numeric = _is_numeric(dtype)
        seen = values[observed]
        self.empty = seen.size == 0
        if self.empty:
            return self
        if (self.kind == "categorical" and self.inferred and _is_numpy(dtype)
                and all(_is_real_number(v) for v in seen.tolist())):
            # numbers in an object array (a mixed table's to_numpy())
            self.kind = self.model = "real"
        if self.kind in ("real", "count"):
            seen = _finite(seen, self.name)
            if self.kind == "count" and (seen < 0).any():
                raise ValueError(f"Column {self.name!r} is of type 'count' but holds "
                                 "negative values.")
            self.center, self.spread = seen.mean(), seen.std()
            if self.spread == 0:
                self.constant = seen[0]
            elif self.kind == "count":
                self.center, self.spread = 0.0, 1.0  # Poisson models the counts as they are
            return self
        if self.kind == "categorical" and self.inferred and all(
                isinstance(v, (bool, np.bool_)) for v in seen.tolist()):
            self.kind = "binary"  # bools with holes arrive as objects
        self.levels = _levels(seen, dtype)
        if (self.kind == "ordinal" and getattr(dtype, "categories", None) is None
                and any(isinstance(level, str) for level in self.levels.tolist())):
            warnings.warn(
                f"Column {self.name!r} is ordinal, with its levels in sorted order "
                f"{self.levels.tolist()}; to give them another order, pass the column "
                "as a pandas Categorical with its categories in that order.", UserWarning)
        if len(self.levels) == 1:
            self.constant = self.levels[0]
        elif self.kind == "binary" and len(self.levels) > 2:
            raise ValueError(f"Column {self.name!r} is of type 'binary' but has "
                             f"{len(self.levels)} values: {list(self.levels)[:5]}.")
        self.model = self.kind
        if self.kind == "categorical" and len(self.levels) == 2:
            self.model = "binary"  # the same likelihood, with one output instead of two
        return self

    def noise(self):
        return {"real": Gaussian(), "count": Poisson(), "binary": Bernoulli(),
                "categorical": Categorical()}.get(self.model) or Ordinal(len(self.levels))

    def encode(self, values, observed):
        """(n, width) floats, NaN where missing (or a level never seen in fit)."""
        n = len(values)
        if self.kind in ("real", "count"):
            out = np.full(n, np.nan)
            seen = _finite(values[observed], self.name)
            out[observed] = (seen - self.center) / self.spread
            return out[:, None]
        codes = np.full(n, -1)
        codes[observed] = _codes(values[observed], self.levels)
        known = codes >= 0
        if self.model == "categorical":
            out = np.full((n, len(self.levels)), np.nan)
            out[known] = np.eye(len(self.levels))[codes[known]]
            return out
        out = np.where(known, codes, np.nan).astype(float)
        return out[:, None]

    def decode(self, block_values):
        """Column values from the network's fills: a mean (real, count), a level's
        code (binary, ordinal) or one-hot / probability rows (categorical)."""
        if self.kind in ("real", "count"):
            return block_values[:, 0] * self.spread + self.center
        if self.model == "categorical":
            return self.levels[np.argmax(block_values, axis=1)]
        return self.levels[np.clip(np.round(block_values[:, 0]).astype(int), 0,
                                   len(self.levels) - 1)]


def _levels(seen, dtype):
    categories = getattr(dtype, "categories", None)
    if categories is not None:
        present = set(seen.tolist())
        return np.array([c for c in categories if c in present], dtype=object)
    return np.array(sorted(set(seen.tolist())), dtype=object)


def _codes(values, levels):
    lookup = {level: k for k, level in enumerate(levels.tolist())}
    return np.array([lookup.get(v, -1) for v in values.tolist()], dtype=int)


class AutoEncoderImputer(TransformerMixin, BaseEstimator):
    """Impute missing values of a mixed table with a likelihood-trained autoencoder.

    Every column gets the noise model its type calls for, in one
    :class:`~skae.noise.ColumnNoise`, and an :class:`~skae.AutoEncoder` learns the
    table by maximum likelihood of its **observed** entries: a missing entry has no
    likelihood term. Its encoder sees the observed entries (missing ones at the
    column mean) with the missingness pattern, and it is trained with a further
    ``mask_rate`` of the observed inputs hidden at random, so that it learns to fill
    in what it cannot see. Real columns are standardised on their observed entries.
    A missing entry is then filled with the mean (real, count) or the mode (binary,
    categorical, ordinal) of its decoded distribution; observed entries are never
    changed. With ``refine`` a discrete variable is decoded a second time, with the
    row's other missing entries at their first fills. Then a discrete variable's
    (refined) predictive distribution is pooled with that of a linear model of the
    variable given the rest of the row, its missing entries at their first fills
    (``linear_weight``).

    Training takes the exact likelihood of every column: the Gaussian terms of the
    real columns at their ML scales (the sd of the fills' errors, on entries
    hidden by a fixed draw), refitted every 10 epochs, not at unit scale. At
    unit scale a real column that the others predict well would weigh too
    little beside the Bernoulli and Categorical terms (the first 10 epochs run
    at unit scale).

    A discrete entry (binary, categorical, ordinal) enters the training loss only
    where training hid it, weighted ``1 / mask_rate``; a real or count entry, hidden
    or seen. Where it is seen, a discrete entry is in the input as it is in the
    target, and its term rewards copying it: on a weakly predicted category those
    terms left the fills overconfident and less often right. The weight keeps each
    observed discrete entry's share of the loss, on average over the draws, what it
    is with every term scored.

    Column types, inferred from the dtypes of a DataFrame's columns or an array
    (``column_types`` overrides any):

    =============  =========================  ====================================
    type           inferred from              noise model
    =============  =========================  ====================================
    ``"real"``     float and integer          Gaussian of the standardised values
    ``"binary"``   bool                       Bernoulli
    ``"categorical"`` category, object, string  Categorical over the levels seen
    ``"ordinal"``  (``column_types`` only)    Ordinal over the sorted levels
    ``"count"``    (``column_types`` only)    Poisson
    =============  =========================  ====================================

    An object column that holds only numbers (an array from a mixed table's
    ``to_numpy()``) is real, one that holds only bools binary. Columns of an integer
    dtype (numpy's, or pandas' nullable ``Int64``) are modelled as real, their fills
    rounded back to integers (a pandas integer column with NaN is float64, and its
    fills stay real); give integer-coded categories ``"categorical"``. The ordinal
    levels are those of a pandas Categorical in its categories' order, else sorted
    (a warning says so for strings, whose sorted order is rarely theirs). A column
    with a single observed value is filled with it; a column with none is dropped,
    unless ``keep_empty_features``, which fills it with 0 (or the string
    ``"missing"`` for non-numeric columns, added to a Categorical's categories), as
    :class:`sklearn.impute.SimpleImputer` does.
    A DataFrame's columns are read by position and must be those seen in ``fit``,
    in the same order. A categorical column with two levels
    is modelled by a Bernoulli (the same likelihood as a Categorical over two levels,
    with one output). The columns of one kind (real, count, binary) form one block of
    the noise model, each with its own fitted scale.

    Parameters
    ----------
    missing_values : float, int, str, None or pandas.NA, default=np.nan
        The placeholder of a missing entry. NaN, None and pandas' NA in a DataFrame
        or an object array are always missing; a numeric array holding NaN while
        the placeholder is another value is an error (as in
        :class:`sklearn.impute.SimpleImputer`).
    add_indicator : bool, default=False
        Append the missingness indicators of the columns that had missing entries in
        ``fit`` (as :class:`sklearn.impute.MissingIndicator`).
    keep_empty_features : bool, default=False
        Keep columns with no observed entry in ``fit``, filled as above.
    column_types : dict, default=None
        ``{column: type}`` overriding the inferred type, by name (DataFrame) or index.
    n_components : int or None, default=None
        Code size; None takes ``w``, the number of encoded columns (one per real,
        count, binary or ordinal column, one per level of a categorical one), at
        least 2. Trained to fill in hidden entries, the network needs no bottleneck
        to avoid copying, and on the benchmark tables a code of ``w`` filled real
        columns better than one of ``w / 2``.
    hidden_layer_sizes : "auto" or tuple of int, default="auto"
        Hidden layers of encoder (and, mirrored, decoder). "auto" is one layer of
        ``12 w`` units for ``w`` encoded columns, clipped to [128, 512]: on the
        benchmark tables a wider layer filled the wide tables better (breast cancer,
        31 columns), and 128 units were as good as more on the narrow ones.
    mask_rate : float in [0, 1), default=0.2
        Fraction of observed inputs hidden at random in each training batch (Adam,
        learning rate 3e-3, as few batches of at most 128 rows as cover the table,
        of equal size but for rounding, an L2 penalty of 0.1 on the weights as
        :class:`~skae.AutoEncoder`'s ``alpha``); the loss covers every observed
        real or count entry, hidden or seen, and the discrete entries that were
        hidden, weighted ``1 / mask_rate``. 0 trains a plain autoencoder of the
        observed entries.
    max_iter : "auto" or int, default="auto"
        Number of epochs (the most, with ``early_stopping``). "auto" is as many as
        make about 700 steps, ``round(700 / n_batches)`` for ``n_batches`` batches
        per epoch, clipped to [50, 150]: 150 up to 512 rows, 88 for 1,000 rows,
        50 from 1,665 rows on. On the benchmark tables, the larger table filled as
        well with fewer epochs. Without early stopping every fit runs them all, so
        from 1,665 rows on its cost is linear in the number of rows.
    average_last : int, default=30
        The fitted weights are the average of the weights after each of the last
        ``average_last`` of the ``max_iter`` epochs (stochastic weight averaging, as
        in Izmailov et al., 2018), which smooths out the noise of the last steps;
        0 keeps the weights of the last epoch. Not used with ``early_stopping``.
    early_stopping : bool, default=False
        Hold out 10% of the rows and stop when the log-likelihood of their entries
        hidden by a fixed draw (what the network fills in, not what it copies) has
        not improved for 20 epochs. On the benchmark tables a fixed number of epochs
        gave better fills.
    refine : bool, default=False
        Decode each discrete variable (binary, categorical, ordinal) a second time
        (one round of refinement): from its row with every other missing entry at
        its first fill (a mean, or class probabilities) as if observed, its own
        entries still missing, as a chained-equation imputer's next round would.
        Real and count columns keep their first fills. Off by default: on the
        benchmark tables (``benchmarks/bench_impute_paired.py refine``, the same fits
        with and without, measured before the linear pool) it changed the accuracy
        on the categories by less than 0.006 at 20% missing, and by -0.012 to
        +0.005 at 50% (lower on diabetes and breast cancer, higher on iris and the
        synthetic table); more rounds changed no fill.
    linear_weight : float in [0, 1], default=0.5
        Weight of a linear model in the fill of each discrete variable (binary,
        categorical, ordinal). After training, each such variable gets a linear
        conditional of its outputs given the rest of its row, the row's missing
        entries at the network's first fills (means, class probabilities) decoded
        with the variable itself hidden, as it is where it is filled: a logistic
        regression of the standardised inputs (multinomial for a categorical; for
        an ordinal, the Ordinal noise model's cutpoints linear in the row), fitted
        by maximum likelihood with an L2 penalty of 1 on the rows where the
        variable is observed (a :class:`~sklearn.preprocessing.StandardScaler` and
        an :class:`~skae.MLPLikelihoodRegressor` without hidden layers, in
        ``linear_models_``). A missing entry's raw outputs (logits) are then
        ``linear_weight`` times the linear model's plus ``1 - linear_weight`` times
        the network's (after ``refine``); for a binary or categorical variable that
        is the normalised weighted geometric mean of the two predictive
        distributions (a logarithmic opinion pool). The network, whose hidden
        layers serve every column, overfits a weakly predicted category; the linear
        model cannot bend, but has less variance. On the benchmark tables
        (``benchmarks/bench_impute_paired.py linear_weight``, the same fits with
        0.5 and 0) the pool was right more often than the network alone on every
        table at 20% missing (by 0.003 to 0.010), and at 50% on four of five (iris
        unchanged). The linear models add one logistic regression per discrete
        variable to ``fit``, a large share of its cost on a table of many
        categorical columns (``benchmarks/bench_impute_linear_cost.py``). 0 keeps
        the network's fills, and ``fit`` then skips the linear models; 1 takes the
        linear model's. Real and count columns keep the network's fills.
    sample_posterior : bool, default=False
        Draw each fill from its predictive distribution (seeded by
        ``random_state``), for multiple imputation, instead of its mean or mode.
        A discrete variable's draws are from its pooled (and, with ``refine``,
        refined) distribution.
    random_state : int, RandomState instance or None, default=None
        Seeds training and the draws of ``sample_posterior``.

    Attributes
    ----------
    autoencoder_ : AutoEncoder
        The fitted autoencoder of the encoded table (None if no column needs it).
    n_iter_ : int
        Epochs trained, averaged ones included (0 if no column needs the network).
    column_types_ : dict
        The type of every input column, by name (or index).
    linear_models_ : dict or None
        ``{column: Pipeline}``: the linear conditional of each discrete column (see
        ``linear_weight``), by name (or index), a ``StandardScaler`` and an
        ``MLPLikelihoodRegressor`` of the encoded row without the column; none for
        a table whose only modelled column it is. None when fitted with
        ``linear_weight=0``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        When fitted on a DataFrame with string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoEncoderImputer
    >>> X = np.array([[1.0, 2.0], [np.nan, 4.1], [3.0, 6.2], [4.0, np.nan]] * 10)
    >>> imputer = AutoEncoderImputer(max_iter=5, random_state=0)
    >>> filled = imputer.fit_transform(X)
    >>> bool(np.isnan(filled).any()), filled.shape
    (False, (40, 2))
    """

    _parameter_constraints = {
        "missing_values": [MissingValues()],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "column_types": [dict, None],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_layer_sizes": [StrOptions({"auto"}), "array-like"],
        "mask_rate": [Interval(Real, 0, 1, closed="left")],
        "max_iter": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "average_last": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "refine": ["boolean"],
        "linear_weight": [Interval(Real, 0, 1, closed="both")],
        "sample_posterior": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, missing_values=np.nan, *, add_indicator=False,
                 keep_empty_features=False, column_types=None, n_components=None,
                 hidden_layer_sizes="auto", mask_rate=0.2, max_iter="auto", average_last=30,
                 early_stopping=False, refine=False, linear_weight=0.5,
                 sample_posterior=False, random_state=None):
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.column_types = column_types
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.mask_rate = mask_rate
        self.max_iter = max_iter
        self.average_last = average_last
        self.early_stopping = early_stopping
        self.refine = refine
        self.linear_weight = linear_weight
        self.sample_posterior = sample_posterior
        self.random_state = random_state

    # ----------------------------------------------------------- the columns
    def _table(self, X, reset):
        """``(column values, observed masks, is_frame)`` of X."""
        is_frame = hasattr(X, "iloc")
        if is_frame:  # a DataFrame, kept as it is
            validate_data(self, X, reset=reset, skip_check_array=True)
            self._check_frame_columns(X, reset)
            values = [X.iloc[:, j].to_numpy(dtype=object) for j in range(X.shape[1])]
        else:
            X = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=False)
            if reset:
                self._columns_in_fit = None
            if X.dtype.kind not in "biuf":
                X = X.astype(object)
            values = [X[:, j] for j in range(X.shape[1])]
        observed = [~_is_missing(v, self.missing_values) for v in values]
        # NaN that is not the placeholder would count as observed (a DataFrame's NaN,
        # read as objects, is always missing)
        if not _is_na_value(self.missing_values):
            for j, v in enumerate(values):
                if v.dtype.kind == "f" and np.isnan(v).any():
                    raise ValueError(
                        f"Input X contains NaN in column {j}, and missing_values is "
                        f"{self.missing_values!r}: NaN is not a placeholder of a missing "
                        "entry here. Set missing_values=np.nan, or replace the NaN with the "
                        "placeholder.")
        return values, observed, is_frame

    def _check_frame_columns(self, X, reset):
        """The columns of a DataFrame, by label and position, are those seen in fit.

        scikit-learn checks string labels only; a table's columns are read by
        position, so any other labels in another order would be filled silently
        wrong."""
        columns = list(X.columns)
        if reset:
            self._columns_in_fit = columns
            return
        check_columns_as_in_fit(columns, getattr(self, "_columns_in_fit", None), "X")

    def _infer_types(self, X, values, is_frame):
        overrides = dict(self.column_types or {})
        names = list(X.columns) if is_frame else list(range(len(values)))
        dtypes = list(X.dtypes) if is_frame else [v.dtype for v in values]
        unknown = [k for k in overrides if k not in names]
        if unknown:
            raise ValueError(f"column_types names columns {unknown} that are not in X.")
        bad = {k: v for k, v in overrides.items() if v not in COLUMN_TYPES}
        if bad:
            raise ValueError(f"column_types must map columns to one of {COLUMN_TYPES}; "
                             f"got {bad}.")
        return [_Column(name, overrides.get(name) or _inferred_type(dtype),
                        inferred=name not in overrides)
                for name, dtype in zip(names, dtypes)], dtypes

    def _layout(self):
        """``(column index, slice of the encoded table)`` of the modelled columns, the
        real, count and binary columns first, each kind side by side, so that each kind
        is one block of the noise model."""
        order = sorted((j for j, c in enumerate(self.columns_) if c.width),
                       key=lambda j: _GROUPED.index(self.columns_[j].model)
                       if self.columns_[j].model in _GROUPED else len(_GROUPED))
        layout, start = [], 0
        for j in order:
            width = self.columns_[j].width
            layout.append((j, slice(start, start + width)))
            start += width
        return layout

    def _encode(self, values, observed):
        blocks = [self.columns_[j].encode(values[j], observed[j])
                  for j, _ in self._layout()]
        return np.hstack(blocks) if blocks else np.zeros((len(values[0]), 0))

    def _noise(self):
        # one block per kind of column where a block can hold many (one call of its
        # noise model per training batch instead of one per column), one per variable
        # for the categorical and ordinal columns
        blocks = []
        for j, where in self._layout():
            kind = self.columns_[j].model
            if kind in _GROUPED and blocks and blocks[-1][0] == kind:
                blocks[-1] = (kind, blocks[-1][1], slice(blocks[-1][2].start, where.stop))
            else:
                blocks.append((kind if kind in _GROUPED else f"c{j}",
                               self.columns_[j].noise(), where))
        return ColumnNoise(blocks)

    # --------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the autoencoder to the observed entries of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            The table with missing entries (``missing_values`` in an array, NA in a
            DataFrame).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        values, observed, is_frame = self._table(X, reset=True)
        self.columns_, dtypes = self._infer_types(X, values, is_frame)
        for column, v, o, dtype in zip(self.columns_, values, observed, dtypes):
            column.fit(v, o, dtype)
        self.column_types_ = {c.name: c.kind for c in self.columns_}
        self.missing_in_fit_ = np.array([not o.all() for o in observed])
        encoded = self._encode(values, observed)
        self.autoencoder_, self.n_iter_ = None, 0
        self.linear_models_ = {} if self.linear_weight else None
        if encoded.shape[1]:
            width = encoded.shape[1]
            n_components = self.n_components or max(2, width)
            early_stopping = self.early_stopping and len(encoded) >= 50
            n_training = len(encoded)
            if early_stopping:  # the autoencoder holds out a tenth, rounded up
                n_training -= math.ceil(0.1 * len(encoded))
            batch_size = _equal_batches(n_training)
            max_iter = self._max_iter(n_training, batch_size)
            ae = _MaskingAutoEncoder(
                n_components=n_components, hidden_layer_sizes=self._hidden_layers(width),
                noise=self._noise(), batch_size=batch_size,
                learning_rate_init=LEARNING_RATE, alpha=ALPHA, max_iter=max_iter,
                early_stopping=early_stopping,
                # without early stopping, exactly max_iter epochs: the cost is then
                # linear in the rows, and a plateau of the training loss (which mixes
                # seen and hidden entries) stopped short of the best fills
                tol=1e-4 if early_stopping else 0.0,
                n_iter_no_change=20 if early_stopping else max_iter + 1,
                random_state=self.random_state)
            ae._mask_rate = self.mask_rate
            ae._variables = np.concatenate(
                [np.full(where.stop - where.start, k)
                 for k, (_, where) in enumerate(self._layout())])
            ae._fill_only = np.concatenate(
                [np.full(where.stop - where.start, self.columns_[j].model in _DISCRETE)
                 for j, where in self._layout()])
            with warnings.catch_warnings():
                if not early_stopping:  # running all max_iter epochs is the plan
                    warnings.simplefilter("ignore", ConvergenceWarning)
                self.autoencoder_, self.n_iter_ = self._train(ae, encoded, early_stopping,
                                                              max_iter)
            if self.linear_weight:
                self.linear_models_ = self._fit_linear_models(encoded)
        return self

    def _max_iter(self, n_rows, batch_size):
        if self.max_iter != "auto":
            return self.max_iter
        n_batches = math.ceil(n_rows / batch_size)
        return int(np.clip(round(STEPS / n_batches), *EPOCHS_RANGE))

    def _hidden_layers(self, width):
        if isinstance(self.hidden_layer_sizes, str):  # "auto"
            return (int(np.clip(HIDDEN_UNITS_PER_COLUMN * width, *HIDDEN_UNITS_RANGE)),)
        return self.hidden_layer_sizes

    def _train(self, ae, encoded, early_stopping, max_iter):
        """``(ae fitted, epochs run)``; without early stopping, the weights are the
        average of those after each of the last ``average_last`` epochs."""
        n_averaged = 0 if early_stopping else min(self.average_last, max_iter - 1)
        ae._schedule = _EpochSchedule(Data(encoded, mask=~np.isnan(encoded)), max_iter,
                                      n_averaged, SCALE_REFIT_EPOCHS)
        try:
            ae.fit(encoded)
        finally:
            schedule, ae._schedule = ae._schedule, None  # it holds the training table
        if n_averaged and ae.n_iter_ == max_iter:
            theta = ae._network.theta
            theta[...] = schedule.averaged(theta)
            # the fixed scales (sample_posterior's spread) of the averaged network
            ae._fit_noise(encoded, None, None)
        return ae, ae.n_iter_

    def _fit_linear_models(self, encoded):
        """``{column name: pipeline}``: each discrete variable's linear conditional
        given the rest of the first-filled row, fitted on the rows where it is
        observed."""
        models = {}
        for column, columns in self._discrete_variables():
            if columns.stop - columns.start == encoded.shape[1]:
                continue  # nothing else in the row to condition on
            rows = ~np.isnan(encoded[:, columns.start])
            # the first fills of the training rows decoded without the variable: where
            # it is filled it is missing, and fills that saw it would let the linear
            # model trust them more than they deserve there
            hidden = encoded[rows]
            hidden[:, columns] = np.nan
            first_fills = self._first_fills(hidden, self.autoencoder_._forward(hidden))
            target = encoded[rows, columns]
            # a fixed start: the binary and categorical problems are convex, and the
            # ordinal's (whose gaps pass a softplus) is then fitted alike every time
            model = make_pipeline(StandardScaler(), MLPLikelihoodRegressor(
                hidden_layer_sizes=(), noise=column.noise(), solver="lbfgs",
                alpha=LINEAR_ALPHA, max_iter=LINEAR_MAX_ITER, tol=LINEAR_TOL,
                random_state=0))
            with warnings.catch_warnings():
                # a pool with a model a few steps short of its optimum is still a pool
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(_without(first_fills, columns),
                          target if target.shape[1] > 1 else target[:, 0])
            models[column.name] = model
        return models

    def _discrete_variables(self):
        """``(column, slice of the encoded table)`` of the binary, categorical and
        ordinal variables the network models."""
        return [(self.columns_[j], columns) for j, columns in self._layout()
                if self.columns_[j].model in _DISCRETE]

    def _first_fills(self, encoded, raw):
        """The encoded table with its missing entries at the network's fills
        decoded from ``raw``: means, or class probabilities."""
        return np.where(np.isnan(encoded), self.autoencoder_.noise_.mean(raw), encoded)

    # ------------------------------------------------------------ imputing
    def transform(self, X):
        """Fill the missing entries of X; observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        X_filled : ndarray or DataFrame
            The container X came in, with its dtypes and category labels; the columns
            empty in ``fit`` are dropped unless ``keep_empty_features``, and the
            indicators appended with ``add_indicator``.
        """
        check_is_fitted(self)
        self._validate_params()  # refine and linear_weight may be set after fit
        values, observed, is_frame = self._table(X, reset=False)
        fills = self._fills(values, observed)
        out_columns, positions = [], []
        for j, (column, v, o) in enumerate(zip(self.columns_, values, observed)):
            if column.empty and not self.keep_empty_features:
                continue
            filled = np.array(v, dtype=object if is_frame or v.dtype == object else v.dtype)
            fill = fills[j][~o]
            if filled.dtype.kind in "iu":  # a placeholder in an integer array
                fill = np.rint(fill.astype(float))
            filled[~o] = fill
            out_columns.append(filled)
            positions.append(j)
        indicators = [~o for o, was in zip(observed, self.missing_in_fit_) if was]
        if is_frame:
            return self._frame(X, out_columns, positions, indicators)
        out = np.column_stack(out_columns) if out_columns else np.zeros((len(values[0]), 0))
        if out.dtype == object:
            try:
                out = out.astype(float)
            except (TypeError, ValueError):
                pass
        if self.add_indicator and indicators:
            out = np.hstack([out, np.column_stack(indicators).astype(out.dtype)])
        return out

    def _fills(self, values, observed):
        """Per column, an array of fill values for every row."""
        n = len(values[0])
        fills = []
        decoded = self._decoded(values, observed)
        where = dict(self._layout())
        for j, column in enumerate(self.columns_):
            if column.width:
                fills.append(column.decode(decoded[:, where[j]]))
            elif column.constant is not None:
                fills.append(np.full(n, column.constant, dtype=object))
            else:  # empty in fit
                fills.append(np.full(n, 0 if column.numeric else "missing", dtype=object))
        return fills

    def _decoded(self, values, observed):
        """The network's fills in the encoded layout: means (real, count), modes
        (binary, ordinal), class probabilities (categorical), or posterior draws."""
        if self.autoencoder_ is None:
            return np.zeros((len(values[0]), 0))
        ae = self.autoencoder_
        encoded = self._encode(values, observed).astype(ae._network.dtype)
        raw = ae._forward(encoded)
        first_fills = self._first_fills(encoded, raw)
        if self.refine:
            raw = self._refined(encoded, first_fills, raw)
        if self.linear_weight:
            raw = self._pooled(encoded, first_fills, raw)
        noise = ae.noise_
        if self.sample_posterior:
            return noise.sample(raw, 1, check_random_state(self.random_state))[0]
        out = noise.mean(raw)
        for block in noise.layout(out.shape[1]):
            model = block.model
            block_raw = raw[:, block.raw]
            if isinstance(model, Bernoulli):
                out[:, block.columns] = model.mean(block_raw) > 0.5
            elif isinstance(model, Ordinal):
                out[:, block.columns] = model.mode(block_raw)
        return out

    def _refined(self, encoded, first_fills, raw):
        """``raw`` with each discrete variable's outputs, on the rows where it is
        missing, decoded again from the row with the other missing entries at their
        ``first_fills`` as if observed, its own entries missing."""

        def decoded_again(column, columns, rows, outputs):
            inputs = first_fills[rows]
            inputs[:, columns] = np.nan
            return self.autoencoder_._forward(inputs)[:, outputs]

        return self._with_discrete_outputs(encoded, raw, decoded_again)

    def _pooled(self, encoded, first_fills, raw):
        """``raw`` with each discrete variable's outputs, on the rows where it is
        missing, moved ``linear_weight`` of the way to its linear model's, whose
        inputs are the row with its missing entries at their ``first_fills``."""
        if self.linear_models_ is None:
            raise ValueError(
                f"linear_weight={self.linear_weight} needs the linear models, which fit "
                "leaves out with linear_weight=0; fit again with linear_weight > 0.")
        weight = self.linear_weight

        def pooled(column, columns, rows, outputs):
            model = self.linear_models_.get(column.name)
            if model is None:
                return raw[rows, outputs]
            scaler, regressor = model[0], model[-1]
            linear = regressor._raw(scaler.transform(_without(first_fills[rows], columns)))
            return (1 - weight) * raw[rows, outputs] + weight * linear

        return self._with_discrete_outputs(encoded, raw, pooled)

    def _with_discrete_outputs(self, encoded, raw, outputs_of):
        """A copy of ``raw`` in which each discrete variable's raw outputs, on the rows
        where it is missing, are ``outputs_of(column, encoded columns, rows, raw
        columns)``."""
        missing = np.isnan(encoded)
        out = raw.copy()
        for column, columns in self._discrete_variables():
            rows = missing[:, columns.start]  # a variable's columns go missing together
            if rows.any():
                outputs = self._raw_columns(columns)
                out[rows, outputs] = outputs_of(column, columns, rows, outputs)
        return out

    def _raw_columns(self, columns):
        """The raw outputs of the encoded ``columns`` (one variable's): its block's
        own (categorical, ordinal), or its one output in the shared binary block."""
        noise = self.autoencoder_.noise_
        for block in noise.layout(self.autoencoder_.n_features_in_):
            if block.columns.start <= columns.start < block.columns.stop:
                if isinstance(block.model, Bernoulli):
                    start = block.raw.start + columns.start - block.columns.start
                    return slice(start, start + 1)
                return block.raw
        raise AssertionError(f"no block holds the encoded columns {columns}")

    def _frame(self, X, columns, positions, indicators):
        import pandas as pd

        data = {}
        for j, filled in zip(positions, columns):
            name = X.columns[j]
            data[name] = _restore_dtype(pd.Series(filled, index=X.index, name=name),
                                        X.dtypes.iloc[j])
        frame = pd.DataFrame(data, index=X.index)
        if self.add_indicator:
            for name, indicator in zip(
                    [X.columns[j] for j, was in enumerate(self.missing_in_fit_) if was],
                    indicators):
                frame[f"missingindicator_{name}"] = indicator
        return frame

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the kept inputs, then the indicators."""
        check_is_fitted(self)
        from sklearn.utils.validation import _check_feature_names_in

        names = _check_feature_names_in(self, input_features)
        kept = [str(n) for n, c in zip(names, self.columns_)
                if not (c.empty and not self.keep_empty_features)]
        if self.add_indicator:
            kept += [f"missingindicator_{n}" for n, was in zip(names, self.missing_in_fit_)
                     if was]
        return np.asarray(kept, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags


def _without(table, columns):
    """``table`` without the encoded ``columns`` (a slice)."""
    return np.delete(table, np.arange(columns.start, columns.stop), axis=1)


def _equal_batches(n_rows):
    """Rows per batch: as few batches of at most ``BATCH_SIZE`` rows as cover the
    rows, of equal size but for rounding (a small last batch takes a noisy step on a
    small table)."""
    return math.ceil(n_rows / math.ceil(n_rows / BATCH_SIZE))


def _is_numpy(dtype):
    return isinstance(dtype, np.dtype)


def _inferred_type(dtype):
    if _is_numpy(dtype):
        if dtype.kind == "b":
            return "binary"
        return "real" if dtype.kind in "iuf" else "categorical"
    name = str(dtype).lower()
    if name == "boolean":
        return "binary"
    if name.startswith(("int", "uint", "float")):
        return "real"  # pandas' nullable Int64 and Float64
    return "categorical"


def _is_numeric(dtype):
    """Numbers or bools: a numpy dtype, or one of pandas' nullable ones."""
    if _is_numpy(dtype):
        return dtype.kind in "biuf"
    return str(dtype).lower().startswith(("int", "uint", "float", "boolean"))


def _is_integer(dtype):
    if _is_numpy(dtype):
        return dtype.kind in "iu"
    return str(dtype).lower().startswith(("int", "uint"))


def _is_real_number(value):
    return isinstance(value, Real) and not isinstance(value, (bool, np.bool_))


def _is_missing(values, missing_values):
    """Which entries of a column are missing: ``missing_values``, and NaN, None or
    pandas' NA in an object column."""
    if values.dtype == object:
        missing = _is_na(values)
        if not _is_na_value(missing_values):
            seen = ~missing
            missing[seen] = [v == missing_values for v in values[seen].tolist()]
        return missing
    if _is_na_value(missing_values):
        return np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), bool)
    if isinstance(missing_values, str):  # a string placeholder in a numeric column
        return np.zeros(len(values), bool)
    return values == missing_values


def _is_na(values):
    """NaN, None, pandas' NA (and NaT) in an object array."""
    try:
        import pandas as pd
    except ImportError:
        return np.array([v is None or (isinstance(v, (float, np.floating)) and np.isnan(v))
                         for v in values.tolist()], dtype=bool)
    return np.asarray(pd.isna(values), dtype=bool)


def _is_na_value(value):
    """Whether the placeholder ``value`` is a not-a-value (NaN, None, pandas' NA)."""
    return value is None or type(value).__name__ == "NAType" or (
        isinstance(value, float) and math.isnan(value))


def _finite(seen, name):
    """The observed entries of a real or count column as floats; infinity is an error."""
    seen = seen.astype(float)
    if np.isinf(seen).any():
        raise ValueError(f"Input X contains infinity in column {name!r}.")
    return seen


def _restore_dtype(series, dtype):
    """The filled column in the dtype it came in (category labels, integers, bools)."""
    try:
        if _is_numpy(dtype) and dtype.kind == "O":
            return series.infer_objects()  # e.g. bools with holes came in as objects
        if _is_integer(dtype):  # numpy's, or pandas' nullable Int64
            return series.astype(float).round().astype(dtype)
        categories = getattr(dtype, "categories", None)
        if categories is not None:
            # a fill the column's categories lack (a level of fit's, or the empty
            # column's "missing") becomes a category rather than NaN
            known = set(categories)
            new = [v for v in dict.fromkeys(series.tolist()) if v not in known]
            if new:
                dtype = type(dtype)(list(categories) + new, ordered=dtype.ordered)
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series.infer_objects()
