"""Checks of fitted attributes restored from a file, before a network is built.

``sklearn_deep.load`` sets an estimator's fitted attributes from a file it does
not trust; each estimator's ``_check_fitted_state`` uses these to refuse values
that prediction could not work with or that would make building the network
cost more than the file holds.
"""

import numpy as np


def check_fitted_count(estimator, name, *, minimum=1, maximum=None):
    """The fitted attribute ``name``: an int in ``[minimum, maximum]``."""
    value = getattr(estimator, name, None)
    if (
        not isinstance(value, (int, np.integer))
        or isinstance(value, (bool, np.bool_))
        or value < minimum
        or (maximum is not None and value > maximum)
    ):
        bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{name} must be an int {bounds}, got {value!r}.")
    return int(value)


def check_fitted_classes(estimator, *, minimum=2):
    """``classes_``: a 1-D array of at least ``minimum`` distinct labels."""
    classes = getattr(estimator, "classes_", None)
    if not isinstance(classes, np.ndarray) or classes.ndim != 1:
        raise ValueError(f"classes_ must be a 1-D array, got {type(classes).__name__}.")
    if len(classes) < minimum or len(np.unique(classes)) != len(classes):
        raise ValueError(
            f"classes_ must hold at least {minimum} distinct labels, got "
            f"{len(classes)} labels of which {len(np.unique(classes))} distinct."
        )
    return classes


def check_feature_names(estimator):
    """``feature_names_in_``, when set: one string per input feature."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return
    if (
        not isinstance(names, np.ndarray)
        or names.ndim != 1
        or len(names) != estimator.n_features_in_
        or not all(isinstance(name, str) for name in names)
    ):
        raise ValueError("feature_names_in_ must hold one name per input feature.")


def check_layer_count(n_layers, n_weights):
    """Refuse more layers than the file holds weight tensors for."""
    if n_layers > n_weights:
        raise ValueError(
            f"the parameters make {n_layers} layers but the file holds "
            f"{n_weights} network tensors."
        )
