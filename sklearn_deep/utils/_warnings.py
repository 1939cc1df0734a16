"""Warnings attributed to the caller's code rather than to internal modules."""

import sys
import warnings

# Modules whose frames a warning of the engine skips: the engine itself and
# the estimator base, so that the warning names the estimator's module (a
# user's filter on ``module="sklearn_deep.graph"`` keeps working).
INTERNAL_MODULES = ("sklearn_deep._training", "sklearn_deep.base", "sklearn_deep.utils")


def warn_from_caller(message, category, internal=INTERNAL_MODULES):
    """``warnings.warn`` with the first frame outside ``internal`` as its origin."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith(
        internal
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
