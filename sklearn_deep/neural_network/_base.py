"""The shared bases of the estimators on 2-D X: parameters, fit, prediction.

``BaseNeuralNetwork`` holds what every such estimator shares: the network and
training parameters, and the steps of a fit through the engine (configuration,
warm start, validation split, training, fitted attributes, restoring the
estimator when a fit fails) and of prediction in fixed-size blocks.

``BaseMultilayerPerceptron`` adds the template method of the supervised
networks: ``fit``/``partial_fit`` live here and call a few hooks that
``MLPClassifier`` and ``MLPRegressor`` fill in (how to encode the target, which
loss, how to turn network outputs into predictions, the default validation
score). ``Autoencoder`` composes the same steps around its own loss. Training
itself is the engine's (``sklearn_deep._training.train``).
"""

import copy
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, is_regressor
from sklearn.metrics import check_scoring
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from sklearn_deep._training import (
    LOSSES,
    TRAINING_PARAMETER_CONSTRAINTS,
    Batches,
    TrainingConfig,
    train,
)
from sklearn_deep._training._callbacks import CallbackSupportMixin, EpochCallbacks
from sklearn_deep.nn import ACTIVATIONS, WEIGHT_INITS, MultilayerPerceptron
from sklearn_deep.utils._fitting import check_hidden_layer_sizes, fit_or_restore
from sklearn_deep.utils._pickling import HostPicklingMixin
from sklearn_deep.utils._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _check_sample_weight,
    validate_data,
)
from sklearn_deep.utils._torch import (
    PREDICT_BLOCK_ROWS,
    TORCH_DTYPES,
    make_generator,
    predict_in_blocks,
    resolve_device,
    seed_from_random_state,
    to_numpy,
    to_tensor,
)


