"""Every estimator against bad input: clear errors, untouched input, intact model.

Each case feeds one kind of bad input to a fitted estimator and expects a
``ValueError``/``TypeError`` naming the problem (scikit-learn's wording where it
has one). Around each call the test checks that the input arrays were not
modified (by hashing them) and that the estimator, fitted before, predicts
exactly as before: a failed ``fit`` must leave it as it was.
"""

import hashlib
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import ConvergenceWarning

from sklearn_deep import (
    GAN,
    Autoencoder,
    CNNClassifier,
    CNNRegressor,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
    TransformerTagger,
)

RNG = np.random.RandomState(0)
X = RNG.randn(20, 3)
Y_CLASS = np.array(["a", "b"] * 10)
Y_REG = X[:, 0] + 0.5
FAST = dict(max_iter=2, random_state=0, device="cpu")

N_NODES = 15
_A = sp.random(N_NODES, N_NODES, density=0.3, random_state=0)
ADJACENCY = ((_A + _A.T) > 0).astype(float).toarray()
FEATURES = RNG.rand(N_NODES, 4)
NODES = np.arange(8)
NODE_Y = NODES % 2

SENTENCES = [["the", "dog", "ran"], ["a", "cat", "sat", "down"], ["it", "ran"]] * 3
TAGS = [["D", "N", "V"], ["D", "N", "V", "P"], ["N", "V"]] * 3


def _make(family):
    if family == "MLPClassifier":
        return MLPClassifier((4,), **FAST)
    if family == "MLPRegressor":
        return MLPRegressor(hidden_layer_sizes=(4,), **FAST)
    if family == "Autoencoder":
        return Autoencoder(2, (4,), **FAST)
    if family == "CNNClassifier":
        return CNNClassifier(filters=(2,), kernel_size=3, **FAST)
    if family == "CNNRegressor":
        return CNNRegressor(filters=(2,), kernel_size=3, **FAST)
    if family == "GCNClassifier":
        return GCNClassifier(ADJACENCY, FEATURES, **FAST)
    if family == "GAN":
        return GAN(
            latent_dim=2,
            generator_hidden_layer_sizes=(4,),
            discriminator_hidden_layer_sizes=(4,),
            batch_size=8,
            **FAST,
        )
    if family == "TransformerTagger":
        return TransformerTagger(
            embedding_dim=4,
            d_model=4,
            n_heads=2,
            dim_feedforward=4,
            char_embedding_dim=4,
            char_hidden_size=4,
            feature_embedding_dim=2,
            batch_size=4,
            max_iter=1,
            random_state=0,
            device="cpu",
        )
    return LSTMTagger(
        embedding_dim=4,
        hidden_size=4,
        char_embedding_dim=4,
        char_hidden_size=4,
        feature_embedding_dim=2,
        early_stopping=False,
        batch_size=4,
        max_iter=1,
        random_state=0,
        device="cpu",
    )


_GOOD_FIT = {
    "MLPClassifier": (X, Y_CLASS),
    "MLPRegressor": (X, Y_REG),
    "Autoencoder": (X,),
    "CNNClassifier": (X, Y_CLASS),
    "CNNRegressor": (X, Y_REG),
    "GCNClassifier": (NODES, NODE_Y),
    # Conditional, so that sampling has classes to refuse.
    "GAN": (X, Y_CLASS),
    "LSTMTagger": (SENTENCES, TAGS),
    "TransformerTagger": (SENTENCES, TAGS),
}


def _with(array, index, value, dtype=float):
    array = np.array(array, dtype=dtype)
    array[index] = value
    return array


def _strings(shape):
    return np.full(shape, "x", dtype=object)


