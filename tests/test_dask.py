"""Scaling out with Dask: distributed hyper-parameter search and out-of-core fits.

A ``LocalCluster`` of two worker processes on the loopback interface stands in
for a real cluster; the same code runs against a remote scheduler.
"""

import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
)

da = pytest.importorskip("dask.array", reason="the dask extra is not installed")
distributed = pytest.importorskip(
    "distributed", reason="the dask extra (distributed) is not installed"
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def client():
    """A two-process Dask cluster on the loopback interface."""
    with warnings.catch_warnings():
        # Port and resource notices from a cluster started in a test process.
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


# ------------------------------------------------------- search, per estimator
def _mlp_classifier_search():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    estimator = MLPClassifier(max_iter=20, random_state=0, device="cpu")
    return estimator, {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}, X, y


def _mlp_regressor_search():
    X, y = make_regression(n_samples=120, n_features=6, noise=0.1, random_state=0)
    estimator = MLPRegressor(max_iter=20, random_state=0, device="cpu")
    return estimator, {"hidden_layer_sizes": [(8,), (16,)], "alpha": [1e-4, 1e-1]}, X, y


def _autoencoder_search():
    X, y = load_digits(return_X_y=True)
    X, y = X[:200] / 16.0, y[:200]
    pipeline = make_pipeline(
        Autoencoder(max_iter=15, random_state=0, device="cpu"),
        LogisticRegression(max_iter=200),
    )
    return pipeline, {"autoencoder__n_components": [4, 8]}, X, y


def _gcn_search():
    # Two communities with dense edges inside and none across.
    rng = np.random.RandomState(0)
    n = 60
    community = np.repeat([0, 1], n // 2)
    same = community[:, None] == community[None, :]
    upper = np.triu(same & (rng.rand(n, n) < 0.2), k=1)
    adjacency = sp.csr_matrix((upper | upper.T).astype(float))
    features = rng.rand(n, 5) + community[:, None]
    estimator = GCNClassifier(
        adjacency=adjacency,
        node_features=features,
        max_iter=30,
        random_state=0,
        device="cpu",
    )
    X = np.arange(0, n, 2)
    grid = {"hidden_layer_sizes": [(4,), (8,)], "alpha": [5e-4, 5e-2]}
    return estimator, grid, X, community[X]


def _tagger_search():
    # The tag of a word is its suffix class: learnable from the words alone.
    rng = np.random.RandomState(0)
    words = {"dog": "N", "cat": "N", "runs": "V", "eats": "V", "the": "D", "a": "D"}
    vocabulary = list(words)
    X = [list(rng.choice(vocabulary, size=rng.randint(2, 6))) for _ in range(40)]
    y = [[words[w] for w in sentence] for sentence in X]
    estimator = LSTMTagger(
        embedding_dim=8,
        hidden_size=8,
        char_features=None,
        crf=False,
        max_iter=5,
        random_state=0,
        device="cpu",
    )
    return estimator, {"hidden_size": [4, 8]}, X, y


SEARCHES = {
    "MLPClassifier": _mlp_classifier_search,
    "MLPRegressor": _mlp_regressor_search,
    "Autoencoder": _autoencoder_search,
    "GCNClassifier": _gcn_search,
    "LSTMTagger": _tagger_search,
}


@pytest.mark.parametrize("name", list(SEARCHES))
def test_grid_search_on_a_dask_cluster_equals_the_serial_search(client, name):
    estimator, grid, X, y = SEARCHES[name]()
    serial = GridSearchCV(estimator, grid, cv=2).fit(X, y)
    search = GridSearchCV(estimator, grid, cv=2, n_jobs=-1)
    with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
        on_cluster = search.fit(X, y)
    assert on_cluster.best_params_ == serial.best_params_
    np.testing.assert_allclose(
        on_cluster.cv_results_["mean_test_score"],
        serial.cv_results_["mean_test_score"],
        rtol=1e-5,
        atol=1e-6,
    )
    # The fits really ran on the cluster's workers.
    workers = {task["worker"] for task in tasks.data}
    assert workers and workers <= set(client.scheduler_info()["workers"])


# ------------------------------------------------------------- out-of-core
@pytest.mark.parametrize(
    "Estimator, make_data, scoring",
    [
        (MLPClassifier, make_classification, "accuracy"),
        (MLPRegressor, make_regression, "r2"),
    ],
)
def test_incremental_over_dask_chunks_matches_an_in_memory_fit(
    client, Estimator, make_data, scoring
):
    from dask_ml.wrappers import Incremental

    X, y = make_data(n_samples=2000, n_features=20, random_state=0)
    if Estimator is MLPRegressor:
        y = y / y.std()
    X_train, X_test, y_train, y_test = X[:1600], X[1600:], y[:1600], y[1600:]
    params = dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        random_state=0,
        device="cpu",
    )
    n_passes = 10
    in_memory = Estimator(**params, max_iter=n_passes).fit(X_train, y_train)

    # Eight chunks of 200 rows, fitted one after another on the workers.
    X_chunks = da.from_array(X_train, chunks=(200, 20))
    y_chunks = da.from_array(y_train, chunks=200)
    streamed = Incremental(Estimator(**params), scoring=scoring)
    fit_params = {"classes": np.unique(y)} if Estimator is MLPClassifier else {}
    for _ in range(n_passes):
        streamed.partial_fit(X_chunks, y_chunks, **fit_params)

    in_memory_score = in_memory.score(X_test, y_test)
    streamed_score = streamed.estimator_.score(X_test, y_test)
    assert in_memory_score > 0.8
    assert streamed_score == pytest.approx(in_memory_score, abs=0.05)
    # Every chunk was one partial_fit call (one epoch each): 8 chunks per pass.
    assert streamed.estimator_.n_iter_ == 1
    assert len(streamed.estimator_.loss_curve_) == 8 * n_passes
