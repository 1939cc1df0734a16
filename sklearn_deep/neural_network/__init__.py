"""Estimators for tabular data: multilayer perceptrons."""

from sklearn_deep.neural_network._mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
