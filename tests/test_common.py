"""scikit-learn's estimator checks on every tabular estimator of sklearn_deep."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_deep.utils.estimator_checks import (
    expected_failed_checks,
    tabular_estimators_for_checks,
)


@parametrize_with_checks(
    tabular_estimators_for_checks(), expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
