"""GAN: a generative adversarial network as a scikit-learn sampler."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from sklearn_deep._training import Batches
from sklearn_deep._training._adversarial import ADVERSARIAL_LOSSES, AdversarialStep
from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    TabularMixin,
    store_parameters,
    within_thread_budget,
)
from sklearn_deep.generative._energy import energy_distance
from sklearn_deep.nn import ACTIVATIONS, build_uninitialized
from sklearn_deep.nn._gan import GenerativeAdversarialNetwork
from sklearn_deep.utils._fitted_checks import (
    check_feature_names,
    check_fitted_classes,
    check_fitted_count,
    check_layer_count,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes, floating_dtype_of
from sklearn_deep.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    validate_data,
)
from sklearn_deep.utils._torch import (
    PREDICT_BLOCK_ROWS,
    make_generator,
    seed_from_random_state,
    to_numpy,
)

# The seed of the samples that ``score`` compares with X: fixed, so that the
# score of a fitted model is a deterministic function of X.
SCORE_SEED = 0
_SAMPLE_DTYPES = ("float32", "float64")


class GAN(TabularMixin, DeepEstimator):
    """Generative adversarial network: learn a distribution, then sample from it.

    A generator network maps standard normal noise to rows like those of X;
    a discriminator network learns to tell its rows from the real ones, and
    the generator learns to fool it (Goodfellow et al., 2014). After ``fit``,
    :meth:`sample` draws new rows, as
    :meth:`sklearn.mixture.GaussianMixture.sample` and
    :meth:`sklearn.neighbors.KernelDensity.sample` do. With ``fit(X, y)`` the
    model is conditional (Mirza & Osindero, 2014): the one-hot class is an
    input of both networks, and ``sample(n, y=...)`` draws rows of the asked
    classes.

    The name is the one everyone knows the model by, as scikit-learn's
    ``PCA`` and ``NMF`` are: a "GANSampler" would suggest imbalanced-learn's
    samplers, which resample a data set (``fit_resample``) rather than draw
    new rows.

    The defaults are a recipe that covers every mode of PacGAN's 2-D ring and
    grid of Gaussians: the non-saturating loss, PacGAN's packing of 2
    samples per discriminator input (which counters mode collapse), two
    hidden layers of 128 units, Adam at 1e-3 with ``beta_1 = 0.5`` for both
    networks, decayed linearly to 0, and an exponential moving average of the
    generator's weights. Features are standardised inside the model (and
    samples mapped back), so X needs no scaling.

    Parameters
    ----------
    latent_dim : int, default=4
        Width of the generator's standard normal input. Small widths suit
        low-dimensional data: on PacGAN's 2-D ring, 4 put 98.2% of samples
        within 3 standard deviations of a mode where 16 put 97.7% (means
        over 10 seeds, ``benchmarks/RESULTS.md``).

    generator_hidden_layer_sizes : array-like of shape (n_layers,), \
default=(128, 128)
        Widths of the generator's hidden layers.

    discriminator_hidden_layer_sizes : array-like of shape (n_layers,), \
