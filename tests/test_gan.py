"""The GAN sampler: it learns what it should, through the engine's step."""

import pickle
import warnings

import matplotlib
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV

import sklearn_deep
import sklearn_deep.base as base_module
from sklearn_deep import GAN
from sklearn_deep._training import Batches, TrainingConfig, train
from sklearn_deep._training._adversarial import AdversarialStep
from sklearn_deep._training._averaging import MovingAverage, averaging_hook
from sklearn_deep.datasets import make_gaussian_grid, make_gaussian_ring
from sklearn_deep.inspection import SamplesDisplay, SampleSnapshots
from sklearn_deep.metrics import mode_coverage

matplotlib.use("Agg")

# Faster learning rates: the small tests train for few updates.
LEARN = dict(generator_learning_rate=0.005, discriminator_learning_rate=0.005)
FAST = dict(
    generator_hidden_layer_sizes=(16,),
    discriminator_hidden_layer_sizes=(16,),
    latent_dim=4,
    batch_size=32,
    device="cpu",
    n_threads=1,
)


def _two_blobs(n=200, seed=0):
    """Two well-separated classes: x around -3 (class "a") and +3 (class "b")."""
    rng = np.random.RandomState(seed)
    y = np.where(rng.rand(n) < 0.5, "a", "b")
    X = rng.randn(n, 2) * 0.3
    X[:, 0] += np.where(y == "a", -3.0, 3.0)
    return X, y


# ------------------------------------------------------------- the engine
def test_the_engine_runs_the_alternating_step(monkeypatch):
    """One engine call trains both networks, n_critic discriminator updates
    per generator update; the estimator has no loop of its own."""
    calls, steps = [], []
    real_train = base_module.train

    def spy(*args, step=None, **kwargs):
        calls.append(step)
        return real_train(*args, step=step, **kwargs)

    monkeypatch.setattr(base_module, "train", spy)
    X, _ = _two_blobs(96)
    gan = GAN(n_critic=3, max_iter=4, random_state=0, **FAST).fit(X)
    (step,) = calls
    assert isinstance(step, AdversarialStep)
    steps = {
        name: int(next(iter(opt.state.values()))["step"])
        for name, opt in step.optimizers.items()
    }
    # 96 rows in batches of 32: 3 discriminator updates an epoch.
    assert steps == {"discriminator": 12, "generator": 4}
    assert gan.n_iter_ == 4 and len(gan.history_) == 4
    assert gan.gradient_norms_.shape == (4, 2)
    for column in ("discriminator_loss", "generator_loss"):
        assert np.all(np.isfinite(gan.history_[:, column]))


@pytest.mark.parametrize(
    "loss", ["minimax", "non_saturating", "wasserstein_gp", "hinge"]
)
def test_every_loss_trains(loss):
    X, _ = _two_blobs(64)
    gan = GAN(loss=loss, max_iter=3, random_state=0, **FAST).fit(X)
    assert np.all(np.isfinite(gan.loss_curve_))
    assert np.all(np.isfinite(gan.sample(10, random_state=0)))


def test_learns_two_modes_and_conditions_on_the_class():
    X, y = _two_blobs(256)
    gan = GAN(max_iter=60, random_state=0, **LEARN, **FAST).fit(X, y)
    assert list(gan.classes_) == ["a", "b"]
    for label, sign in (("a", -1), ("b", 1)):
        samples = gan.sample(200, random_state=0, y=label)
        # The rows of a class sit on its side, near its centre.
        assert np.mean(np.sign(samples[:, 0]) == sign) > 0.95
        assert abs(np.median(samples[:, 0]) - 3 * sign) < 1.0
    mixed = gan.sample(6, random_state=1, y=["a", "b", "a", "b", "a", "b"])
    assert np.all(np.sign(mixed[:, 0]) == [-1, 1, -1, 1, -1, 1])
    # Without y, classes come from their training frequencies: both sides.
    sides = np.sign(gan.sample(400, random_state=0)[:, 0])
    assert 0.3 < np.mean(sides > 0) < 0.7


def test_the_discriminator_judges_packs_of_pac_rows():
    X, y = _two_blobs(64)
    for pac in (1, 3):
        gan = GAN(pac=pac, max_iter=1, random_state=0, **FAST).fit(X, y)
        # Each input of the discriminator is pac rows, each with its class.
        assert gan.module_.discriminator[0].in_features == pac * (2 + 2)
        assert gan.module_.generator[0].in_features == 4 + 2


