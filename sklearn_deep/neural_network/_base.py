"""The base of MLPClassifier and MLPRegressor: their hooks of the fit template.

The template itself is ``sklearn_deep.base.DeepEstimator``'s; here are what the
two MLPs share (the network, its batches, the validation score, pre-training
from ``init`` and the ``coefs_``/``intercepts_`` views), while each of them
fills in how to encode its target, which output activation and which default
validation metric.
"""

from abc import abstractmethod
from numbers import Integral

import numpy as np
import torch
from sklearn.base import is_regressor
from sklearn.utils.validation import check_array, check_is_fitted, check_non_negative

from sklearn_deep._training import LOSSES
from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    TabularMixin,
)
from sklearn_deep.neural_network import _pretraining
from sklearn_deep.neural_network._network_parameters import (
    NETWORK_PARAMETER_CONSTRAINTS,
)
from sklearn_deep.nn import MultilayerPerceptron, build_uninitialized
from sklearn_deep.utils._fitted_checks import (
    check_fitted_count,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes, floating_dtype_of
from sklearn_deep.utils._sklearn_compat import (
    HasMethods,
    Interval,
    _check_sample_weight,
)
from sklearn_deep.utils._torch import to_numpy


def weights_with_class_weight(sample_weight, class_weight, dtype):
    """The per-sample weights ``sample_weight * class_weight``, checked.

    ``class_weight`` (one weight per sample, from the classes) passes the
    checks ``sample_weight`` passes, in scikit-learn's words where it has them:
    finite in the network's ``dtype``, non-negative, and the product not all
    zero. The product is computed (and returned) in float64.
    """
    class_weight = np.asarray(class_weight, dtype=np.float64)
    weights = class_weight
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64) * class_weight
    # Cast to the network's dtype, where too large a value becomes infinite.
    with np.errstate(over="ignore"):
        check_array(
            class_weight, ensure_2d=False, dtype=dtype, input_name="class_weight"
        )
        check_non_negative(class_weight, "`class_weight`")
        if sample_weight is not None:
            check_array(
                weights,
                ensure_2d=False,
                dtype=dtype,
                input_name="sample_weight * class_weight",
            )
    if not np.any(weights):
        raise ValueError(
            "Sample weights must contain at least one non-zero number: "
            "class_weight"
            + ("" if sample_weight is None else " times sample_weight")
            + " is zero for every sample."
        )
    return weights


class LayerArrays(list):
    """``coefs_`` or ``intercepts_``: read-only copies that write through.

    scikit-learn users prune, reset or replace weights by assigning them.
    Arrays handed out are copies of the network's tensors, so writing into one
    in place would change nothing: they are read-only, so such a write raises
    instead of being silently lost. Assigning an item (``coefs_[0] = W``) or
    the whole list (``est.coefs_ = [...]``) writes into the network.
    """

    def __init__(self, estimator, kind):
        self._estimator, self._kind = estimator, kind
        dtype = estimator._fitted_dtype()
        super().__init__(
            _read_only(self._to_array(layer).astype(dtype, copy=True))
            for layer in self._layers()
        )

    def _layers(self):
        return list(self._estimator.module_.linear_layers)

    def _to_array(self, layer):
        tensor = getattr(layer, self._kind)
        return to_numpy(tensor).T if self._kind == "weight" else to_numpy(tensor)

    def __setitem__(self, index, value):
        if not isinstance(index, Integral):
            raise TypeError(
                f"Assign one layer at a time (an integer index), not {index!r}."
            )
        layers = self._layers()
        index = range(len(layers))[index]  # IndexError beyond the layers
        self._write(layers[index], index, value)
        super().__setitem__(index, _read_only(self._to_array(layers[index]).copy()))

    def assign(self, arrays):
        """Write a whole list of arrays (one per layer) into the network."""
        layers = self._layers()
        arrays = list(arrays)
        if len(arrays) != len(layers):
            raise ValueError(
                f"Expected {len(layers)} arrays, one per layer, got {len(arrays)}."
            )
        # All checked before any is written: a bad list changes nothing.
        checked = [
            self._checked(layer, i, value)
            for i, (layer, value) in enumerate(zip(layers, arrays, strict=True))
        ]
        for layer, value in zip(layers, checked, strict=True):
            self._copy_into(layer, value)

    def _write(self, layer, index, value):
        self._copy_into(layer, self._checked(layer, index, value))

    def _checked(self, layer, index, value):
        tensor = getattr(layer, self._kind)
        name = "coefs_" if self._kind == "weight" else "intercepts_"
        value = check_array(
            value,
            ensure_2d=self._kind == "weight",
            dtype=np.float64,
            input_name=f"{name}[{index}]",
        )
        expected = (
            tuple(tensor.shape[::-1]) if self._kind == "weight" else tuple(tensor.shape)
        )
        if value.shape != expected:
            raise ValueError(
                f"{name}[{index}] has shape {value.shape}; this layer needs {expected}."
            )
        return value

    def _copy_into(self, layer, value):
        tensor = getattr(layer, self._kind)
        value = value.T if self._kind == "weight" else value
        with torch.no_grad():
            tensor.copy_(torch.as_tensor(np.ascontiguousarray(value)))

    def _refused(self, *args, **kwargs):
        raise TypeError(
            "The layers of a network are fixed: assign arrays to existing "
            "layers (coefs_[i] = W) instead of adding or removing them."
        )

    append = extend = insert = pop = remove = clear = __delitem__ = _refused
    __iadd__ = __imul__ = sort = reverse = _refused


