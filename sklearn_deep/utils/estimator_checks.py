"""Estimator instances and expectations for the common (API) checks.

scikit-learn's checks fit each estimator dozens of times on tiny data, so the
instances here train briefly. Each tabular estimator is checked twice: in its
default float32 precision, and in float64, where every check passes.
``expected_failed_checks`` is the one place that lists what an instance cannot
pass, with the reason. Estimators that take no tabular X (graph nodes,
sequences) use our own checks instead: ``common_checks`` and the ``check_*``
functions at the end of this module.
"""

import functools
import hashlib
import inspect
import pickle
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV

from sklearn_deep.utils.discovery import all_estimators
from sklearn_deep.wrappers._check_modules import ClassifierMLP, RegressorMLP

CHECK_PARAMETERS = {
    "Autoencoder": dict(
        hidden_layer_sizes=(10,), max_iter=20, random_state=0, device="cpu"
    ),
    # Small networks without batch norm and random shifts: both make a row of
    # weight 2 differ from a repeated row (batch statistics, independent
    # shifts), which scikit-learn's sample-weight checks compare.
    "CNNClassifier": dict(
        filters=(8,),
        batch_norm=False,
        max_shift=0,
        max_iter=50,
        random_state=0,
        device="cpu",
        n_threads=1,
    ),
    # Flattened rather than pooled over positions: the checks' regression
    # targets depend on which feature is where.
    "CNNRegressor": dict(
        filters=(8,),
        global_pooling=None,
        batch_norm=False,
        max_shift=0,
        max_iter=50,
        random_state=0,
        device="cpu",
        n_threads=1,
    ),
    # Tiny networks and few updates: the checks only need a fitted sampler.
    "GAN": dict(
        latent_dim=2,
        generator_hidden_layer_sizes=(8,),
        discriminator_hidden_layer_sizes=(8,),
        batch_size=32,
        max_iter=3,
        random_state=0,
        device="cpu",
        n_threads=1,
    ),
    "MLPClassifier": dict(max_iter=100, random_state=0, device="cpu"),
    "MLPRegressor": dict(max_iter=100, random_state=0, device="cpu"),
    # A small MLP module class whose shapes come from each check's data.
    "TorchClassifier": dict(
        module=ClassifierMLP, max_iter=100, random_state=0, device="cpu", n_threads=1
    ),
    "TorchRegressor": dict(
        module=RegressorMLP, max_iter=100, random_state=0, device="cpu", n_threads=1
    ),
}

# The sample-weight equivalence checks compare a fit with integer weights to a
# fit on repeated rows at rtol=1e-7. In float32 the two sums differ in rounding
# (about 1e-7 relative per step) and a hundred optimiser steps amplify that to
# about 1e-5; in float64 the same check passes, so the weighting itself is exact.
_FLOAT32_ROUNDING = (
    "float32 rounding: equal in float64 (checked by the float64 instance), "
    "differs by ~1e-5 in float32 after 100 steps; the check needs rtol=1e-7"
)
_FLOAT32_EXPECTED_FAILURES = {
    "check_sample_weight_equivalence_on_dense_data": _FLOAT32_ROUNDING,
    "check_sample_weight_equivalence_on_sparse_data": _FLOAT32_ROUNDING,
}


def tabular_estimators_for_checks():
    """Fast-to-fit instances of each estimator that takes a 2-D ``X``."""
    instances = []
    for name, cls in all_estimators():
        if name in CHECK_PARAMETERS:
            instances.append(cls(**CHECK_PARAMETERS[name]))
            instances.append(cls(**CHECK_PARAMETERS[name], dtype="float64"))
    return instances


def expected_failed_checks(estimator):
    """``{check name: reason}`` of the checks ``estimator`` is known to fail.

    ``tests/test_common.py`` marks them as strict expected failures: a listed
    check that passes fails the test, so that the list stays true.
    """
    if type(estimator).__name__ in CHECK_PARAMETERS and estimator.dtype == "float32":
        return _FLOAT32_EXPECTED_FAILURES
    return {}


# ---------------------------------------------------------------------------
# Our own common checks, for estimators whose X is not a plain 2-D matrix (the
# nodes of a graph the estimator holds, sequences of tokens). scikit-learn's
# checks generate tabular X themselves, which such estimators cannot take, so
# each check below gets a factory of unfitted estimators and data that the
# estimator does accept. ``common_checks`` bundles them for pytest.
# ---------------------------------------------------------------------------

