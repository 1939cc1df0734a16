"""CNNClassifier and CNNRegressor: they learn what convolutions are for, reshape
their input by ``input_shape``, err clearly, and round-trip through pickle and
``sklearn_deep.save``/``load``."""

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sklearn_deep
from sklearn_deep import CNNClassifier, CNNRegressor
from sklearn_deep.nn import ConvolutionalNetwork, RandomShift, build_uninitialized

SHARED = Path(__file__).parents[2] / "shared" / "datasets" / "mnist1d"

# Small and fast; one thread, since the tests may share the cores.
FAST = dict(filters=(8, 8), max_iter=30, random_state=0, device="cpu", n_threads=1)


def shifted_patterns(n_samples=240, length=32, seed=0):
    """Signals holding one of two patterns at a random position, in noise.

    Class 0 is a rising ramp, class 1 a falling one; where it sits carries no
    information. A network that shares its weights across positions learns
    this from a few hundred samples; a fully connected one must learn every
    position separately.
    """
    rng = np.random.RandomState(seed)
    X = 0.3 * rng.normal(size=(n_samples, length))
    y = rng.randint(0, 2, size=n_samples)
    ramp = np.linspace(-2, 2, 6)
    starts = rng.randint(0, length - len(ramp), size=n_samples)
    for i in range(n_samples):
        X[i, starts[i] : starts[i] + len(ramp)] += ramp if y[i] == 0 else ramp[::-1]
    return X, y


@pytest.fixture(scope="module")
def patterns():
    X, y = shifted_patterns(360)
    return X[:240], y[:240], X[240:], y[240:]


@pytest.fixture(scope="module")
def fitted(patterns):
    X, y, _, _ = patterns
    return CNNClassifier(**FAST).fit(X, y)


# ---------------------------------------------------------------- learning
def test_learns_shifted_patterns_an_mlp_cannot(patterns, fitted):
    X, y, X_test, y_test = patterns
    cnn_score = fitted.score(X_test, y_test)
    mlp = SkMLPClassifier((64,), max_iter=300, random_state=0).fit(X, y)
    assert cnn_score >= 0.95
    assert cnn_score > mlp.score(X_test, y_test) + 0.1
    assert fitted.n_iter_ == 30 and len(fitted.loss_curve_) == 30
    assert fitted.loss_curve_[-1] < fitted.loss_curve_[0] / 3
    assert list(fitted.history_[:, "epoch"]) == list(range(1, 31))
    np.testing.assert_array_equal(fitted.classes_, [0, 1])
    proba = fitted.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_regressor_learns_the_height_of_a_bump_anywhere():
    rng = np.random.RandomState(0)
    X = 0.1 * rng.normal(size=(300, 24))
    y = rng.uniform(1, 3, size=300)
    starts = rng.randint(0, 20, size=300)
    for i in range(300):
        X[i, starts[i] : starts[i] + 3] += y[i]
    reg = CNNRegressor(**{**FAST, "max_iter": 40}).fit(X[:200], y[:200])
    assert reg.score(X[200:], y[200:]) > 0.9
    assert reg.predict(X[200:]).shape == (100,)
    two = CNNRegressor(**{**FAST, "max_iter": 5}).fit(X, np.c_[y, -y])
    assert two.predict(X).shape == (300, 2) and two.n_outputs_ == 2


@pytest.mark.skipif(
    not (SHARED / "mnist1d.npz").is_file(),
    reason=f"MNIST-1D is not in {SHARED}",
)
def test_convolutions_need_the_order_of_the_positions():
    # MNIST-1D's signals, and the same with their 40 positions permuted once:
    # the permutation destroys the local structure that convolutions use.
    scores = {}
    for name in ("mnist1d", "mnist1d_shuffled"):
        data = np.load(SHARED / f"{name}.npz")
        cnn = CNNClassifier(**{**FAST, "filters": (16, 16), "max_iter": 10})
        cnn.fit(data["X_train"][:1000], data["y_train"][:1000])
        scores[name] = cnn.score(data["X_test"], data["y_test"])
    # Measured: 0.89 and 0.37 for this short fit on a quarter of the data
    # (an MLP reaches about 0.45 on either).
    assert scores["mnist1d"] > 0.8
    assert scores["mnist1d_shuffled"] < scores["mnist1d"] - 0.3


# ------------------------------------------------------------ input shapes
def test_input_shape_reshapes_rows_channel_first():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 2, 10))
    y = np.arange(30) % 3
    flat = CNNClassifier(input_shape=(2, 10), **{**FAST, "max_iter": 2}).fit(
        X.reshape(30, -1), y
    )
    cube = CNNClassifier(**{**FAST, "max_iter": 2}).fit(X, y)
    assert flat.input_shape_ == cube.input_shape_ == (2, 10)
    assert flat.n_features_in_ == cube.n_features_in_ == 20
    np.testing.assert_allclose(flat.predict_proba(X), cube.predict_proba(X), rtol=1e-5)
    np.testing.assert_array_equal(cube.predict(X), cube.predict(X.reshape(30, -1)))
    assert flat.filters_[0].shape == (8, 2, 5)
    default = CNNClassifier(**{**FAST, "max_iter": 1}).fit(X.reshape(30, -1), y)
    assert default.input_shape_ == (1, 20)


