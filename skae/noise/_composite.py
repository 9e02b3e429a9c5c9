"""ColumnNoise: one noise model per group of target columns, for tables of mixed types."""

from collections import namedtuple
import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import _BaseComposition

from ._base import NoiseModel

Block = namedtuple("Block", "name model columns raw terms")
Block.__doc__ = """One block of a :class:`ColumnNoise` with its columns resolved.

``columns`` indexes the target columns (a slice when they are contiguous, else an
integer array), ``raw`` and ``terms`` are the slices of the raw outputs and of the
likelihood terms that belong to the block."""


class ColumnNoise(_BaseComposition, NoiseModel):
    """A noise model made of other noise models, each over its own target columns.

    In the manner of :class:`sklearn.compose.ColumnTransformer`, ``blocks`` is a list
    of ``(name, noise_model, columns)`` triples. The columns of a row are independent
    given the raw outputs, so the negative log-likelihood is the sum over blocks

    .. math:: -\\log p(y \\mid \\omega) = \\sum_b -\\log p_b(y_{C_b} \\mid \\omega_b)

    where ``C_b`` are the columns of block ``b`` and ``omega_b`` its parameters. Each
    block is exact, so the sum is. The raw outputs are laid out block by block, in the
    order of ``blocks``: block ``b`` owns ``noise_model.n_raw(len(C_b))`` consecutive
    raw columns. Masks, fixed (maximum-likelihood) parameters and draws are routed to
    the blocks; ``pooled=True`` pools a fixed scale within each block, never across
    blocks of different families.

    Parameters
    ----------
    blocks : list of (str, NoiseModel, columns) tuples
        ``columns`` is an int, a list or array of ints, a slice, a boolean mask over
        the target columns, or (when the estimator is fitted on a DataFrame) a column
        name or list of names. A :class:`Categorical` block covers the one-hot columns
        of one categorical variable; several variables need several blocks (see
        :meth:`from_categories`). Every target column must belong to exactly one block.

    Notes
    -----
    ``params(raw)`` returns the union of the blocks' parameters, each of shape
    ``(n_samples, n_targets)`` with NaN in the columns of blocks that do not have
    that parameter. ``dist(raw)`` returns one frozen distribution per block, by name.
    Nested parameters are reached as for a pipeline: ``set_params(num__scale=2.0)``,
    or ``{"noise__num__scale": [...]}`` in a grid search over an estimator.

    Examples
    --------
    >>> import numpy as np
    >>> from skae.noise import Bernoulli, Categorical, ColumnNoise, Gaussian
    >>> noise = ColumnNoise([("amount", Gaussian(), [0]), ("flag", Bernoulli(), [1]),
    ...                      ("colour", Categorical(), slice(2, 5))])
    >>> noise.n_raw(5)
    5
    >>> y = np.array([[0.3, 1.0, 0.0, 1.0, 0.0]])
    >>> raw = np.zeros((1, 5))
    >>> bool(np.isclose(noise.nll(y, raw)[0], 0.5 * 0.3**2 + 0.5 * np.log(2 * np.pi)
    ...                 + np.log(2) + np.log(3)))
    True
    """

    def __init__(self, blocks):
        self.blocks = blocks

    # ---------------------------------------------------- parameters (nested)
    @property
    def _models(self):
        try:
            return [(name, model) for name, model, _ in self.blocks]
        except (TypeError, ValueError):
            return self.blocks

    @_models.setter
    def _models(self, value):
        try:
            self.blocks = [(name, model, columns) for (name, model), (_, _, columns)
                           in zip(value, self.blocks)]
        except (TypeError, ValueError):
            self.blocks = value

    def get_params(self, deep=True):
        """Parameters of the model and, with ``deep``, of its blocks (``name__param``)."""
        return self._get_params("_models", deep=deep)

    def set_params(self, **params):
        """Set parameters, including the blocks' own as ``name__param``."""
        self._set_params("_models", **params)
        return self

    # -------------------------------------------------------------- the layout
    def _checked_blocks(self):
        blocks = self.blocks
        if not isinstance(blocks, (list, tuple)) or not blocks:
            raise ValueError("ColumnNoise: blocks must be a non-empty list of (name, "
                             f"noise_model, columns) tuples; got {blocks!r}.")
        names = []
        for block in blocks:
            if not (isinstance(block, tuple) and len(block) == 3):
                raise ValueError("ColumnNoise: each block must be a (name, noise_model, "
                                 f"columns) tuple; got {block!r}.")
            name, model, _ = block
            if not isinstance(name, str) or not name or "__" in name:
                raise ValueError("ColumnNoise: block names must be non-empty strings "
                                 f"without '__'; got {name!r}.")
            if not isinstance(model, NoiseModel):
                raise ValueError(f"ColumnNoise: block {name!r} needs a NoiseModel "
                                 f"instance; got {model!r}.")
            names.append(name)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"ColumnNoise: block names must be unique; {repeated} repeat.")
        return blocks

    def _column_indices(self, name, columns, n_targets):
        """The target columns of one block as an array of indices."""
        if isinstance(columns, slice):
            return np.arange(n_targets)[columns]
        spec = np.asarray(columns)
        if spec.dtype.kind in "USO" or isinstance(columns, str):
            raise ValueError(
                f"ColumnNoise: block {name!r} names its columns ({columns!r}); names "
                "are resolved against the feature names of a DataFrame when an "
                "estimator is fitted on one (or call with_feature_names)."
            )
        if spec.dtype == bool:
            if spec.shape != (n_targets,):
                raise ValueError(
                    f"ColumnNoise: the boolean mask of block {name!r} has shape "
                    f"{spec.shape}; expected ({n_targets},) for {n_targets} target columns."
                )
            return np.flatnonzero(spec)
        if spec.dtype.kind not in "iu":
            raise ValueError(f"ColumnNoise: block {name!r} has columns {columns!r}; "
                             "expected ints, a slice, a boolean mask or names.")
        indices = spec.ravel().astype(np.intp)
        outside = indices[(indices < -n_targets) | (indices >= n_targets)]
        if outside.size:
            raise ValueError(f"ColumnNoise: block {name!r} has columns "
                             f"{outside.tolist()} outside the {n_targets} target columns.")
        return indices % n_targets

    def layout(self, n_targets):
        """The blocks with their columns, raw outputs and terms resolved.

        Resolved once per set of blocks and ``n_targets`` (every training batch asks
        for it): a block replaced in the list, or a new list from ``set_params``, gives
        a new layout.

        Parameters
        ----------
        n_targets : int
            Number of target columns.

        Returns
        -------
        blocks : list of Block
            ``(name, model, columns, raw, terms)`` per block, in order.

        Raises
        ------
        ValueError
            Naming the columns claimed by two blocks, the columns no block covers, an
            empty block, or columns given as names that were never resolved.
        """
        # The cache holds the block triples themselves, so that a triple replaced in
        # the list (``blocks[0] = ...``) is told by identity: the old one, referenced
        # here, cannot have its id reused.
        blocks = tuple(self.blocks)
        cached = self.__dict__.get("_layout_cache")
        if (cached is not None and cached[1] == n_targets and len(cached[0]) == len(blocks)
                and all(a is b for a, b in zip(cached[0], blocks))):
            return cached[2]
        layout = self._resolve_layout(n_targets)
        self._layout_cache = (blocks, n_targets, layout)
        return layout

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_layout_cache", None)  # derived, and rebuilt on first use
        state.pop("_raw_layout_cache", None)
        return state

    def _resolve_layout(self, n_targets):
        owner = np.full(n_targets, -1)
        resolved = []
        blocks = self._checked_blocks()
        for b, (name, model, columns) in enumerate(blocks):
            indices = self._column_indices(name, columns, n_targets)
            if indices.size == 0:
                raise ValueError(f"ColumnNoise: block {name!r} covers no column "
                                 f"({columns!r}).")
            values, counts = np.unique(indices, return_counts=True)
            repeated = values[counts > 1]
            if repeated.size:
                raise ValueError(f"ColumnNoise: block {name!r} lists columns "
                                 f"{repeated.tolist()} more than once.")
            taken = indices[owner[indices] >= 0]
            if taken.size:
                other = blocks[owner[taken[0]]][0]
                raise ValueError(f"ColumnNoise: columns {taken.tolist()} belong to both "
                                 f"block {other!r} and block {name!r}.")
            owner[indices] = b
            resolved.append(indices)
        uncovered = np.flatnonzero(owner < 0)
        if uncovered.size:
            raise ValueError(f"ColumnNoise: columns {uncovered.tolist()} of the "
                             f"{n_targets} target columns belong to no block; every "
                             "column needs a noise model.")
        layout, raw_start, term_start = [], 0, 0
        for (name, model, _), indices in zip(blocks, resolved):
            n_raw, n_terms = model.n_raw(indices.size), model.n_terms(indices.size)
            layout.append(Block(name, model, _as_slice(indices),
                                slice(raw_start, raw_start + n_raw),
                                slice(term_start, term_start + n_terms)))
            raw_start += n_raw
            term_start += n_terms
        return layout

    def with_feature_names(self, feature_names):
        """A copy whose columns given by name are replaced by their positions.

        Parameters
        ----------
        feature_names : array-like of str
            Names of the target columns, in order (an estimator's
            ``feature_names_in_``).

        Returns
        -------
        noise : ColumnNoise
            Positional: its columns are ints, slices or boolean masks.
        """
        position = {str(name): j for j, name in enumerate(feature_names)}
        blocks = []
        for name, model, columns in self._checked_blocks():
            listed = [columns] if isinstance(columns, str) else columns
            if not isinstance(columns, slice) and np.asarray(listed).dtype.kind in "USO":
                unknown = [c for c in listed if str(c) not in position]
                if unknown:
                    raise ValueError(f"ColumnNoise: block {name!r} names columns "
                                     f"{unknown} that are not among the feature names "
                                     f"{list(position)}.")
                columns = [position[str(c)] for c in listed]
            blocks.append((name, clone(model), columns))
        return type(self)(blocks)

    @classmethod
    def from_categories(cls, categories, start=0, prefix="cat"):
        """Categorical blocks for one-hot columns laid out as ``OneHotEncoder`` does.

        Parameters
        ----------
        categories : list of array-like
            The categories of each variable, e.g. a fitted ``OneHotEncoder``'s
            ``categories_`` (with ``drop=None``).
        start : int, default=0
            Position of the first one-hot column among the target columns.
        prefix : str, default="cat"
            Block ``k`` is named ``f"{prefix}{k}"``.

        Returns
        -------
        blocks : list of (str, Categorical, slice)
            To be concatenated with the other blocks of a ``ColumnNoise``.
        """
        from ._canonical import Categorical

        blocks = []
        for k, levels in enumerate(categories):
            width = len(levels)
            blocks.append((f"{prefix}{k}", Categorical(), slice(start, start + width)))
            start += width
        return blocks

    def _target_layout(self, y):
        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(f"ColumnNoise requires 2-D targets; got shape {y.shape}.")
        return self.layout(y.shape[1])

    def _raw_layout(self, raw):
        """The layout for raw outputs alone: the number of targets whose blocks need
        exactly ``raw.shape[1]`` outputs.

        The search resolves a layout per candidate number, work quadratic in the
        columns that every ``mean`` or ``sample`` would repeat, so its answer is kept
        (as ``layout``'s, keyed by the block triples themselves).
        """
        n_raw = raw.shape[1]
        blocks = tuple(self.blocks)
        cached = self.__dict__.get("_raw_layout_cache")
        if (cached is not None and cached[1] == n_raw and len(cached[0]) == len(blocks)
                and all(a is b for a, b in zip(cached[0], blocks))):
            return cached[2]
        for n_targets in range(1, n_raw + 1):
            try:
                layout = self.layout(n_targets)
            except ValueError:
                continue
            if layout[-1].raw.stop == n_raw:
                self._raw_layout_cache = (blocks, n_raw, (layout, n_targets))
                return layout, n_targets
        # the error of the explicit columns says more than a count mismatch
        self.layout(n_raw)
        raise ValueError(f"ColumnNoise: no number of target columns gives {n_raw} raw "
                         "outputs.")

    # ----------------------------------------------------------------- counts
    @property
    def param_names(self):
        names = []
        for _, model, _ in self._checked_blocks():
            names.extend(n for n in model.param_names if n not in names)
        return tuple(names)

    @property
    def support(self):
        supports = {model.support for _, model, _ in self._checked_blocks()}
        return supports.pop() if len(supports) == 1 else "mixed"

    def n_raw(self, n_targets):
        return self.layout(n_targets)[-1].raw.stop

    def n_terms(self, n_targets):
        return self.layout(n_targets)[-1].terms.stop

    # ---------------------------------------------------------------- targets
    def validate_target(self, y, allow_missing=False):
        """Check each block's columns against its model's support.

        A ValueError names the block and its columns. Returns ``y`` itself, or a copy
        in which values a few ulps outside a closed bound are clipped onto it.
        """
        y = np.asarray(y)
        checked = y
        for block in self._target_layout(y):
            part = y[:, block.columns]
            try:
                valid = block.model.validate_target(part, allow_missing=allow_missing)
            except ValueError as exc:
                raise ValueError(f"ColumnNoise block {block.name!r} (columns "
                                 f"{_describe(block.columns)}): {exc}") from None
            if valid is not part and not np.shares_memory(valid, part):
                if checked is y:
                    checked = y.copy()
                checked[:, block.columns] = valid
        return checked

    def _fill(self, y, where):
        filled = np.array(y, copy=True)
        for b in self._target_layout(y):
            filled[:, b.columns] = b.model._fill(y[:, b.columns], where[:, b.columns])
        return filled

    # --------------------------------------------------------- the likelihood
    def nll_terms(self, y, raw):
        y, raw = np.asarray(y), np.asarray(raw)
        layout = self._target_layout(y)
        return np.concatenate([b.model.nll_terms(y[:, b.columns], raw[:, b.raw])
                               for b in layout], axis=1)

    def nll(self, y, raw, mask=None):
        y, raw = np.asarray(y), np.asarray(raw)
        total = 0
        for b in self._target_layout(y):
            total = total + b.model.nll(y[:, b.columns], raw[:, b.raw],
                                        _block_mask(mask, b))
        return total

    def nll_and_grad(self, y, raw, out=None, mask=None, include_constants=True):
        return self._weighted_nll_and_grad(y, raw, out, mask, include_constants)

    def _weighted_nll_and_grad(self, y, raw, out=None, mask=None, include_constants=True,
                              block_weight=None):
        """:meth:`nll_and_grad` with each block's terms and gradient multiplied by
        ``block_weight(block)`` (a block of :meth:`layout`; all 1 if None).

        A weighted sum of the blocks' NLLs is no likelihood: this is for training
        losses that weigh the blocks differently (the imputer's), never for a score.
        """
        y, raw = np.asarray(y), np.asarray(raw)
        if out is None:
            out = np.empty_like(raw)
        total = 0
        for b in self._target_layout(y):
            # each block writes its gradient into its own raw columns of ``out``
            nll, _ = b.model.nll_and_grad(y[:, b.columns], raw[:, b.raw], out=out[:, b.raw],
                                          mask=_block_mask(mask, b),
                                          include_constants=include_constants)
            weight = 1.0 if block_weight is None else block_weight(b)
            if weight != 1.0:
                out[:, b.raw] *= weight
                nll = nll * weight
            total = total + nll
        return total, out

    # -------------------------------------------------------- the distribution
    def params(self, raw):
        """The union of the blocks' parameters, each (n_samples, n_targets), NaN in
        the columns of blocks without that parameter."""
        raw = np.asarray(raw)
        layout, n_targets = self._raw_layout(raw)
        out = {}
        for b in layout:
            for name, value in b.model.params(raw[:, b.raw]).items():
                if name not in out:
                    out[name] = np.full((raw.shape[0], n_targets), np.nan, dtype=raw.dtype)
                out[name][:, b.columns] = value
        return out

    def crps(self, y, raw):
        """The CRPS of every entry, each block's by its own closed form.

        Raises
        ------
        ValueError
            Naming the first block whose model has no closed form, or whose targets
            lie outside its support.
        """
        y = self.validate_target(y)
        raw = np.asarray(raw)
        out = np.empty(y.shape, dtype=np.result_type(y.dtype, raw.dtype))
        for b in self._target_layout(y):
            try:
                out[:, b.columns] = b.model.crps(y[:, b.columns], raw[:, b.raw])
            except ValueError as exc:
                raise ValueError(f"ColumnNoise block {b.name!r} (columns "
                                 f"{_describe(b.columns)}): {exc}") from None
        return out

    def mean(self, raw):
        raw = np.asarray(raw)
        layout, n_targets = self._raw_layout(raw)
        out = np.empty((raw.shape[0], n_targets), dtype=raw.dtype)
        for b in layout:
            out[:, b.columns] = b.model.mean(raw[:, b.raw])
        return out

    def dist(self, raw):
        """One frozen ``scipy.stats`` distribution per block, by block name (a dict in
        the order of ``blocks``); block ``b``'s describes the columns
        ``layout(n_targets)[b].columns``."""
        raw = np.asarray(raw)
        layout, _ = self._raw_layout(raw)
        return {b.name: b.model.dist(raw[:, b.raw]) for b in layout}

    def interval(self, raw, coverage):
        """Central intervals of the blocks whose outcomes are ordered; NaN elsewhere.

        Returns
        -------
        lower, upper : ndarray of shape (n_samples, n_targets)
        """
        raw = np.asarray(raw)
        layout, n_targets = self._raw_layout(raw)
        lower = np.full((raw.shape[0], n_targets), np.nan)
        upper = np.full_like(lower, np.nan)
        for b in layout:
            if b.model.ordered_outcomes:
                frozen = b.model.dist(raw[:, b.raw])
                lower[:, b.columns], upper[:, b.columns] = frozen.interval(coverage)
        return lower, upper

    def sample(self, raw, n_samples=1, random_state=None):
        """Draws from every block, shape (n_draws, n_samples, n_targets)."""
        raw = np.asarray(raw)
        random_state = check_random_state(random_state)
        layout, n_targets = self._raw_layout(raw)
        out = np.empty((n_samples, raw.shape[0], n_targets), dtype=raw.dtype)
        for b in layout:
            out[:, :, b.columns] = b.model.sample(raw[:, b.raw], n_samples, random_state)
        return out

    def initial_raw(self, y, sample_weight=None):
        y = np.asarray(y)
        return np.concatenate([b.model.initial_raw(y[:, b.columns], sample_weight)
                               for b in self._target_layout(y)])

    # ------------------------------------------------------------ target units
    # The regressor's target scaling (``MLPLikelihoodRegressor(target_scaling=True)``)
    # works block by block: a location-scale block trains in standardised units, as it
    # would alone; the other blocks (counts, flags, categories) keep their targets.
    @property
    def can_rescale(self):
        """Whether some block can be rescaled (see :meth:`rescaled`)."""
        return any(_can_rescale(model) for _, model, _ in self._checked_blocks())

    @property
    def latent_transform(self):
        """Per block, the transform of its targets that the units are taken of
        (``"identity"``, ``"log"``), or None for a block that is not rescaled."""
        return tuple((name, model.latent_transform if _can_rescale(model) else None)
                     for name, model, _ in self._checked_blocks())

    def marginal_units(self, y, sample_weight=None, mask=None):
        """Per target column, the units of a rescalable block's column (its model's
        ``marginal_units``); shift 0 and unit 1 elsewhere.

        Returns
        -------
        shift, unit : ndarray of shape (n_targets,)
        """
        y = np.asarray(y)
        shift, unit = np.zeros(y.shape[1], y.dtype), np.ones(y.shape[1], y.dtype)
        for b in self._target_layout(y):
            if _can_rescale(b.model):
                shift[b.columns], unit[b.columns] = b.model.marginal_units(
                    y[:, b.columns], sample_weight, _block_mask(mask, b))
        return shift, unit

    def rescaled(self, shift, unit):
        """A copy whose rescalable blocks describe targets in other units (each its
        model's ``rescaled`` on its columns); the other blocks are unchanged."""
        return self._with_models(len(shift), lambda b: (
            b.model.rescaled(shift[b.columns], unit[b.columns]) if _can_rescale(b.model)
            else b.model))

    # ------------------------------------------------- fixed (ML) parameters
    def has_fixed_parameters(self):
        return any(model.has_fixed_parameters() for _, model, _ in self._checked_blocks())

    def fixed_statistics(self, y, raw, sample_weight=None, mask=None):
        """The blocks' statistics side by side: column ``j`` holds those of target
        column ``j``'s block (zero for blocks with nothing to estimate, and below a
        block's own rows); None if no block estimates anything.

        Each block's statistics must be an array with one column per target column
        of the block, as :class:`LocationScale`'s are.
        """
        y, raw = np.asarray(y), np.asarray(raw)
        layout = self._target_layout(y)
        parts = []
        for b in layout:
            stats = b.model.fixed_statistics(y[:, b.columns], raw[:, b.raw], sample_weight,
                                             _block_mask(mask, b))
            parts.append(None if stats is None else _per_column(stats, b))
        if all(p is None for p in parts):
            return None
        depth = max(p.shape[0] for p in parts if p is not None)
        out = np.zeros((depth, y.shape[1]))
        for b, p in zip(layout, parts):
            if p is not None:
                out[: p.shape[0], b.columns] = p
        return out

    def fit_fixed(self, statistics, pooled=False):
        """A copy in which each block that estimates parameters has them fitted on its
        own columns' statistics (pooled within the block with ``pooled=True``)."""
        if statistics is None:
            return self
        statistics = np.asarray(statistics)

        def fitted(b):
            depth = _statistics_depth(b)
            if not depth:
                return b.model
            return b.model.fit_fixed(statistics[:depth, b.columns], pooled=pooled)

        return self._with_models(statistics.shape[1], fitted)

    def _with_models(self, n_targets, new_model):
        """A copy with each block's model replaced by ``new_model(block)`` (a block of
        :meth:`layout`), its columns given as they were."""
        return type(self)([(b.name, new_model(b), _original_columns(self, b.name))
                           for b in self.layout(n_targets)])


