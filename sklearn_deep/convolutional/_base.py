"""The base of CNNClassifier and CNNRegressor: their hooks of the fit template.

The template is ``sklearn_deep.base.DeepEstimator``'s. What the two share is
here: the architecture's parameters and their checks, the reshaping of X by
``input_shape`` (a 2-D matrix of flat rows is what pipelines and scikit-learn's
checks pass; 3-D and 4-D arrays are flattened to it), the network, its
batches, the validation score and the ``filters_`` view. Each estimator fills
in how to encode its target and score its outputs.
"""

import math
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_deep._training import LOSSES
from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    TabularMixin,
)
from sklearn_deep.nn import (
    ACTIVATIONS,
    GLOBAL_POOLINGS,
    POOLINGS,
    ConvolutionalNetwork,
    build_uninitialized,
    conv_output_shapes,
)
from sklearn_deep.utils._fitted_checks import (
    check_feature_names,
    check_fitted_count,
    check_layer_count,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes
from sklearn_deep.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _check_sample_weight,
)
from sklearn_deep.utils._torch import to_numpy

# The architecture's parameters, shared by the classifier and the regressor.
NETWORK_CONSTRAINTS = {
    "input_shape": [None, "array-like"],
    "filters": ["array-like"],
    "kernel_size": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "strides": [Interval(Integral, 1, None, closed="left"), "array-like"],
    "padding": [
        StrOptions({"same", "valid"}),
        Interval(Integral, 0, None, closed="left"),
    ],
    "pooling": [StrOptions(set(POOLINGS)), None],
    "pool_size": [Interval(Integral, 1, None, closed="left")],
    "global_pooling": [StrOptions(set(GLOBAL_POOLINGS)), None],
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "batch_norm": ["boolean"],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "max_shift": [Interval(Integral, 0, None, closed="left")],
}

# The docstring paragraphs of those parameters, shared by both estimators.
NETWORK_DOCS = """\
    input_shape : tuple of int or None, default=None
        The shape of one sample: ``(channels, length)`` for signals,
        ``(channels, height, width)`` for images. Each row of a 2-D ``X`` of
        ``prod(input_shape)`` features is reshaped to it, channel first (as
        ``X.reshape(-1, *input_shape)`` does). None means one channel of
        length ``n_features``, or the shape of a 3-D or 4-D ``X``.

    filters : sequence of int, default=(64, 64, 64)
        The number of filters (output channels) of each convolution layer.

    kernel_size : int or sequence of int, default=5
        The width of the filters (square ones for images), for all layers or
        one per layer.

    strides : int or sequence of int, default=1
        The step between the positions of a filter, for all layers or one per
        layer.

    padding : {"same", "valid"} or int, default="same"
        Zeros added on each side of a convolution's input: "same" keeps the
        size (for odd kernels), "valid" adds none.

    pooling : {"max", "avg"} or None, default=None
        Pooling of ``pool_size`` positions after each convolution, which halves
        the size for ``pool_size=2``; None pools nothing.

    pool_size : int, default=2
        The window (and stride) of ``pooling``.

    global_pooling : {"avg", "max", "avg_max"} or None, default="avg_max"
        How the last convolution's output becomes a vector: each channel's
        mean or maximum over all positions, or both side by side ("avg_max");
        None flattens all positions (the classic LeNet head, tied to the
        input size).

    hidden_layer_sizes : array-like of int, default=()
        The widths of the dense layers between the pooling and the output.

    activation : {"relu", "leaky_relu", "tanh", "logistic", "identity"}, \
default="relu"
        The activation after each convolution and dense layer.

    batch_norm : bool, default=True
        Whether to normalise each convolution's output over the batch (before
        the activation).

    dropout : float, default=0.0
        Probability of zeroing each input of a dense layer in training.

    max_shift : int, default=4
        Data augmentation: in training, each sample is translated by a random
        number of positions (pixels, along each axis) in ``[-max_shift,
        max_shift]``, zeros entering at the border; drawn from the fit's own
        generator, so ``random_state`` repeats them. Prediction sees the
        samples as they are. 0 disables it."""