_PREDICT_METHODS = ("predict", "predict_proba", "decision_function", "transform")


def _assert_same_values(a, b, what):
    """Deep equality of parameter values: arrays, sparse matrices, containers."""
    if sp.issparse(a) or sp.issparse(b):
        assert sp.issparse(a) and sp.issparse(b), what
        assert a.shape == b.shape and (a != b).nnz == 0, what
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=what)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), what
        for key in a:
            _assert_same_values(a[key], b[key], f"{what}[{key!r}]")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), what
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same_values(x, y, f"{what}[{i}]")
    else:
        assert a is b or a == b, f"{what}: {a!r} != {b!r}"


def _fingerprint(value):
    """A digest of an array-like's content, to detect in-place modification."""
    digest = hashlib.sha256()
    if sp.issparse(value):
        value = sp.csr_matrix(value)
        for part in (value.data, value.indices, value.indptr):
            digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(repr(value.shape).encode())
    elif isinstance(value, np.ndarray) and value.dtype != object:
        digest.update(np.ascontiguousarray(value).tobytes())
        digest.update(repr((value.shape, value.dtype)).encode())
    else:  # lists, ragged sequences
        digest.update(repr(value).encode())
    return digest.hexdigest()


def _data_fingerprints(estimator, X, y):
    """Fingerprints of ``X``, ``y`` and every array-valued parameter."""
    prints = {"X": _fingerprint(X), "y": _fingerprint(y)}
    for name, value in estimator.get_params(deep=False).items():
        if sp.issparse(value) or isinstance(value, np.ndarray | list):
            prints[name] = _fingerprint(value)
    return prints


def _predictions(estimator, X):
    """Everything a fitted estimator predicts for ``X``, by method name."""
    outputs = {}
    for name in _PREDICT_METHODS:
        if hasattr(estimator, name):
            output = getattr(estimator, name)(X)
            try:
                outputs[name] = np.asarray(output)
            except ValueError:  # ragged, e.g. one sequence per sample
                outputs[name] = np.asarray(output, dtype=object)
    return outputs


def _assert_same_predictions(first, second, what):
    assert first.keys() == second.keys(), what
    for name in first:
        _assert_same_output(first[name], second[name], f"{what}: {name}")


def _assert_same_output(a, b, what):
    """Equal outputs: floats to rounding, anything else exactly; ragged outputs
    (an object array of per-sample arrays, e.g. per-sentence probabilities)
    element by element."""
    if a.dtype == object and b.dtype == object and a.shape == b.shape:
        for i, (x, y) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
            _assert_same_output(np.asarray(x), np.asarray(y), f"{what}[{i}]")
    elif a.dtype.kind == "f":
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def check_clone(make_estimator):
    """``clone`` gives an unfitted estimator with equal parameters."""
    estimator = make_estimator()
    cloned = clone(estimator)
    assert type(cloned) is type(estimator)
    _assert_same_values(
        cloned.get_params(deep=False), estimator.get_params(deep=False), "clone"
    )
    fitted = [n for n in vars(cloned) if n.endswith("_") and not n.startswith("_")]
    assert not fitted, f"a clone must hold no fitted attribute, found {fitted}"


def check_get_set_params(make_estimator):
    """``__init__`` stores its arguments; ``set_params`` round-trips them."""
    estimator = make_estimator()
    params = estimator.get_params(deep=False)
    signature = inspect.signature(type(estimator).__init__)
    names = [name for name in signature.parameters if name != "self"]
    assert sorted(params) == sorted(names), "get_params must list __init__'s args"
    for name in names:
        assert name in vars(estimator), f"__init__ must store {name!r} as is"
    same = type(estimator)().set_params(**params)
    _assert_same_values(same.get_params(deep=False), params, "set_params")


def check_not_fitted(make_estimator, X, y):
    """Prediction methods raise ``NotFittedError`` before ``fit``."""
    estimator = make_estimator()
    for name in (*_PREDICT_METHODS, "predict_log_proba", "score"):
        if not hasattr(estimator, name):
            continue
        args = (X, y) if name == "score" else (X,)
        try:
            getattr(estimator, name)(*args)
        except NotFittedError:
            continue
        raise AssertionError(f"{name} before fit did not raise NotFittedError")


