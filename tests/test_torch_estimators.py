"""TorchClassifier and TorchRegressor: a user's network on the shared engine."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from test_bad_input import (
    CLASSIFIER_FIT,
    SUPERVISED_FIT,
    TABULAR_FIT,
    TABULAR_PREDICT,
    Y_CLASS,
    Y_REG,
)
from test_bad_input import (
    X as BAD_X,
)
from test_persistence import _edit_file
from torch import nn

import sklearn_deep
from sklearn_deep import ModelFormatError, TorchClassifier, TorchRegressor
from sklearn_deep.wrappers._check_modules import ClassifierMLP, RegressorMLP

FAST = dict(random_state=0, device="cpu")
X_MOONS, Y_MOONS = make_moons(n_samples=200, noise=0.1, random_state=0)


class Net(nn.Module):
    """An MLP with dropout and a parameter of its own, drawn from the generator."""

    def __init__(self, n_features, n_classes, hidden_units=16, dropout=0.1):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden_units)
        self.dropout = nn.Dropout(dropout)
        self.scale = Scale(hidden_units)
        self.output = nn.Linear(hidden_units, n_classes)

    def forward(self, X):
        return self.output(self.scale(self.dropout(self.hidden(X).relu())))


class Scale(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(width))

    def reset_parameters(self, generator=None):
        with torch.no_grad():
            self.weight.uniform_(0.5, 1.5, generator=generator)

    def forward(self, X):
        return X * self.weight


class TokenNet(nn.Module):
    """Mean of token embeddings: integer X of shape (n_samples, n_tokens)."""

    def __init__(self, n_classes, vocabulary=10, width=8):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, width)
        self.output = nn.Linear(width, n_classes)

    def forward(self, X):
        return self.output(self.embedding(X).mean(dim=1))


class SignalNet(nn.Module):
    """A 1-D convolution over X of shape (n_samples, channels, length)."""

    def __init__(self, n_outputs, channels=2):
        super().__init__()
        self.conv = nn.Conv1d(channels, 4, kernel_size=3)
        self.output = nn.Linear(4, n_outputs)

    def forward(self, X):
        return self.output(self.conv(X).relu().mean(dim=2))


class TwoInputNet(nn.Module):
    """Numbers and a category code, given as a dict X {"numbers", "code"}."""

    def __init__(self, n_classes, n_numbers=2, n_codes=3):
        super().__init__()
        self.codes = nn.Embedding(n_codes, 4)
        self.hidden = nn.Linear(n_numbers + 4, 16)
        self.output = nn.Linear(16, n_classes)

    def forward(self, numbers, code):
        joined = torch.cat([numbers, self.codes(code)], dim=1)
        return self.output(self.hidden(joined).relu())


class OneColumn(nn.Module):
    def __init__(self, n_features):
        super().__init__()
        self.linear = nn.Linear(n_features, 1)

    def forward(self, X):
        return self.linear(X)


def _fit(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


# ---------------------------------------------------------------- learning
def test_classifier_learns_and_fills_shapes_from_the_data():
    clf = _fit(
        TorchClassifier(Net, max_iter=150, learning_rate_init=0.01, **FAST),
        X_MOONS,
        Y_MOONS,
    )
    assert clf.score(X_MOONS, Y_MOONS) > 0.95
    assert clf.module_params_ == {"n_features": 2, "n_classes": 2}
    proba = clf.predict_proba(X_MOONS)
    assert proba.shape == (200, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # torch's Dropout is replaced by one that draws from the fit's generator.
    assert isinstance(clf.module_.dropout, sklearn_deep.nn.Dropout)


def test_regressor_learns_several_outputs():
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(300, 3))
    Y = np.c_[X[:, 0] + X[:, 1], X[:, 2] ** 2]
    reg = _fit(
        TorchRegressor(
            RegressorMLP,
            module_params={"hidden_units": 32},
            max_iter=200,
            learning_rate_init=0.01,
            **FAST,
        ),
        X,
        Y,
    )
    assert reg.module_params_ == {"hidden_units": 32, "n_features": 3, "n_outputs": 2}
    assert reg.predict(X).shape == (300, 2)
    assert reg.score(X, Y) > 0.9


def test_fit_draws_nothing_from_the_global_generator_and_repeats_itself():
    before = torch.get_rng_state()
    params = dict(module=Net, max_iter=5, **FAST)
    first = _fit(TorchClassifier(**params), X_MOONS, Y_MOONS)
    second = _fit(TorchClassifier(**params), X_MOONS, Y_MOONS)
    assert torch.equal(before, torch.get_rng_state())
    assert first.loss_curve_ == second.loss_curve_
    np.testing.assert_array_equal(
        first.predict_proba(X_MOONS), second.predict_proba(X_MOONS)
    )
    other = _fit(TorchClassifier(**{**params, "random_state": 1}), X_MOONS, Y_MOONS)
    assert other.loss_curve_ != first.loss_curve_


def test_a_module_instance_is_copied_and_never_changed():
    torch.manual_seed(0)
    instance = ClassifierMLP(2, 2)
    weights = {k: v.clone() for k, v in instance.state_dict().items()}
    clf = _fit(TorchClassifier(instance, max_iter=20, **FAST), X_MOONS, Y_MOONS)
    assert clf.module_ is not instance and clf.module is instance
    for key, value in instance.state_dict().items():
        assert torch.equal(value, weights[key])
    assert not torch.equal(clf.module_.output.weight, instance.output.weight)
    assert clf.module_params_ is None
    # Its weights are the starting point: two fits agree.
    again = _fit(TorchClassifier(instance, max_iter=20, **FAST), X_MOONS, Y_MOONS)
    assert again.loss_curve_ == clf.loss_curve_


# ------------------------------------------------- module__<arg> parameters
def test_module_arguments_are_hyper_parameters():
    clf = TorchClassifier(Net, module_params={"hidden_units": 8})
    params = clf.get_params()
    assert params["module__hidden_units"] == 8 and params["module__dropout"] == 0.1
    assert "module__n_features" not in params  # filled in from the data
    assert "module__hidden_units" not in clf.get_params(deep=False)
    original = clf.module_params
    clf.set_params(module__dropout=0.0, alpha=1e-3)
    assert clf.module_params == {"hidden_units": 8, "dropout": 0.0}
    assert original == {"hidden_units": 8}  # a new dict, the old one untouched
    cloned = clone(clf)
    cloned.set_params(module__hidden_units=4)
    assert clf.get_params()["module__hidden_units"] == 8
    assert cloned.get_params()["module__hidden_units"] == 4
    with pytest.raises(ValueError, match=r"Invalid module parameter.*\['width'\]"):
        clf.set_params(module__width=3)
    with pytest.raises(ValueError, match="an instance"):
        TorchClassifier(ClassifierMLP(2, 2)).set_params(module__hidden_units=3)
    with pytest.raises(ValueError, match=r"Invalid module parameter.*\['width'\]"):
        TorchClassifier(Net, module_params={"width": 3}, **FAST).fit(X_MOONS, Y_MOONS)


def test_grid_search_over_module_and_optimiser_parameters():
    search = GridSearchCV(
        TorchClassifier(ClassifierMLP, max_iter=10, **FAST),
        {"module__hidden_units": [4, 16], "alpha": [1e-4, 1e-3]},
        cv=2,
        error_score="raise",
    )
    _fit(search, X_MOONS, Y_MOONS)
    assert len(search.cv_results_["params"]) == 4
    best = search.best_estimator_
    assert (
        best.module_params_["hidden_units"]
        == search.best_params_["module__hidden_units"]
    )
    assert best.module_.hidden.out_features == best.module_params_["hidden_units"]


# ------------------------------------------------------------------- inputs
def test_integer_token_ids_reach_an_embedding():
    rng = np.random.RandomState(0)
    tokens = rng.randint(0, 10, size=(120, 6))
    y = (tokens == 3).any(axis=1).astype(int)
    clf = _fit(
        TorchClassifier(
            TokenNet, keep_integer_X=True, max_iter=60, learning_rate_init=0.02, **FAST
        ),
        tokens,
        y,
    )
    assert clf.score(tokens, y) > 0.85
    with pytest.raises(ValueError, match="non-integer"):
        clf.predict(tokens + 0.5)


def test_three_dimensional_signals_reach_a_convolution():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2, 8)
    y = X[:, 0].mean(axis=1) - X[:, 1].mean(axis=1)
    reg = _fit(
        TorchRegressor(SignalNet, max_iter=80, learning_rate_init=0.01, **FAST), X, y
    )
    assert reg.predict(X).shape == (100,)
    assert reg.score(X, y) > 0.5
    with pytest.raises(ValueError, match=r"samples of shape \(2, 7\).*\(2, 8\)"):
        reg.predict(X[:, :, :7])
    # n_features is not defined for 3-D X: a module asking for it says so.
    with pytest.raises(ValueError, match="module__n_features"):
        TorchRegressor(RegressorMLP, **FAST).fit(X, y)


def test_a_dict_of_arrays_feeds_a_multi_input_module():
    rng = np.random.RandomState(0)
    numbers = rng.randn(150, 2)
    code = rng.randint(0, 3, size=150)
    y = (numbers[:, 0] > 0) ^ (code == 1)
    X = {"numbers": numbers, "code": code}
    clf = _fit(
        TorchClassifier(
            TwoInputNet,
            keep_integer_X=True,
            max_iter=100,
            learning_rate_init=0.02,
            early_stopping=True,
            n_iter_no_change=100,
            **FAST,
        ),
        X,
        y,
    )
    assert clf.score(X, y) > 0.9
    assert len(clf.validation_scores_) == clf.n_iter_
    assert not hasattr(clf, "n_features_in_")
    with pytest.raises(ValueError, match="fitted on"):
        clf.predict(numbers)


# ----------------------------------------------------------- outputs, losses
def test_a_wrong_output_shape_names_the_expected_one():
    X, y = make_classification(
        60, n_features=4, n_classes=3, n_informative=3, n_redundant=0, random_state=0
    )
    with pytest.raises(ValueError, match=r"shape \(2, 1\).*expects \(2, 3\)"):
        TorchClassifier(OneColumn, **FAST).fit(X, y)
    # A binary problem has two outputs too, one per class.
    with pytest.raises(ValueError, match=r"expects \(2, 2\).*n_classes"):
        TorchClassifier(OneColumn, **FAST).fit(X_MOONS, Y_MOONS)


def test_multilabel_and_binary_cross_entropy_give_sigmoids():
    X, _ = make_classification(80, n_features=4, random_state=0)
    Y = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 1] > 0].astype(int)
    clf = _fit(TorchClassifier(ClassifierMLP, max_iter=50, **FAST), X, Y)
    assert clf.out_activation_ == "logistic" and clf.predict(X).shape == (80, 3)
    assert set(np.unique(clf.predict(X))) <= {0, 1}
    ovr = _fit(
        TorchClassifier(
            ClassifierMLP, criterion=nn.BCEWithLogitsLoss(), max_iter=20, **FAST
        ),
        X_MOONS,
        Y_MOONS,
    )
    assert ovr.out_activation_ == "logistic"
    np.testing.assert_allclose(ovr.predict_proba(X_MOONS).sum(axis=1), 1.0, rtol=1e-6)


def test_a_criterion_of_ones_own():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3)
    y = X @ [1.0, -2.0, 0.5]
    loss = nn.HuberLoss(delta=0.5)
    reg = _fit(
        TorchRegressor(
            RegressorMLP, criterion=loss, max_iter=100, learning_rate_init=0.01, **FAST
        ),
        X,
        y,
    )
    assert reg.score(X, y) > 0.8
    with pytest.raises(ValueError, match="built-in criteria only"):
        reg.fit(X, y, sample_weight=np.ones(100))


def test_partial_fit_and_warm_start_go_on_from_the_fitted_network():
    clf = TorchClassifier(ClassifierMLP, **FAST)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_MOONS, Y_MOONS)
    clf.partial_fit(X_MOONS, Y_MOONS, classes=[0, 1])
    clf.partial_fit(X_MOONS, Y_MOONS)
    assert len(clf.loss_curve_) == 2  # n_iter_ counts this call's epochs
    warm = _fit(
        TorchClassifier(ClassifierMLP, max_iter=3, warm_start=True, **FAST),
        X_MOONS,
        Y_MOONS,
    )
    first = warm.module_.output.weight.detach().clone()
    _fit(warm, X_MOONS, Y_MOONS)
    assert len(warm.loss_curve_) == 6 and not torch.equal(
        first, warm.module_.output.weight
    )


# ---------------------------------------------------------------- bad input
def _bad_cases():
    cases = []
    for family, y in (("classifier", Y_CLASS), ("regressor", Y_REG)):
        for name, make in TABULAR_FIT.items():
            cases.append((family, "fit", name, lambda make=make, y=y: _with_y(make, y)))
        for name, make in TABULAR_PREDICT.items():
            cases.append((family, "predict", name, make))
        for name, make in SUPERVISED_FIT.items():
            if (name, family) in {("y-nan", "classifier"), ("one-sample", "regressor")}:
                continue
            cases.append((family, "fit", name, lambda make=make, y=y: make(y)))
    for name, make in CLASSIFIER_FIT.items():
        cases.append(("classifier", "fit", name, make))
    return cases


def _with_y(make, y):
    (X_bad,), match = make()
    if X_bad.ndim == 3:
        # 3-D X is valid input, but a module asking for n_features must be
        # told what it is.
        match = "does not determine.*module__n_features"
    return (X_bad, y[: len(X_bad)]), match


_MODULES = {
    "classifier": (TorchClassifier, ClassifierMLP),
    "regressor": (TorchRegressor, RegressorMLP),
}


@pytest.fixture(scope="module")
def fitted():
    fitted = {}
    for family, (cls, module) in _MODULES.items():
        y = Y_CLASS if family == "classifier" else Y_REG
        fitted[family] = _fit(cls(module, max_iter=2, **FAST), BAD_X, y)
    return fitted


@pytest.mark.parametrize(
    "family, method, name, make",
    _bad_cases(),
    ids=[f"{f}-{n}" for f, _, n, _ in _bad_cases()],
)
def test_bad_input_fails_clearly_and_changes_nothing(
    fitted, family, method, name, make
):
    estimator = pickle.loads(pickle.dumps(fitted[family]))
    expected = estimator.predict(BAD_X)
    args, match, *rest = make()
    kwargs = rest[0] if rest else {}
    copies = [np.array(a, copy=True) for a in args]
    with pytest.raises((ValueError, TypeError), match=match):
        getattr(estimator, method)(*args, **kwargs)
    for arg, copy in zip(args, copies, strict=True):
        np.testing.assert_array_equal(np.asarray(arg), copy)
    np.testing.assert_array_equal(estimator.predict(BAD_X), expected)


# -------------------------------------------------------------- persistence
def test_pickle_and_save_load_round_trips(tmp_path):
    clf = _fit(TorchClassifier(Net, max_iter=5, **FAST), X_MOONS, Y_MOONS)
    expected = clf.predict_proba(X_MOONS)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_MOONS), expected)

    path = tmp_path / "clf.safetensors"
    sklearn_deep.save(clf, path)
    with pytest.raises(ModelFormatError, match=r"trusted_modules=\[Net\]"):
        sklearn_deep.load(path)
    loaded = sklearn_deep.load(path, trusted_modules=[Net])
    assert loaded.module is Net
    np.testing.assert_allclose(loaded.predict_proba(X_MOONS), expected, rtol=1e-6)


def test_load_imports_a_trusted_class_by_its_path_only(tmp_path):
    reg = _fit(TorchRegressor(RegressorMLP, max_iter=3, **FAST), BAD_X, Y_REG)
    path = tmp_path / "reg.safetensors"
    sklearn_deep.save(reg, path)
    trusted = "sklearn_deep.wrappers._check_modules.RegressorMLP"
    loaded = sklearn_deep.load(path, trusted_modules=[trusted])
    np.testing.assert_allclose(loaded.predict(BAD_X), reg.predict(BAD_X), rtol=1e-6)
    with pytest.raises(ModelFormatError, match="does not run unless you trust"):
        sklearn_deep.load(
            path, trusted_modules=["sklearn_deep.wrappers._check_modules.ClassifierMLP"]
        )
    # A module instance has no import path with arguments to rebuild it from.
    instance = _fit(
        TorchRegressor(RegressorMLP(3, 1), max_iter=1, **FAST), BAD_X, Y_REG
    )
    with pytest.raises(TypeError, match="RegressorMLP"):
        sklearn_deep.save(instance, tmp_path / "instance.safetensors")


def test_fits_in_threads_give_their_serial_results():
    from concurrent.futures import ThreadPoolExecutor

    def fit(seed):
        clf = TorchClassifier(Net, max_iter=5, random_state=seed, device="cpu")
        return _fit(clf, X_MOONS, Y_MOONS).predict_proba(X_MOONS)

    serial = [fit(seed) for seed in (0, 1)]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(fit, (0, 1)))
    for a, b in zip(serial, threaded, strict=True):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------- errors and randomness
class Embedded(nn.Module):
    """Token ids into an embedding of 10 rows."""

    def __init__(self, n_classes):
        super().__init__()
        self.embedding = nn.Embedding(10, 4)
        self.output = nn.Linear(4, n_classes)

    def forward(self, X):
        return self.output(self.embedding(X).mean(1))


def test_a_module_failing_at_predict_or_in_training_fails_clearly():
    ids = np.random.RandomState(0).randint(0, 10, (30, 5))
    labels = np.arange(30) % 2
    params = dict(keep_integer_X=True, max_iter=2, **FAST)
    clf = _fit(TorchClassifier(Embedded, **params), ids, labels)
    with pytest.raises(ValueError, match="module Embedded failed on the input"):
        clf.predict(ids + 5)
    ids[10] = 15  # beyond the embedding, in a row after the two-row probe
    with pytest.raises(ValueError, match="module Embedded failed during training"):
        _fit(TorchClassifier(Embedded, **params), ids, labels)


class SubclassedDropout(nn.Dropout):
    pass


class UncoveredParameter(nn.Module):
    """A dropout subclass, and a parameter drawn in the constructor."""

    def __init__(self, n_features, n_classes):
        super().__init__()
        self.hidden = nn.Linear(n_features, 16)
        self.dropout = SubclassedDropout(0.5)
        self.output = nn.Linear(16, n_classes)
        self.scale = nn.Parameter(1 + 0.1 * torch.randn(n_classes))

    def forward(self, X):
        return self.output(self.dropout(self.hidden(X).relu())) * self.scale


def test_fits_repeat_whatever_the_global_generator_holds():
    coefficients = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        clf = _fit(
            TorchClassifier(UncoveredParameter, max_iter=3, **FAST), X_MOONS, Y_MOONS
        )
        coefficients.append([p.detach().clone() for p in clf.module_.parameters()])
    for a, b in zip(*coefficients, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_load_refuses_a_file_whose_input_width_disagrees(tmp_path):
    clf = _fit(TorchClassifier(ClassifierMLP, max_iter=2, **FAST), BAD_X, Y_CLASS)
    path = tmp_path / "clf.safetensors"
    sklearn_deep.save(clf, path)

    def narrower(metadata):
        attributes = metadata["estimator"]["attributes"]
        attributes["n_features_in_"] = attributes["n_features_in_"] - 1

    edited = _edit_file(path, tmp_path, narrower)
    with pytest.raises(ModelFormatError, match="disagree"):
        sklearn_deep.load(edited, trusted_modules=[ClassifierMLP])
