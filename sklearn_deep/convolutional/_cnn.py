"""CNNClassifier and CNNRegressor: convolutional networks for signals and images."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array

from sklearn_deep.base import store_parameters
from sklearn_deep.convolutional._base import (
    NETWORK_DOCS,
    BaseConvolutionalNetwork,
)
from sklearn_deep.utils._fitted_checks import check_fitted_classes
from sklearn_deep.utils._sklearn_compat import _fit_context

_FIT_DOC = """Fit the network to the samples X and the target y.

        Parameters
        ----------
        X : {{array-like, sparse matrix}} of shape (n_samples, n_features), \
or ndarray of shape (n_samples, channels, length) or \
(n_samples, channels, height, width)
            The samples, one flat row each (reshaped by ``input_shape``), or a
            3-D array of signals or a 4-D array of images, channel first.
        y : array-like of shape {y_shape}
            {y_doc}
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss; equal weights if None.

        Returns
        -------
        self : object
            The fitted estimator.
        """

_X_DOC = """X : {array-like, sparse matrix} of shape (n_samples, n_features), \
or ndarray of shape (n_samples, channels, length) or \
(n_samples, channels, height, width)
            The samples, as for ``fit``."""


def _docstring(template):
    return template.replace("    {network_parameters}\n", NETWORK_DOCS + "\n\n")


class CNNClassifier(ClassifierMixin, BaseConvolutionalNetwork):
    """A convolutional neural network classifier for signals and images.

    Convolutions apply the same small filters at every position of a signal
    or an image, so that a pattern is recognised wherever it occurs. The
    network is ``len(filters)`` blocks ``Conv -> [BatchNorm] -> activation ->
    [pooling]``, a global pooling over positions (or a flattening), optional
    dense layers and a softmax output; it is trained on the cross-entropy by
    the same engine and with the same training parameters as
    :class:`~sklearn_deep.MLPClassifier`.

    ``X`` is a 2-D matrix of flat rows, as pipelines and scalers pass it,
    reshaped inside by ``input_shape``; 3-D and 4-D arrays are taken too. The
    defaults are a current recipe for small signals and images: three
    64-filter convolutions of width 5 with batch normalisation, global
    average and max pooling, random shifts of up to 4 positions, Adam with a
    learning rate decayed linearly from 1e-2 over 60 epochs. They reach about
    99% test accuracy on MNIST-1D, where the MLP reaches about 60%.

    Read more in the :ref:`User Guide <cnn>`.

    Parameters
    ----------
    {network_parameters}
    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    filters_ : list of ndarray
        The learned filters of each convolution layer (a property);
        ``filters_[0]`` has shape ``(n_filters, channels, kernel_size)`` for
        signals, ``(n_filters, channels, kernel_size, kernel_size)`` for
        images.

    input_shape_ : tuple of int
        The shape each sample is reshaped to.

    n_outputs_ : int
        The number of outputs of the network (``n_classes``).

    loss_ : float
        The training loss of the last epoch.

    best_loss_ : float or None
        The lowest training loss reached; None with early stopping.

    loss_curve_ : list of float
        The training loss of each epoch.

    validation_scores_ : list of float or None
        The validation score of each epoch with early stopping, else None.

    best_validation_score_ : float or None
        The best validation score with early stopping, else None.

    gradient_norms_ : ndarray of shape (n_epochs, n_weights)
        The mean gradient norm of each weight tensor in each epoch.

    history_ : skorch.history.History
        One row per epoch: ``train_loss``, ``valid_score``,
        ``learning_rate``, ``best``, ``dur``.

    n_iter_ : int
        The number of epochs run.

    t_ : int
        The number of training samples seen.

    module_ : torch.nn.Module
        The trained network (a ``sklearn_deep.nn.ConvolutionalNetwork``).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    CNNRegressor : The same network for regression.
    MLPClassifier : A fully connected network, blind to the order of features.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_deep import CNNClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 20))
    >>> y = np.arange(60) % 2
    >>> X[y == 1, 8:11] += 3.0  # a bump in the signals of class 1
    >>> clf = CNNClassifier(filters=(8,), max_iter=100, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> clf.score(X, y) > 0.9
    True
    >>> clf.filters_[0].shape
    (8, 1, 5)
    """

    __doc__ = _docstring(__doc__)
    _fitted_attributes = (*BaseConvolutionalNetwork._fitted_attributes, "classes_")

    def __init__(
        self,
        input_shape=None,
        filters=(64, 64, 64),
        kernel_size=5,
        *,
        strides=1,
        padding="same",
        pooling=None,
        pool_size=2,
        global_pooling="avg_max",
        hidden_layer_sizes=(),
        activation="relu",
        batch_norm=True,
        dropout=0.0,
        max_shift=4,
        solver="adam",
        alpha=0.0001,
        alpha_l1=0.0,
        batch_size="auto",
        learning_rate="linear",
        learning_rate_init=0.01,
        learning_rate_final=None,
        decay_epochs=None,
        power_t=0.5,
        max_iter=60,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        weight_averaging=None,
        max_fun=15000,
        scoring=None,
        precision="fp32",
        prediction_block_size="auto",
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        return self._fit(X, y, sample_weight=sample_weight)

    fit.__doc__ = _FIT_DOC.format(y_shape="(n_samples,)", y_doc="The class labels.")

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        {X}

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted classes, taken from ``classes_``.
        """
        proba = self._raw_output(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        {X}

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        return self._raw_output(X)

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        {X}

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    predict.__doc__ = predict.__doc__.replace("{X}", _X_DOC)
    predict_proba.__doc__ = predict_proba.__doc__.replace("{X}", _X_DOC)
    predict_log_proba.__doc__ = predict_log_proba.__doc__.replace("{X}", _X_DOC)

    # ------------------------------------------------------------------ hooks
    def _encode_target(self, y, first_call):
        check_classification_targets(y)
        if first_call:
            classes = np.unique(y)
            if len(classes) < 2:
                raise ValueError(
                    "The classifier needs samples of at least 2 classes in the "
                    f"data, but the data contains only one class: {classes[0]!r}."
                )
            self.classes_ = classes
            self.n_outputs_ = len(classes)
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if len(unseen):
            raise ValueError(
                f"`y` has classes not in `self.classes_` {list(self.classes_)}: "
                f"{list(unseen)}; warm_start needs the classes of the first fit."
            )
        return np.searchsorted(self.classes_, y)

    def _loss_name(self):
        return "cross_entropy"

    def _target_dtype(self, dtype):
        return torch.long

    def _stratify(self, y):
        return y

    def _activate(self, output):
        return torch.softmax(output, dim=1)

    def _validation_metric(self, y_true, output, sample_weight):
        return accuracy_score(
            y_true,
            self.classes_[np.argmax(output, axis=1)],
            sample_weight=sample_weight,
        )

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        classes = check_fitted_classes(self)
        if self.n_outputs_ != len(classes):
            raise ValueError(
                f"A model of {len(classes)} classes has {len(classes)} outputs, "
                f"not n_outputs_={self.n_outputs_}."
            )


class CNNRegressor(RegressorMixin, BaseConvolutionalNetwork):
    """A convolutional neural network regressor for signals and images.

    The network of :class:`CNNClassifier` with a linear output, trained on
    half the mean squared error; one or several outputs.

    Read more in the :ref:`User Guide <cnn>`.

    Parameters
    ----------
    {network_parameters}
    {training_parameters}

    Attributes
    ----------
    filters_ : list of ndarray
        The learned filters of each convolution layer (a property), as for
        :class:`CNNClassifier`.

    input_shape_ : tuple of int
        The shape each sample is reshaped to.

    n_outputs_ : int
        The number of outputs.

    loss_ : float
        The training loss of the last epoch.

    best_loss_ : float or None
        The lowest training loss reached; None with early stopping.

    loss_curve_ : list of float
        The training loss of each epoch.

    validation_scores_ : list of float or None
        The validation score (R^2) of each epoch with early stopping, else
        None.

    best_validation_score_ : float or None
        The best validation score with early stopping, else None.

    gradient_norms_ : ndarray of shape (n_epochs, n_weights)
        The mean gradient norm of each weight tensor in each epoch.

    history_ : skorch.history.History
        One row per epoch: ``train_loss``, ``valid_score``,
        ``learning_rate``, ``best``, ``dur``.

    n_iter_ : int
        The number of epochs run.

    t_ : int
        The number of training samples seen.

    module_ : torch.nn.Module
        The trained network (a ``sklearn_deep.nn.ConvolutionalNetwork``).

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    CNNClassifier : The same network for classification.
    MLPRegressor : A fully connected network, blind to the order of features.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_deep import CNNRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = 0.1 * rng.normal(size=(100, 16))
    >>> y = rng.uniform(1, 3, size=100)
    >>> for row, start, height in zip(X, rng.randint(0, 13, size=100), y):
    ...     row[start:start + 3] += height  # a bump of height y, anywhere
    >>> reg = CNNRegressor(filters=(8,), max_iter=50, random_state=0,
    ...                    device="cpu").fit(X, y)
    >>> reg.score(X, y) > 0.8
    True
    """

    __doc__ = _docstring(__doc__)
    _fitted_attributes = (
        *BaseConvolutionalNetwork._fitted_attributes,
        "_single_output",
    )

    def __init__(
        self,
        input_shape=None,
        filters=(64, 64, 64),
        kernel_size=5,
        *,
        strides=1,
        padding="same",
        pooling=None,
        pool_size=2,
        global_pooling="avg_max",
        hidden_layer_sizes=(),
        activation="relu",
        batch_norm=True,
        dropout=0.0,
        max_shift=4,
        solver="adam",
        alpha=0.0001,
        alpha_l1=0.0,
        batch_size="auto",
        learning_rate="linear",
        learning_rate_init=0.01,
        learning_rate_final=None,
        decay_epochs=None,
        power_t=0.5,
        max_iter=60,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        weight_averaging=None,
        max_fun=15000,
        scoring=None,
        precision="fp32",
        prediction_block_size="auto",
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        return self._fit(X, y, sample_weight=sample_weight)

    fit.__doc__ = _FIT_DOC.format(
        y_shape="(n_samples,) or (n_samples, n_outputs)", y_doc="The target values."
    )

    def predict(self, X):
        """Predict using the convolutional network.

        Parameters
        ----------
        {X}

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        output = self._raw_output(X)
        return output.ravel() if self._single_output else output

    predict.__doc__ = predict.__doc__.replace("{X}", _X_DOC)

    def _validate_y_kwargs(self):
        return {"multi_output": True, "y_numeric": True}

    def _encode_target(self, y, first_call):
        single = y.ndim == 1
        y = y.reshape(-1, 1) if single else y
        # validate_data only converts an object y; strings and values beyond
        # the network's dtype are found here, in scikit-learn's words.
        dtype = np.float32 if self.dtype == "float32" else np.float64
        if y.dtype.kind in "US":
            y = y.astype(object)
        with np.errstate(over="ignore"):
            y = check_array(y, ensure_2d=False, dtype=dtype, input_name="y")
        if first_call:
            self.n_outputs_ = y.shape[1]
            self._single_output = single
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but the model was fitted with "
                f"{self.n_outputs_}."
            )
        return y

    def _loss_name(self):
        return "squared_error"

    def _activate(self, output):
        return output

    def _validation_metric(self, y_true, output, sample_weight):
        if y_true.ndim == 1:
            output = output.ravel()
        return r2_score(y_true, output, sample_weight=sample_weight)

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        if not isinstance(getattr(self, "_single_output", None), bool):
            raise ValueError("_single_output must be a bool.")
        if self._single_output and self.n_outputs_ != 1:
            raise ValueError(
                f"A single-output model has 1 output, not {self.n_outputs_}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