NUMERIC = "could not convert|dtype|numeric"
OVERFLOW = "float32.*dtype='float64'|dtype='float64'.*float32"
TABULAR_FIT = {
    "nan": lambda: ((_with(X, (0, 0), np.nan),), "NaN"),
    "inf": lambda: ((_with(X, (1, 1), np.inf),), "infinity"),
    "empty": lambda: ((X[:0],), "0 sample"),
    "strings": lambda: ((_strings(X.shape),), NUMERIC),
    "3-D": lambda: ((X[:, :, None],), "dim 3"),
    "huge-overflows-float32": lambda: ((_with(X, (2, 2), 1e300),), OVERFLOW),
}
TABULAR_PREDICT = {
    "predict-wrong-n-features": lambda: ((X[:, :2],), "2 features.*expecting 3"),
    "predict-nan": lambda: ((_with(X, (0, 0), np.nan),), "NaN"),
    "predict-inf": lambda: ((_with(X, (0, 0), -np.inf),), "infinity"),
    "predict-strings": lambda: ((_strings(X.shape),), NUMERIC),
    "predict-huge-overflows-float32": lambda: ((_with(X, (0, 0), -1e300),), OVERFLOW),
    "predict-1-D": lambda: ((X[0],), "2D array"),
}
SUPERVISED_FIT = {
    "one-sample": lambda y: ((X[:1], y[:1]), "class|1 sample|validation|least"),
    "mismatched-lengths": lambda y: ((X, y[:-1]), "inconsistent numbers of samples"),
    "y-nan": lambda y: ((X, _with(Y_REG, 0, np.nan)), "NaN"),
    "sample-weight-negative": lambda y: (
        (X, y),
        "(?i)negative",
        {"sample_weight": _with(np.ones(20), 3, -1.0)},
    ),
    "sample-weight-nan": lambda y: (
        (X, y),
        "NaN",
        {"sample_weight": _with(np.ones(20), 3, np.nan)},
    ),
    "sample-weight-inf": lambda y: (
        (X, y),
        "infinity",
        {"sample_weight": _with(np.ones(20), 3, np.inf)},
    ),
    "sample-weight-wrong-length": lambda y: (
        (X, y),
        "sample_weight",
        {"sample_weight": np.ones(19)},
    ),
}
CLASSIFIER_FIT = {
    "one-class": lambda: ((X, np.array(["a"] * 20)), "only one class"),
    "continuous-y": lambda: ((X, Y_REG), "Unknown label type|continuous"),
}
CLASSIFIER_PARTIAL_FIT = {
    "partial-fit-unknown-label": lambda: (
        (X, _with(Y_CLASS, 0, "zebra", dtype=object)),
        "zebra",
    ),
}

GCN_FIT = {
    "float-node-indices": lambda: ((NODES.astype(float), NODE_Y), "integer"),
    "nan-node-index": lambda: ((_with(NODES, 0, np.nan), NODE_Y), "NaN"),
    "string-node-indices": lambda: ((NODES.astype(str), NODE_Y), "integer"),
    "node-index-out-of-range": lambda: ((_with(NODES, 0, 99, int), NODE_Y), "outside"),
    "negative-node-index": lambda: ((_with(NODES, 0, -1, int), NODE_Y), "outside"),
    "empty": lambda: ((NODES[:0], NODE_Y[:0]), "0 sample"),
    "one-class": lambda: ((NODES, np.zeros(8, int)), "only one class"),
    "mismatched-lengths": lambda: ((NODES, NODE_Y[:-1]), "inconsistent numbers"),
    "2-column-nodes": lambda: ((np.c_[NODES, NODES], NODE_Y), "one node index"),
    "y-val-unknown-label": lambda: (
        (NODES, NODE_Y),
        "not in the training labels",
        {"X_val": np.array([9, 10]), "y_val": np.array([0, 7])},
        {"early_stopping": True},
    ),
}
GCN_PARAMS = {
    "non-square-adjacency": (dict(adjacency=ADJACENCY[:, :-1]), "square"),
    "nan-adjacency": (dict(adjacency=_with(ADJACENCY, (0, 1), np.nan)), "NaN"),
    "negative-adjacency": (
        dict(
            adjacency=_with(ADJACENCY, (0, 1), -1.0)
            + _with(0 * ADJACENCY, (1, 0), -1.0)
        ),
        "non-negative",
    ),
    "asymmetric-adjacency": (
        dict(adjacency=_with(ADJACENCY, (0, 14), 5.0)),
        "symmetric",
    ),
    "missing-adjacency": (dict(adjacency=None), "needs the graph"),
    "node-features-wrong-rows": (dict(node_features=FEATURES[:-1]), "rows"),
    "node-features-nan": (dict(node_features=_with(FEATURES, (0, 0), np.nan)), "NaN"),
    "node-features-strings": (dict(node_features=_strings(FEATURES.shape)), NUMERIC),
    "node-features-huge-overflows-float32": (
        dict(node_features=_with(FEATURES, (0, 0), 1e300), normalize_features=False),
        OVERFLOW,
    ),
}
GCN_PREDICT = {
    "predict-out-of-range": lambda: ((np.array([0, N_NODES]),), "outside"),
    "predict-float-indices": lambda: ((np.array([0.5]),), "integer"),
    "predict-strings": lambda: ((np.array(["a"]),), "integer"),
}

