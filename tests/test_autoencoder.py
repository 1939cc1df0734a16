"""Behavioural tests of Autoencoder and of pre-training MLPs with it.

They check what a user of ``sklearn.decomposition.PCA`` relies on (a transformer
in pipelines and searches, feature names, pandas output, pickling, clear
errors) and what an autoencoder must deliver on top: a linear one matches PCA,
a non-linear one beats it, a denoising one undoes corruption, and its encoder
gives an MLP a head start when labels are few.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline

from sklearn_deep import Autoencoder, MLPClassifier, MLPRegressor

# Convergence warnings are expected from the deliberately short trainings below.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Train on one thread: the small networks here gain nothing from two, and
    the test machine's cores are shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits():
    """Digits scaled to [0, 1], split into a training and a test part."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)


def _small_ae(**params):
    defaults = {"hidden_layer_sizes": (16,), "max_iter": 20, "random_state": 0}
    return Autoencoder(**(defaults | {"device": "cpu"} | params))


def _pca_error(X_fit, X_eval, k):
    pca = PCA(k).fit(X_fit)
    return np.mean((pca.inverse_transform(pca.transform(X_eval)) - X_eval) ** 2)


# ------------------------------------------------------------- quality vs PCA
@pytest.mark.parametrize("k", [2, 8])
def test_linear_autoencoder_reaches_pca_error(digits, k):
    X_train = digits[0]
    ae = Autoencoder(
        k,
        hidden_layer_sizes=(),
        activation="identity",
        learning_rate_init=0.01,
        max_iter=100,
        random_state=0,
        device="cpu",
    ).fit(X_train)
    pca_error = _pca_error(X_train, X_train, k)
    # PCA is the optimum of a linear code: the autoencoder can only approach it.
    assert pca_error <= ae.reconstruction_error_ * (1 + 1e-6)
    assert ae.reconstruction_error_ <= 1.10 * pca_error
    assert ae.reconstruction_error_ == pytest.approx(-ae.score(X_train))


def test_nonlinear_autoencoder_beats_pca_on_held_out_digits(digits):
    X_train, X_test = digits[0], digits[1]
    ae = Autoencoder(
        8,
        hidden_layer_sizes=(128,),
        learning_rate_init=0.01,
        max_iter=50,
        random_state=0,
        device="cpu",
    ).fit(X_train)
    # At least 15% below PCA's error with the same code size, on unseen rows.
    assert -ae.score(X_test) <= 0.85 * _pca_error(X_train, X_test, 8)


def test_denoising_autoencoder_reconstructs_corrupted_input_better(digits):
    X_train, X_test = digits[0], digits[1]
    params = dict(
        n_components=16,
        hidden_layer_sizes=(128,),
        learning_rate_init=0.01,
        max_iter=60,
        random_state=0,
        device="cpu",
    )
    plain = Autoencoder(**params).fit(X_train)
    denoising = Autoencoder(**params, noise=0.3, noise_type="masking").fit(X_train)
    rng = np.random.RandomState(0)
    corrupted = X_test * (rng.uniform(size=X_test.shape) >= 0.3)

    def error(ae):
        restored = ae.inverse_transform(ae.transform(corrupted))
        return np.mean((restored - X_test) ** 2)

    assert error(denoising) < 0.8 * error(plain)


def test_logistic_output_trains_on_binary_cross_entropy(digits):
    X_train = digits[0]
    ae = _small_ae(
        n_components=8,
        hidden_layer_sizes=(64,),
        output_activation="logistic",
        learning_rate_init=0.01,
        max_iter=30,
    )
    ae.fit(X_train)
    reconstruction = ae.inverse_transform(ae.transform(X_train))
    assert reconstruction.min() >= 0 and reconstruction.max() <= 1
    # Binary cross-entropy summed over 64 pixels is far above half an MSE.
    assert ae.loss_ > 1.0
    assert ae.reconstruction_error_ < _pca_error(X_train, X_train, 8)


def test_sparsity_penalty_makes_codes_sparser(digits):
    X_train = digits[0]
    params = dict(n_components=32, code_activation="relu", max_iter=30)
    dense = _small_ae(**params).fit(X_train)
    sparse = _small_ae(**params, sparsity=0.05).fit(X_train)
    assert (
        np.mean(sparse.transform(X_train) == 0)
        > np.mean(dense.transform(X_train) == 0) + 0.2
    )


def test_tied_weights_share_the_encoder_matrices():
    X = np.random.RandomState(0).normal(size=(60, 10))
    untied = _small_ae(n_components=3).fit(X)
    tied = _small_ae(n_components=3, tied_weights=True).fit(X)
    count = sum(p.numel() for p in tied.module_.parameters())
    # Tied: the decoder keeps only its biases (16 + 10).
    assert count == sum(p.numel() for p in untied.module_.parameters()) - 3 * 16 - (
        16 * 10
    )
    decoder_weight = tied.module_.decoder[-1].weight
    assert torch.equal(decoder_weight, tied.module_.encoder[0].weight.t())