def _read_only(array):
    array.setflags(write=False)
    return array


class BaseMultilayerPerceptron(TabularMixin, DeepEstimator):
    """Base class for MLPClassifier and MLPRegressor; not for direct use."""

    _parameter_constraints = {
        **NETWORK_PARAMETER_CONSTRAINTS,
        "init": [None, HasMethods(["transform", "inverse_transform"])],
        "freeze_init_epochs": [Interval(Integral, 0, None, closed="left")],
    }
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "n_outputs_",
        "out_activation_",
        "n_layers_",
        "_input_dtype",
    )

    def __sklearn_clone__(self):
        cloned = super().__sklearn_clone__()
        # scikit-learn's clone would replace a fitted autoencoder passed as
        # ``init`` by an unfitted copy, losing the pre-trained weights that are
        # the point of passing it. It is only ever read, so clones share it.
        cloned.init = self.init
        return cloned

    # ---------------------------------------------------------- MLP hooks
    @abstractmethod
    def _encode_target(self, y, first_call):
        """Return ``(target array, loss name)`` and set the target's fitted attrs."""

    @abstractmethod
    def _activate(self, output):
        """Apply the output activation to raw network outputs (a tensor)."""

    @abstractmethod
    def _validation_metric(self, y_true, output, sample_weight):
        """The validation score used for early stopping without ``scoring``."""

    def _class_sample_weight(self, y):
        """Extra per-sample weights implied by the target (e.g. class_weight)."""
        return None

    def _stratify_validation(self, y):
        return False

    def _set_partial_fit_classes(self, classes):
        pass

    def _check_warm_start_target(self, y):
        """Raise if ``y`` cannot go on training the fitted outputs."""

    def _check_solver(self):
        """``partial_fit`` exists for the stochastic solvers only.

        scikit-learn's rule (through ``available_if``): L-BFGS is a full-batch
        method whose curvature pairs belong to one data set, so
        ``hasattr(est, "partial_fit")`` is False with ``solver="lbfgs"``.
        """
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                f"{self.solver} is not stochastic."
            )
        return True

    def _check_partial_fit_early_stopping(self):
        # scikit-learn's rule: one epoch on one batch has no held-out data to
        # stop on.
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")

    # ------------------------------------------------- the template's hooks
    def _validate_fit_data(self, X, y, fit, sample_weight=None, classes=None):
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        # What scikit-learn returns follows X's floating dtype, whatever
        # precision the network computes in.
        self._input_dtype = floating_dtype_of(X).name
        X, y = self._validate_float_data(
            X,
            y,
            multi_output=True,
            reset=not fit.continuing,
            y_numeric=is_regressor(self),
        )
        if not fit.continuing:
            # A new fit learns its classes from y (or from partial_fit's
            # classes), never from an earlier fit.
            self.__dict__.pop("classes_", None)
        if fit.incremental:
            self._set_partial_fit_classes(classes)
        elif fit.continuing:
            self._check_warm_start_target(y)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        target, loss_name = self._encode_target(y, first_call=not fit.continuing)
        class_weight = self._class_sample_weight(y)
        if class_weight is not None:
            sample_weight = weights_with_class_weight(
                sample_weight, class_weight, X.dtype
            )
        self._check_batch_norm_samples(X.shape[0])
        return FitData(
            X.shape[0],
            X=X,
            y=y,
            sample_weight=sample_weight,
            stratify=y if self._stratify_validation(y) else None,
            callback_metadata=metadata,
            # The tensors share X's memory (already in the network's dtype) on
            # the CPU; a validation split only selects rows, copying nothing.
            extra={
                "inputs": self._input_tensor(X, fit.device, fit.dtype),
                "target": target,
                "loss": loss_name,
            },
        )

    def _network_spec(self):
        return (
            MultilayerPerceptron,
            (
                self.n_features_in_,
                check_hidden_layer_sizes(self.hidden_layer_sizes),
                self.n_outputs_,
            ),
            {
                "activation": self.activation,
                "dropout": self.dropout,
                "batch_norm": self.batch_norm,
            },
        )

    def _build_module(self, device, dtype, generator):
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        factory, args, kwargs = self._network_spec()
        module = build_uninitialized(factory, *args, **kwargs)
        module.reset_parameters(
            self.weight_init, generator, sparse_density=self.sparse_init_density
        )
        module = module.to(device=device, dtype=dtype)
        if self.init is not None:
            _pretraining.copy_encoder_weights(
                _pretraining.fitted_autoencoder(self.init),
                module,
                self.n_features_in_,
                hidden_layer_sizes,
            )
        return module

    def _loss_function(self, data, fit):
        return LOSSES[data.extra["loss"]]

    def _train(self, module, loss, batches, config, state, fit, score, callbacks):
        # partial_fit takes the pre-trained weights but trains one epoch per
        # call: there is no separate frozen phase to run.
        n_frozen = (
            0
            if fit.continuing or fit.incremental
            else _pretraining.n_pretrained_layers(self)
        )
        if n_frozen == 0:
            return super()._train(
                module, loss, batches, config, state, fit, score, callbacks
            )

        def train_rest(state, epochs):
            return DeepEstimator._train(
                self,
                module,
                loss,
                batches,
                config,
                state,
                fit,
                score,
                callbacks,
                epochs,
            )

        return _pretraining.train_with_frozen_layers(
            self,
            module,
            train_rest,
            n_frozen,
            loss_fn=loss,
            batches=batches,
            config=config,
            validation_score=score,
            callbacks=callbacks,
            n_threads=self.n_threads,
        )

    def _after_fit(self, data):
        self.n_layers_ = len(check_hidden_layer_sizes(self.hidden_layer_sizes)) + 2

    # ------------------------------------------------------------- prediction
    def _raw_output(self, X):
        """Network outputs for ``X`` after its output activation, as numpy.

        In scikit-learn's dtype: float32 when both the training X and this X
        are float32, float64 otherwise.
        """
        dtype = np.result_type(self._fitted_dtype(), floating_dtype_of(X))
        X = self._validated_input(X)
        output = self._predict_in_blocks(
            lambda rows: self._activate(self.module_(rows)), X, self.n_outputs_
        )
        return output.astype(dtype, copy=False)

    def _fitted_dtype(self):
        """The floating dtype of the training X (float64 for older files)."""
        return np.dtype(getattr(self, "_input_dtype", "float64"))

    # -------------------------------------------------------------- attributes
    @property
    def coefs_(self):
        """Weight matrices, ``coefs_[i]`` of shape (n_units_in, n_units_out).

        Read-only copies in the training X's dtype; assign ``coefs_`` (or one
        ``coefs_[i]``) to write weights into the network.
        """
        check_is_fitted(self)
        return LayerArrays(self, "weight")

    @coefs_.setter
    def coefs_(self, arrays):
        check_is_fitted(self)
        LayerArrays(self, "weight").assign(arrays)

    @property
    def intercepts_(self):
        """Bias vectors, ``intercepts_[i]`` of shape (n_units_out,).

        Read-only copies in the training X's dtype; assign ``intercepts_`` (or
        one ``intercepts_[i]``) to write biases into the network.
        """
        check_is_fitted(self)
        return LayerArrays(self, "bias")

    @intercepts_.setter
    def intercepts_(self, arrays):
        check_is_fitted(self)
        LayerArrays(self, "bias").assign(arrays)

    # --------------------------------------------- checks of sklearn_deep.load
    def _check_fitted_state(self, *, n_weights, n_bytes):

        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        hidden_layer_sizes = self._check_tabular_fitted_state(n_weights)
        check_fitted_count(self, "n_outputs_")
        if getattr(self, "_input_dtype", "float64") not in ("float32", "float64"):
            raise ValueError(
                f"_input_dtype is {self._input_dtype!r}, not 'float32' or 'float64'."
            )
        n_layers = len(hidden_layer_sizes) + 2
        if getattr(self, "n_layers_", None) != n_layers:
            raise ValueError(
                f"n_layers_ is {getattr(self, 'n_layers_', None)!r} but "
                f"hidden_layer_sizes makes {n_layers} layers."
            )