TAGGER_FIT = {
    "X-a-string": lambda: (("the dog", TAGS), "list of sentences"),
    "sentence-a-string": lambda: (
        (["the dog ran", *SENTENCES[1:]], TAGS),
        "not a list",
    ),
    "non-string-token": lambda: (([[1, 2, 3], *SENTENCES[1:]], TAGS), "Token 0"),
    "nan-token": lambda: (([[np.nan, "a", "b"], *SENTENCES[1:]], TAGS), "Token 0"),
    "ragged-tags": lambda: ((SENTENCES, [["D", "N"], *TAGS[1:]]), "tags"),
    "mismatched-lengths": lambda: ((SENTENCES, TAGS[:-1]), "different numbers"),
    "empty": lambda: (([], []), "no non-empty sentence"),
    "only-empty-sentences": lambda: (([[], []], [[], []]), "no non-empty sentence"),
    "one-tag": lambda: ((SENTENCES, [["N"] * len(s) for s in SENTENCES]), "2 distinct"),
    "mixed-token-forms": lambda: (
        ([["the", ("dog", "NN"), "ran"], *SENTENCES[1:]], TAGS),
        "same form",
    ),
    "y-not-a-list": lambda: ((SENTENCES, "DNV"), "list of tag sequences"),
    "y-sentence-a-string": lambda: (
        (SENTENCES, ["DNV", *TAGS[1:]]),
        "not a list of tags",
    ),
    "unsortable-tags": lambda: (
        (SENTENCES, [["D", 1, "V"], *TAGS[1:]]),
        "all strings or all numbers",
    ),
}
TAGGER_PREDICT = {
    "predict-X-a-string": lambda: (("the dog",), "list of sentences"),
    "predict-other-token-form": lambda: (([[("the", "DT")]],), "fit saw"),
    "predict-non-string-token": lambda: (([[3.5]],), "Token 0"),
}
GAN_SAMPLE = {
    "sample-unseen-class": lambda: ((5,), "unseen labels", {"y": "z"}),
    "sample-label-count": lambda: ((5,), "3 labels", {"y": ["a", "b", "a"]}),
    "sample-none": lambda: ((0,), "n_samples"),
}
TAGGER_SCORE = {
    "score-ragged-tags": lambda: ((SENTENCES[:1], [["D"]]), "tags"),
}


CONVOLUTIONAL = ["CNNClassifier", "CNNRegressor"]


def _cases():
    cases = []
    tabular = ["MLPClassifier", "MLPRegressor", "Autoencoder", "GAN", *CONVOLUTIONAL]
    targets = {
        "MLPClassifier": (Y_CLASS,),
        "MLPRegressor": (Y_REG,),
        "CNNClassifier": (Y_CLASS,),
        "CNNRegressor": (Y_REG,),
    }
    for family in tabular:
        y = targets.get(family, ())
        for name, make in TABULAR_FIT.items():
            if name == "3-D" and family in CONVOLUTIONAL:
                continue  # signals of 3 channels: taken (tests/test_cnn.py)
            if "overflows" in name and family == "GAN":
                continue  # standardised in float64 first (tests/test_gan.py)

            def with_y(make=make, y=y):
                (X_bad,), match = make()
                return (X_bad, *(target[: len(X_bad)] for target in y)), match

            cases.append((family, "fit", name, with_y))
        for name, make in TABULAR_PREDICT.items():
            if "overflows" in name and family == "GAN":
                continue
            method = {"Autoencoder": "transform", "GAN": "score"}.get(family, "predict")
            cases.append((family, method, name, make))
    supervised = (
        ("MLPClassifier", Y_CLASS),
        ("MLPRegressor", Y_REG),
        ("CNNClassifier", Y_CLASS),
        ("CNNRegressor", Y_REG),
    )
    for family, y in supervised:
        for name, make in SUPERVISED_FIT.items():
            if name == "y-nan" and family.endswith("Classifier"):
                continue
            if name == "one-sample" and family.endswith("Regressor"):
                continue
            cases.append((family, "fit", name, lambda make=make, y=y: make(y)))
    for name, make in CLASSIFIER_FIT.items():
        cases.append(("MLPClassifier", "fit", name, make))
        cases.append(("CNNClassifier", "fit", name, make))
    for name, make in CLASSIFIER_PARTIAL_FIT.items():
        cases.append(("MLPClassifier", "partial_fit", name, make))
    for name, make in GCN_FIT.items():
        cases.append(("GCNClassifier", "fit", name, make))
    for name, (params, match) in GCN_PARAMS.items():
        cases.append(
            (
                "GCNClassifier",
                "fit",
                name,
                lambda p=params, m=match: ((NODES, NODE_Y), m, {}, p),
            )
        )
    for name, make in GCN_PREDICT.items():
        cases.append(("GCNClassifier", "predict", name, make))
    for name, make in GAN_SAMPLE.items():
        cases.append(("GAN", "sample", name, make))
    for tagger in ("LSTMTagger", "TransformerTagger"):
        for name, make in TAGGER_FIT.items():
            cases.append((tagger, "fit", name, make))
        for name, make in TAGGER_PREDICT.items():
            cases.append((tagger, "predict", name, make))
        for name, make in TAGGER_SCORE.items():
            cases.append((tagger, "score", name, make))
    return cases


