"""Sample and class weights: zero-weight minibatches, and checked class_weight.

A minibatch whose rows all have zero weight has nothing to learn from: it is
skipped (its weighted loss would be 0 / 0, its penalty scaled by 1 / 0). The
per-sample weights that ``class_weight`` gives pass the checks that
``sample_weight`` passes, in scikit-learn's words.
"""

import numpy as np
import pytest
import torch

from sklearn_deep import MLPClassifier, MLPRegressor
from sklearn_deep._training import LOSSES, Batches
from sklearn_deep.base import held_out_split
from sklearn_deep.utils._torch import seed_from_random_state

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RNG = np.random.RandomState(0)
X = RNG.normal(size=(400, 5))
Y = (X[:, 0] + X[:, 1] > 0).astype(int)
LABELS = np.where(Y == 1, "b", "a")


def _sparse_weights(fraction=0.05, seed=0):
    rng = np.random.RandomState(seed)
    weights = np.zeros(len(X))
    weights[rng.choice(len(X), int(fraction * len(X)), replace=False)] = 1.0
    return weights


# ------------------------------------------------------------ zero-weight batches
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("alpha", [1e-4, 0.0])
@pytest.mark.parametrize("alpha_l1", [0.0, 1e-4])
def test_minibatches_of_zero_weight_train(solver, alpha, alpha_l1):
    # 5% of the weights are non-zero: most batches of 32 have none. They used
    # to raise ZeroDivisionError (alpha / 0) or, without a penalty, report that
    # training diverged (a loss of 0 / 0).
    clf = MLPClassifier(
        (4,),
        batch_size=32,
        solver=solver,
        alpha=alpha,
        alpha_l1=alpha_l1,
        max_iter=5,
        random_state=0,
        device="cpu",
    ).fit(X, Y, sample_weight=_sparse_weights())
    assert np.all(np.isfinite(clf.loss_curve_))
    assert all(np.all(np.isfinite(c)) for c in clf.coefs_)


def test_a_minibatch_of_zero_weight_is_skipped():
    # Without shuffling, the first batch holds the rows of zero weight: the fit
    # is the fit on the other rows alone, step for step.
    weights = np.r_[np.zeros(32), np.ones(64)]
    params = dict(batch_size=32, shuffle=False, max_iter=15, device="cpu")
    weighted = MLPClassifier((8,), random_state=0, **params).fit(
        X[:96], Y[:96], sample_weight=weights
    )
    alone = MLPClassifier((8,), random_state=0, **params).fit(
        X[32:96], Y[32:96], sample_weight=np.ones(64)
    )
    assert weighted.n_iter_ == alone.n_iter_
    assert weighted.loss_curve_ == alone.loss_curve_
    for a, b in zip(weighted.coefs_, alone.coefs_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_zero_weight_batches_are_skipped_by_the_batches():
    inputs = torch.arange(12.0).reshape(6, 2)
    target = torch.arange(6.0)
    weight = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0, 2.0])
    batches = Batches(inputs, target, weight, batch_size=2, shuffle=False)
    seen = [t.tolist() for _, t, _ in batches.epoch(torch.Generator())]
    assert seen == [[2.0, 3.0], [4.0, 5.0]]
    # Shuffled, every batch yielded holds a row of positive weight, and those
    # rows all come once per epoch.
    batches = Batches(inputs, target, weight, batch_size=2, shuffle=True)
    generator = torch.Generator().manual_seed(0)
    for _ in range(5):
        rows = [w for _, _, w in batches.epoch(generator)]
        assert all(float(w.sum()) > 0 for w in rows)
        assert float(torch.cat(rows).sum()) == 3.0


def test_weighted_loss_of_a_zero_weight_batch_is_zero_not_nan():
    output = torch.randn(4, 3, requires_grad=True)
    target = torch.tensor([0, 1, 2, 0])
    loss = LOSSES["cross_entropy"](output, target, torch.zeros(4))
    loss.backward()
    assert float(loss.detach()) == 0.0
    assert torch.equal(output.grad, torch.zeros_like(output))


def test_all_zero_weights_are_refused():
    with pytest.raises(ValueError, match="at least one non-zero number"):
        MLPClassifier((4,), max_iter=2, device="cpu").fit(
            X, Y, sample_weight=np.zeros(len(X))
        )


