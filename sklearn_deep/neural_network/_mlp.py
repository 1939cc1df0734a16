"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from sklearn_deep.base import store_parameters
from sklearn_deep.neural_network._base import BaseMultilayerPerceptron
from sklearn_deep.neural_network._docs import mlp_docstring
from sklearn_deep.utils._fitted_checks import check_fitted_classes
from sklearn_deep.utils._sklearn_compat import (
    StrOptions,
    _check_partial_fit_first_call,
    _fit_context,
)


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    __doc__ = mlp_docstring("classifier")

    _parameter_constraints = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _fitted_attributes = (
        *BaseMultilayerPerceptron._fitted_attributes,
        "classes_",
        "_target_type",
    )

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        scoring=None,
        weight_init="glorot_uniform",
        sparse_init_density=0.1,
        batch_norm=False,
        dropout=0.0,
        init=None,
        freeze_init_epochs=0,
        class_weight=None,
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
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The class labels, or a 0/1 indicator matrix for multilabel targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss; equal weights if None.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        classes : array of shape (n_classes,), default=None
            All the classes that ``y`` may hold across calls. Required on the
            first call; a later call may repeat them, but not change them.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit: the "
                "class frequencies of later batches are unknown. Pass a dict."
            )
        self._check_partial_fit_early_stopping()
        return self._fit(
            X, y, sample_weight=sample_weight, incremental=True, classes=classes
        )

    def predict(self, X):
        """Predict class labels (or a label indicator matrix for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes, taken from ``classes_``.
        """
        proba = self._raw_output(X)
        if self._target_type == "multiclass":
            return self.classes_[np.argmax(proba, axis=1)]
        if self._target_type == "binary":
            return self.classes_[(proba[:, 0] > 0.5).astype(int)]
        return (proba > 0.5).astype(int)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        proba = self._raw_output(X)
        if self._target_type == "binary":
            return np.hstack([1 - proba, proba])
        return proba

    def predict_log_proba(self, X):
        """Logarithm of the probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ------------------------------------------------------------------ hooks
    def _set_partial_fit_classes(self, classes):
        if classes is None and not hasattr(self, "classes_"):
            raise ValueError("classes must be passed on the first call to partial_fit.")
        # On later calls, checks that classes (when given) are the first call's.
        _check_partial_fit_first_call(self, classes)

    def _check_warm_start_target(self, y):
        if self._target_type == "multilabel":
            return
        classes = np.unique(column_or_1d(y) if y.ndim == 2 else y)
        if set(classes) != set(self.classes_):
            # scikit-learn's rule and words: a warm-started fit trains the same
            # output units, so its y must have exactly the fitted classes.
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as "
                f"in the previous call to fit. Previously got {self.classes_}, "
                f"`y` has {classes}"
            )

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
        if first_call:
            binarizer = LabelBinarizer()
            if target_type == "multilabel-indicator" or not hasattr(self, "classes_"):
                binarizer.fit(y)
            else:
                binarizer.fit(self.classes_)  # classes given to partial_fit
            classes = binarizer.classes_
            if len(classes) < 2:
                raise ValueError(
                    "The classifier needs samples of at least 2 classes in the "
                    "data, but the data contains only one class: "
                    f"{classes.tolist()[0]!r}."
                )
            if target_type != "multilabel-indicator":
                _check_labels_in_classes(y, classes)
            self.classes_ = classes
            self._target_type = binarizer.y_type_
            if self._target_type == "multilabel-indicator":
                self._target_type = "multilabel"
            self.n_outputs_ = 1 if self._target_type == "binary" else len(classes)
            self.out_activation_ = (
                "softmax" if self._target_type == "multiclass" else "logistic"
            )
        elif self._target_type == "multilabel":
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(
                    f"y has {y.shape[1] if y.ndim == 2 else 1} label columns, but "
                    f"the model was fitted with {len(self.classes_)}."
                )
        else:
            _check_labels_in_classes(y, self.classes_)
        if self._target_type == "multiclass":
            return np.searchsorted(self.classes_, y), "cross_entropy"
        if self._target_type == "binary":
            return (y == self.classes_[1]).reshape(-1, 1), "binary_cross_entropy"
        return np.asarray(y), "binary_cross_entropy"

    def _target_dtype(self, dtype):
        return torch.long if self._target_type == "multiclass" else dtype

    def _class_sample_weight(self, y):
        if self.class_weight is None:
            return None
        if self._target_type == "multilabel":
            raise ValueError("class_weight is not supported for multilabel targets.")
        y = column_or_1d(y) if y.ndim == 2 else y
        weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
        return weights[np.searchsorted(self.classes_, y)]

    def _stratify_validation(self, y):
        return self._target_type != "multilabel"

    def _activate(self, output):
        if self._target_type == "multiclass":
            return torch.softmax(output, dim=1)
        return torch.sigmoid(output)

    def _validation_metric(self, y_true, output, sample_weight):
        return accuracy_score(
            y_true, self._proba_to_labels(output), sample_weight=sample_weight
        )

    def _proba_to_labels(self, proba):
        if self._target_type == "multiclass":
            return self.classes_[np.argmax(proba, axis=1)]
        if self._target_type == "binary":
            return self.classes_[(proba[:, 0] > 0.5).astype(int)]
        return (proba > 0.5).astype(int)

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        classes = check_fitted_classes(self)
        # The outputs and their activation of each kind of target: the
        # network's output layer is then checked against n_outputs_.
        outputs = {
            "binary": (1, "logistic"),
            "multiclass": (len(classes), "softmax"),
            "multilabel": (len(classes), "logistic"),
        }
        target_type = getattr(self, "_target_type", None)
        if not isinstance(target_type, str) or target_type not in outputs:
            raise ValueError(f"Unknown target type {target_type!r}.")
        if target_type == "binary" and len(classes) != 2:
            raise ValueError(f"A binary model has 2 classes, not {len(classes)}.")
        n_outputs, activation = outputs[target_type]
        if (self.n_outputs_, self.out_activation_) != (n_outputs, activation):
            raise ValueError(
                f"A {target_type} model of {len(classes)} classes has "
                f"n_outputs_={n_outputs} and out_activation_={activation!r}, not "
                f"{self.n_outputs_} and {self.out_activation_!r}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


def _check_labels_in_classes(y, classes):
    unseen = np.setdiff1d(np.unique(y), classes)
    if len(unseen):
        raise ValueError(
            f"`y` has classes not in `self.classes_` {classes.tolist()}: "
            f"{unseen.tolist()}. partial_fit needs every class in `classes` on its "
            "first call, and warm_start the classes of the first fit."
        )


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    __doc__ = mlp_docstring("regressor")

    _parameter_constraints = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        scoring=None,
        weight_init="glorot_uniform",
        sparse_init_density=0.1,
        batch_norm=False,
        dropout=0.0,
        init=None,
        freeze_init_epochs=0,
        precision="fp32",
        prediction_block_size="auto",
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the loss; equal weights if None.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
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
        self._check_partial_fit_early_stopping()
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the multilayer perceptron.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        output = self._raw_output(X)
        return output.ravel() if output.shape[1] == 1 else output

    def _set_partial_fit_classes(self, classes):
        pass

    def _encode_target(self, y, first_call):
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        # validate_data converts only an object y to float, and checks it
        # before that conversion turns None into NaN: a y of strings, and the
        # NaN, are found here, in the network's dtype (where values beyond its
        # range would be infinite), in scikit-learn's words.
        dtype = np.float32 if self.dtype == "float32" else np.float64
        if y.dtype.kind in "US":
            y = y.astype(object)  # numpy's message then quotes the bare string
        with np.errstate(over="ignore"):
            y = check_array(y, ensure_2d=False, dtype=dtype, input_name="y")
        if self.loss == "poisson" and np.any(y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        if first_call:
            self.n_outputs_ = y.shape[1]
            self.out_activation_ = "exp" if self.loss == "poisson" else "identity"
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} outputs, but the model was fitted with "
                f"{self.n_outputs_}."
            )
        return y, self.loss

    def _activate(self, output):
        return output.exp() if self.out_activation_ == "exp" else output

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        activation = "exp" if self.loss == "poisson" else "identity"
        if self.out_activation_ != activation:
            raise ValueError(
                f"loss={self.loss!r} has out_activation_={activation!r}, not "
                f"{self.out_activation_!r}."
            )

    def _validation_metric(self, y_true, output, sample_weight):
        if y_true.ndim == 1:
            output = output.ravel()
        return r2_score(y_true, output, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