def test_images_in_two_dimensions():
    rng = np.random.RandomState(0)
    images = rng.normal(size=(40, 1, 6, 6))
    y = np.arange(40) % 2
    images[y == 1, 0, 2:4, 2:4] += 3
    clf = CNNClassifier(
        input_shape=(1, 6, 6),
        kernel_size=3,
        pooling="max",
        global_pooling=None,
        hidden_layer_sizes=(8,),
        dropout=0.1,
        **FAST,
    ).fit(images.reshape(40, -1), y)
    assert clf.filters_[0].shape == (8, 1, 3, 3)
    assert clf.predict(images).shape == (40,)
    assert isinstance(clf.module_, ConvolutionalNetwork)


# ------------------------------------------------------------------ errors
def test_input_shape_must_match_the_features():
    X, y = shifted_patterns(20)
    with pytest.raises(ValueError, match=r"input_shape=\(2, 10\) holds 20 values"):
        CNNClassifier(input_shape=(2, 10), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="input_shape must be"):
        CNNClassifier(input_shape=(1, 0), **FAST).fit(X, y)
    with pytest.raises(ValueError, match=r"samples of shape \(2, 16\)"):
        CNNClassifier(input_shape=(1, 32), **FAST).fit(X.reshape(20, 2, 16), y)


def test_inputs_smaller_than_the_kernels_are_refused():
    X = np.random.RandomState(0).normal(size=(20, 1, 4, 4))
    y = np.arange(20) % 2
    with pytest.raises(ValueError, match="kernel_size=5 but its input is only 4"):
        CNNClassifier(padding="valid", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="pool_size=2 but its input is only 1"):
        CNNClassifier(pooling="max", **{**FAST, "filters": (4, 4, 4)}).fit(X, y)
    with pytest.raises(ValueError, match="kernel_size has 3 values for 2"):
        CNNClassifier(kernel_size=(3, 3, 3), **FAST).fit(X, y)


def test_bad_input_raises_and_changes_nothing(fitted, patterns):
    X, y, X_test, _ = patterns
    before = fitted.predict_proba(X_test)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    for bad in (X_nan, np.where(X_nan != X_nan, np.inf, X)):
        copy = bad.copy()
        with pytest.raises(ValueError, match="NaN|infinity"):
            fitted.fit(bad, y)
        np.testing.assert_array_equal(bad, copy)
    with pytest.raises(ValueError, match="X has 31 features"):
        fitted.predict(X_test[:, :31])
    with pytest.raises(ValueError, match=r"fitted on samples of shape \(1, 32\)"):
        fitted.predict(X_test.reshape(-1, 2, 16))
    with pytest.raises(ValueError, match="filters must be"):
        CNNClassifier(filters=()).fit(X, y)
    # The failed fits left the fitted estimator as it was.
    np.testing.assert_array_equal(fitted.predict_proba(X_test), before)


def test_the_users_arrays_are_not_modified(patterns):
    X, y, _, _ = patterns
    X3 = X.reshape(-1, 1, 32).copy()
    X_before, y_before = X3.copy(), y.copy()
    CNNClassifier(**{**FAST, "max_iter": 2}).fit(X3, y)
    np.testing.assert_array_equal(X3, X_before)
    np.testing.assert_array_equal(y, y_before)


# ----------------------------------------------------------- augmentation
def test_random_shifts_only_in_training_and_from_the_given_generator():
    layer = RandomShift(2)
    x = torch.arange(24, dtype=torch.float32).reshape(4, 1, 6)
    layer.eval()
    assert torch.equal(layer(x), x)
    layer.train()
    layer.generator = torch.Generator().manual_seed(0)
    first = layer(x)
    layer.generator = torch.Generator().manual_seed(0)
    assert torch.equal(layer(x), first)
    # Each row is its own row moved by at most 2 positions, zeros shifted in.
    for row, shifted in zip(x[:, 0], first[:, 0], strict=True):
        matches = [
            s
            for s in range(-2, 3)
            if torch.equal(shifted, torch.nn.functional.pad(row, (2, 2))[2 - s : 8 - s])
        ]
        assert matches
    global_state = torch.random.get_rng_state()
    CNNClassifier(**{**FAST, "max_iter": 2}).fit(*shifted_patterns(40))
    assert torch.equal(torch.random.get_rng_state(), global_state)