# ----------------------------------------------------------- transformer API
def test_transform_shapes_feature_names_and_fitted_attributes():
    X = np.random.RandomState(0).normal(size=(50, 6))
    ae = _small_ae(n_components=3, early_stopping=True, validation_fraction=0.2)
    codes = ae.fit_transform(X)
    assert codes.shape == (50, 3) and codes.dtype == np.float64
    assert ae.inverse_transform(codes).shape == (50, 6)
    assert list(ae.get_feature_names_out()) == [
        "autoencoder0",
        "autoencoder1",
        "autoencoder2",
    ]
    assert ae.n_features_in_ == 6
    assert ae.encoder_layer_sizes_ == [16, 3]
    assert len(ae.loss_curve_) == ae.n_iter_ == len(ae.history_)
    assert len(ae.validation_scores_) == ae.n_iter_
    assert ae.best_validation_score_ == max(ae.validation_scores_)
    np.testing.assert_allclose(codes, ae.transform(X))


def test_set_output_pandas_and_feature_names_in():
    X = pd.DataFrame(
        np.random.RandomState(0).normal(size=(40, 4)), columns=list("abcd")
    )
    ae = _small_ae(n_components=2).set_output(transform="pandas").fit(X)
    codes = ae.transform(X)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == ["autoencoder0", "autoencoder1"]
    assert list(ae.feature_names_in_) == list("abcd")
    # A frame of codes goes back through inverse_transform.
    assert ae.inverse_transform(codes).shape == (40, 4)


def test_pipeline_grid_search_over_n_components(digits):
    X_train, X_test, y_train, y_test = digits
    pipeline = Pipeline(
        [
            ("ae", _small_ae(hidden_layer_sizes=(32,), learning_rate_init=0.01)),
            ("clf", LogisticRegression(max_iter=300)),
        ]
    )
    search = GridSearchCV(pipeline, {"ae__n_components": [2, 16]}, cv=2)
    search.fit(X_train[:600], y_train[:600])
    assert search.best_params_ == {"ae__n_components": 16}
    assert search.score(X_test, y_test) > 0.8


def test_pickle_round_trip_gives_equal_transforms(tmp_path):
    X = np.random.RandomState(0).normal(size=(40, 5))
    ae = _small_ae(n_components=2, tied_weights=True, noise=0.1).fit(X)
    path = tmp_path / "ae.pkl"
    path.write_bytes(pickle.dumps(ae))
    restored = pickle.loads(path.read_bytes())
    np.testing.assert_array_equal(restored.transform(X), ae.transform(X))
    codes = ae.transform(X)
    np.testing.assert_array_equal(
        restored.inverse_transform(codes), ae.inverse_transform(codes)
    )


def test_sparse_input_matches_dense():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(60, 8)) * (rng.uniform(size=(60, 8)) < 0.4)
    dense = _small_ae(n_components=3, early_stopping=True).fit(X)
    sparse = _small_ae(n_components=3, early_stopping=True).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(
        sparse.transform(sp.csr_matrix(X)), dense.transform(X), rtol=1e-5, atol=1e-6
    )
    assert sparse.score(sp.csc_matrix(X)) == pytest.approx(dense.score(X), rel=1e-5)


def test_partial_fit_and_warm_start_continue_training():
    X = np.random.RandomState(0).normal(size=(60, 6))
    ae = _small_ae(n_components=2, max_iter=5)
    for _ in range(3):
        ae.partial_fit(X)
    # scikit-learn's counts: n_iter_ is the last call's, the curve goes on.
    assert ae.n_iter_ == 1 and len(ae.loss_curve_) == 3
    warm = _small_ae(n_components=2, max_iter=5, warm_start=True).fit(X)
    first = warm.loss_curve_[-1]
    warm.fit(X)
    assert warm.n_iter_ == 5 and len(warm.loss_curve_) == 10
    assert warm.loss_curve_[-1] < first


# ------------------------------------------------------------ randomness
def test_same_seed_same_codes_and_global_rng_untouched():
    X = np.random.RandomState(0).normal(size=(40, 5))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = _small_ae(n_components=2, noise=0.5, dropout=0.1).fit(X).transform(X)
    assert torch.equal(torch.rand(3), expected)
    second = _small_ae(n_components=2, noise=0.5, dropout=0.1).fit(X).transform(X)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("noise_type", ["gaussian", "masking"])