# ------------------------------------------------- randomness and contract
def test_random_state_makes_fits_and_samples_repeat():
    X, _ = _two_blobs(64)
    state = torch.get_rng_state()
    first = GAN(max_iter=3, random_state=1, **FAST).fit(X)
    second = GAN(max_iter=3, random_state=1, **FAST).fit(X)
    other = GAN(max_iter=3, random_state=2, **FAST).fit(X)
    # torch's global generator is neither read nor reseeded.
    assert torch.equal(state, torch.get_rng_state())
    a, b = first.sample(20, random_state=0), second.sample(20, random_state=0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, other.sample(20, random_state=0))
    assert not np.allclose(a, first.sample(20, random_state=1))
    assert first.score(X) == second.score(X)


def test_samples_take_the_dtype_of_x_and_the_input_is_untouched():
    X, _ = _two_blobs(64)
    X32 = X.astype(np.float32)
    before = X32.copy()
    assert GAN(max_iter=1, **FAST).fit(X32).sample(3).dtype == np.float32
    np.testing.assert_array_equal(X32, before)
    assert GAN(max_iter=1, **FAST).fit(X).sample(3).dtype == np.float64
    assert GAN(max_iter=1, **FAST).fit(X.tolist()).sample(3).dtype == np.float64


def test_moving_average_is_what_sample_uses():
    X, _ = _two_blobs(64)
    averaged = GAN(max_iter=3, random_state=0, **FAST).fit(X)
    last = GAN(max_iter=3, random_state=0, moving_average_decay=None, **FAST).fit(X)
    # Same training, another generator at the end.
    np.testing.assert_allclose(averaged.loss_curve_, last.loss_curve_, rtol=1e-6)
    assert not np.allclose(
        averaged.sample(5, random_state=0), last.sample(5, random_state=0)
    )


def test_score_is_minus_an_energy_distance_that_training_lowers():
    X, y = _two_blobs(200)
    untrained = GAN(max_iter=1, random_state=0, **FAST).fit(X)
    trained = GAN(max_iter=60, random_state=0, **LEARN, **FAST).fit(X)
    assert untrained.score(X) < trained.score(X) <= 0
    assert trained.score(X) == trained.score(X)
    conditional = GAN(max_iter=30, random_state=0, **FAST).fit(X, y)
    assert conditional.score(X, y) <= 0
    assert np.isfinite(conditional.score(X))
    search = GridSearchCV(
        GAN(max_iter=2, random_state=0, **FAST), {"pac": [1, 2]}, cv=2
    ).fit(X)
    assert np.isfinite(search.best_score_)


def test_pickle_save_and_load_sample_the_same(tmp_path):
    X, y = _two_blobs(64)
    gan = GAN(max_iter=2, random_state=0, **FAST).fit(X, y)
    path = tmp_path / "gan.safetensors"
    sklearn_deep.save(gan, path)
    for restored in (pickle.loads(pickle.dumps(gan)), sklearn_deep.load(path)):
        np.testing.assert_array_equal(
            gan.sample(10, random_state=0, y="b"),
            restored.sample(10, random_state=0, y="b"),
        )
        assert restored.score(X, y) == gan.score(X, y)
    assert clone(gan).get_params() == gan.get_params()


# ---------------------------------------------------------------- bad input
def test_bad_input_is_refused_clearly():
    X, y = _two_blobs(64)
    with pytest.raises(NotFittedError):
        GAN().sample(2)
    unconditional = GAN(max_iter=1, **FAST).fit(X)
    with pytest.raises(ValueError, match="fitted without y"):
        unconditional.sample(2, y="a")
    conditional = GAN(max_iter=1, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="unseen labels: \\['c'\\]"):
        conditional.sample(2, y="c")
    with pytest.raises(ValueError, match="3 labels for n_samples=2"):
        conditional.sample(2, y=["a", "b", "a"])
    with pytest.raises(ValueError, match="n_samples"):
        conditional.sample(0)
    with pytest.raises(ValueError, match="2 features"):
        conditional.score(X[:, :1], y)
    with pytest.raises(ValueError, match="64 rows but y has 3"):
        conditional.score(X, y[:3])
    with pytest.raises(ValueError, match="NaN"):
        GAN(**FAST).fit(np.where(X > 2, np.nan, X))
    with pytest.raises(ValueError, match="pac=4 .* n_samples=3"):
        GAN(pac=4, **FAST).fit(X[:3])
    with pytest.raises(ValueError, match="batch_size=2 is smaller than pac=3"):
        GAN(**{**FAST, "batch_size": 2, "pac": 3}).fit(X)
    with pytest.raises(ValueError, match="generator_betas must be two floats"):
        GAN(generator_betas=(0.5, 1.5), **FAST).fit(X)
    with pytest.raises(ValueError, match="loss"):
        GAN(loss="wasserstein", **FAST).fit(X)
    with pytest.raises(TypeError, match="dense data is required"):
        import scipy.sparse as sp

        GAN(**FAST).fit(sp.csr_matrix(X))
    # A failed fit leaves the fitted model as it was.
    before = conditional.sample(3, random_state=0, y="a")
    with pytest.raises(ValueError):
        conditional.set_params(pac=100).fit(X, y)
    np.testing.assert_array_equal(before, conditional.sample(3, random_state=0, y="a"))