# Defaults of the training parameters that differ from the table's: a current
# recipe (Adam at 1e-2 decayed linearly to 1e-4 over 60 epochs) instead of the
# MLPs' scikit-learn defaults.
TRAINING_DEFAULTS = {
    "learning_rate": "linear",
    "learning_rate_init": 0.01,
    "max_iter": 60,
}


def check_input_shape(input_shape):
    """``input_shape`` as a tuple of 2 or 3 positive ints."""
    shape = tuple(input_shape)
    if len(shape) not in (2, 3) or any(
        not isinstance(n, Integral) or isinstance(n, bool) or n < 1 for n in shape
    ):
        raise ValueError(
            "input_shape must be (channels, length) or (channels, height, width) "
            f"of positive ints, got {input_shape!r}."
        )
    return tuple(int(n) for n in shape)


def check_filters(filters):
    """``filters`` as a non-empty list of positive ints."""
    values = list(filters)
    if not values or any(
        not isinstance(n, Integral) or isinstance(n, bool) or n < 1 for n in values
    ):
        raise ValueError(
            f"filters must be a non-empty sequence of positive ints, got {filters!r}."
        )
    return [int(n) for n in values]


def flatten_samples(X):
    """A 3-D or 4-D array of samples as a 2-D matrix of flat rows, and its shape.

    Anything else is returned as it is (with None), for ``validate_data``. The
    reshaped array is a view or a copy: the caller's array is never changed.
    """
    ndim = getattr(X, "ndim", None)
    if ndim not in (3, 4) or not hasattr(X, "reshape"):
        return X, None
    X = np.asarray(X)
    return X.reshape(X.shape[0], -1), tuple(int(n) for n in X.shape[1:])


