"""What every estimator's ``fit`` shares, whatever its network."""

from numbers import Integral

import numpy as np

# The attributes of a fit in progress that sklearn.callback tears down after it.
_CALLBACK_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


def floating_dtype_of(X):
    """scikit-learn's floating dtype for ``X``: float32 if X is all float32.

    Anything else (float64, integers, lists, mixed data frames) is float64. A
    data frame's columns count by their NumPy dtype, so pandas' nullable
    ``Float32`` is float32 too.
    """
    dtypes = getattr(X, "dtypes", None)  # a data frame
    if dtypes is None or isinstance(dtypes, np.dtype):
        dtypes = [getattr(X, "dtype", None)]
    all_float32 = len(dtypes) > 0 and all(
        getattr(dtype, "numpy_dtype", dtype) == np.float32 for dtype in dtypes
    )
    return np.dtype(np.float32 if all_float32 else np.float64)


def fit_or_restore(estimator, fit, *args, **kwargs):
    """Return ``fit(*args, **kwargs)``; if it fails, put ``estimator`` back as it was.

    A fit that fails half-way (bad input found late, divergence, Ctrl-C before
    the first epoch ends) must not leave a half-fitted estimator behind: a
    previously fitted one stays fitted and unchanged, a new one stays unfitted.
    """
    saved = estimator.__dict__.copy()
    try:
        return fit(*args, **kwargs)
    except BaseException:
        # What scikit-learn's callbacks set up in this fit stays, for
        # ``_fit_context`` to tear it down.
        callback_state = {
            key: value
            for key, value in estimator.__dict__.items()
            if key in _CALLBACK_STATE
        }
        estimator.__dict__.clear()
        estimator.__dict__.update(saved)
        estimator.__dict__.update(callback_state)
        raise


def check_hidden_layer_sizes(hidden_layer_sizes):
    """``hidden_layer_sizes`` (an int or a sequence of ints) as a list of widths."""
    sizes = hidden_layer_sizes
    sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
    if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return sizes