# ------------------------------------------------- the engine's averaging
def _regression_problem():
    rng = np.random.RandomState(0)
    X = torch.as_tensor(rng.randn(64, 3), dtype=torch.float32)
    y = X @ torch.tensor([[1.0], [-2.0], [0.5]])
    return X, y


def _train_linear(**config):
    X, y = _regression_problem()
    module = torch.nn.Linear(3, 1)
    with torch.no_grad():
        module.weight.fill_(0.1)
        module.bias.zero_()
    settings = dict(solver="adam", learning_rate_init=0.05, max_iter=6, seed=0)
    settings.update(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = train(
            module,
            lambda out, t, w: (out - t).square().mean(),
            Batches(X, y, None, 16, shuffle=True),
            TrainingConfig(**settings),
        )
    return module, state


def test_moving_average_of_a_single_network_step_is_per_epoch():
    plain, _ = _train_linear()
    same, _ = _train_linear(moving_average_decay=0.0)
    # Decay 0 is the last weights: training and result are those of no average.
    for a, b in zip(plain.parameters(), same.parameters(), strict=True):
        assert torch.equal(a, b)
    averaged, state = _train_linear(moving_average_decay=0.5)
    # Training itself went on from its own weights: the same losses.
    _, plain_state = _train_linear()
    assert state.loss_curve == plain_state.loss_curve
    assert not torch.equal(averaged.weight, plain.weight)


def test_moving_average_and_epoch_mean_exclude_each_other():
    config = TrainingConfig(moving_average_decay=0.9, weight_averaging=2)
    with pytest.raises(ValueError, match="set one of them to None"):
        averaging_hook(config, 10)
    assert isinstance(
        averaging_hook(TrainingConfig(moving_average_decay=0.9), 10), MovingAverage
    )
    assert averaging_hook(TrainingConfig(), 10) is None


# ------------------------------------------------------ data and metrics
def test_ring_and_grid_have_the_papers_modes():
    X, y, centers = make_gaussian_ring(1000, random_state=0, return_centers=True)
    assert X.shape == (1000, 2) and centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0)
    assert set(y) == set(range(8))
    assert (X - centers[y]).std() == pytest.approx(0.01, rel=0.1)
    X2, y2 = make_gaussian_ring(1000, random_state=0)
    np.testing.assert_array_equal(X, X2)
    G, labels, grid = make_gaussian_grid(2000, random_state=0, return_centers=True)
    assert grid.shape == (25, 2) and set(np.unique(grid)) == {-4, -2, 0, 2, 4}
    assert (G - grid[labels]).std() == pytest.approx(0.05, rel=0.1)


def test_mode_coverage_follows_pacgans_definitions():
    X, _, centers = make_gaussian_ring(2500, random_state=0, return_centers=True)
    perfect = mode_coverage(X, centers, std=0.01)
    assert perfect.n_modes == 8 and perfect.high_quality_fraction > 0.98
    assert perfect.reverse_kl < 0.01
    collapsed = mode_coverage(np.repeat(centers[:1], 100, axis=0), centers, std=0.01)
    assert collapsed == (1, 1.0, pytest.approx(np.log(8)))
    # Half the samples near no centre: they count against quality only.
    far = np.vstack([centers, centers * 0 + 5.0])
    coverage = mode_coverage(far, centers, std=0.01)
    assert coverage == (8, 0.5, pytest.approx(0.0))
    assert mode_coverage(centers * 0 + 5.0, centers, std=0.01).reverse_kl == np.inf
    with pytest.raises(ValueError, match="3 features"):
        mode_coverage(np.zeros((2, 3)), centers, std=0.01)


