"""Export to ONNX: onnxruntime reproduces predict, predict_proba and transform.

Every model is fitted for a few epochs inside a pipeline that starts with a
StandardScaler, exported whole, and run by onnxruntime on held-out rows of a
real data set; its outputs must equal the estimator's within 1e-5 (absolute)
and its labels must be identical.
"""

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")

import skl2onnx  # noqa: E402
import torch  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.datasets import load_diabetes, load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import sklearn_deep  # noqa: E402
from sklearn_deep import (  # noqa: E402
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
    TorchClassifier,
    TorchRegressor,
    TransformerTagger,
)
from sklearn_deep.convolutional import CNNClassifier, CNNRegressor  # noqa: E402

ATOL = 1e-5
ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "leaky_relu"]
DTYPES = ["float32", "float64"]
N_TRAIN = 600
REPO = Path(__file__).resolve().parents[1]
# Fits of a few epochs on one thread: torch's thread pool costs more than it
# gains on networks this small, and the tests share the machine.
TINY = dict(random_state=0, n_threads=1)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# ------------------------------------------------------------------ data
@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    # Targets on a unit scale, where float32 resolves 1e-5 (at 300, the
    # spacing of float32 numbers alone is 3e-5).
    return X.astype(np.float32), (y - y.mean()) / y.std(), y / y.std()


def _rows(X, dtype):
    return X.astype(np.float32 if dtype == "float32" else np.float64)


def _session(model):
    return onnxruntime.InferenceSession(
        model.SerializeToString(), providers=["CPUExecutionProvider"]
    )


def _run(model, X):
    session = _session(model)
    return session.run(None, {session.get_inputs()[0].name: X})


def _fit(pipeline, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return pipeline.fit(X, y)


def _assert_classifier_exported(pipeline, X_test, **options):
    labels, proba = _run(sklearn_deep.to_onnx(pipeline, X_test[:1], **options), X_test)
    np.testing.assert_array_equal(labels, pipeline.predict(X_test))
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_test), rtol=0, atol=ATOL)
    assert proba.dtype == X_test.dtype
    return labels, proba


# ------------------------------------------------------------ classifiers
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch_norm", [False, True])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_multiclass_classifier_matches_onnxruntime(
    digits, activation, batch_norm, dtype
):
    X, y = digits
    X = _rows(X, dtype)
    clf = MLPClassifier(
        (16, 8),
        activation=activation,
        batch_norm=batch_norm,
        dropout=0.2,  # removed in the graph, as in predict
        dtype=dtype,
        learning_rate_init=0.02,
        max_iter=3,
        **TINY,
    )
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    labels, _ = _assert_classifier_exported(pipeline, X[N_TRAIN:], zipmap=False)
    assert labels.dtype == np.int64
    # It learned something, so the labels are not one constant.
    assert len(np.unique(labels)) > 2


def test_binary_classifier_with_string_labels_and_zipmap(digits):
    X, y = digits
    y = np.where(y > 4, "high", "low")
    clf = MLPClassifier((16,), max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    X_test = X[N_TRAIN:]
    labels, proba = _assert_classifier_exported(pipeline, X_test, zipmap=False)
    assert proba.shape == (len(X_test), 2)
    assert set(labels) == {"high", "low"}
    # skl2onnx's default: the probabilities as one dict per row.
    labels, dicts = _run(sklearn_deep.to_onnx(pipeline, X_test[:1]), X_test)
    expected = pipeline.predict_proba(X_test)
    np.testing.assert_array_equal(labels, pipeline.predict(X_test))
    assert sorted(dicts[0]) == ["high", "low"]
    for column, label in enumerate(clf.classes_):
        got = np.array([row[label] for row in dicts])
        np.testing.assert_allclose(got, expected[:, column], rtol=0, atol=ATOL)


def test_multilabel_classifier_matches_onnxruntime(digits):
    X, y = digits
    # Three labels per image: above 4, even, drawn with a closed loop.
    Y = np.stack([y > 4, y % 2 == 0, np.isin(y, [0, 6, 8, 9])], axis=1).astype(int)
    clf = MLPClassifier((32,), max_iter=5, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], Y[:N_TRAIN])
    labels, proba = _assert_classifier_exported(pipeline, X[N_TRAIN:], zipmap=False)
    assert labels.shape == proba.shape == (len(X) - N_TRAIN, 3)


