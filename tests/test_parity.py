"""Drop-in parity with ``sklearn.neural_network``'s MLPs.

Each test runs scikit-learn's estimator and ours on the same inputs where the
behaviour can be compared, in the style of scikit-learn's own
``sklearn/neural_network/tests/test_mlp.py``: the counts of ``n_iter_`` and
``t_``, the rules of ``partial_fit`` and ``warm_start``, L-BFGS's limits, the
dtypes, assignable weights, the verbose log lines, divergence and the HTML
repr's documentation link. The last tests cover what a new user of the other
estimators meets first (the tagger's score and small-data fits, messages,
loading a pickle).
"""

import io
import pickle
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn import neural_network as sk_nn
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.preprocessing import StandardScaler

import sklearn_deep
from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
)
from sklearn_deep.exceptions import ModelFormatError

DOCS = Path(__file__).parents[1] / "docs"

X_iris_like, y_iris_like = make_classification(
    n_samples=120,
    n_features=5,
    n_informative=4,
    n_redundant=0,
    n_classes=3,
    n_clusters_per_class=1,
    random_state=0,
)
X_reg, y_reg = make_regression(n_samples=120, n_features=5, random_state=0)
y_reg = y_reg / y_reg.std()

SMALL = {"hidden_layer_sizes": (8,), "random_state": 0}
# One torch thread: small fits run fastest so on a shared machine.
OURS = {"device": "cpu", "n_threads": 1}


def _pair(kind, **params):
    """scikit-learn's estimator and ours, built with the same parameters."""
    theirs = getattr(sk_nn, kind)(**SMALL, **params)
    ours = getattr(sklearn_deep, kind)(**SMALL, **OURS, **params)
    return theirs, ours


# --------------------------------------------------------- 1. n_iter_ per call
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_warm_start_n_iter_counts_this_fit_and_warns(solver):
    # A warm-started fit runs at most max_iter more epochs; n_iter_ counts them
    # and ConvergenceWarning says that max_iter stopped it, for every solver.
    for mlp in _pair("MLPClassifier", solver=solver, max_iter=3, warm_start=True):
        with pytest.warns(ConvergenceWarning):
            mlp.fit(X_iris_like, y_iris_like)
        with pytest.warns(ConvergenceWarning):
            mlp.fit(X_iris_like, y_iris_like)
        assert mlp.n_iter_ == 3, type(mlp).__module__
        if solver != "lbfgs":  # scikit-learn's L-BFGS keeps no t_
            assert mlp.t_ == 6 * len(X_iris_like)
            assert len(mlp.loss_curve_) == 6


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_partial_fit_n_iter_is_one_and_t_counts_samples(kind):
    X, y = (X_iris_like, y_iris_like) if kind == "MLPClassifier" else (X_reg, y_reg)
    extra = {"classes": np.unique(y)} if kind == "MLPClassifier" else {}
    for mlp in _pair(kind):
        mlp.partial_fit(X, y, **extra)
        mlp.partial_fit(X[:50], y[:50])
        assert mlp.n_iter_ == 1
        assert mlp.t_ == len(X) + 50
        assert len(mlp.loss_curve_) == 2


def test_n_iter_per_call_is_the_rule_of_every_estimator():
    X = np.random.RandomState(0).normal(size=(60, 6))
    ae = Autoencoder(hidden_layer_sizes=(3,), max_iter=4, warm_start=True, tol=0)
    ae.set_params(random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(X).fit(X)
    assert ae.n_iter_ == 4
    assert len(ae.loss_curve_) == len(ae.history_) == 8


# -------------------------------------------------------- 2. partial_fit rules
@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_partial_fit_unavailable_for_lbfgs(kind):
    theirs, ours = _pair(kind, solver="lbfgs")
    # scikit-learn 1.9's MLPRegressor passes its check unevaluated to
    # available_if and so still offers partial_fit; its classifier does not.
    assert kind == "MLPRegressor" or not hasattr(theirs, "partial_fit")
    assert not hasattr(ours, "partial_fit")
    for mlp in _pair(kind, solver="sgd"):
        assert hasattr(mlp, "partial_fit")


@pytest.mark.parametrize("kind", ["MLPClassifier", "MLPRegressor"])
def test_partial_fit_refuses_early_stopping(kind):
    X, y = (X_iris_like, y_iris_like) if kind == "MLPClassifier" else (X_reg, y_reg)
    extra = {"classes": np.unique(y)} if kind == "MLPClassifier" else {}
    for mlp in _pair(kind, early_stopping=True):
        with pytest.raises(ValueError, match="partial_fit does not support"):
            mlp.partial_fit(X, y, **extra)


def test_partial_fit_classes_must_stay_the_first_calls():
    for mlp in _pair("MLPClassifier"):
        mlp.partial_fit(X_iris_like, y_iris_like, classes=[0, 1, 2])
        mlp.partial_fit(X_iris_like, y_iris_like, classes=[0, 1, 2])  # same: fine
        with pytest.raises(ValueError, match="not the same as on last call"):
            mlp.partial_fit(X_iris_like, y_iris_like, classes=[0, 1, 2, 3])


@pytest.mark.parametrize("y_second", [[0, 1], [0, 1, 2, 3]], ids=["fewer", "more"])
def test_warm_start_needs_the_fitted_classes(y_second):
    X = X_iris_like[:60]
    y_first = np.arange(60) % 3
    y_other = np.resize(y_second, 60)
    for mlp in _pair("MLPClassifier", warm_start=True, max_iter=2):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, y_first)
        with pytest.raises(ValueError, match="warm_start can only be used where"):
            mlp.fit(X, y_other)