class BaseNeuralNetwork(HostPicklingMixin, BaseEstimator, metaclass=ABCMeta):
    """Base class of the estimators on 2-D X; not for direct use."""

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "weight_init": [StrOptions(set(WEIGHT_INITS))],
        "sparse_init_density": [Interval(Real, 0, 1, closed="right")],
        "batch_norm": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        **TRAINING_PARAMETER_CONSTRAINTS,
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        alpha_l1,
        batch_size,
        learning_rate,
        learning_rate_init,
        learning_rate_final,
        decay_epochs,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        rho,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        weight_averaging,
        max_fun,
        scoring,
        weight_init,
        sparse_init_density,
        batch_norm,
        dropout,
        device,
        dtype,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.alpha_l1 = alpha_l1
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.learning_rate_final = learning_rate_final
        self.decay_epochs = decay_epochs
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.rho = rho
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.weight_averaging = weight_averaging
        self.max_fun = max_fun
        self.scoring = scoring
        self.weight_init = weight_init
        self.sparse_init_density = sparse_init_density
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.device = device
        self.dtype = dtype

    # ------------------------------------------------------- steps of a fit
    def _continues(self, incremental):
        """Whether this fit goes on from the fitted network."""
        return hasattr(self, "module_") and (incremental or self.warm_start)

    def _check_batch_norm_samples(self, n_samples):
        if self.batch_norm and n_samples < 2:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to fit, got {n_samples}."
            )

    def _training_config(self, n_samples, early_stopping, seed, device):
        batch_size = (
            n_samples
            if self.solver == "lbfgs"
            else min(200, n_samples)
            if self.batch_size == "auto"
            else self.batch_size
        )
        return TrainingConfig.from_params(
            self.get_params(),
            batch_size=batch_size,
            early_stopping=early_stopping,
            seed=seed,
            device=device,
            verbose=int(self.verbose),
        )

    def _start_training(self, n_samples, incremental, continuing, device, build):
        """What a fit needs before its data: seed, early stopping, config, network.

        Returns ``(seed, early_stopping, config, module, state)``;
        ``build(seed)`` makes a new network when the fit does not continue.
        """
        self._check_batch_norm_samples(n_samples)
        seed = seed_from_random_state(self.random_state)
        early_stopping = self.early_stopping and not incremental
        config = self._training_config(n_samples, early_stopping, seed, device)
        module, state = self._module_and_state(
            continuing, incremental, lambda: build(seed)
        )
        return seed, early_stopping, config, module, state

    def _module_and_state(self, continuing, incremental, build):
        """The network to train and the engine state to go on from.

        A continued fit trains a copy of the fitted network, so that a failure
        leaves ``module_`` as it was; ``build()`` makes a new one otherwise.
        """
        if not continuing:
            return build(), None
        module = copy.deepcopy(self.module_)
        state = copy.deepcopy(self._training_state)
        if not incremental:
            # A warm-started fit is a new run from the current weights.
            _restart(state)
        return module, state

    def _held_out_split(self, n_samples, seed, stratify=None):
        """Indices of the training rows and of ``validation_fraction`` held out."""
        train_index, val_index = train_test_split(
            np.arange(n_samples),
            test_size=self.validation_fraction,
            random_state=seed % (2**32),
            stratify=stratify,
        )
        if len(val_index) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return train_index, val_index

    def _scoring_on(self, X_val, y_val, **score_params):
        """The user's ``scoring`` as ``score(module)`` on the held-out rows."""
        scorer = check_scoring(self, self.scoring)

        def score(module):
            # The scorer needs an estimator: a shallow copy holding the
            # network being trained answers for it.
            view = copy.copy(self)
            view.module_ = module
            return scorer(view, X_val, y_val, **score_params)

        return score

    def _batches(self, inputs, target, sample_weight, config, dtype, rows=None):
        return Batches(
            inputs,
            target,
            sample_weight,
            config.batch_size,
            shuffle=self.shuffle and self.solver != "lbfgs",
            dtype=dtype,
            rows=rows,
        )

    def _train(
        self,
        module,
        loss_fn,
        batches,
        config,
        state,
        incremental,
        score,
        epochs=None,
        callbacks=None,
    ):
        """Train ``module`` for ``epochs`` (default: one if incremental, else all)."""
        if epochs is None:
            epochs = 1 if incremental else self.max_iter
        return train(
            module,
            loss_fn,
            batches,
            config,
            state=state,
            max_epochs=epochs,
            validation_score=score,
            warn_on_max_iter=not incremental,
            description=type(self).__name__,
            callbacks=callbacks,
        )

    def _store_training(self, module, state, early_stopping):
        self.module_ = module
        self._training_state = state
        self._set_training_attributes(state, early_stopping)

    def _initialised(self, make_network, seed):
        """``make_network()``, its weights drawn by ``weight_init`` from ``seed``."""
        # torch's layers draw a default initialisation from the global generator
        # when built; fork it so that fitting leaves the user's random state be.
        with torch.random.fork_rng(devices=[]):
            module = make_network()
        module.reset_parameters(
            self.weight_init,
            make_generator(seed),
            sparse_density=self.sparse_init_density,
        )
        return module

    def _rebuild_module(self):
        """A network of the fitted shape on the CPU, for ``sklearn_deep.load``.

        Its weights are placeholders that ``load`` overwrites with the saved ones.
        """
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        cpu, dtype = torch.device("cpu"), TORCH_DTYPES[self.dtype]
        return self._build_module(hidden_layer_sizes, 0, cpu, dtype)

    def _input_tensor(self, X, device, dtype):
        # Sparse input stays a scipy matrix; the batches densify one at a time.
        return X if sp.issparse(X) else to_tensor(X, dtype, device)

    def _set_training_attributes(self, state, early_stopping):
        for name, value in state.fitted_attributes(early_stopping).items():
            setattr(self, name, value)

    # ------------------------------------------------------------- prediction
    def _in_blocks(self, forward, X, n_outputs):
        """``forward`` of the fitted network on the rows of ``X``, as float64."""
        parameter = next(self.module_.parameters())
        self.module_.eval()
        output = predict_in_blocks(
            forward, X, dtype=parameter.dtype, device=parameter.device
        )
        if output is None:
            return np.empty((0, n_outputs))
        return output.astype(np.float64, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class BaseMultilayerPerceptron(CallbackSupportMixin, BaseNeuralNetwork):
    """Base class for MLPClassifier and MLPRegressor; not for direct use.

    With a scikit-learn that has ``sklearn.callback``, ``set_callbacks`` takes
    its callbacks; each epoch is a task of the fit.
    """

    _parameter_constraints = {
        **BaseNeuralNetwork._parameter_constraints,
        "init": [None, HasMethods(["transform", "inverse_transform"])],
        "freeze_init_epochs": [Interval(Integral, 0, None, closed="left")],
    }

    def __sklearn_clone__(self):
        cloned = super().__sklearn_clone__()
        # scikit-learn's clone would replace a fitted autoencoder passed as
        # ``init`` by an unfitted copy, losing the pre-trained weights that are
        # the point of passing it. It is only ever read, so clones share it.
        cloned.init = self.init
        return cloned

    # ----------------------------------------------------------------- hooks
    @abstractmethod
    def _encode_target(self, y, first_call):
        """Return ``(target array, loss name)`` and set the target's fitted attrs."""

    @abstractmethod
    def _activate(self, output):
        """Apply the output activation to raw network outputs (a tensor)."""

    @abstractmethod
    def _default_validation_metric(self, y_true, output, sample_weight):
        """The validation score used for early stopping without ``scoring``."""

    def _class_sample_weight(self, y):
        """Extra per-sample weights implied by the target (e.g. class_weight)."""
        return None

    # ---------------------------------------------------------------- fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, classes=None):
        # A failed fit must leave a previously fitted estimator as it was.
        return fit_or_restore(
            self, self._fit_unsafe, X, y, sample_weight, incremental, classes
        )

    def _fit_unsafe(self, X, y, sample_weight, incremental, classes):
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        device = resolve_device(self.device)
        dtype = TORCH_DTYPES[self.dtype]
        continuing = self._continues(incremental)
        X, y = _validate_float_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            reset=not continuing,
            y_numeric=is_regressor(self),
        )
        if not continuing:
            # A new fit learns its classes from y (or from partial_fit's
            # classes), never from an earlier fit.
            self.__dict__.pop("classes_", None)
        if incremental and not continuing:
            self._set_partial_fit_classes(classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        callback_metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        target, loss_name = self._encode_target(y, first_call=not continuing)
        class_weight = self._class_sample_weight(y)
        if class_weight is not None:
            sample_weight = (
                class_weight if sample_weight is None else sample_weight * class_weight
            )

        n_samples = X.shape[0]
        seed, early_stopping, config, module, state = self._start_training(
            n_samples,
            incremental,
            continuing,
            device,
            lambda seed: self._build_module(hidden_layer_sizes, seed, device, dtype),
        )

        # The tensors share X's memory (already in the network's dtype) on the
        # CPU; a validation split only selects rows of them, copying nothing.
        inputs = self._input_tensor(X, device, dtype)
        train_rows, validation_score = None, None
        if early_stopping:
            train_index, validation_score = self._validation_split(
                X, inputs, y, sample_weight, seed
            )
            train_rows = torch.as_tensor(train_index, device=device)
        batches = self._batches(
            inputs,
            to_tensor(target, self._target_dtype(dtype), device),
            None if sample_weight is None else to_tensor(sample_weight, dtype, device),
            config,
            dtype,
            rows=train_rows,
        )
        # partial_fit takes the pre-trained weights but trains one epoch per
        # call: there is no separate frozen phase to run.
        n_frozen = 0 if continuing or incremental else self._n_pretrained_layers()
        callbacks = EpochCallbacks.start(
            self,
            X,
            y,
            max_epochs=1 if incremental else self.max_iter,
            metadata=callback_metadata,
        )
        state = self._train_with_frozen_layers(
            module,
            LOSSES[loss_name],
            batches,
            config,
            state,
            incremental,
            validation_score,
            n_frozen,
            callbacks,
        )
        self._store_training(module, state, early_stopping)
        if callbacks is not None:
            callbacks.close()
        return self

    def _build_module(self, hidden_layer_sizes, seed, device, dtype):
        module = self._initialised(
            lambda: MultilayerPerceptron(
                self.n_features_in_,
                hidden_layer_sizes,
                self.n_outputs_,
                activation=self.activation,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            ),
            seed,
        ).to(device=device, dtype=dtype)
        if self.init is not None:
            _copy_encoder_weights(
                _fitted_autoencoder(self.init),
                module,
                self.n_features_in_,
                hidden_layer_sizes,
            )
        return module

    def _n_pretrained_layers(self):
        """How many first layers come from ``init`` and stay frozen at first."""
        if self.init is None or self.freeze_init_epochs == 0:
            return 0
        return len(_fitted_autoencoder(self.init).encoder_layer_sizes_)

    def _train_with_frozen_layers(
        self,
        module,
        loss_fn,
        batches,
        config,
        state,
        incremental,
        score,
        n_frozen,
        callbacks=None,
    ):
        """Train; with ``n_frozen`` layers, first ``freeze_init_epochs`` without them.

        Freezing the pre-trained layers first lets the new layers above them
        settle before their large initial gradients can wash out what the
        autoencoder learned. The two phases are two runs of the engine: the
        second starts its optimiser, patience and best-epoch tracking anew (as a
        warm start does), so early stopping restores the best epoch of the
        fine-tuning phase.
        """
        if n_frozen == 0:
            return self._train(
                module,
                loss_fn,
                batches,
                config,
                state,
                incremental,
                score,
                callbacks=callbacks,
            )
        frozen = module.linear_layers[:n_frozen]
        for layer in frozen:
            layer.requires_grad_(False)
        try:
            state = train(
                module,
                loss_fn,
                batches,
                config,
                max_epochs=min(self.freeze_init_epochs, self.max_iter),
                validation_score=score,
                warn_on_max_iter=False,
                description=f"{type(self).__name__} (frozen)",
                callbacks=callbacks,
            )
        finally:
            for layer in frozen:
                layer.requires_grad_(True)
        # The frozen layers had no gradient: record their norms as 0.
        state.gradient_norms = [[0.0] * n_frozen + row for row in state.gradient_norms]
        remaining = self.max_iter - state.n_iter
        if remaining <= 0 or state.interrupted:
            return state
        _restart(state)
        return self._train(
            module,
            loss_fn,
            batches,
            config,
            state,
            False,
            score,
            epochs=remaining,
            callbacks=callbacks,
        )

    def _target_dtype(self, dtype):
        return dtype

    def _validation_split(self, X, inputs, y, sample_weight, seed):
        """Hold out ``validation_fraction`` of the rows; return the scorer on them.

        ``inputs`` is ``X`` as the network takes it; the default score gathers
        the held-out rows from it one block at a time, so that no copy of them
        stays in memory (a user's ``scoring`` needs them as an array).
        """
        stratify = y if self._stratify_validation(y) else None
        train_index, val_index = self._held_out_split(X.shape[0], seed, stratify)
        y_val = y[val_index]
        sw_val = None if sample_weight is None else sample_weight[val_index]
        if self.scoring is not None:
            X_val = X[val_index]
            return train_index, self._scoring_on(X_val, y_val, sample_weight=sw_val)

        def score(module):
            outputs = [
                to_numpy(self._activate(_forward(module, inputs[rows])))
                for rows in np.array_split(
                    val_index, max(1, len(val_index) // PREDICT_BLOCK_ROWS)
                )
            ]
            return self._default_validation_metric(
                y_val, np.concatenate(outputs), sw_val
            )

        return train_index, score

    def _stratify_validation(self, y):
        return False

    def _set_training_attributes(self, state, early_stopping):
        super()._set_training_attributes(state, early_stopping)
        self.n_layers_ = len(check_hidden_layer_sizes(self.hidden_layer_sizes)) + 2

    # ------------------------------------------------------------- prediction
    def _raw_output(self, X):
        """Network outputs for ``X`` after its output activation, as numpy."""
        check_is_fitted(self)
        X = _validate_float_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        return self._in_blocks(
            lambda rows: self._activate(self.module_(rows)), X, self.n_outputs_
        )

    # -------------------------------------------------------------- attributes
    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape (n_units_in, n_units_out)."""
        check_is_fitted(self)
        return [to_numpy(layer.weight).T.copy() for layer in self.module_.linear_layers]

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape (n_units_out,)."""
        check_is_fitted(self)
        return [to_numpy(layer.bias).copy() for layer in self.module_.linear_layers]


def _rows(array, index):
    """``array[index]``, or ``array`` itself for ``index=None`` (all rows).

    Indexing by ``np.arange(n)`` would copy the whole training set.
    """
    return array if index is None else array[index]


def _validate_float_data(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` straight to the network's float dtype.

    Converting once, to the dtype the network computes in, keeps a single copy
    of a large float64 X in float32 (the tensors then share its memory), and
    lets the finiteness check see values that overflow float32: they would
    otherwise become infinities inside the network and a NaN model.
    """
    dtype = np.float32 if estimator.dtype == "float32" else np.float64
    try:
        with np.errstate(over="ignore"):
            return validate_data(estimator, X, y, dtype=dtype, **kwargs)
    except ValueError as exc:
        if "dtype('float32')" not in str(exc):
            raise
        raise ValueError(
            f"{exc} {type(estimator).__name__} computes in float32, where "
            "finite values beyond about 3.4e38 overflow to infinity: scale X "
            "(e.g. StandardScaler) or fit with dtype='float64'."
        ) from exc


def _restart(state):
    """Make ``state`` start a new run from the current weights.

    The optimiser's moments, the patience count and the best loss or score
    belong to the run that ended; the epoch count and the history go on.
    """
    state.optimizer_state = None
    state.no_improvement_count = 0
    state.best_loss, state.best_validation_score = np.inf, -np.inf


def _fitted_autoencoder(init):
    """The fitted ``Autoencoder`` of ``init`` (itself, or in a FrozenEstimator)."""
    # Imported here: the autoencoder module builds on this one.
    from sklearn_deep.neural_network._autoencoder import Autoencoder

    autoencoder = getattr(init, "estimator", init)
    if not isinstance(autoencoder, Autoencoder):
        raise ValueError(
            "init must be None or a fitted sklearn_deep.Autoencoder (optionally "
            f"in a sklearn.frozen.FrozenEstimator), got {type(init).__name__}."
        )
    if not hasattr(autoencoder, "module_"):
        raise ValueError(
            "init must be a fitted Autoencoder: call its fit first (e.g. on "
            "unlabeled data). To search over init in GridSearchCV, wrap it in "
            "sklearn.frozen.FrozenEstimator, which cloning keeps fitted."
        )
    return autoencoder


@torch.no_grad()
def _copy_encoder_weights(autoencoder, module, n_features, hidden_layer_sizes):
    """Initialise the first layers of ``module`` with ``autoencoder``'s encoder."""
    if autoencoder.n_features_in_ != n_features:
        raise ValueError(
            f"init was fitted on {autoencoder.n_features_in_} features, but X has "
            f"{n_features}."
        )
    widths = list(autoencoder.encoder_layer_sizes_)
    if list(hidden_layer_sizes[: len(widths)]) != widths:
        raise ValueError(
            f"The encoder of init has layers of widths {widths} (hidden layers, "
            "then the code); hidden_layer_sizes must start with them to take its "
            f"weights, got {tuple(hidden_layer_sizes)}."
        )
    source = autoencoder.module_.encoder.linear_layers
    # copy_ converts to the network's device and dtype.
    for target, layer in zip(module.linear_layers, source, strict=False):
        target.weight.copy_(layer.weight)
        target.bias.copy_(layer.bias)


@torch.inference_mode()
def _forward(module, inputs):
    """The raw output of ``module`` on ``inputs`` without building a graph.

    ``inputs`` is a tensor, or a scipy sparse matrix made dense on the module's
    device.
    """
    if not isinstance(inputs, torch.Tensor):
        parameter = next(module.parameters())
        inputs = torch.as_tensor(
            inputs.toarray(), dtype=parameter.dtype, device=parameter.device
        )
    return module(inputs)