def test_classifier_options_of_skl2onnx(digits):
    X, y = digits
    clf = MLPClassifier((16,), max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN] + 10)
    X_test = X[N_TRAIN:]
    expected_labels = pipeline.predict(X_test)
    expected_proba = pipeline.predict_proba(X_test)

    def export(**options):
        return _run(sklearn_deep.to_onnx(pipeline, X_test[:1], **options), X_test)

    # nocl: the labels are class indices.
    labels, _ = export(zipmap=False, nocl=True)
    np.testing.assert_array_equal(labels + 10, expected_labels)
    # output_class_labels: the classes come out too.
    labels, _, classes = export(zipmap=False, output_class_labels=True)
    np.testing.assert_array_equal(classes, clf.classes_)
    np.testing.assert_array_equal(labels, expected_labels)
    # zipmap="columns": one output per class.
    labels, *columns = export(zipmap="columns")
    np.testing.assert_array_equal(labels, expected_labels)
    np.testing.assert_allclose(
        np.stack(columns, axis=1), expected_proba, rtol=0, atol=ATOL
    )


@pytest.mark.parametrize(
    "network, rows", [("float64", "float32"), ("float32", "float64")]
)
def test_network_computes_in_its_dtype_whatever_the_input_type(digits, network, rows):
    X, y = digits
    clf = MLPClassifier((16,), dtype=network, max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    # Outputs in the rows' type, as predict_proba returns them.
    _assert_classifier_exported(pipeline, _rows(X[N_TRAIN:], rows), zipmap=False)


# ------------------------------------------------------------- regressors
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_matches_onnxruntime(diabetes, n_outputs, loss, dtype):
    X, y, y_positive = diabetes
    y = y_positive if loss == "poisson" else y
    if n_outputs == 2:
        y = np.stack([y, 0.5 * y], axis=1)
    X = _rows(X, dtype)
    reg = MLPRegressor(
        loss=loss,
        hidden_layer_sizes=(16,),
        activation="leaky_relu",
        batch_norm=True,
        dtype=dtype,
        learning_rate_init=0.01,
        max_iter=5,
        **TINY,
    )
    pipeline = _fit(make_pipeline(StandardScaler(), reg), X[:300], y[:300])
    X_test = X[300:]
    (output,) = _run(sklearn_deep.to_onnx(pipeline, X_test[:1]), X_test)
    expected = pipeline.predict(X_test)
    assert output.shape == (len(X_test), n_outputs)
    np.testing.assert_allclose(
        output.reshape(expected.shape), expected, rtol=0, atol=ATOL
    )


# ----------------------------------------------------------- autoencoder
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "options",
    [
        dict(activation="relu"),
        dict(activation="leaky_relu", code_activation="tanh", batch_norm=True),
        dict(activation="tanh", tied_weights=True, code_activation="logistic"),
        dict(activation="logistic", noise=0.2, noise_type="masking", dropout=0.1),
        dict(hidden_layer_sizes=(), activation="identity"),
    ],
    ids=["relu", "batch_norm", "tied", "denoising", "linear"],
)
def test_autoencoder_transform_matches_onnxruntime(digits, options, dtype):
    X = _rows(digits[0], dtype)
    options = {"hidden_layer_sizes": (16,), **options}
    ae = Autoencoder(4, dtype=dtype, max_iter=3, **TINY, **options)
    pipeline = _fit(make_pipeline(StandardScaler(), ae), X[:N_TRAIN])
    X_test = X[N_TRAIN:]
    (codes,) = _run(sklearn_deep.to_onnx(pipeline, X_test[:1]), X_test)
    assert codes.shape == (len(X_test), 4)
    np.testing.assert_allclose(codes, pipeline.transform(X_test), rtol=0, atol=ATOL)


# ------------------------------------------------------ convolutional nets
@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(pooling="max", global_pooling=None, hidden_layer_sizes=(8,), dropout=0.2),
        dict(pooling="avg", global_pooling="avg", batch_norm=False, kernel_size=3),
        dict(global_pooling="max", activation="leaky_relu", strides=2, max_shift=1),
        dict(padding="valid", kernel_size=3, activation="tanh"),
    ],
    ids=["default", "max_pool_flatten", "avg_pool", "strided", "valid"],
)
def test_cnn_classifier_matches_onnxruntime(digits, options):
    X, y = digits
    clf = CNNClassifier(
        filters=(4, 6), input_shape=(1, 8, 8), max_iter=2, **TINY, **options
    )
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    _assert_classifier_exported(pipeline, X[N_TRAIN:], zipmap=False)


