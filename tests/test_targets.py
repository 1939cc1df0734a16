"""Bad regression targets and node indices are reported in the user's terms.

scikit-learn's ``validate_data`` converts an object ``y`` to float for a
regressor (``None`` becoming NaN after its finiteness check) and leaves a
string ``y`` as it is; ``MLPRegressor`` then names the problem as
scikit-learn's checks do, rather than "Training diverged" or torch's
conversion error.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_deep import GCNClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 3))
Y = X[:, 0] - X[:, 1]


def _regressor(**params):
    return MLPRegressor(
        hidden_layer_sizes=(4,), max_iter=3, random_state=0, device="cpu", **params
    )


def _with(values, index, value, dtype=object):
    values = np.array(values, dtype=dtype)
    values[index] = value
    return values


@pytest.mark.parametrize(
    "y, message",
    [
        (_with(Y, 3, None), "Input y contains NaN"),
        (_with(np.c_[Y, Y], (3, 1), None), "Input y contains NaN"),
        (_with(Y, 3, np.inf), "Input y contains infinity"),
        (np.array(["a"] * len(Y), dtype=object), "could not convert string to float"),
        (np.array(["a"] * len(Y)), "could not convert string to float: 'a'"),
        ([f"x{i}" for i in range(len(Y))], "could not convert string to float"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_regression_targets_get_scikit_learns_messages(y, message, method):
    reg = _regressor()
    with pytest.raises(ValueError, match=message):
        getattr(reg, method)(X, y)
    assert not hasattr(reg, "module_")


def test_targets_beyond_float32_are_refused_in_float32():
    y = _with(Y, 0, 1e39, dtype=np.float64)
    with pytest.raises(ValueError, match="Input y contains infinity"):
        _regressor().fit(X, y)
    # float64 takes them.
    assert np.isfinite(_regressor(dtype="float64").fit(X, y).loss_curve_[0])


def test_numbers_as_strings_are_targets_as_scikit_learn_takes_them():
    # validate_data converts an object y of numeric strings; a numpy string y
    # of the same values fits the same.
    as_floats = _regressor().fit(X, Y).predict(X)
    for y in (Y.astype(str), Y.astype(str).astype(object), list(Y.astype(str))):
        np.testing.assert_array_equal(_regressor().fit(X, y).predict(X), as_floats)


@pytest.mark.parametrize("value", [2**63, 2**64 - 1])
def test_huge_unsigned_node_indices_are_reported_as_they_are(value):
    adjacency = sp.identity(5, format="csr")
    clf = GCNClassifier(adjacency, None, max_iter=2, device="cpu")
    nodes = np.array([0, 1, value], dtype=np.uint64)
    with pytest.raises(ValueError, match="outside 0..4") as error:
        clf.fit(nodes, [0, 1, 0])
    assert f"[{value}]" in str(error.value)