def test_noise_is_applied_in_training_only(noise_type):
    X = np.random.RandomState(0).normal(size=(30, 5))
    noisy = _small_ae(n_components=2, noise=0.5, noise_type=noise_type).fit(X)
    clean = _small_ae(n_components=2, noise=0.0, noise_type=noise_type).fit(X)
    # The same seed starts both from the same weights: only the noise seen in
    # training can set them apart.
    noisy_weights, clean_weights = (ae.module_.state_dict() for ae in (noisy, clean))
    assert noisy_weights.keys() == clean_weights.keys()
    assert any(
        not torch.allclose(noisy_weights[key], clean_weights[key])
        for key in noisy_weights
    ), "noise had no effect on training"
    # ... and none at prediction.
    np.testing.assert_array_equal(noisy.transform(X), noisy.transform(X))


# ------------------------------------------------------------------ errors
def test_not_fitted_raises():
    ae = _small_ae()
    X = np.zeros((3, 4))
    for method in (ae.transform, ae.inverse_transform, ae.score):
        with pytest.raises(NotFittedError):
            method(X)
    with pytest.raises(NotFittedError):
        ae.get_feature_names_out()


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_non_finite_input_raises(bad_value):
    X = np.random.RandomState(0).normal(size=(20, 4))
    X[3, 1] = bad_value
    with pytest.raises(ValueError, match="NaN|infinity"):
        _small_ae().fit(X)


def test_wrong_widths_raise():
    ae = _small_ae(n_components=2).fit(np.random.RandomState(0).normal(size=(20, 4)))
    with pytest.raises(ValueError, match="4 features"):
        ae.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="codes of 2"):
        ae.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="NaN"):
        ae.inverse_transform(np.full((2, 2), np.nan))


def test_overcomplete_code_needs_noise_or_sparsity():
    X = np.random.RandomState(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match="n_components=6 .* n_features=4"):
        _small_ae(n_components=6).fit(X)
    assert _small_ae(n_components=6, noise=0.1).fit(X).transform(X).shape == (30, 6)
    assert _small_ae(n_components=6, sparsity=0.01).fit(X).transform(X).shape == (
        30,
        6,
    )
    # As wide as the input is allowed.
    assert _small_ae(n_components=4).fit(X).transform(X).shape == (30, 4)


def test_logistic_output_rejects_data_outside_unit_interval():
    X = np.random.RandomState(0).normal(size=(30, 4))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        _small_ae(output_activation="logistic").fit(X)


@pytest.mark.parametrize(
    "name, value",
    [
        ("n_components", 0),
        ("noise", -0.1),
        ("noise_type", "salt"),
        ("sparsity", -1.0),
        ("output_activation", "tanh"),
        ("code_activation", "softmax"),
    ],
)
def test_invalid_parameter_raises(name, value):
    X = np.random.RandomState(0).normal(size=(20, 4))
    with pytest.raises(ValueError, match=name):
        _small_ae(**{name: value}).fit(X)


def test_masking_everything_raises():
    X = np.random.RandomState(0).normal(size=(20, 4))
    with pytest.raises(ValueError, match="masks every feature"):
        _small_ae(noise=1.0, noise_type="masking").fit(X)


def test_user_arrays_are_never_modified():
    X = np.random.RandomState(0).normal(size=(30, 4)).astype(np.float32)
    before = X.copy()
    ae = _small_ae(n_components=2, noise=0.5, noise_type="masking").fit(X)
    ae.transform(X)
    codes = ae.transform(X)
    codes_before = codes.copy()
    ae.inverse_transform(codes)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_array_equal(codes, codes_before)


def test_failed_fit_leaves_fitted_estimator_unchanged():
    X = np.random.RandomState(0).normal(size=(30, 4))
    ae = _small_ae(n_components=2).fit(X)
    codes, state = ae.transform(X), dict(ae.__dict__)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError):
        ae.fit(bad)
    with pytest.raises(ValueError):
        ae.set_params(n_components=9).fit(X)
    ae.set_params(n_components=2)
    assert ae.__dict__.keys() == state.keys()
    assert ae.module_ is state["module_"]
    np.testing.assert_array_equal(ae.transform(X), codes)


# ------------------------------------------------------------- pre-training
def test_pretrained_encoder_initialises_the_first_layers(digits):
    X_train, _, y_train, _ = digits
    ae = _small_ae(n_components=8, hidden_layer_sizes=(32,)).fit(X_train)
    before = [p.detach().clone() for p in ae.module_.parameters()]
    # Frozen for every epoch: the first two layers keep the encoder's weights.
    clf = MLPClassifier(
        hidden_layer_sizes=(32, 8, 12),
        init=ae,
        freeze_init_epochs=5,
        max_iter=5,
        random_state=0,
        device="cpu",
    ).fit(X_train, y_train)
    for ours, theirs in zip(
        clf.coefs_[:2], ae.module_.encoder.linear_layers, strict=True
    ):
        np.testing.assert_array_equal(ours, theirs.weight.detach().numpy().T)
    assert np.all(clf.gradient_norms_[:, :2] == 0)
    assert np.all(clf.gradient_norms_[:, 2:] > 0)
    # The autoencoder itself is untouched.
    for old, new in zip(before, ae.module_.parameters(), strict=True):
        assert torch.equal(old, new)
    # With fine-tuning after the frozen epochs, the first layers move on.
    tuned = clone(clf).set_params(max_iter=8).fit(X_train, y_train)
    assert not np.array_equal(tuned.coefs_[0], clf.coefs_[0])
    assert tuned.n_iter_ == 8


