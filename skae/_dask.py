"""Lazy inference on dask arrays.

An estimator's inference method decorated with :func:`lazy_on_dask` keeps its NumPy
behaviour, and given a ``dask.array.Array`` returns a dask array instead, built without
computing anything:

- the method runs block by block on the input's row blocks, so no more than one block
  of the input is ever in a worker's memory; the input's columns are joined into one
  chunk first (lazily), since every row needs all its features;
- the model is copied at call time: the result is what the model gives now, even if
  it trains on (``partial_fit``) before the result is computed;
- the result keeps the input's row chunks, and its other dimensions and dtype are those
  the method gives on one row of zeros (the *probe*). The probe runs at call time, so
  an unfitted model or a wrong number of features raises at once, not at ``compute``.

dask is imported only when a dask array is actually passed: skae never needs it at
import. A dask array can only exist once ``dask.array`` has been imported, so checking
``sys.modules`` recognises one without importing anything.

dask-ml's ``ParallelPostFit.transform`` and ``Incremental.transform`` call
``map_blocks`` without output chunks, so for an AutoEncoder (whose codes have fewer
columns than its input) they report the input's shape; call the fitted estimator's
own methods instead (``inc.estimator_.transform(X)``), which go through this module.

:func:`sum_over_row_blocks` serves ``fit_noise`` on dask arrays: each block's sufficient
statistics are computed on the worker that holds it, and only they come back.
"""

import copy
import functools
import inspect
import string
import sys

import numpy as np


def is_dask_array(a):
    """Whether ``a`` is a ``dask.array.Array`` (without importing dask)."""
    array = sys.modules.get("dask.array")
    return array is not None and isinstance(a, array.Array)


def lazy_on_dask(method):
    """Decorate an inference method whose arguments are all arrays of the same rows
    (``transform(X)``, ``log_likelihood(X, y)``), so that it also takes dask arrays.

    When any argument is a dask array, the method returns a dask array (a dict of them
    when it returns a dict) computed block by block over row blocks; otherwise it runs
    as written.
    """
    signature = inspect.signature(method)

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        arrays = list(bound.arguments.values())[1:]
        if not any(is_dask_array(a) for a in arrays):
            return method(self, *args, **kwargs)
        # a copy: the lazy result is the model as it is now, even if it trains on
        # before the result is computed
        model = copy.deepcopy(self)
        return map_row_blocks(functools.partial(method, model), arrays,
                              name=f"{type(self).__name__}-{method.__name__}")

    return wrapper


