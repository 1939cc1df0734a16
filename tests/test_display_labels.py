"""The training displays name the validation metric and keep the curves visible."""

import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import balanced_accuracy_score, make_scorer

from sklearn_deep import MLPClassifier, MLPRegressor
from sklearn_deep.inspection import GradientFlowDisplay, TrainingHistoryDisplay

pytest.importorskip("matplotlib")

X, y = make_classification(n_samples=120, n_features=6, random_state=0)
QUICK = dict(hidden_layer_sizes=(8,), max_iter=4, early_stopping=True, random_state=0)


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib

    matplotlib.use("Agg")
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(
    "estimator, data, name",
    [
        (MLPClassifier(**QUICK), (X, y), "accuracy"),
        (MLPRegressor(**QUICK), make_regression(n_samples=120, random_state=0), "R²"),
        (MLPClassifier(**QUICK, scoring="f1_macro"), (X, y), "f1_macro"),
        (
            MLPClassifier(**QUICK, scoring=make_scorer(balanced_accuracy_score)),
            (X, y),
            "balanced_accuracy_score",
        ),
    ],
    ids=["classifier", "regressor", "scoring-string", "scorer"],
)
def test_validation_axis_names_the_metric(estimator, data, name):
    display = TrainingHistoryDisplay.from_estimator(estimator.fit(*data))
    assert display.validation_ax_.get_ylabel() == f"validation {name}"
    assert display.validation_line_.get_label() == f"validation {name}"


def test_validation_axis_reads_score_without_a_name():
    display = TrainingHistoryDisplay([1.0, 0.5], [0.2, 0.4]).plot()
    assert display.validation_ax_.get_ylabel() == "validation score"


def test_gradient_flow_legend_covers_no_curve():
    clf = MLPClassifier((8, 8, 8), activation="logistic", max_iter=5, random_state=0)
    display = GradientFlowDisplay.from_estimator(clf.fit(X, y))
    figure = display.figure_
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = display.ax_.get_legend().get_window_extent(renderer)
    plot_area = display.ax_.get_window_extent(renderer)
    # The legend sits beside the plotting area, so no curve (the output
    # layer's, at the top, least of all) can be under it...
    assert legend.x0 >= plot_area.x1
    # ...and inside the figure, not cut off.
    assert legend.x1 <= figure.bbox.x1