def test_pretraining_helps_with_few_labels(digits):
    X_train, X_test, y_train, y_test = digits
    X_all = np.vstack([X_train, X_test])  # unlabeled: every image, no label
    ae = Autoencoder(
        32,
        hidden_layer_sizes=(256,),
        code_activation="relu",
        noise=0.2,
        max_iter=150,
        tol=1e-6,
        learning_rate_init=0.003,
        random_state=0,
        device="cpu",
    ).fit(X_all)
    scores = []
    for seed in range(5):
        labeled, _ = train_test_split(
            np.arange(len(y_train)), train_size=50, stratify=y_train, random_state=seed
        )
        params = dict(
            hidden_layer_sizes=(256, 32),
            learning_rate_init=0.003,
            max_iter=200,
            random_state=seed,
            device="cpu",
        )
        scratch = MLPClassifier(**params)
        pretrained = MLPClassifier(**params, init=ae, freeze_init_epochs=100)
        scores.append(
            [
                model.fit(X_train[labeled], y_train[labeled]).score(X_test, y_test)
                for model in (scratch, pretrained)
            ]
        )
    scratch_mean, pretrained_mean = np.mean(scores, axis=0)
    assert pretrained_mean >= scratch_mean + 0.005, scores


def test_init_survives_clone_and_grid_search(digits):
    X_train, _, y_train, _ = digits
    ae = _small_ae(n_components=8, hidden_layer_sizes=(32,)).fit(X_train)
    encoder = [layer.weight.clone() for layer in ae.module_.encoder.linear_layers]
    X_small, y_small = X_train[:300], y_train[:300]
    # Frozen for every epoch, the first two layers keep the encoder's weights.
    clf = MLPClassifier(
        hidden_layer_sizes=(32, 8),
        init=ae,
        freeze_init_epochs=3,
        max_iter=3,
        random_state=0,
        device="cpu",
    )
    cloned = clone(clf)
    assert cloned.init is ae and hasattr(cloned.init, "module_")
    search = GridSearchCV(clf, {"alpha": [1e-4, 1e-2]}, cv=2).fit(X_small, y_small)
    best = search.best_estimator_.module_.linear_layers
    for layer, weight in zip(best[:2], encoder, strict=True):
        torch.testing.assert_close(layer.weight, weight, rtol=0, atol=0)
    # A grid over init itself: FrozenEstimator keeps the candidates fitted, and
    # its candidate scores as init=ae does, unlike init=None.
    search = GridSearchCV(
        clf, {"init": [None, FrozenEstimator(ae)]}, cv=2, error_score="raise"
    ).fit(X_small, y_small)
    splits = [search.cv_results_[f"split{i}_test_score"] for i in range(2)]
    scratch, pretrained = np.transpose(splits)
    np.testing.assert_array_equal(
        pretrained, cross_val_score(clf, X_small, y_small, cv=2)
    )
    assert not np.array_equal(pretrained, scratch)
    # No search refitted or changed the autoencoder.
    for layer, weight in zip(ae.module_.encoder.linear_layers, encoder, strict=True):
        assert torch.equal(layer.weight, weight)


def test_init_errors_are_clear(digits):
    X_train, _, y_train, _ = digits
    ae = _small_ae(n_components=8, hidden_layer_sizes=(32,)).fit(X_train)
    with pytest.raises(ValueError, match=r"\[32, 8\].*must start with them"):
        MLPClassifier(hidden_layer_sizes=(32, 16), init=ae).fit(X_train, y_train)
    with pytest.raises(ValueError, match="fitted on 64 features"):
        MLPRegressor(hidden_layer_sizes=(32, 8), init=ae).fit(X_train[:, :10], y_train)
    with pytest.raises(ValueError, match="FrozenEstimator"):
        MLPClassifier(hidden_layer_sizes=(32, 8), init=clone(ae)).fit(X_train, y_train)
    with pytest.raises(ValueError, match="'init' parameter"):
        MLPClassifier(init="pca").fit(X_train, y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        PCA_like = PCA(8).fit(X_train)
    with pytest.raises(ValueError, match="Autoencoder"):
        MLPClassifier(hidden_layer_sizes=(8,), init=PCA_like).fit(X_train, y_train)