class BaseConvolutionalNetwork(TabularMixin, DeepEstimator):
    """Base class for CNNClassifier and CNNRegressor; not for direct use."""

    _parameter_constraints = NETWORK_CONSTRAINTS
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "input_shape_",
        "n_outputs_",
    )

    # ------------------------------------------------------ the family's hooks
    @abstractmethod
    def _encode_target(self, y, first_call):
        """Return the target array for the loss; set the target's attributes."""

    @abstractmethod
    def _loss_name(self):
        """The key of the loss in ``LOSSES``."""

    @abstractmethod
    def _activate(self, output):
        """The output non-linearity applied to raw network outputs."""

    @abstractmethod
    def _validation_metric(self, y_true, output, sample_weight):
        """The early-stopping score of activated outputs; higher is better."""

    def _validate_y_kwargs(self):
        return {}

    # ------------------------------------------------- the template's hooks
    def _validate_fit_data(self, X, y, fit, sample_weight=None):
        filters = check_filters(self.filters)
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        X, array_shape = flatten_samples(X)
        X, y = self._validate_float_data(
            X, y, reset=not fit.continuing, **self._validate_y_kwargs()
        )
        input_shape = self._resolve_input_shape(X.shape[1], array_shape)
        if fit.continuing and input_shape != self.input_shape_:
            raise ValueError(
                f"The samples' shape {input_shape} differs from the fitted "
                f"input_shape_ {self.input_shape_}."
            )
        shapes = conv_output_shapes(
            input_shape,
            filters,
            self.kernel_size,
            self.strides,
            self.padding,
            self.pooling,
            self.pool_size,
        )
        # The smallest batch: the engine joins a one-row remainder to the
        # batch before it, so only batch_size=1 (or one sample) gives 1 row.
        rows = X.shape[0]
        if isinstance(self.batch_size, Integral):
            rows = min(rows, self.batch_size)
        if (
            self.batch_norm
            and rows * min(math.prod(shape[1:]) for shape in shapes[1:]) < 2
        ):
            raise ValueError(
                "batch_norm=True needs at least 2 values per channel to normalise; "
                f"got batches of 1 sample whose convolutions have 1 position "
                f"(n_samples = {X.shape[0]}, batch_size = {self.batch_size}): "
                "pass more samples, a larger batch_size or batch_norm=False."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=X.dtype, ensure_non_negative=True
            )
        target = self._encode_target(y, first_call=not fit.continuing)
        self.input_shape_ = input_shape
        return FitData(
            X.shape[0],
            X=X,
            y=y,
            sample_weight=sample_weight,
            stratify=self._stratify(y),
            callback_metadata=None
            if sample_weight is None
            else {"sample_weight": sample_weight},
            # The tensor shares X's memory (already in the network's dtype)
            # on the CPU; the network reshapes each batch itself.
            extra={
                "inputs": self._input_tensor(X, fit.device, fit.dtype),
                "target": target,
            },
        )

    def _stratify(self, y):
        return None

    def _resolve_input_shape(self, n_features, array_shape):
        """The fitted ``input_shape_``, checked against X."""
        if self.input_shape is None:
            return array_shape or (1, n_features)
        input_shape = check_input_shape(self.input_shape)
        if array_shape is not None and array_shape != input_shape:
            raise ValueError(
                f"X holds samples of shape {array_shape}, but input_shape="
                f"{input_shape}."
            )
        if math.prod(input_shape) != n_features:
            raise ValueError(
                f"input_shape={input_shape} holds {math.prod(input_shape)} values "
                f"per sample, but X has {n_features} features."
            )
        return input_shape

    def _network_spec(self):
        return (
            ConvolutionalNetwork,
            (self.input_shape_, check_filters(self.filters), self.n_outputs_),
            {
                "kernel_size": self.kernel_size,
                "strides": self.strides,
                "padding": self.padding,
                "pooling": self.pooling,
                "pool_size": self.pool_size,
                "global_pooling": self.global_pooling,
                "hidden_layer_sizes": check_hidden_layer_sizes(self.hidden_layer_sizes),
                "activation": self.activation,
                "batch_norm": self.batch_norm,
                "dropout": self.dropout,
                "max_shift": self.max_shift,
            },
        )

    def _build_module(self, device, dtype, generator):
        factory, args, kwargs = self._network_spec()
        module = build_uninitialized(factory, *args, **kwargs)
        module.reset_parameters(generator)
        return module.to(device=device, dtype=dtype)

    def _loss_function(self, data, fit):
        return LOSSES[self._loss_name()]

    # ------------------------------------------------------------- prediction
    def _validated_input(self, X):
        check_is_fitted(self)
        X, array_shape = flatten_samples(X)
        if array_shape is not None and array_shape != self.input_shape_:
            raise ValueError(
                f"X holds samples of shape {array_shape}, but the estimator was "
                f"fitted on samples of shape {self.input_shape_}."
            )
        return self._validate_float_data(X, reset=False)

    def _raw_output(self, X):
        """Network outputs for ``X`` after the output activation, as numpy."""
        X = self._validated_input(X)
        return self._predict_in_blocks(
            lambda rows: self._activate(self.module_(rows)), X, self.n_outputs_
        )

    # -------------------------------------------------------------- attributes
    @property
    def filters_(self):
        """The learned filters: one array per convolution layer.

        ``filters_[i]`` has shape ``(n_filters, in_channels, kernel_size)`` for
        signals and ``(n_filters, in_channels, kernel_size, kernel_size)`` for
        images; ``filters_[0]`` holds the first layer's filters, which look at
        the input itself (see :class:`~sklearn_deep.inspection.FilterDisplay`).
        """
        check_is_fitted(self)
        return [to_numpy(layer.weight).copy() for layer in self.module_.conv_layers]

    # --------------------------------------------- checks of sklearn_deep.load
    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        filters = check_filters(self.filters)
        hidden = check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_layer_count(len(filters) + len(hidden) + 1, n_weights)
        n_features = check_fitted_count(self, "n_features_in_")
        check_fitted_count(self, "n_outputs_")
        check_feature_names(self)
        shape = getattr(self, "input_shape_", None)
        if not isinstance(shape, tuple):
            raise ValueError(f"input_shape_ must be a tuple, got {shape!r}.")
        shape = check_input_shape(shape)
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape_={shape} does not hold n_features_in_={n_features} "
                "values."
            )
        if self.input_shape is not None and check_input_shape(self.input_shape) != (
            shape
        ):
            raise ValueError(
                f"input_shape={self.input_shape} but input_shape_={shape}."
            )