def test_new_class_message_shows_plain_numbers():
    mlp = MLPClassifier(**SMALL, **OURS).partial_fit(
        X_iris_like, y_iris_like, classes=[0, 1, 2]
    )
    y = y_iris_like.copy()
    y[0] = 3
    with pytest.raises(ValueError, match=r"\[0, 1, 2\]: \[3\]") as error:
        mlp.partial_fit(X_iris_like, y)
    assert "np.int64" not in str(error.value)


# ------------------------------------------------------------ 3. L-BFGS limits
@pytest.mark.parametrize(
    "limit, reason",
    [({"max_iter": 3}, "ITERATIONS"), ({"max_fun": 5}, "F,G EVALUATIONS")],
)
def test_lbfgs_warns_when_a_limit_stops_it(limit, reason):
    for mlp in _pair("MLPRegressor", solver="lbfgs", **limit):
        with pytest.warns(
            ConvergenceWarning, match=f"(?s)lbfgs failed to converge.*{reason}"
        ):
            mlp.fit(X_reg, y_reg)


def test_lbfgs_reaches_scikit_learns_quality_on_small_regression():
    X, y = make_regression(n_samples=200, n_features=10, noise=10, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scores = []
    for mlp in _pair("MLPRegressor", solver="lbfgs"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X_train, y_train)
        scores.append(mlp.score(X_test, y_test))
    theirs, ours = scores
    assert theirs > 0.98
    assert ours > 0.98, scores


# --------------------------------------------------------- 4. dtypes follow X
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("model_dtype", ["float32", "float64"])
def test_fitted_arrays_and_predictions_follow_x_dtype(dtype, model_dtype):
    X, y = X_reg.astype(dtype), y_reg.astype(dtype)
    theirs = sk_nn.MLPRegressor(**SMALL, max_iter=2)
    ours = MLPRegressor(**SMALL, **OURS, max_iter=2, dtype=model_dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y)
        ours.fit(X, y)
    for name in ("coefs_", "intercepts_"):
        for mine, reference in zip(
            getattr(ours, name), getattr(theirs, name), strict=True
        ):
            assert mine.dtype == reference.dtype == dtype
    for X_pred in (X_reg.astype(np.float32), X_reg):
        assert ours.predict(X_pred).dtype == theirs.predict(X_pred).dtype


def test_classifier_probabilities_follow_x_dtype():
    X = X_iris_like.astype(np.float32)
    theirs, ours = _pair("MLPClassifier", max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X, y_iris_like)
        ours.fit(X, y_iris_like)
    for X_pred in (X, X_iris_like):
        assert ours.predict_proba(X_pred).dtype == theirs.predict_proba(X_pred).dtype


# ----------------------------------------------- 5. assignable coefs_/intercepts_
def test_assigned_weights_give_scikit_learns_predictions():
    theirs, ours = _pair("MLPClassifier", max_iter=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs.fit(X_iris_like, y_iris_like)
        ours.fit(X_iris_like, y_iris_like)
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    np.testing.assert_allclose(
        ours.predict_proba(X_iris_like), theirs.predict_proba(X_iris_like), atol=1e-5
    )
    np.testing.assert_array_equal(
        ours.predict(X_iris_like), theirs.predict(X_iris_like)
    )


def test_one_layer_assignment_writes_into_the_network():
    mlp = MLPRegressor(**SMALL, **OURS, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_reg, y_reg)
    # Pruning as scikit-learn users do it: zero the output weights.
    mlp.coefs_[-1] = np.zeros_like(mlp.coefs_[-1])
    mlp.intercepts_[-1] = np.array([2.5])
    np.testing.assert_allclose(mlp.predict(X_reg), 2.5)
    assert np.all(mlp.coefs_[-1] == 0)


def test_handed_out_weights_are_never_silently_detached():
    mlp = MLPClassifier(**SMALL, **OURS, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_iris_like, y_iris_like)
    before = mlp.predict_proba(X_iris_like)
    with pytest.raises(ValueError, match="read-only"):
        mlp.coefs_[0][:] = 0
    with pytest.raises(ValueError, match="read-only"):
        mlp.intercepts_[0] += 1
    with pytest.raises(TypeError, match="layers of a network are fixed"):
        mlp.coefs_.append(np.zeros((8, 3)))
    with pytest.raises(ValueError, match=r"coefs_\[0\] has shape"):
        mlp.coefs_ = [np.zeros((2, 2)), mlp.coefs_[1]]
    with pytest.raises(ValueError, match="Expected 2 arrays"):
        mlp.intercepts_ = mlp.intercepts_[:1]
    # Nothing of the refused writes reached the network.
    np.testing.assert_array_equal(mlp.predict_proba(X_iris_like), before)


def test_assigned_weights_survive_pickle_and_save(tmp_path):
    mlp = MLPRegressor(**SMALL, **OURS, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_reg, y_reg)
    mlp.coefs_ = [np.full_like(c, 0.1) for c in mlp.coefs_]
    sklearn_deep.save(mlp, tmp_path / "mlp.safetensors")
    for copy in (
        pickle.loads(pickle.dumps(mlp)),
        sklearn_deep.load(tmp_path / "mlp.safetensors"),
    ):
        np.testing.assert_array_equal(copy.predict(X_reg), mlp.predict(X_reg))
        assert copy.coefs_[0].dtype == np.float64


# ----------------------------------------------------------------- 6. verbose
def _normalized(text):
    """The log lines with their numbers blanked out."""
    return [re.sub(r"-?[\d.]+(e[-+]\d+)?", "N", line) for line in text.splitlines()]


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_scikit_learns_lines_when_not_a_terminal(capsys, early_stopping):
    outputs = []
    for mlp in _pair(
        "MLPClassifier",
        max_iter=3,
        verbose=True,
        early_stopping=early_stopping,
        n_iter_no_change=10,
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X_iris_like, y_iris_like)
        captured = capsys.readouterr()
        outputs.append(captured.out)
    theirs, ours = outputs
    lines = [line for line in _normalized(ours) if line]
    expected = [line for line in _normalized(theirs) if line.startswith(("It", "Va"))]
    assert lines == expected
    assert lines[0] == "Iteration N, loss = N"
    assert ours.splitlines()[0].startswith("Iteration 1, loss = ")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_verbose_keeps_the_bar_in_a_terminal_and_two_prints_lines(monkeypatch, capsys):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    mlp = MLPClassifier(**SMALL, **OURS, max_iter=2, verbose=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_iris_like, y_iris_like)
        assert "Iteration" not in terminal.getvalue()
        assert "2/2" in capsys.readouterr().err  # tqdm's bar
        mlp.set_params(verbose=2).fit(X_iris_like, y_iris_like)
    assert terminal.getvalue().count("Iteration") == 2


def _ring_graph(n=12):
    rows = np.arange(n)
    adjacency = np.zeros((n, n))
    adjacency[rows, (rows + 1) % n] = adjacency[(rows + 1) % n, rows] = 1
    return adjacency, rows.reshape(-1, 1), (rows >= n // 2).astype(int)


@pytest.mark.parametrize("family", ["autoencoder", "gcn", "tagger"])
def test_every_estimator_prints_the_lines(capsys, family):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if family == "autoencoder":
            Autoencoder(hidden_layer_sizes=(2,), max_iter=2, verbose=True).fit(
                np.random.RandomState(0).normal(size=(20, 4))
            )
        elif family == "gcn":
            adjacency, nodes, y = _ring_graph()
            GCNClassifier(adjacency, max_iter=2, verbose=True).fit(nodes[::2], y[::2])
        else:
            LSTMTagger(
                embedding_dim=4,
                hidden_size=4,
                char_features=None,
                max_iter=2,
                verbose=True,
            ).fit([["a", "b"], ["b", "a"]], [["X", "Y"], ["Y", "X"]])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["Iteration 1", "Iteration 2"]
    assert all(re.fullmatch(r"Iteration \d, loss = [\d.]+", line) for line in lines)


# -------------------------------------------------------------- 7. divergence
def test_divergence_with_early_stopping_records_nan_score():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    y = X.sum(axis=1) * 1e3
    params = dict(
        hidden_layer_sizes=(50,),
        solver="sgd",
        learning_rate_init=1.0,
        momentum=0.99,
        early_stopping=True,
        max_iter=20,
        random_state=0,
    )
    theirs = sk_nn.MLPRegressor(**params)
    ours = MLPRegressor(**params, **OURS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflows and non-convergence
        theirs.fit(X, y)
    with pytest.warns(UserWarning, match="Training diverged"):
        ours.fit(X, y)
    # Both record nan for the diverged epoch's validation score.
    assert np.isnan(theirs.validation_scores_).any()
    assert np.isnan(ours.validation_scores_[-1])
    assert np.all(np.isfinite(ours.validation_scores_[:-1]))
    assert len(ours.validation_scores_) == len(ours.loss_curve_) == ours.n_iter_
    assert not np.isfinite(ours.loss_curve_[-1])
    # Ours stops there and keeps the best epoch's weights.
    assert ours.best_validation_score_ == max(ours.validation_scores_[:-1])
    assert np.all(np.isfinite(ours.predict(X)))


def test_mlp_docs_say_what_divergence_does():
    text = " ".join((DOCS / "mlp.rst").read_text().split())
    assert "a non-finite loss raises an error" not in text  # only the first epoch
    assert "its best weights are restored" in text
    assert "``validation_scores_`` records ``nan``" in text
    assert "if the very first epoch diverges, ``fit`` raises" in text


# --------------------------------------------------------------- 8. HTML repr
def _api_page_names():
    """The names docs/api.rst generates pages for (autosummary entries)."""
    names, in_summary = set(), False
    for line in (DOCS / "api.rst").read_text().splitlines():
        if line.startswith(".. autosummary::"):
            in_summary = True
        elif in_summary and line.startswith("   ") and not line.strip().startswith(":"):
            if line.strip():
                names.add(line.strip())
        elif line.strip():
            in_summary = line.startswith(" ")
    return names


@pytest.mark.parametrize(
    "estimator",
    [MLPClassifier(), MLPRegressor(), Autoencoder(), GCNClassifier(), LSTMTagger()],
    ids=lambda est: type(est).__name__,
)
def test_html_repr_links_to_the_generated_api_page(estimator):
    name = type(estimator).__name__
    link = estimator._get_doc_link()
    assert link.endswith(f"/generated/sklearn_deep.{name}.html")
    assert name in _api_page_names()  # a page Sphinx really writes
    assert link in estimator._repr_html_()


# -------------------------------------------------------- met on first use
TAGGER_X = [
    ["the", "dog", "barks", "loudly"],
    ["a", "cat", "sleeps"],
    ["my", "old", "dog", "runs", "fast"],
    ["the", "big", "cat", "eats", "fish"],
    ["birds", "sing", "sweetly"],
]
TAGGER_Y = [
    ["DET", "NOUN", "VERB", "ADV"],
    ["DET", "NOUN", "VERB"],
    ["DET", "ADJ", "NOUN", "VERB", "ADV"],
    ["DET", "ADJ", "NOUN", "VERB", "NOUN"],
    ["NOUN", "VERB", "ADV"],
]


def _small_tagger(**params):
    return LSTMTagger(
        embedding_dim=8, hidden_size=16, char_features=None, random_state=0, **params
    )


def test_tagger_score_counts_unseen_tags_as_errors():
    tagger = _small_tagger(max_iter=20).fit(TAGGER_X[:2], TAGGER_Y[:2])
    # "ADJ" and "ADV" beyond the first two sentences were never seen.
    score = tagger.score(TAGGER_X, TAGGER_Y)
    predicted = tagger.predict(TAGGER_X)
    flat_true = [t for tags in TAGGER_Y for t in tags]
    flat_pred = [t for tags in predicted for t in tags]
    assert score == pytest.approx(np.mean(np.array(flat_true) == np.array(flat_pred)))
    assert score < 1
    scores = cross_val_score(_small_tagger(max_iter=5), TAGGER_X, TAGGER_Y, cv=2)
    assert np.all(np.isfinite(scores))


def test_tagger_defaults_fit_a_handful_of_sentences():
    tagger = LSTMTagger(random_state=0).fit(TAGGER_X, TAGGER_Y)
    # "auto" batches: one sentence per minibatch on so small a corpus, where a
    # single batch of 16 made each epoch one update.
    assert tagger.score(TAGGER_X, TAGGER_Y) >= 0.9


def test_load_says_a_pickle_is_a_pickle(tmp_path):
    mlp = MLPClassifier(**SMALL, **OURS, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_iris_like, y_iris_like)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(mlp))
    with pytest.raises(ModelFormatError, match="This is a pickle"):
        sklearn_deep.load(path)


def test_scaled_inputs_unchanged_by_dtype_bookkeeping():
    # Recording X's dtype must not copy or convert the user's array.
    X = StandardScaler().fit_transform(X_reg).astype(np.float32)
    before = X.copy()
    mlp = MLPRegressor(**SMALL, **OURS, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y_reg)
    np.testing.assert_array_equal(X, before)
    assert mlp.predict(X).dtype == np.float32
