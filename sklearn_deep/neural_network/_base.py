"""The shared base of the multilayer perceptrons: parameters, fit, prediction.

The template method: ``fit``/``partial_fit`` live here and call a few hooks that
``MLPClassifier`` and ``MLPRegressor`` fill in (how to encode the target, which
loss, how to turn network outputs into predictions, the default validation
score). Training itself is the engine's (``sklearn_deep._training.train``).
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
from sklearn_deep.nn import ACTIVATIONS, WEIGHT_INITS, MultilayerPerceptron
from sklearn_deep.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
    validate_data,
)
from sklearn_deep.utils._torch import (
    TORCH_DTYPES,
    make_generator,
    predict_in_blocks,
    resolve_device,
    seed_from_random_state,
    to_numpy,
    to_tensor,
)


class BaseMultilayerPerceptron(BaseEstimator, metaclass=ABCMeta):
    """Base class for MLPClassifier and MLPRegressor; not for direct use."""

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
        self.max_fun = max_fun
        self.scoring = scoring
        self.weight_init = weight_init
        self.sparse_init_density = sparse_init_density
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.device = device
        self.dtype = dtype

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
        saved = self.__dict__.copy()
        try:
            return self._fit_unsafe(X, y, sample_weight, incremental, classes)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def _fit_unsafe(self, X, y, sample_weight, incremental, classes):
        hidden_layer_sizes = self._checked_hidden_layer_sizes()
        device = resolve_device(self.device)
        dtype = TORCH_DTYPES[self.dtype]
        continuing = hasattr(self, "module_") and (incremental or self.warm_start)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=not continuing,
            y_numeric=is_regressor(self),
        )
        if incremental and not continuing:
            self._set_partial_fit_classes(classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype)
        target, loss_name = self._encode_target(y, first_call=not continuing)
        class_weight = self._class_sample_weight(y)
        if class_weight is not None:
            sample_weight = (
                class_weight if sample_weight is None else sample_weight * class_weight
            )

        if self.batch_norm and X.shape[0] < 2:
            raise ValueError(
                f"batch_norm=True needs at least 2 samples to fit, got {X.shape[0]}."
            )
        seed = seed_from_random_state(self.random_state)
        early_stopping = self.early_stopping and not incremental
        n_samples = X.shape[0]
        batch_size = (
            n_samples
            if self.solver == "lbfgs"
            else min(200, n_samples)
            if self.batch_size == "auto"
            else self.batch_size
        )
        config = TrainingConfig.from_params(
            self.get_params(),
            batch_size=batch_size,
            early_stopping=early_stopping,
            seed=seed,
            device=device,
            verbose=int(self.verbose),
        )
        if continuing:
            module = copy.deepcopy(self.module_)
            state = copy.deepcopy(self._training_state)
            if not incremental:
                # A warm-started fit is a new run from the current weights.
                state.optimizer_state = None
                state.no_improvement_count = 0
                state.best_loss, state.best_validation_score = np.inf, -np.inf
        else:
            module = self._build_module(hidden_layer_sizes, seed, device, dtype)
            state = None

        train_index, validation_score = np.arange(n_samples), None
        if early_stopping:
            train_index, validation_score = self._validation_split(
                X, y, target, sample_weight, seed, device, dtype
            )
        batches = Batches(
            self._input_tensor(X[train_index], device, dtype),
            to_tensor(target[train_index], self._target_dtype(dtype), device),
            None
            if sample_weight is None
            else to_tensor(sample_weight[train_index], dtype, device),
            batch_size,
            shuffle=self.shuffle and self.solver != "lbfgs",
            dtype=dtype,
        )
        state = train(
            module,
            LOSSES[loss_name],
            batches,
            config,
            state=state,
            max_epochs=1 if incremental else self.max_iter,
            validation_score=validation_score,
            warn_on_max_iter=not incremental,
            description=type(self).__name__,
        )
        self.module_ = module
        self._training_state = state
        self._set_training_attributes(state, early_stopping)
        return self

    def _checked_hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(not isinstance(s, Integral) or s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return sizes

    def _build_module(self, hidden_layer_sizes, seed, device, dtype):
        # torch's layers draw a default initialisation from the global generator
        # when built; fork it so that fitting leaves the user's random state be.
        with torch.random.fork_rng(devices=[]):
            module = MultilayerPerceptron(
                self.n_features_in_,
                hidden_layer_sizes,
                self.n_outputs_,
                activation=self.activation,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            )
        module.reset_parameters(
            self.weight_init,
            make_generator(seed),
            sparse_density=self.sparse_init_density,
        )
        return module.to(device=device, dtype=dtype)

    def _input_tensor(self, X, device, dtype):
        # Sparse input stays a scipy matrix; the batches densify one at a time.
        return X if sp.issparse(X) else to_tensor(X, dtype, device)

    def _target_dtype(self, dtype):
        return dtype

    def _validation_split(self, X, y, target, sample_weight, seed, device, dtype):
        """Hold out ``validation_fraction`` of the rows; return the scorer on them."""
        stratify = y if self._stratify_validation(y) else None
        train_index, val_index = train_test_split(
            np.arange(X.shape[0]),
            test_size=self.validation_fraction,
            random_state=seed % (2**32),
            stratify=stratify,
        )
        if len(val_index) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        X_val, y_val = X[val_index], y[val_index]
        sw_val = None if sample_weight is None else sample_weight[val_index]
        if self.scoring is None:
            X_val_tensor = self._input_tensor(X_val, device, dtype)

            def score(module):
                output = to_numpy(self._activate(_forward(module, X_val_tensor)))
                return self._default_validation_metric(y_val, output, sw_val)

        else:
            scorer = check_scoring(self, self.scoring)

            def score(module):
                # The scorer needs an estimator: a shallow copy holding the
                # network being trained answers for it.
                view = copy.copy(self)
                view.module_ = module
                return scorer(view, X_val, y_val, sample_weight=sw_val)

        return train_index, score

    def _stratify_validation(self, y):
        return False

    def _set_training_attributes(self, state, early_stopping):
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        self.loss_ = state.loss_curve[-1] if state.loss_curve else None
        self.loss_curve_ = list(state.loss_curve)
        self.history_ = state.history
        self.gradient_norms_ = np.asarray(state.gradient_norms, dtype=float)
        self.n_layers_ = len(self._checked_hidden_layer_sizes()) + 2
        if early_stopping:
            self.validation_scores_ = list(state.validation_scores)
            self.best_validation_score_ = state.best_validation_score
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = state.best_loss

    # ------------------------------------------------------------- prediction
    def _raw_output(self, X):
        """Network outputs for ``X`` after its output activation, as numpy."""
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            reset=False,
        )
        parameter = next(self.module_.parameters())
        self.module_.eval()
        output = predict_in_blocks(
            lambda rows: self._activate(self.module_(rows)),
            X,
            dtype=parameter.dtype,
            device=parameter.device,
        )
        if output is None:
            return np.empty((0, self.n_outputs_))
        return output.astype(np.float64, copy=False)

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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


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
