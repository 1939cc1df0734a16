"""Test tiers: ``python -m pytest -m "not slow"`` is the quick tier.

``python -m pytest`` runs everything (what CI runs). The quick tier is for the
edit-test loop: it must stay under a minute on two cores (about 15 s of CPU
time now) and still fit, predict, pickle and refuse bad input with every
estimator. Tests are marked ``slow`` here by rule rather than one by one, so
that the tests of a new estimator land in a tier by themselves:

- every estimator is in the quick tier through the modules that enumerate the
  estimators (``test_base.py``, ``test_bad_input.py``, the round trips of
  ``test_persistence.py``) and through scikit-learn's common checks
  (``test_common.py``), of which each estimator keeps the ``QUICK_CHECKS`` in
  its default precision;
- the other modules in ``QUICK_MODULES`` test small units and are quick, but
  for the few tests in ``SLOW_TESTS`` (over a second each); of the modules in
  ``QUICK_ONLY``, only the tests named there are quick;
- every other test module is slow: the families' behavioural tests (which
  train to a reference accuracy), the docs build, the examples, the
  benchmarks, process groups and clusters. A new test module is slow until it
  is added to ``QUICK_MODULES``;
- doctests are quick in ``QUICK_DOCTEST_FOLDERS`` only (the estimators' own
  examples train);
- any test can also be marked ``@pytest.mark.slow`` by hand.
"""

import pytest

QUICK_MODULES = {
    "test_bad_input.py",
    "test_base.py",
    "test_common.py",
    "test_datasets_planetoid.py",
    "test_display_labels.py",
    "test_faults.py",
    "test_fetchers.py",
    "test_generators.py",
    "test_inspection.py",
    "test_layering.py",
    "test_progress.py",
    "test_sequence_metrics.py",
    "test_targets.py",
    "test_utils.py",
    "test_weights.py",
}
# Modules of which only the named test functions are quick.
QUICK_ONLY = {
    "test_persistence.py": {
        "test_pickle_and_joblib_round_trip",
        "test_save_load_predicts_exactly_the_same",
    },
}
# "<module>::<test function>" of the quick modules' tests that take longer.
SLOW_TESTS = {
    "test_progress.py::test_not_verbose_prints_nothing_in_parallel_search",
    "test_weights.py::test_a_minibatch_of_zero_weight_is_skipped",
    "test_weights.py::test_minibatches_of_zero_weight_train",
}
# Of scikit-learn's checks: a fit, then predict with the wrong number of
# features; and the errors of an unfitted estimator.
QUICK_CHECKS = {"check_estimators_unfitted", "check_n_features_in"}
QUICK_DOCTEST_FOLDERS = {"datasets", "metrics", "nn", "utils"}


def _is_slow(item):
    if isinstance(item, pytest.DoctestItem):
        return item.path.parent.name not in QUICK_DOCTEST_FOLDERS
    module = item.path.name
    function = getattr(item, "originalname", item.name)
    if module in QUICK_ONLY:
        return function not in QUICK_ONLY[module]
    if module not in QUICK_MODULES:
        return True
    if f"{module}::{function}" in SLOW_TESTS:
        return True
    params = getattr(getattr(item, "callspec", None), "params", {})
    check, estimator = params.get("check"), params.get("estimator")
    if module == "test_common.py" and check is not None:
        name = getattr(check, "func", check).__name__
        precision = getattr(estimator, "dtype", "float32")
        return name not in QUICK_CHECKS or precision != "float32"
    return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