default=(128, 128)
        Widths of the discriminator's hidden layers, each followed by a leaky
        ReLU of slope 0.2 (the usual choice for GANs' discriminators).

    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu"}, \
default="relu"
        Activation of the generator's hidden layers.

    loss : {"non_saturating", "minimax", "wasserstein_gp", "hinge"}, \
default="non_saturating"
        The game. "minimax" is the original: the generator minimises
        ``log(1 - D(G(z)))``, which saturates when the discriminator wins.
        "non_saturating" has it maximise ``log D(G(z))`` instead (same fixed
        point, strong gradients early on). "wasserstein_gp" trains a critic
        towards the Wasserstein-1 distance with a gradient penalty
        (``gradient_penalty``; use ``n_critic=5`` as in the paper). "hinge"
        is the hinge loss of SNGAN and BigGAN.

    gradient_penalty : float, default=10.0
        Weight of the gradient penalty of "wasserstein_gp" (ignored by the
        other losses).

    n_critic : int, default=1
        Discriminator updates (one per minibatch) per generator update.

    pac : int, default=2
        PacGAN's packing: the discriminator judges ``pac`` samples at once,
        real packs against generated packs. A generator that puts its samples
        on few modes then makes packs unlike real ones; ``pac=1`` is a plain
        GAN. Each update uses the rows of its minibatch up to a multiple of
        ``pac``.

    generator_learning_rate : float, default=0.001
        Adam's step size for the generator.

    discriminator_learning_rate : float, default=0.001
        Adam's step size for the discriminator.

    generator_betas : tuple of two floats, default=(0.5, 0.999)
        Adam's decay rates of the generator's first and second moments; 0.5
        for the first is the usual choice for GANs (Radford et al., 2016).

    discriminator_betas : tuple of two floats, default=(0.5, 0.999)
        Adam's decay rates of the discriminator's moments.

    {training_parameters}

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained :class:`~sklearn_deep.nn.GenerativeAdversarialNetwork`;
        its ``generator`` holds the moving average of the generator's weights
        (with ``moving_average_decay``).

    classes_ : ndarray of shape (n_classes,)
        The classes of a conditional model (fitted with ``y``); absent
        otherwise.

    class_prior_ : ndarray of shape (n_classes,)
        The classes' frequencies in the training data: ``sample`` draws
        classes from them when not given ``y``. Conditional models only.

    mean_ : ndarray of shape (n_features_in_,)
        Mean of each feature in the training data.

    scale_ : ndarray of shape (n_features_in_,)
        Standard deviation of each feature in the training data: the
        networks see ``(X - mean_) / scale_``. A constant feature has 0 and is
        sampled at its value.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    loss_ : float
        The discriminator's loss in the last epoch.

    loss_curve_ : list of float
        The discriminator's mean loss in each epoch. A GAN's losses do not
        fall to a minimum: at the game's equilibrium the discriminator's
        minimax loss is ``2 log 2``.

    best_loss_ : float
        The lowest discriminator loss of an epoch (no sign of quality).

    validation_scores_ : None
        Always None: a GAN has no early stopping.

    best_validation_score_ : None
        Always None.

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training rows seen, summed over the epochs (the rows of a
        minibatch beyond a multiple of ``pac``, which sit its update out,
        included).

    gradient_norms_ : ndarray of shape (n_iter_, 2)
        Norm of the discriminator's and of the generator's gradient at the
        last update of each epoch.

    history_ : skorch.history.History
        One row per epoch: ``epoch``, ``train_loss`` (the discriminator's),
        ``discriminator_loss``, ``generator_loss``, ``learning_rate`` (the
        schedule's factor of both rates), ``best`` and ``dur``.

    See Also
    --------
    sklearn.mixture.GaussianMixture : A mixture of Gaussians, fitted by EM.
    sklearn.neighbors.KernelDensity : A kernel density estimate.

    Notes
    -----
    ``score`` is minus an energy distance between X and the model's samples:
    a sample-based, noisy measure that ignores how likely any single row is
    (a GAN has no likelihood). See :meth:`score`.

    Examples
    --------
    >>> from sklearn_deep import GAN
    >>> from sklearn_deep.datasets import make_gaussian_ring
    >>> X, _ = make_gaussian_ring(500, random_state=0)
    >>> gan = GAN(max_iter=20, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape
    (3, 2)
    >>> gan.history_[-1, "generator_loss"] > 0
    True
    """

    _parameter_constraints = {
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "discriminator_hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "loss": [StrOptions(set(ADVERSARIAL_LOSSES))],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "n_critic": [Interval(Integral, 1, None, closed="left")],
        "pac": [Interval(Integral, 1, None, closed="left")],
        "generator_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "discriminator_learning_rate": [Interval(Real, 0, None, closed="neither")],
        "generator_betas": ["array-like"],
        "discriminator_betas": ["array-like"],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "linear"})],
    }
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "classes_",
        "class_prior_",
        "mean_",
        "scale_",
        "_sample_dtype",
    )
    _training_types = {"batch_size": "int", "learning_rate": '{"linear", "constant"}'}
    _training_docs = {
        "batch_size": """
            Real rows per discriminator update (``batch_size // pac`` packs),
            against as many generated rows, which the generator's update then
            learns from.
        """,
        "learning_rate": """
            "linear" decays both networks' learning rates linearly to 0 over
            the ``max_iter`` epochs; "constant" keeps them.
        """,
        "max_iter": """
            Number of epochs: passes over X, of ``ceil(n_samples /
            batch_size)`` discriminator updates each. A GAN's game has no
            convergence test, so all of them run. The default on 10,000 rows
            makes the 30,000 updates of the recipe above.
        """,
        "moving_average_decay": """
            The generator's weights that ``sample`` uses are an exponential
            moving average of those training reached,
            ``w_avg <- decay * w_avg + (1 - decay) * w`` after every
            generator update (with ``min(decay, (1 + t) / (10 + t))`` for
            update ``t``, so that a short fit's average does not hold on to
            its initial weights): it smooths out the oscillation of the game.
            0.999 averages over about the last 1,000 updates; None uses the
            last weights.
        """,
        "random_state": """
            Seeds the networks' initial weights, the shuffling and the latent
            noise of training. Pass an int for reproducible results. Every
            draw comes from the fit's own generators: torch's global
            generator is neither read nor reseeded.
        """,
    }
    _warns_at_max_iter = False

    def __init__(
        self,
        latent_dim=4,
        generator_hidden_layer_sizes=(128, 128),
        discriminator_hidden_layer_sizes=(128, 128),
        *,
        activation="relu",
        loss="non_saturating",
        gradient_penalty=10.0,
        n_critic=1,
        pac=2,
        generator_learning_rate=0.001,
        discriminator_learning_rate=0.001,
        generator_betas=(0.5, 0.999),
        discriminator_betas=(0.5, 0.999),
        batch_size=512,
        learning_rate="linear",
        max_iter=1500,
        moving_average_decay=0.999,
        random_state=None,
        verbose=False,
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    # ------------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the distribution of X (given y, when y is given).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The training rows.
        y : array-like of shape (n_samples,), default=None
            Class labels: the model is then conditional, and ``sample`` can
            draw rows of a given class. None for an unconditional model.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y)

    @within_thread_budget
    def sample(self, n_samples=1, random_state=None, y=None):
        """Draw new rows from the fitted model.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent noise (and the classes drawn when ``y`` is None
            for a conditional model). Pass an int for reproducible samples;
            None draws a seed from numpy's global generator, as
            :meth:`sklearn.neighbors.KernelDensity.sample` does.
        y : label or array-like of shape (n_samples,), default=None
            Conditional models only: the class of every row (one label), or
            of each row. None draws the classes from ``class_prior_``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features_in_)
            The new rows, in the dtype of the training X (float64 unless it
            was float32). Unlike :meth:`sklearn.mixture.GaussianMixture.sample`,
            which also returns the component of each row, only the rows are
            returned (as :meth:`sklearn.neighbors.KernelDensity.sample` does):
            pass ``y`` to know their classes.
        """
        check_is_fitted(self)
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}. The sampling "
                "requires at least one sample."
            )
        generator = make_generator(seed_from_random_state(random_state))
        classes = self._sample_classes(int(n_samples), y, generator)
        samples = self._generate(int(n_samples), classes, generator)
        return (samples * self.scale_ + self.mean_).astype(self._sample_dtype)

    @within_thread_budget
    def score(self, X, y=None):
        """Minus the energy distance between X and as many fresh samples.

        The energy distance ``2 E|x - s| - E|x - x'| - E|s - s'|`` between the
        rows ``x`` of X and samples ``s`` of the model, in the standardised
        units the networks see (``(X - mean_) / scale_``), is 0 exactly when
        the two distributions are equal. The samples are drawn with a fixed
        seed, so the score is deterministic; higher is better, as
        :class:`~sklearn.model_selection.GridSearchCV` expects.

        Limits: it is an estimate from ``len(X)`` samples, biased upwards for
        few rows (each expectation includes the pairs of a row with itself)
        and noisy (compare models on the same X, with hundreds of rows or
        more); it weighs every direction alike, so it sees a shifted mean
        better than a lost small mode; and it says nothing of a single row's
        likelihood. Its cost grows as ``len(X) ** 2``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows of the distribution to compare with.
        y : array-like of shape (n_samples,), default=None
            For a conditional model: the class of each row; the score is then
            the mean over the classes of X, weighted by their rows, of minus
            the energy distance between the rows of a class and samples of
            that class. None compares X with samples of classes drawn from
            ``class_prior_``. Ignored by an unconditional model.

        Returns
        -------
        score : float
            Minus the energy distance; at most 0.
        """
        check_is_fitted(self)
        X = self._validated_rows(X)
        real = torch.as_tensor(self._standardised(X), dtype=torch.float64)
        generator = make_generator(SCORE_SEED)
        if not hasattr(self, "classes_") or y is None:
            classes = self._sample_classes(len(X), None, generator)
            fake = torch.as_tensor(self._generate(len(X), classes, generator))
            return -energy_distance(real, fake)
        y = column_or_1d(y, warn=True)
        if len(y) != len(X):
            raise ValueError(
                f"X has {len(X)} rows but y has {len(y)}: give one label per row."
            )
        classes = self._class_indices(y)
        fake = torch.as_tensor(self._generate(len(X), classes, generator))
        distance = 0.0
        for label in np.unique(classes):
            rows = torch.as_tensor(np.flatnonzero(classes == label))
            distance += len(rows) * energy_distance(real[rows], fake[rows])
        return -distance / len(X)

    # ---------------------------------------------------------------- fitting
    def _validate_fit_data(self, X, y, fit):
        self._check_architecture()
        self._sample_dtype = floating_dtype_of(X).name
        X = self._validated_rows(X, reset=True)
        n_samples = X.shape[0]
        if n_samples < self.pac:
            raise ValueError(
                f"pac={self.pac} packs {self.pac} rows per discriminator input, "
                f"but X has n_samples={n_samples}: lower pac or give more rows."
            )
        if self.batch_size < self.pac:
            raise ValueError(
                f"batch_size={self.batch_size} is smaller than pac={self.pac}: "
                "a minibatch must hold at least one pack of pac rows."
            )
        mean, scale = _feature_statistics(X)
        condition = np.zeros((n_samples, 0))
        if y is not None:
            y = column_or_1d(y, warn=True)
            if len(y) != n_samples:
                raise ValueError(
                    f"X has {n_samples} rows but y has {len(y)}: give one label "
                    "per row."
                )
            check_classification_targets(y)
            classes, indices, counts = np.unique(
                y, return_inverse=True, return_counts=True
            )
            self.classes_ = classes
            self.class_prior_ = counts / n_samples
            condition = np.eye(len(classes))[indices]
        else:
            for name in ("classes_", "class_prior_"):
                self.__dict__.pop(name, None)
        self.mean_, self.scale_ = mean, scale
        inputs = torch.as_tensor(
            self._standardised(X), dtype=fit.dtype, device=fit.device
        )
        target = torch.as_tensor(condition, dtype=fit.dtype, device=fit.device)
        return FitData(n_samples, X=X, y=y, extra={"inputs": inputs, "target": target})

    def _config_overrides(self, data, n_train, device):
        # The engine's schedule is a factor of both networks' learning rates;
        # a GAN has no convergence test (its losses are a game's, not a
        # minimum's), so the stopping rule never fires.
        return {
            "batch_size": min(self.batch_size, n_train),
            "learning_rate_init": 1.0,
            "learning_rate_final": 0.0,
            "n_iter_no_change": np.inf,
        }

    def _make_batches(self, data, train_rows, config, fit):
        return Batches(
            data.extra["inputs"],
            data.extra["target"],
            None,
            config.batch_size,
            shuffle=True,
            dtype=fit.dtype,
        )

    def _training_step(self, module, loss, config, fit):
        return AdversarialStep(
            module,
            loss=self.loss,
            n_critic=self.n_critic,
            gradient_penalty=self.gradient_penalty,
            generator_optimizer=_adam(
                self.generator_learning_rate, self.generator_betas, "generator"
            ),
            discriminator_optimizer=_adam(
                self.discriminator_learning_rate,
                self.discriminator_betas,
                "discriminator",
            ),
        )

    def _loss_function(self, data, fit):
        # The adversarial step computes both networks' losses itself.
        return None

    def _validation_score(self, data, validation_rows, fit):
        # Never called: a GAN takes no early_stopping.
        return None

    def _check_architecture(self):
        check_hidden_layer_sizes(self.generator_hidden_layer_sizes)
        check_hidden_layer_sizes(self.discriminator_hidden_layer_sizes)
        for name in ("generator", "discriminator"):
            _adam(
                getattr(self, f"{name}_learning_rate"),
                getattr(self, f"{name}_betas"),
                name,
            )

    def _network_spec(self):
        return (
            GenerativeAdversarialNetwork,
            (
                self.n_features_in_,
                self.latent_dim,
                check_hidden_layer_sizes(self.generator_hidden_layer_sizes),
                check_hidden_layer_sizes(self.discriminator_hidden_layer_sizes),
            ),
            {
                "n_classes": len(getattr(self, "classes_", ())),
                "activation": self.activation,
                "pac": self.pac,
            },
        )

    def _build_module(self, device, dtype, generator):
        factory, args, kwargs = self._network_spec()
        module = build_uninitialized(factory, *args, **kwargs)
        module.reset_parameters(generator)
        return module.to(device=device, dtype=dtype)

    # -------------------------------------------------------------- sampling
    def _validated_rows(self, X, reset=False):
        """X checked, as float64 whatever the network's dtype: the features'
        statistics and the standardisation are computed before any rounding
        to float32 (a feature of 1e6 + 0.01 noise keeps its spread)."""
        if sp.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but dense data is required. Use "
                "'.toarray()' to convert to a dense numpy array."
            )
        return validate_data(self, X, dtype=np.float64, reset=reset)

    def _standardised(self, X):
        """``(X - mean_) / scale_`` in float64 (constant features: 0), without
        overflow for values near float64's limits."""
        scale = np.where(self.scale_ > 0, self.scale_, 1.0)
        unit = np.maximum(np.abs(self.mean_), scale)
        return (X / unit - self.mean_ / unit) / (scale / unit)

    def _sample_classes(self, n_samples, y, generator):
        """The class index of each row to draw (None for an unconditional model)."""
        if not hasattr(self, "classes_"):
            if y is not None:
                raise ValueError(
                    "This GAN was fitted without y: it draws rows of no class, "
                    "so sample takes y=None."
                )
            return None
        if y is None:
            prior = torch.as_tensor(self.class_prior_, dtype=torch.float64)
            return to_numpy(
                torch.multinomial(
                    prior, n_samples, replacement=True, generator=generator
                )
            )
        y = np.asarray(y)
        if y.ndim == 0:
            y = np.full(n_samples, y.item())
        y = column_or_1d(y)
        if len(y) != n_samples:
            raise ValueError(
                f"y has {len(y)} labels for n_samples={n_samples}: give one "
                "label, or one per row."
            )
        return self._class_indices(y)

    def _class_indices(self, y):
        try:
            unseen = np.setdiff1d(np.unique(y), self.classes_)
        except TypeError as exc:
            raise ValueError(
                f"y mixes labels that cannot be compared with each other or "
                f"with the classes {self.classes_.tolist()} this GAN was "
                f"fitted on: {exc}."
            ) from exc
        if len(unseen):
            raise ValueError(
                f"y contains previously unseen labels: {unseen.tolist()}; this "
                f"GAN was fitted on classes {self.classes_.tolist()}."
            )
        return np.searchsorted(self.classes_, y)

    def _generate(self, n_samples, classes, generator):
        """``n_samples`` standardised rows from the generator, as float64, of
        the class indices ``classes`` (None for an unconditional model)."""
        module = self.module_
        parameter = next(module.parameters())
        module.eval()
        n_classes = module.n_classes
        # Noise and classes are made block by block: memory holds the
        # samples and one block, however many rows are asked for.
        samples = np.empty((n_samples, self.n_features_in_))
        with torch.inference_mode():
            for start in range(0, n_samples, PREDICT_BLOCK_ROWS):
                stop = min(start + PREDICT_BLOCK_ROWS, n_samples)
                z = torch.randn(
                    stop - start,
                    module.latent_dim,
                    generator=generator,
                    dtype=torch.float64,
                ).to(device=parameter.device, dtype=parameter.dtype)
                condition = None
                if n_classes:
                    condition = torch.nn.functional.one_hot(
                        torch.as_tensor(classes[start:stop]), n_classes
                    ).to(device=parameter.device, dtype=parameter.dtype)
                samples[start:stop] = to_numpy(module.generate(z, condition))
        return samples

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.target_tags.required = False
        return tags

    # --------------------------------------------- checks of sklearn_deep.load
    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        self._check_architecture()
        n_layers = len(check_hidden_layer_sizes(self.generator_hidden_layer_sizes))
        n_layers += len(check_hidden_layer_sizes(self.discriminator_hidden_layer_sizes))
        check_layer_count(n_layers + 2, n_weights)
        n_features = check_fitted_count(self, "n_features_in_")
        check_feature_names(self)
        for name in ("mean_", "scale_"):
            value = getattr(self, name, None)
            if (
                not isinstance(value, np.ndarray)
                or value.dtype != np.float64
                or value.shape != (n_features,)
                or not np.isfinite(value).all()
            ):
                raise ValueError(
                    f"{name} must be an array of {n_features} finite float64 values."
                )
        if (self.scale_ < 0).any():
            raise ValueError("scale_ must hold standard deviations, none negative.")
        if getattr(self, "_sample_dtype", None) not in _SAMPLE_DTYPES:
            raise ValueError(f"_sample_dtype must be one of {_SAMPLE_DTYPES}.")
        if hasattr(self, "classes_"):
            classes = check_fitted_classes(self, minimum=1)
            if len(classes) > 1 and not (classes[1:] > classes[:-1]).all():
                raise ValueError("classes_ must be sorted and without repeats.")
            prior = getattr(self, "class_prior_", None)
            if (
                not isinstance(prior, np.ndarray)
                or prior.dtype != np.float64
                or prior.shape != classes.shape
                or not np.isfinite(prior).all()
                or (prior < 0).any()
                or not np.isclose(prior.sum(), 1.0)
            ):
                raise ValueError(
                    "class_prior_ must hold one frequency per class: float64 "
                    "values of at least 0 that sum to 1."
                )


def _feature_statistics(X):
    """Each feature's mean and standard deviation (0 for a constant one), in
    float64, computed in units of the feature's largest magnitude so that
    values near float64's limits do not overflow."""
    unit = np.abs(X).max(axis=0)
    unit[unit == 0] = 1.0
    scaled = X / unit
    mean, scale = scaled.mean(axis=0), scaled.std(axis=0)
    # Below this the spread is rounding: the feature is constant.
    scale[scale <= 16 * np.finfo(np.float64).eps] = 0.0
    return mean * unit, scale * unit


def _adam(learning_rate, betas, name):
    """Adam's settings of one network, its betas checked."""
    try:
        beta_1, beta_2 = (float(b) for b in betas)
    except (TypeError, ValueError):
        beta_1 = beta_2 = None
    if beta_1 is None or not (0 <= beta_1 < 1 and 0 <= beta_2 < 1):
        raise ValueError(f"{name}_betas must be two floats in [0, 1), got {betas!r}.")
    return {"lr": float(learning_rate), "betas": (beta_1, beta_2)}