def test_random_state_repeats_the_augmented_fit(patterns):
    X, y, X_test, _ = patterns
    params = {**FAST, "max_iter": 3, "max_shift": 3}
    a = CNNClassifier(**params).fit(X, y).predict_proba(X_test)
    b = CNNClassifier(**params).fit(X, y).predict_proba(X_test)
    c = CNNClassifier(**{**params, "max_shift": 0}).fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_the_network_draws_its_weights_from_the_generator():
    def build(seed):
        net = build_uninitialized(ConvolutionalNetwork, (1, 12), (4,), 3)
        net.reset_parameters(torch.Generator().manual_seed(seed))
        return net.state_dict()

    a, b, c = build(0), build(0), build(1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["1.weight"], c["1.weight"])


# ------------------------------------------------------------- persistence
def test_pickle_and_save_load_give_equal_predictions(fitted, patterns, tmp_path):
    _, _, X_test, _ = patterns
    expected = fitted.predict_proba(X_test)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X_test), expected)
    path = tmp_path / "cnn.safetensors"
    sklearn_deep.save(fitted, path)
    loaded = sklearn_deep.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), expected)
    assert loaded.input_shape_ == fitted.input_shape_
    for a, b in zip(loaded.filters_, fitted.filters_, strict=True):
        np.testing.assert_array_equal(a, b)


def test_save_load_of_a_regressor_on_images(tmp_path):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 2, 5, 5)), rng.normal(size=30)
    reg = CNNRegressor(
        kernel_size=3, pooling="avg", global_pooling=None, **{**FAST, "max_iter": 2}
    ).fit(X, y)
    path = tmp_path / "reg.safetensors"
    sklearn_deep.save(reg, path)
    np.testing.assert_array_equal(sklearn_deep.load(path).predict(X), reg.predict(X))


# ------------------------------------------------------ scikit-learn tools
def test_grid_search_over_a_pipeline(patterns):
    X, y, _, _ = patterns
    pipeline = make_pipeline(
        StandardScaler(), CNNClassifier(**{**FAST, "filters": (4,), "max_iter": 5})
    )
    search = GridSearchCV(
        pipeline,
        {"cnnclassifier__kernel_size": [3, 7], "cnnclassifier__pooling": [None, "max"]},
        cv=2,
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.predict(X).shape == y.shape


# ----------------------------------------------------------------- display
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_filter_display_draws_the_first_layers_filters(fitted):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_deep import MLPClassifier
    from sklearn_deep.inspection import FilterDisplay

    display = FilterDisplay.from_estimator(fitted, n_cols=4)
    assert len(display.axes_) == 8
    # One curve per input channel in each panel, the filter's own weights.
    np.testing.assert_allclose(
        display.axes_[3].lines[0].get_ydata(), fitted.filters_[0][3, 0]
    )
    images = FilterDisplay(np.ones((3, 1, 3, 3))).plot()
    assert images.axes_[0].images[0].get_array().shape == (3, 3)
    mlp = MLPClassifier((3,), max_iter=2, device="cpu").fit(*shifted_patterns(20))
    with pytest.raises(ValueError, match="no filters_"):
        FilterDisplay.from_estimator(mlp)
    with pytest.raises(ValueError, match="3-D"):
        FilterDisplay(np.ones((3, 3)))
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize(
    "params",
    [
        dict(kernel_size=[0]),
        dict(kernel_size=[-3]),
        dict(kernel_size=[3.0]),
        dict(kernel_size=[True]),
        dict(strides=[0]),
        dict(strides=[-1]),
    ],
)
def test_per_layer_sizes_must_be_positive_ints(params):
    X, y = shifted_patterns(n_samples=20, length=16)
    with pytest.raises(ValueError, match="must hold positive ints"):
        CNNClassifier(**{**FAST, "filters": (2,)}, **params).fit(X, y)


def test_numpy_integer_sizes_are_ints():
    X, y = shifted_patterns(n_samples=20, length=16)
    params = {**FAST, "filters": (2,), "max_iter": 1}
    CNNClassifier(**params, kernel_size=np.int64(3), strides=np.int64(2)).fit(X, y)


def test_batch_norm_on_batches_of_one_position_is_refused_clearly():
    X, y = shifted_patterns(n_samples=20, length=16)
    cnn = CNNClassifier(
        **{**FAST, "filters": (2,)}, batch_size=1, strides=100, global_pooling="avg"
    )
    with pytest.raises(ValueError, match="batch_size = 1"):
        cnn.fit(X, y)


def test_warm_start_refuses_a_changed_architecture():
    X, y = shifted_patterns(n_samples=40, length=16)
    cnn = CNNClassifier(**{**FAST, "filters": (2,), "max_iter": 1}, warm_start=True)
    cnn.fit(X, y)
    before = cnn.predict_proba(X)
    cnn.set_params(filters=(2, 2))
    with pytest.raises(ValueError, match="another network than the fitted one"):
        cnn.fit(X, y)
    np.testing.assert_array_equal(cnn.predict_proba(X), before)