def is_dask_collection(a):
    """Whether ``a`` is any dask collection (array, DataFrame, bag...), without
    importing dask."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(a)


def reject_dask(X):
    """Raise a clear error where a method cannot run lazily on X, instead of silently
    pulling the whole of it into memory: a dask array given to a method that is not
    lazy, or any other dask collection (a dask DataFrame) given to any method."""
    if is_dask_array(X):
        raise TypeError(
            "This method does not take dask arrays: it would load the whole array into "
            "memory. transform, inverse_transform, score_samples, predict, "
            "predict_params, log_likelihood and crps run lazily on dask arrays; for "
            "this method, compute the rows you need first (e.g. X[:1000].compute())."
        )
    if is_dask_collection(X):
        raise TypeError(
            f"skae's methods take dask arrays, not a dask {type(X).__name__}, which "
            "would be computed whole: pass X.to_dask_array(lengths=True) to a lazy "
            "method (transform, score_samples, predict, ...), or compute X first."
        )


def map_row_blocks(function, arrays, name):
    """``function(*arrays)`` as a lazy dask array, computed over row blocks.

    Parameters
    ----------
    function : callable
        Takes NumPy arrays with the same rows and returns an array whose first dimension
        is those rows, or a dict of such arrays.
    arrays : list of array-like
        At least one is a dask array; the first dask array sets the row chunks, and the
        others are brought to them.
    name : str
        Prefix of the dask keys.

    Returns
    -------
    result : dask.array.Array or dict of str to dask.array.Array
    """
    from dask.base import tokenize

    arrays = _aligned_rows(arrays)
    probe = function(*(np.zeros((1,) + a.shape[1:], dtype=a.dtype) for a in arrays))
    token = tokenize(function, *arrays)
    if not isinstance(probe, dict):
        return _blockwise(function, arrays, probe, f"{name}-{token}")

    # One pass per block gives every entry (e.g. "loc" and "scale"), stacked on a new
    # second axis; each entry is a lazy slice of that one computation.
    names = list(probe)
    values = [np.asarray(probe[key]) for key in names]
    stacked = _blockwise(functools.partial(_stacked, function, names), arrays,
                         np.stack(values, axis=1), f"{name}-{token}")
    return {key: stacked[:, k].astype(value.dtype, copy=False)
            for k, (key, value) in enumerate(zip(names, values))}


def sum_over_row_blocks(function, arrays):
    """``function`` of each row block of ``arrays`` (None entries stay None), summed;
    computed now, on the active dask scheduler. The values must support ``+``, or all
    be None.

    It streams: each block's value is computed where the block is, and only the values
    (e.g. a noise model's sufficient statistics) come back.
    """
    import dask

    present = [a for a in arrays if a is not None]
    blocks = zip(*(a.to_delayed().ravel() for a in _aligned_rows(present)))
    missing = [a is None for a in arrays]
    values = dask.compute(*(dask.delayed(_call_with_none)(function, missing, *row_blocks)
                            for row_blocks in blocks))
    return functools.reduce(_add, values)


def _call_with_none(function, missing, *blocks):
    blocks = iter(blocks)
    return function(*(None if absent else next(blocks) for absent in missing))


def _add(a, b):
    return None if a is None or b is None else a + b


def _stacked(function, names, *blocks):
    out = function(*blocks)
    return np.stack([np.asarray(out[key]) for key in names], axis=1)


def _aligned_rows(arrays):
    """The arrays as dask arrays with the row chunks of the first dask array among them
    and every other dimension in one chunk."""
    import dask.array as da

    rows = next(a for a in arrays if is_dask_array(a)).chunks[0]
    n_rows = sum(rows)
    aligned = []
    for a in arrays:
        if not is_dask_array(a):
            a = np.asarray(a)
        if np.isnan(n_rows) and getattr(a, "chunks", (None,))[0] != rows:
            raise ValueError(
                "Arrays with unknown chunk sizes must come with the same row chunks; call "
                "compute_chunk_sizes() on them first."
            )
        if a.shape[0] != n_rows and not np.isnan(n_rows):
            raise ValueError(
                f"The arrays have different numbers of rows: {a.shape[0]} and {n_rows}."
            )
        if not is_dask_array(a):
            a = da.from_array(a, chunks=(rows,) + a.shape[1:])
        one_chunk = {axis: -1 for axis in range(1, a.ndim) if a.numblocks[axis] > 1}
        if a.chunks[0] != rows:
            one_chunk[0] = rows
        aligned.append(a.rechunk(one_chunk) if one_chunk else a)
    return aligned


def _blockwise(function, arrays, probe, name):
    """The lazy ``function`` over row blocks, shaped and typed like ``probe`` (its
    result on one row) after the first axis."""
    import dask.array as da

    letters = iter(string.ascii_letters[1:])  # "a" indexes rows
    arguments = []
    for a in arrays:
        arguments += [a, "a" + "".join(next(letters) for _ in range(1, a.ndim))]
    new_axes = {next(letters): size for size in probe.shape[1:]}
    return da.blockwise(
        function, "a" + "".join(new_axes), *arguments, new_axes=new_axes,
        concatenate=True, dtype=probe.dtype, meta=np.empty((0,) + probe.shape[1:],
                                                             dtype=probe.dtype),
        name=name,
    )