def test_cnn_regressor_on_signals_matches_onnxruntime(digits):
    X, y = digits
    # Each image read as two 32-sample signals.
    reg = CNNRegressor(filters=(4,), input_shape=(2, 32), max_iter=2, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), reg), X[:N_TRAIN], y[:N_TRAIN] / 9)
    X_test = X[N_TRAIN:]
    (output,) = _run(sklearn_deep.to_onnx(pipeline, X_test[:1]), X_test)
    np.testing.assert_allclose(
        output.ravel(), pipeline.predict(X_test), rtol=0, atol=ATOL
    )


def test_float64_cnn_is_refused_clearly(digits):
    X, y = digits
    clf = CNNClassifier(
        filters=(2,), input_shape=(1, 8, 8), dtype="float64", max_iter=1, **TINY
    )
    clf = _fit(clf, X[:100], y[:100])
    with pytest.raises(NotImplementedError, match="dtype='float32'"):
        sklearn_deep.to_onnx(clf, X[:1])


# -------------------------------------------- pipelines, runtimes, errors
def test_skl2onnx_converts_pipelines_mixing_both_libraries(digits):
    X, y = digits
    X_train, y_train, X_test = X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:]
    columns = ColumnTransformer(
        [
            ("top", StandardScaler(), list(range(32))),
            ("bottom", make_pipeline(StandardScaler(), PCA(8)), list(range(32, 64))),
        ]
    )
    clf = MLPClassifier((16,), max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(columns, clf), X_train, y_train)
    # skl2onnx itself, with the converters that importing sklearn_deep.onnx
    # registered; options addressed to the estimator as skl2onnx takes them.
    model = skl2onnx.to_onnx(pipeline, X_test[:1], options={id(clf): {"zipmap": False}})
    labels, proba = _run(model, X_test)
    np.testing.assert_array_equal(labels, pipeline.predict(X_test))
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_test), atol=ATOL)

    # The autoencoder's codes feed scikit-learn's logistic regression.
    ae = Autoencoder(8, hidden_layer_sizes=(16,), max_iter=3, **TINY)
    pipeline = _fit(
        make_pipeline(StandardScaler(), ae, LogisticRegression(max_iter=200)),
        X_train,
        y_train,
    )
    model = skl2onnx.to_onnx(pipeline, X_test[:1], options={"zipmap": False})
    labels, proba = _run(model, X_test)
    np.testing.assert_array_equal(labels, pipeline.predict(X_test))
    np.testing.assert_allclose(proba, pipeline.predict_proba(X_test), atol=ATOL)


