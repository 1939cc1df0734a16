"""What a user's network may take as X: arrays of any rank, or a dict of them.

A 2-D numeric X goes through scikit-learn's ``validate_data`` (feature count
and names are checked at prediction, as for every estimator); arrays of higher
rank (images, token ids per position) and the arrays of a dict (one per
keyword of the network's ``forward``) through ``check_array`` with
``allow_nd``. Floats (and integers, unless ``keep_integer_X``) reach the
network in its float dtype; kept integers as int64, for embeddings. Prediction
checks that X has the shapes and kinds the network was fitted on.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import check_array, check_consistent_length

from sklearn_deep.utils._sklearn_compat import validate_data
from sklearn_deep.utils._torch import padded_block, to_numpy, to_tensor


def _cast(array, float_dtype, keep_integer, name, owner):
    """``array`` in the dtype the network gets: int64 ids or its float dtype."""
    if keep_integer and array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    with np.errstate(over="ignore"):
        cast = array.astype(float_dtype, copy=False)
    if cast.dtype != array.dtype and not np.isfinite(cast).all():
        raise ValueError(
            f"Input {name} contains values too large for dtype('float32'). "
            f"{owner} computes in float32, where finite values beyond about "
            "3.4e38 overflow to infinity: scale X (e.g. StandardScaler) or fit "
            "with dtype='float64'."
        )
    return cast


def _kind(array):
    return "i" if array.dtype.kind in "iu" else "f"


def validate_inputs(estimator, X, y=None, *, reset, y_numeric=False):
    """``(arrays, names, y)``: X's arrays in the network's dtypes.

    ``names`` is None for a single array, else the keys of the dict X, in
    order. ``y`` is validated with X when given (a fit), None otherwise.
    With ``reset`` the input layout is learnt (``_input_spec``); otherwise X
    must match it.
    """
    owner = type(estimator).__name__
    float_dtype = np.float32 if estimator.dtype == "float32" else np.float64
    keep_integer = estimator.keep_integer_X
    fitting = y is not None
    # (A scipy DOK matrix is a dict too: sparse X fails in validate_data.)
    if isinstance(X, dict) and not sp.issparse(X):
        if not X or not all(isinstance(key, str) for key in X):
            raise ValueError(
                f"A dict X must map the names of the network's forward arguments "
                f"(strings) to arrays; got keys {list(X)[:5]}."
            )
        names = tuple(X)
        arrays = [
            check_array(
                X[name],
                dtype="numeric",
                ensure_2d=False,
                allow_nd=True,
                input_name=f"X[{name!r}]",
            )
            for name in names
        ]
        check_consistent_length(*arrays, *([y] if fitting else []))
        if fitting:
            y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
            if y_numeric and y.dtype.kind == "O":
                y = y.astype(np.float64)
            check_consistent_length(arrays[0], y)
        if reset:
            for name in ("n_features_in_", "feature_names_in_"):
                estimator.__dict__.pop(name, None)
    else:
        names = None
        if fitting:
            X, y = validate_data(
                estimator,
                X,
                y,
                reset=reset,
                dtype="numeric",
                allow_nd=True,
                multi_output=True,
                y_numeric=y_numeric,
            )
        else:
            X = validate_data(estimator, X, reset=reset, dtype="numeric", allow_nd=True)
        arrays = [X]
    if reset:
        if names is None and arrays[0].ndim == 1:
            raise ValueError("Expected 2D array, got 1D array instead.")
        arrays = [
            _cast(a, float_dtype, keep_integer, _shown(n), owner)
            for n, a in zip(names or [None], arrays, strict=True)
        ]
        estimator._input_spec = tuple(
            (name, tuple(int(s) for s in array.shape[1:]), _kind(array))
            for name, array in zip(names or [None], arrays, strict=True)
        )
    else:
        arrays = _matching(estimator, arrays, names, float_dtype, owner)
    return arrays, names, y


def _shown(name):
    return "X" if name is None else f"X[{name!r}]"


def _matching(estimator, arrays, names, float_dtype, owner):
    """``arrays`` cast as at fit, after checking they have the fitted layout."""
    spec = estimator._input_spec
    fitted_names = tuple(name for name, _, _ in spec)
    given = names or (None,)
    if set(given) != set(fitted_names):
        described = "one array" if fitted_names == (None,) else list(fitted_names)
        raise ValueError(
            f"X holds {'one array' if names is None else list(names)}, but "
            f"{owner} was fitted on {described}."
        )
    by_name = dict(zip(given, arrays, strict=True))
    out = []
    for name, shape, kind in spec:
        array = by_name[name]
        if tuple(array.shape[1:]) != shape:
            raise ValueError(
                f"{_shown(name)} has samples of shape {tuple(array.shape[1:])}, "
                f"but {owner} was fitted on samples of shape {shape}."
            )
        if kind == "i":
            if array.dtype.kind == "f" and not np.array_equal(array, np.round(array)):
                raise ValueError(
                    f"{_shown(name)} holds non-integer values, but {owner} "
                    "was fitted on integer input (keep_integer_X=True)."
                )
            out.append(array.astype(np.int64))
        else:
            out.append(_cast(array, float_dtype, False, _shown(name), owner))
    if len(out) > 1 or names is not None:
        check_consistent_length(*out)
    return out


def to_tensors(arrays, names, float_dtype, device):
    """The network's input: one tensor, or a tuple of them for a dict X."""
    tensors = tuple(
        to_tensor(a, torch.long if a.dtype.kind == "i" else float_dtype, device)
        for a in arrays
    )
    return tensors[0] if names is None else tensors


class KeywordInputs(torch.nn.Module):
    """Calls a network with the tensors of a batch as keyword arguments.

    The engine hands a network one object per batch; for a dict X that is the
    tuple of its arrays' rows, which this passes on as ``forward(**X)``.
    """

    def __init__(self, module, names):
        super().__init__()
        self.module = module
        self.names = tuple(names)

    def forward(self, inputs):
        return self.module(**dict(zip(self.names, inputs, strict=True)))


def call_module(module, inputs, names):
    """``module``'s output on one batch: a tensor, or keyword tensors."""
    if names is None:
        return module(inputs)
    return module(**dict(zip(names, inputs, strict=True)))


@torch.inference_mode()
def predict_blocks(
    module, arrays, names, *, float_dtype, device, block_rows, check, activate
):
    """The network's outputs on the rows of ``arrays``, in blocks of fixed size.

    Every block has ``block_rows`` rows (the last padded with zeros), so that a
    row's output does not depend on which rows it is predicted with.
    ``check(output, n_rows)`` validates the raw output of each block before
    ``activate`` turns it into predictions.
    """
    n_samples = arrays[0].shape[0]
    outputs = []
    for start in range(0, n_samples, block_rows):
        blocks = []
        for array in arrays:
            rows = array[start : start + block_rows]
            dtype = torch.long if array.dtype.kind == "i" else float_dtype
            blocks.append(padded_block(rows, block_rows, dtype, device))
        n_rows = min(block_rows, n_samples - start)
        output = call_module(module, blocks[0] if names is None else blocks, names)
        check(output, block_rows)
        outputs.append(to_numpy(activate(output[:n_rows])))
    return np.concatenate(outputs) if outputs else None
