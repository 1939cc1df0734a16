"""TorchRegressor: a user's PyTorch network as a scikit-learn regressor."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.validation import check_array

from sklearn_deep.base import store_parameters
from sklearn_deep.utils._sklearn_compat import StrOptions, _fit_context
from sklearn_deep.wrappers._base import BaseTorchEstimator
from sklearn_deep.wrappers._criteria import REGRESSOR_CRITERIA
from sklearn_deep.wrappers._docs import (
    KEEP_INTEGER_X,
    MODULE_PARAMETERS,
    SHARED_ATTRIBUTES,
)


class TorchRegressor(RegressorMixin, BaseTorchEstimator):
    __doc__ = (
        """A regressor around any PyTorch network, trained by sklearn_deep's engine.

    Bring a ``torch.nn.Module`` that maps a batch of X to one value per
    output; everything else is the engine the MLPs train with: every solver,
    schedule, penalty, early stopping, weight averaging, device, dtype and
    thread option of :class:`MLPRegressor`, ``partial_fit``, ``warm_start``
    and scikit-learn's callbacks. X is a numeric array of any rank (rows are
    samples) or a dict of such arrays, passed to ``forward`` as keywords.

    Parameters
    ----------
"""
        + MODULE_PARAMETERS
        + """    criterion : {"squared_error", "poisson"} or callable, \
default="squared_error"
        The loss on the network's raw outputs: half the squared error (the
        MLPs' default), or half the Poisson deviance of ``exp(output)`` (for
        counts; predictions are then ``exp(output)``). A torch loss (class or
        instance, e.g. ``torch.nn.HuberLoss(delta=2.0)``) or a function
        ``criterion(output, target)`` gets the float targets of shape
        ``(n_samples, n_outputs)``; such a criterion takes no
        ``sample_weight``.
"""
        + KEEP_INTEGER_X
        + """    {training_parameters}

    Attributes
    ----------
    out_activation_ : str
        "identity", or "exp" for the Poisson criterion.
"""
        + SHARED_ATTRIBUTES
        + """
    See Also
    --------
    TorchClassifier : The same for classification.
    MLPRegressor : A multi-layer perceptron without writing a network.

    Notes
    -----
    The network must return a float tensor of shape ``(n_samples,
    n_outputs)``, ``n_outputs`` being 1 for a 1-D y. A wrong shape fails at
    the start of fit with a message naming the expected one.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_deep import TorchRegressor
    >>> class Net(torch.nn.Module):
    ...     def __init__(self, n_features, n_outputs, width=32):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(
    ...             torch.nn.Linear(n_features, width), torch.nn.Tanh(),
    ...             torch.nn.Linear(width, n_outputs))
    ...     def forward(self, X):
    ...         return self.layers(X)
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> reg = TorchRegressor(Net, max_iter=100, learning_rate_init=0.02,
    ...                      random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> round(reg.score(X, y), 2) >= 0.95
    True
"""
    )

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "criterion": [StrOptions(set(REGRESSOR_CRITERIA)), callable],
    }
    _y_numeric = True
    _output_description = "n_outputs"

    def __init__(
        self,
        module=None,
        *,
        module_params=None,
        criterion="squared_error",
        keep_integer_X=False,
        solver="adam",
        alpha=0.0001,
        alpha_l1=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        learning_rate_final=None,
        decay_epochs=None,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        weight_averaging=None,
        max_fun=15000,
        clip_grad_norm=None,
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
        """Fit the network to X and the target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data: a numeric array of any rank, rows are samples, or
            a dict of arrays passed to the network's ``forward`` as keywords.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (built-in criteria only).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over the given data.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict with the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data, laid out as at fit.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values (1-D when the network has one output).
        """
        output = self._raw_output(X)
        return output.ravel() if output.shape[1] == 1 else output

    # ------------------------------------------------------------------ hooks
    def _encode_target(self, y, first_call):
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        dtype = np.float32 if self.dtype == "float32" else np.float64
        if y.dtype.kind in "US":
            y = y.astype(object)  # numpy's message then quotes the bare string
        with np.errstate(over="ignore"):
            y = check_array(y, ensure_2d=False, dtype=dtype, input_name="y")
        if self.criterion == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        if first_call:
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "exp" if self.criterion == "poisson" else "identity"
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but the model was fitted with "
                f"{self.n_outputs_}."
            )
        return y, "f"

    def _data_shapes(self):
        return {"n_outputs": self.n_outputs_, "n_classes": None}

    def _activate(self, output):
        return output.exp() if self.out_activation_ == "exp" else output

    def _metric(self, y_true, output, sample_weight):
        if y_true.ndim == 1:
            output = output.ravel()
        return r2_score(y_true, output, sample_weight=sample_weight)

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        activation = "exp" if self.criterion == "poisson" else "identity"
        if self.out_activation_ != activation:
            raise ValueError(
                f"criterion={self.criterion!r} has out_activation_={activation!r}, "
                f"not {self.out_activation_!r}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
