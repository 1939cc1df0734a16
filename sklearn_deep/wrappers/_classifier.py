"""TorchClassifier: a user's PyTorch network as a scikit-learn classifier."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from sklearn_deep.base import store_parameters
from sklearn_deep.utils._fitted_checks import check_fitted_classes
from sklearn_deep.utils._sklearn_compat import (
    StrOptions,
    _check_partial_fit_first_call,
    _fit_context,
)
from sklearn_deep.wrappers._base import BaseTorchEstimator
from sklearn_deep.wrappers._criteria import CLASSIFIER_CRITERIA, is_sigmoid_type
from sklearn_deep.wrappers._docs import (
    KEEP_INTEGER_X,
    MODULE_PARAMETERS,
    SHARED_ATTRIBUTES,
)


class TorchClassifier(ClassifierMixin, BaseTorchEstimator):
    __doc__ = (
        """A classifier around any PyTorch network, trained by sklearn_deep's engine.

    Bring a ``torch.nn.Module`` that maps a batch of X to one logit per class;
    everything else is the engine the MLPs train with: every solver, schedule,
    penalty, early stopping, weight averaging, device, dtype and thread option
    of :class:`MLPClassifier`, ``partial_fit``, ``warm_start`` and
    scikit-learn's callbacks. X is a numeric array of any rank (rows are
    samples) or a dict of such arrays, passed to ``forward`` as keywords.

    Parameters
    ----------
"""
        + MODULE_PARAMETERS
        + """    criterion : {"cross_entropy", "binary_cross_entropy"}, callable or \
None, default=None
        The loss on the network's raw outputs. None is the MLPs' choice:
        softmax cross-entropy for one label per sample, binary cross-entropy
        (sigmoid) for multilabel 0/1 indicator targets. "binary_cross_entropy"
        treats each class as its own binary problem for any target. A torch
        loss (class or instance, e.g. ``torch.nn.CrossEntropyLoss(
        label_smoothing=0.1)``) or a function ``criterion(output, target)``
        gets class indices, or 0/1 indicators for multilabel targets and for
        ``torch.nn.BCEWithLogitsLoss``; such a criterion takes no
        ``sample_weight``.
"""
        + KEEP_INTEGER_X
        + """    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (``arange(n_labels)`` for multilabel targets).
    out_activation_ : str
        "softmax", or "logistic" for sigmoid-type criteria and multilabel
        targets: what ``predict_proba`` applies to the network's outputs.
"""
        + SHARED_ATTRIBUTES
        + """
    See Also
    --------
    TorchRegressor : The same for regression.
    MLPClassifier : A multi-layer perceptron without writing a network.

    Notes
    -----
    The network must return a float tensor of shape ``(n_samples,
    n_classes)``: two columns for a binary problem. A wrong shape fails at
    the start of fit with a message naming the expected one.

    Examples
    --------
    >>> import torch
    >>> from sklearn.datasets import make_moons
    >>> from sklearn_deep import TorchClassifier
    >>> class Net(torch.nn.Module):
    ...     def __init__(self, n_features, n_classes, width=16):
    ...         super().__init__()
    ...         self.layers = torch.nn.Sequential(
    ...             torch.nn.Linear(n_features, width), torch.nn.ReLU(),
    ...             torch.nn.Linear(width, n_classes))
    ...     def forward(self, X):
    ...         return self.layers(X)
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> clf = TorchClassifier(Net, module_params={"width": 32}, max_iter=100,
    ...                       learning_rate_init=0.02, random_state=0).fit(X, y)
    >>> clf.module_params_
    {'width': 32, 'n_features': 2, 'n_classes': 2}
    >>> round(clf.score(X, y), 2) >= 0.95
    True
    >>> clf.set_params(module__width=8).get_params()["module__width"]
    8