def test_weights_zero_on_every_training_row_are_refused():
    # Early stopping holds out a validation set: weights that are positive on
    # held-out rows only leave nothing to train on.
    seed = seed_from_random_state(0)
    train, validation = held_out_split(len(X), 0.5, seed, stratify=Y)
    weights = np.zeros(len(X))
    weights[validation] = 1.0
    clf = MLPClassifier(
        (4,),
        early_stopping=True,
        validation_fraction=0.5,
        max_iter=2,
        random_state=0,
        device="cpu",
    )
    with pytest.raises(ValueError, match="at least one non-zero number among the"):
        clf.fit(X, Y, sample_weight=weights)
    assert not hasattr(clf, "module_")


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_weights_zero_on_every_validation_row_are_refused(estimator):
    # The weighted validation score would be 0 / 0.
    seed = seed_from_random_state(0)
    classifier = estimator is MLPClassifier
    train, _ = held_out_split(len(X), 0.2, seed, stratify=Y if classifier else None)
    weights = np.zeros(len(X))
    weights[train] = 1.0
    model = estimator(
        hidden_layer_sizes=(4,),
        early_stopping=True,
        max_iter=2,
        random_state=0,
        device="cpu",
    )
    with pytest.raises(ValueError, match="among the rows held out for validation"):
        model.fit(X, Y if classifier else X[:, 0], sample_weight=weights)


# ----------------------------------------------------------------- class_weight
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize(
    "class_weight, message",
    [
        ({"a": -1, "b": 2}, "Negative values in data passed to `class_weight`"),
        ({"a": -1, "b": 1}, "Negative values in data passed to `class_weight`"),
        ({"a": 0, "b": 0}, "Sample weights must contain at least one non-zero"),
        ({"a": np.inf, "b": 1}, "Input class_weight contains infinity"),
        ({"a": np.nan, "b": 1}, "Input class_weight contains NaN"),
        # Beyond float32's range: infinite in the network.
        ({"a": 1e300, "b": 1}, "Input class_weight contains infinity"),
    ],
)
def test_class_weight_is_checked_as_sample_weight_is(solver, class_weight, message):
    clf = MLPClassifier(
        (4,), solver=solver, class_weight=class_weight, max_iter=3, device="cpu"
    )
    with pytest.raises(ValueError, match=message):
        clf.fit(X, LABELS)
    assert not hasattr(clf, "module_")


def test_class_weight_times_sample_weight_is_checked():
    # Each is fine alone; together they weigh every sample zero...
    clf = MLPClassifier((4,), class_weight={"a": 0, "b": 1}, max_iter=3, device="cpu")
    with pytest.raises(ValueError, match="times sample_weight is zero"):
        clf.fit(X, LABELS, sample_weight=(LABELS == "a").astype(float))
    # ... or beyond float32's range.
    clf.set_params(class_weight={"a": 1e30, "b": 1})
    with pytest.raises(ValueError, match="sample_weight \\* class_weight contains"):
        clf.fit(X, LABELS, sample_weight=np.full(len(X), 1e30))


def test_valid_class_weight_still_trains_in_float64():
    # 1e300 is a finite float64: accepted where sample_weight would be.
    clf = MLPClassifier(
        (4,),
        class_weight={"a": 1e300, "b": 1e300},
        dtype="float64",
        max_iter=5,
        random_state=0,
        device="cpu",
    ).fit(X, LABELS)
    plain = MLPClassifier(
        (4,), dtype="float64", max_iter=5, random_state=0, device="cpu"
    ).fit(X, LABELS)
    # The weighted mean divides by the total weight: a common scale is moot
    # (up to the penalty, scaled by 1 / total weight).
    np.testing.assert_allclose(clf.coefs_[0], plain.coefs_[0], atol=1e-3)


def test_regressor_weights_are_unaffected():
    reg = MLPRegressor(
        hidden_layer_sizes=(4,), batch_size=32, max_iter=5, device="cpu"
    ).fit(X, X[:, 0], sample_weight=_sparse_weights())
    assert np.all(np.isfinite(reg.loss_curve_))