CASES = _cases()
_FITTED = {}


def _fitted(family):
    if family not in _FITTED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _FITTED[family] = _make(family).fit(*_GOOD_FIT[family])
    # Each case works on its own copy of the fitted estimator.
    return pickle.loads(pickle.dumps(_FITTED[family]))


def _predictions(estimator):
    family = type(estimator).__name__
    if family == "Autoencoder":
        return estimator.transform(X)
    if family == "GCNClassifier":
        return estimator.predict_proba(np.arange(N_NODES))
    if family == "GAN":
        return estimator.sample(5, random_state=0)
    if family in ("LSTMTagger", "TransformerTagger"):
        return [p.tolist() for p in estimator.predict_proba(SENTENCES)]
    return estimator.predict(X)


def _fingerprint(value):
    """A hash of every array (and nested list) in ``value``, to detect writes."""
    digest = hashlib.sha256()

    def visit(item):
        if isinstance(item, np.ndarray):
            digest.update(str((item.dtype, item.shape)).encode())
            digest.update(
                pickle.dumps(item.tolist()) if item.dtype == object else item.tobytes()
            )
        elif sp.issparse(item):
            visit(item.toarray())
        elif isinstance(item, (list, tuple)):
            digest.update(b"[")
            for element in item:
                visit(element)
            digest.update(b"]")
        elif isinstance(item, dict):
            for key in sorted(item, key=str):
                digest.update(str(key).encode())
                visit(item[key])
        else:
            digest.update(repr(item).encode())

    visit(value)
    return digest.hexdigest()


@pytest.mark.parametrize(
    "family, method, name, make",
    CASES,
    ids=[f"{family}-{name}" for family, _, name, _ in CASES],
)
def test_bad_input_is_refused_clearly(family, method, name, make):
    spec = make()
    args, match = spec[0], spec[1]
    kwargs = spec[2] if len(spec) > 2 else {}
    params = spec[3] if len(spec) > 3 else {}
    estimator = _fitted(family)
    before = _predictions(estimator)
    if params:
        estimator.set_params(**params)
    inputs = (args, kwargs, params)
    fingerprint = _fingerprint(inputs)
    with warnings.catch_warnings():
        # Overflow on a cast is reported as the ValueError checked below.
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises((ValueError, TypeError), match=match):
            getattr(estimator, method)(*args, **kwargs)
    assert _fingerprint(inputs) == fingerprint, "the input was modified"
    if params:
        # The bad parameters were the user's to set; put the good ones back.
        good = _FITTED[family].get_params(deep=False)
        estimator.set_params(**{key: good[key] for key in params})
    after = _predictions(estimator)
    if isinstance(before, list):
        assert after == before
    else:
        np.testing.assert_array_equal(after, before)


@pytest.mark.parametrize("family", ["MLPRegressor", "Autoencoder"])
def test_one_sample_fits(family):
    # One row is valid input for unsupervised and regression fits.
    estimator = _make(family)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        args = (X[:1],) if family == "Autoencoder" else (X[:1], Y_REG[:1])
        estimator.fit(*args)
    assert np.isfinite(_predictions(estimator)).all()


def test_float64_model_takes_values_beyond_float32():
    # 1e39 overflows float32 (max about 3.4e38) but a float64 fit of it neither
    # overflows nor diverges (1e200 would: its squared loss is infinite).
    big = X * 1e39
    estimator = MLPRegressor(hidden_layer_sizes=(4,), dtype="float64", **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(big, Y_REG)
    assert next(estimator.module_.parameters()).dtype == torch.float64
    assert np.isfinite(estimator.predict(big)).all()
    assert np.isfinite(estimator.loss_curve_).all()
    estimator = MLPRegressor(hidden_layer_sizes=(4,), dtype="float32", **FAST)
    with warnings.catch_warnings():
        # Overflow on a cast is reported as the ValueError checked below.
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=OVERFLOW):
            estimator.fit(big, Y_REG)