def test_samples_display_snapshots_the_chosen_epochs():
    X, _ = _two_blobs(64)
    display = SamplesDisplay.from_estimator(
        GAN(max_iter=4, random_state=0, **FAST), X, epochs=[1, 3], n_samples=20
    )
    assert sorted(display.samples) == [1, 3]
    assert len(display.axes_) == 2
    assert display.sample_collections_[0].get_offsets().shape == (20, 2)
    # Later epochs show other samples: the snapshots are the epochs' own.
    assert not np.allclose(display.samples[1], display.samples[3])
    with pytest.raises(ValueError, match="positive ints"):
        SamplesDisplay.from_estimator(GAN(**FAST), X, epochs=[0])
    snapshots = SampleSnapshots([10])
    GAN(max_iter=2, **FAST).set_callbacks(snapshots).fit(X)
    with pytest.raises(ValueError, match="kept no samples"):
        SamplesDisplay.from_snapshots(snapshots, X)


# ------------------------------------------------ corner cases of the contract
def test_only_the_generator_is_averaged_even_in_epochs_without_its_update():
    """With more discriminator updates per generator update than batches per
    epoch, the discriminator still trains from its own weights and ends with
    them: the moving average touches the generator alone."""
    X, _ = _two_blobs(64)
    params = dict(n_critic=3, max_iter=4, random_state=0, **FAST)
    averaged = GAN(moving_average_decay=0.999, **params).fit(X)
    raw = GAN(moving_average_decay=None, **params).fit(X)
    for mine, theirs in zip(
        averaged.module_.discriminator.parameters(),
        raw.module_.discriminator.parameters(),
        strict=True,
    ):
        torch.testing.assert_close(mine, theirs, rtol=0, atol=0)
    generator_moved = [
        not torch.equal(a, b)
        for a, b in zip(
            averaged.module_.generator.parameters(),
            raw.module_.generator.parameters(),
            strict=True,
        )
    ]
    assert any(generator_moved)


def test_features_are_standardised_before_any_rounding():
    """A float32 model still sees the spread of a feature far from 0, and a
    constant feature is sampled at its value."""
    rng = np.random.RandomState(0)
    X = np.c_[1e6 + 0.01 * rng.randn(200), rng.randn(200), np.full(200, 5.0)]
    gan = GAN(max_iter=2, random_state=0, **FAST).fit(X)
    np.testing.assert_allclose(gan.scale_[0], X[:, 0].std(), rtol=1e-6)
    assert gan.scale_[2] == 0.0
    samples = gan.sample(50, random_state=0)
    assert (samples[:, 2] == 5.0).all()
    assert samples[:, 0].std() < 1.0
    huge = GAN(max_iter=1, random_state=0, dtype="float64", **FAST).fit(X * 1e300)
    assert np.isfinite(huge.scale_).all()
    assert np.isfinite(huge.sample(5, random_state=0)).all()


def test_float32_dataframes_give_float32_samples():
    pd = pytest.importorskip("pandas")
    X, _ = _two_blobs(64)
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b"])
    assert GAN(max_iter=1, **FAST).fit(frame).sample(2).dtype == np.float32
    mixed = frame.astype({"b": np.float64})
    assert GAN(max_iter=1, **FAST).fit(mixed).sample(2).dtype == np.float64


def test_labels_of_other_types_are_refused_clearly():
    X, y = _two_blobs(64)
    gan = GAN(max_iter=1, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="cannot be compared"):
        gan.sample(2, y=np.array([None, "a"], dtype=object))


def test_load_refuses_inconsistent_fitted_statistics(tmp_path):
    X, y = _two_blobs(64)
    gan = GAN(max_iter=1, random_state=0, **FAST).fit(X, y)
    edits = {
        "classes_": np.array(["b", "a"]),
        "class_prior_": np.array([-0.5, 1.5]),
        "mean_": np.array([np.nan, 0.0]),
        "scale_": np.array([-1.0, 1.0]),
    }
    for name, value in edits.items():
        crafted = pickle.loads(pickle.dumps(gan))
        setattr(crafted, name, value)
        path = tmp_path / f"{name}.skdeep"
        sklearn_deep.save(crafted, path)
        with pytest.raises(sklearn_deep.ModelFormatError, match=name):
            sklearn_deep.load(path)