def check_fit_keeps_input(make_estimator, X, y):
    """``fit`` returns ``self`` and modifies neither its data nor its parameters."""
    estimator = make_estimator()
    before = _data_fingerprints(estimator, X, y)
    assert estimator.fit(X, y) is estimator, "fit must return self"
    after = _data_fingerprints(estimator, X, y)
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"fit modified {changed} in place"


def check_fit_deterministic(make_estimator, X, y):
    """Two fits with the same ``random_state`` predict the same."""
    first = make_estimator().set_params(random_state=0).fit(X, y)
    second = make_estimator().set_params(random_state=0).fit(X, y)
    _assert_same_predictions(
        _predictions(first, X), _predictions(second, X), "same random_state"
    )


def check_pickle_round_trip(make_estimator, X, y):
    """A fitted estimator pickles and predicts the same after unpickling."""
    estimator = make_estimator().fit(X, y)
    restored = pickle.loads(pickle.dumps(estimator))
    _assert_same_predictions(
        _predictions(estimator, X), _predictions(restored, X), "after pickling"
    )


def check_bad_input(make_estimator, X, y, bad_inputs):
    """Bad input fails with a clear error and leaves a fitted estimator unchanged.

    ``bad_inputs`` is a sequence of ``(description, X, y, errors)`` for bad
    data, or ``(description, params, errors)`` for bad parameters given to
    ``set_params``; each must make ``fit`` raise one of ``errors`` (an exception
    type or a tuple of them). After each failure the estimator must predict
    exactly as it did before.
    """
    estimator = make_estimator().fit(X, y)
    expected = _predictions(estimator, X)
    original = estimator.get_params(deep=False)
    for case in bad_inputs:
        if len(case) == 4:
            description, bad_X, bad_y, errors = case
            params = {}
        else:
            description, params, errors = case
            bad_X, bad_y = X, y
        try:
            estimator.set_params(**params).fit(bad_X, bad_y)
        except errors:
            pass
        else:
            raise AssertionError(f"fit did not raise {errors} for {description}")
        finally:
            estimator.set_params(**original)
        _assert_same_predictions(
            expected, _predictions(estimator, X), f"after failed fit ({description})"
        )


def check_grid_search(make_estimator, X, y, param_grid, cv=2):
    """``GridSearchCV`` clones, fits and scores the estimator on splits of X."""
    search = GridSearchCV(make_estimator(), param_grid, cv=cv, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    n_candidates = int(np.prod([len(values) for values in param_grid.values()]))
    assert len(search.cv_results_["params"]) == n_candidates
    assert np.isfinite(search.best_score_)
    search.predict(X)


def common_checks(make_estimator, X, y, *, bad_inputs=(), param_grid=None):
    """Our common checks, bound to an estimator factory and its data.

    Parameters
    ----------
    make_estimator : callable
        Returns a new unfitted estimator, fast to fit on ``X, y``.
    X, y : object
        Data that ``make_estimator().fit`` accepts.
    bad_inputs : sequence, default=()
        Cases for :func:`check_bad_input`; skipped when empty.
    param_grid : dict, default=None
        A small grid for :func:`check_grid_search`; skipped when None.

    Returns
    -------
    checks : list of callables
        Each takes no argument and raises ``AssertionError`` on failure; its
        ``__name__`` is the check's name (for ``pytest.mark.parametrize`` ids).
    """
    bound = [
        functools.partial(check_clone, make_estimator),
        functools.partial(check_get_set_params, make_estimator),
        functools.partial(check_not_fitted, make_estimator, X, y),
        functools.partial(check_fit_keeps_input, make_estimator, X, y),
        functools.partial(check_fit_deterministic, make_estimator, X, y),
        functools.partial(check_pickle_round_trip, make_estimator, X, y),
    ]
    if bad_inputs:
        bound.append(
            functools.partial(check_bad_input, make_estimator, X, y, bad_inputs)
        )
    if param_grid is not None:
        bound.append(
            functools.partial(check_grid_search, make_estimator, X, y, param_grid)
        )
    for check in bound:
        functools.update_wrapper(check, check.func)
    return bound
