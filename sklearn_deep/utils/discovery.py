"""Discovery of the public estimators of sklearn_deep."""

import inspect

from sklearn.base import BaseEstimator


def all_estimators():
    """Return every public estimator class of sklearn_deep.

    Returns
    -------
    estimators : list of (name, class) tuples
        Sorted by name, as :func:`sklearn.utils.discovery.all_estimators` does.

    Examples
    --------
    >>> from sklearn_deep.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> {"MLPClassifier", "MLPRegressor"} <= set(names)
    True
    """
    import sklearn_deep

    estimators = {
        name: obj
        for name in sklearn_deep.__all__
        if inspect.isclass(obj := getattr(sklearn_deep, name))
        and issubclass(obj, BaseEstimator)
    }
    return sorted(estimators.items())