def _can_rescale(model):
    return getattr(model, "can_rescale", False)


def _as_slice(indices):
    """A slice for contiguous ascending indices (a view, no copy), else the indices."""
    if indices.size and np.array_equal(indices, np.arange(indices[0], indices[-1] + 1)):
        return slice(int(indices[0]), int(indices[-1]) + 1)
    return indices


def _describe(columns):
    if isinstance(columns, slice):
        return list(range(columns.start, columns.stop))
    return columns.tolist()


def _block_mask(mask, block):
    return None if mask is None else np.asarray(mask)[:, block.columns]


def _per_column(statistics, block):
    statistics = np.asarray(statistics, dtype=np.float64)
    width = len(_describe(block.columns))
    if statistics.ndim != 2 or statistics.shape[1] != width:
        raise ValueError(
            f"ColumnNoise: block {block.name!r}'s fixed statistics have shape "
            f"{statistics.shape}; ColumnNoise needs one column per target column "
            f"({width})."
        )
    return statistics


def _statistics_depth(block):
    """Rows of a block's fixed statistics: those of no data at all, which only have
    the shape (0 if the block estimates nothing)."""
    width = len(_describe(block.columns))
    model = block.model
    empty = model.fixed_statistics(np.zeros((0, width)),
                                   np.zeros((0, model.n_raw(width))))
    return 0 if empty is None else np.shape(empty)[0]


def _original_columns(noise, name):
    for block_name, _, columns in noise.blocks:
        if block_name == name:
            return columns
    raise KeyError(name)