def test_loaded_model_exports_the_same_graph_outputs(digits, tmp_path):
    X, y = digits
    clf = MLPClassifier((16,), batch_norm=True, max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    sklearn_deep.save(clf, tmp_path / "clf")
    loaded = sklearn_deep.load(tmp_path / "clf")
    X_test = pipeline[0].transform(X[N_TRAIN:]).astype(np.float32)
    before = _run(sklearn_deep.to_onnx(clf, X_test[:1], zipmap=False), X_test)
    after = _run(sklearn_deep.to_onnx(loaded, X_test[:1], zipmap=False), X_test)
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


# A Python that cannot import torch, scikit-learn or sklearn_deep: a meta-path
# finder refuses them before anything is imported, and the script checks so.
_SERVE_WITHOUT_TRAINING_LIBRARIES = textwrap.dedent(
    """
    import importlib.abc
    import sys

    BLOCKED = {"torch", "sklearn", "sklearn_deep", "skl2onnx", "skorch"}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not installed here")
            return None

    sys.meta_path.insert(0, Blocker())
    for name in sorted(BLOCKED):
        try:
            __import__(name)
        except ImportError:
            continue
        raise SystemExit(f"{name} could be imported")

    import numpy as np
    import onnxruntime

    model, rows, out = sys.argv[1:]
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    labels, proba = session.run(None, {"X": np.load(rows)})
    np.savez(out, labels=labels, proba=proba)
    assert not BLOCKED & {name.split(".")[0] for name in sys.modules}
    """
)


def test_exported_file_runs_with_onnxruntime_alone(digits, tmp_path):
    X, y = digits
    clf = MLPClassifier((16,), activation="leaky_relu", max_iter=3, **TINY)
    pipeline = _fit(make_pipeline(StandardScaler(), clf), X[:N_TRAIN], y[:N_TRAIN])
    X_test = X[N_TRAIN:]
    model = sklearn_deep.to_onnx(pipeline, X_test[:1], zipmap=False)
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    np.save(tmp_path / "rows.npy", X_test)
    result = subprocess.run(
        [
            sys.executable,
            "-I",  # no PYTHONPATH, no current directory: only site-packages
            "-c",
            _SERVE_WITHOUT_TRAINING_LIBRARIES,
            str(tmp_path / "model.onnx"),
            str(tmp_path / "rows.npy"),
            str(tmp_path / "out.npz"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    served = np.load(tmp_path / "out.npz", allow_pickle=False)
    np.testing.assert_array_equal(served["labels"], pipeline.predict(X_test))
    np.testing.assert_allclose(
        served["proba"], pipeline.predict_proba(X_test), rtol=0, atol=ATOL
    )


def test_importing_sklearn_deep_does_not_import_onnx():
    code = (
        "import sys, sklearn_deep\n"
        "loaded = {'skl2onnx', 'onnx', 'onnxruntime'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
        "assert callable(sklearn_deep.to_onnx)\n"
        "assert 'skl2onnx' in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "estimator, why",
    [
        (GCNClassifier(), "transductive"),
        (LSTMTagger(), "sentences of any length"),
        (TransformerTagger(), "sentences of any length"),
        (TorchClassifier(torch.nn.Linear), "torch.onnx.export"),
        (TorchRegressor(torch.nn.Linear), "your own Python code"),
    ],
    ids=[
        "GCNClassifier",
        "LSTMTagger",
        "TransformerTagger",
        "TorchClassifier",
        "TorchRegressor",
    ],
)
def test_estimators_without_a_fixed_graph_are_refused_clearly(estimator, why):
    X = np.zeros((1, 4), dtype=np.float32)
    for export in (sklearn_deep.to_onnx, skl2onnx.to_onnx):
        with pytest.raises(NotImplementedError, match=why) as error:
            export(make_pipeline(StandardScaler(), estimator), X)
        assert "sklearn_deep.save" in str(error.value)


def test_unfitted_estimator_is_refused(digits):
    with pytest.raises(NotFittedError):
        sklearn_deep.to_onnx(MLPClassifier(), digits[0][:1])


def test_float_labels_come_out_as_int64(digits):
    X, y = digits
    clf = _fit(MLPClassifier((8,), max_iter=2, **TINY), X[:N_TRAIN], y[:N_TRAIN] * 1.0)
    labels, _ = _run(sklearn_deep.to_onnx(clf, X[:1], zipmap=False), X[N_TRAIN:])
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, clf.predict(X[N_TRAIN:]))


def test_export_leaves_the_estimator_and_the_rows_unchanged(digits):
    X, y = digits
    clf = _fit(MLPClassifier((8,), dropout=0.3, max_iter=2, **TINY), X, y)
    X_sample = X[:5].copy()
    before = clf.predict_proba(X)
    sklearn_deep.to_onnx(clf, X_sample)
    np.testing.assert_array_equal(X_sample, X[:5])
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_a_fitted_column_transformer_of_ours_exports(digits):
    X = digits[0] / 16
    X_train, X_test = X[:300], X[300:350]
    columns = ColumnTransformer(
        [
            (
                "codes",
                Autoencoder(n_components=4, max_iter=3, random_state=0),
                [*range(32)],
            ),
            ("scaled", StandardScaler(), [*range(32, 64)]),
        ]
    )
    _fit(columns, X_train)
    (codes,) = _run(sklearn_deep.to_onnx(columns, X_test[:1]), X_test)
    np.testing.assert_allclose(codes, columns.transform(X_test), rtol=0, atol=ATOL)


def test_a_sample_of_another_width_is_refused(digits):
    X_train, y_train = digits[0][:200] / 16, digits[1][:200]
    clf = _fit(MLPClassifier((8,), max_iter=3, random_state=0), X_train, y_train)
    with pytest.raises(ValueError, match="X_sample has 8 features, but MLPClassifier"):
        sklearn_deep.to_onnx(clf, X_train[:1, :8])