"""
    )

    _parameter_constraints = {
        **BaseTorchEstimator._parameter_constraints,
        "criterion": [None, StrOptions(set(CLASSIFIER_CRITERIA)), callable],
    }
    _fitted_attributes = (
        *BaseTorchEstimator._fitted_attributes,
        "classes_",
        "_target_type",
    )
    _y_numeric = False
    _output_description = "n_classes"

    def __init__(
        self,
        module=None,
        *,
        module_params=None,
        criterion=None,
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

    # ------------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to X and the class labels y.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data: a numeric array of any rank, rows are samples, or
            a dict of arrays passed to the network's ``forward`` as keywords.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss (built-in criteria only).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the network with one epoch over the given data.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            The class labels.
        classes : array of shape (n_classes,), default=None
            Every class ``y`` may hold across calls. Required on the first
            call (except for multilabel targets), ignored later.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=True, classes=classes
        )

    def predict(self, X):
        """Predict class labels (a 0/1 indicator matrix for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data, laid out as at fit.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes, taken from ``classes_``.
        """
        proba = self._raw_output(X)
        if self._target_type == "multilabel":
            return (proba > 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_proba(self, X):
        """Probability estimates: the softmax (or sigmoid) of the outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data, laid out as at fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``. With
            a sigmoid-type criterion on single-label targets the sigmoids are
            normalised to sum to one; for multilabel targets each column is
            its label's own probability.
        """
        proba = self._raw_output(X)
        if self._target_type != "multilabel" and self.out_activation_ == "logistic":
            total = proba.sum(axis=1, keepdims=True)
            proba = np.divide(
                proba,
                total,
                out=np.full_like(proba, 1 / proba.shape[1]),
                where=total > 0,
            )
        return proba

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...) or dict of such arrays
            The input data, laid out as at fit.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ------------------------------------------------------------------ hooks
    def _criterion(self):
        if self.criterion is not None:
            return self.criterion
        if self._target_type == "multilabel":
            return "binary_cross_entropy"
        return "cross_entropy"

    def _set_partial_fit_classes(self, classes):
        if classes is None and not hasattr(self, "classes_"):
            # Multilabel targets name their labels by their columns.
            self._partial_fit_classes = None
            return
        _check_partial_fit_first_call(self, classes)

    def _encode_target(self, y, first_call):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type == "multiclass-multioutput":
            raise ValueError(
                "Multi-output targets with more than two values per output are "
                "not supported; use a multilabel 0/1 indicator matrix instead."
            )
        multilabel = target_type == "multilabel-indicator"
        if first_call:
            if multilabel:
                classes = np.arange(y.shape[1])
            elif hasattr(self, "classes_"):
                classes = self.classes_  # given to partial_fit
            elif getattr(self, "_partial_fit_classes", 0) is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
            else:
                classes = np.unique(y)
            if len(classes) < 2:
                raise ValueError(
                    "The classifier needs samples of at least 2 classes in the "
                    f"data, but the data contains only one class: {classes[0]!r}."
                )
            self.classes_ = classes
            self._target_type = "multilabel" if multilabel else "multiclass"
            self.n_outputs_ = len(classes)
            criterion = self._criterion()
            if multilabel and criterion == "cross_entropy":
                raise ValueError(
                    "criterion='cross_entropy' gives one label per sample; a "
                    "multilabel target needs 'binary_cross_entropy' (the default)."
                )
            sigmoid = multilabel or is_sigmoid_type(criterion)
            self.out_activation_ = "logistic" if sigmoid else "softmax"
        elif multilabel != (self._target_type == "multilabel") or (
            multilabel and y.shape[1] != len(self.classes_)
        ):
            raise ValueError(
                "y does not have the kind of target (labels, or a multilabel "
                f"indicator of {len(self.classes_)} columns) the model was fitted on."
            )
        self.__dict__.pop("_partial_fit_classes", None)
        if multilabel:
            return np.asarray(y), "f"
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if len(unseen):
            raise ValueError(
                f"`y` has classes not in `self.classes_` {list(self.classes_)}: "
                f"{list(unseen)}. partial_fit needs every class in `classes` on "
                "its first call, and warm_start the classes of the first fit."
            )
        indices = np.searchsorted(self.classes_, y)
        if is_sigmoid_type(self._criterion()):
            return np.eye(len(self.classes_))[indices], "f"
        return indices, "i"

    def _data_shapes(self):
        return {"n_classes": len(self.classes_), "n_outputs": len(self.classes_)}

    def _stratify(self, y):
        return None if self._target_type == "multilabel" else y

    def _activate(self, output):
        if self.out_activation_ == "softmax":
            return torch.softmax(output, dim=1)
        return torch.sigmoid(output)

    def _metric(self, y_true, proba, sample_weight):
        if self._target_type == "multilabel":
            predicted = (proba > 0.5).astype(int)
        else:
            predicted = self.classes_[np.argmax(proba, axis=1)]
        return accuracy_score(y_true, predicted, sample_weight=sample_weight)

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        classes = check_fitted_classes(self)
        if self._target_type not in ("multiclass", "multilabel"):
            raise ValueError(f"Unknown target type {self._target_type!r}.")
        if self.n_outputs_ != len(classes):
            raise ValueError(
                f"n_outputs_={self.n_outputs_} but there are {len(classes)} classes."
            )
        if self.out_activation_ not in ("softmax", "logistic"):
            raise ValueError(f"Unknown out_activation_ {self.out_activation_!r}.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
