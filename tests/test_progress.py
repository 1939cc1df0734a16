"""Progress reporting: the verbose bar, silence, and scikit-learn's callbacks."""

import io
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV

from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
)


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=120, n_features=6, random_state=0)


def _clf(**params):
    params = {"max_iter": 3, **params}
    return MLPClassifier(
        hidden_layer_sizes=(4,), random_state=0, device="cpu", **params
    )


def _ring_graph(n=12):
    rows = np.arange(n)
    adjacency = np.zeros((n, n))
    adjacency[rows, (rows + 1) % n] = adjacency[(rows + 1) % n, rows] = 1
    return adjacency, rows.reshape(-1, 1), (rows >= n // 2).astype(int)


# ----------------------------------------------------------------- verbose
class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_bar_shows_loss_and_validation_score(data, capfd, monkeypatch):
    # The bar is for terminals (elsewhere verbose prints log lines).
    monkeypatch.setattr(sys, "stdout", _Terminal())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _clf(verbose=1, early_stopping=True, n_iter_no_change=50).fit(*data)
    err = capfd.readouterr().err
    assert "MLPClassifier" in err
    assert "3/3" in err
    assert "loss=" in err
    assert "valid_score=" in err


def test_not_verbose_prints_nothing_in_parallel_search(data, capfd):
    # The loky workers write to the same file descriptors as this process.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        GridSearchCV(_clf(), {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2).fit(*data)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


# --------------------------------------------------------------- callbacks
try:
    from sklearn import callback
except ImportError:  # scikit-learn < 1.9
    callback = None

# Only these tests need sklearn.callback: the verbose ones above run anyway.
needs_callbacks = pytest.mark.skipif(
    callback is None, reason="sklearn.callback needs scikit-learn >= 1.9"
)


class Recorder:
    """An auto-propagated callback recording the tasks that end."""

    max_propagation_depth = None

    def __init__(self, stop_after=None, fail=False, probe=None):
        self.stop_after = stop_after
        self.fail = fail
        self.probe = probe or _predict_one_row
        self.tasks = []
        self.setups = self.teardowns = 0

    def setup(self, estimator, context):
        self.setups += 1

    def teardown(self, estimator, context):
        self.teardowns += 1

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if self.fail:
            raise RuntimeError("callback failed")
        self.tasks.append((context.estimator_name, context.task_name))
        if context.task_name == "epoch" and fitted_estimator is not None:
            # A copy of the estimator, ready to predict with this epoch's network.
            self.probe(fitted_estimator)
        return (
            self.stop_after is not None
            and context.task_name == "epoch"
            and context.task_id + 1 >= self.stop_after
        )


def _predict_one_row(estimator):
    # Integer zeros: a valid node index for the GCN, too.
    estimator.predict(np.zeros((1, estimator.n_features_in_), int))


@needs_callbacks
@pytest.mark.parametrize(
    "Estimator, scoring", [(MLPClassifier, "neg_log_loss"), (MLPRegressor, "r2")]
)
def test_scoring_monitor_scores_every_epoch(Estimator, scoring, data):
    X, y = data
    monitor = callback.ScoringMonitor(scoring=scoring)
    params = dict(hidden_layer_sizes=(4,), random_state=0, device="cpu")
    est = Estimator(max_iter=4, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_callbacks(monitor).fit(X, y)
        # The network after epoch k is the one a fit of k epochs ends with.
        expected = [
            get_scorer(scoring)(Estimator(max_iter=k, **params).fit(X, y), X, y)
            for k in range(1, 5)
        ]
    rows = monitor.get_logs().data
    assert Counter(row["task_name"] for row in rows) == {"epoch": 4, "fit": 1}
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert [row["task_id"] for row in epochs] == [0, 1, 2, 3]
    np.testing.assert_allclose([row[scoring] for row in epochs], expected, rtol=1e-6)
    assert len(set(expected)) == 4  # each row scored its own epoch's network
    (fit_row,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit_row[scoring] == pytest.approx(get_scorer(scoring)(est, X, y))
    assert not hasattr(est, "_callback_fit_ctx")


@needs_callbacks
def test_callback_stops_training_after_its_epoch(data):
    recorder = Recorder(stop_after=2)
    clf = _clf(max_iter=50).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(*data)
    assert clf.n_iter_ == 2
    assert recorder.tasks == [("MLPClassifier", "epoch")] * 2 + [
        ("MLPClassifier", "fit")
    ]
    assert recorder.setups == recorder.teardowns == 1


@needs_callbacks
def test_callbacks_propagate_from_grid_search(data):
    recorder = Recorder()
    search = GridSearchCV(_clf(), {"alpha": [1e-4, 1e-2]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.set_callbacks(recorder).fit(*data)
    counts = Counter(recorder.tasks)
    # 2 candidates x 2 folds + the refit, 3 epochs each.
    assert counts[("MLPClassifier", "fit")] == 5
    assert counts[("MLPClassifier", "epoch")] == 15


@needs_callbacks
def test_callback_teardown_after_a_failed_fit(data):
    recorder = Recorder(fail=True)
    clf = _clf().set_callbacks(recorder)
    with pytest.raises(RuntimeError, match="callback failed"):
        clf.fit(*data)
    assert recorder.teardowns == 1
    assert not hasattr(clf, "module_")
    assert not hasattr(clf, "_callback_fit_ctx")


@needs_callbacks
def test_partial_fit_is_one_epoch_task(data):
    recorder = Recorder()
    clf = _clf().set_callbacks(recorder)
    clf.partial_fit(*data, classes=[0, 1])
    assert recorder.tasks == [("MLPClassifier", "epoch"), ("MLPClassifier", "fit")]


@needs_callbacks
def test_gcn_accepts_callbacks():
    adjacency, X, y = _ring_graph()
    recorder = Recorder()
    gcn = GCNClassifier(adjacency, max_iter=3, n_iter_no_change=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gcn.set_callbacks(recorder).fit(X[::2], y[::2])
    assert Counter(recorder.tasks) == {
        ("GCNClassifier", "epoch"): 3,
        ("GCNClassifier", "fit"): 1,
    }


@needs_callbacks
def test_autoencoder_accepts_callbacks(data):
    X, _ = data
    recorder = Recorder(
        stop_after=2, probe=lambda ae: ae.transform(np.zeros((1, X.shape[1])))
    )
    ae = Autoencoder(2, hidden_layer_sizes=(4,), max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ae.set_callbacks(recorder).fit(X)
    assert ae.n_iter_ == 2
    assert recorder.tasks == [("Autoencoder", "epoch")] * 2 + [("Autoencoder", "fit")]


@needs_callbacks
def test_tagger_accepts_callbacks():
    X = [["the", "dog", "runs"], ["a", "cat", "eats"]] * 5
    y = [["D", "N", "V"]] * 10
    recorder = Recorder(probe=lambda tagger: tagger.predict([["the", "cat"]]))
    tagger = LSTMTagger(
        embedding_dim=4,
        hidden_size=4,
        char_features=None,
        max_iter=3,
        n_iter_no_change=50,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tagger.set_callbacks(recorder).fit(X, y)
    assert Counter(recorder.tasks) == {
        ("LSTMTagger", "epoch"): 3,
        ("LSTMTagger", "fit"): 1,
    }
