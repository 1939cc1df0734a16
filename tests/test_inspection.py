"""The training displays draw the fitted curves."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from sklearn_deep import GCNClassifier, MLPClassifier, MLPRegressor
from sklearn_deep.inspection import GradientFlowDisplay, TrainingHistoryDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=300, n_features=8, random_state=0)


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


@pytest.fixture(scope="module")
def early_stopped(data):
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=40,
        learning_rate_init=0.05,
        random_state=0,
    )
    return _fit(clf, *data)


def test_training_history_draws_loss_scores_and_best_epoch(early_stopped):
    clf = early_stopped
    display = TrainingHistoryDisplay.from_estimator(clf)

    epochs = np.arange(1, clf.n_iter_ + 1)
    np.testing.assert_array_equal(display.loss_line_.get_xdata(), epochs)
    np.testing.assert_allclose(display.loss_line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.validation_line_.get_xdata(), epochs)
    np.testing.assert_allclose(
        display.validation_line_.get_ydata(), clf.validation_scores_
    )
    best = [row["epoch"] for row in clf.history_ if row["best"]][-1]
    assert display.best_epoch == best
    assert clf.validation_scores_[best - 1] == clf.best_validation_score_
    assert list(display.best_line_.get_xdata()) == [best, best]
    assert display.validation_ax_ is not None
    assert display.figure_ is display.ax_.figure
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert any("best epoch" in label for label in labels)


def test_training_history_without_early_stopping(data):
    clf = _fit(MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0), *data)
    display = TrainingHistoryDisplay.from_estimator(clf)
    np.testing.assert_allclose(display.loss_line_.get_ydata(), clf.loss_curve_)
    assert display.validation_line_ is None
    assert display.best_epoch is None
    assert display.best_line_ is None


def test_training_history_on_given_axes(early_stopped):
    _, ax = plt.subplots()
    display = TrainingHistoryDisplay.from_estimator(
        early_stopped, ax=ax, loss_kwargs={"color": "k"}
    )
    assert display.ax_ is ax
    assert display.loss_line_.get_color() == "k"


def test_training_history_of_sklearn_mlp(data):
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    clf = _fit(
        SkMLPClassifier(
            hidden_layer_sizes=(8,), early_stopping=True, max_iter=20, random_state=0
        ),
        *data,
    )
    display = TrainingHistoryDisplay.from_estimator(clf)
    assert display.best_epoch == int(np.argmax(clf.validation_scores_)) + 1


def test_training_history_of_gcn():
    # A ring of 12 nodes, two communities.
    n = 12
    rows = np.arange(n)
    adjacency = np.zeros((n, n))
    adjacency[rows, (rows + 1) % n] = adjacency[(rows + 1) % n, rows] = 1
    features = np.eye(n)
    labels = (rows >= n // 2).astype(int)
    gcn = GCNClassifier(adjacency, features, max_iter=5, random_state=0)
    gcn = _fit(gcn, rows[::2].reshape(-1, 1), labels[::2])
    display = TrainingHistoryDisplay.from_estimator(gcn)
    np.testing.assert_allclose(display.loss_line_.get_ydata(), gcn.loss_curve_)


@pytest.mark.parametrize("Display", [TrainingHistoryDisplay, GradientFlowDisplay])
def test_displays_need_a_fitted_estimator(Display):
    with pytest.raises(NotFittedError):
        Display.from_estimator(MLPClassifier())


def test_gradient_flow_draws_one_log_curve_per_layer(data):
    clf = _fit(
        MLPClassifier(hidden_layer_sizes=(16, 16), max_iter=4, random_state=0), *data
    )
    display = GradientFlowDisplay.from_estimator(clf)
    assert len(display.lines_) == clf.n_layers_ - 1 == 3
    for i, line in enumerate(display.lines_):
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 5))
        np.testing.assert_allclose(line.get_ydata(), clf.gradient_norms_[:, i])
    assert display.ax_.get_yscale() == "log"
    assert display.layer_names[0].endswith("(input)")
    assert display.layer_names[-1].endswith("(output)")


def test_gradient_flow_needs_gradient_norms(data):
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(ValueError, match="gradient_norms_"):
        GradientFlowDisplay.from_estimator(LogisticRegression().fit(*data))


def test_gradient_flow_checks_shapes():
    with pytest.raises(ValueError, match="2-D"):
        GradientFlowDisplay(np.ones(3))
    with pytest.raises(ValueError, match="names"):
        GradientFlowDisplay(np.ones((3, 2)), layer_names=["a"])
