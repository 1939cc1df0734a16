"""The one place that imports scikit-learn's private API.

scikit-learn's parameter validation, ``_fit_context`` and a few checks are not
public yet; importing them here keeps any future move a one-file change.
"""

from sklearn.base import _fit_context
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._param_validation import (
    HasMethods,
    Hidden,
    Interval,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight, validate_data

__all__ = [
    "HasMethods",
    "Hidden",
    "Interval",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "check_matplotlib_support",
    "validate_data",
    "validate_params",
]
