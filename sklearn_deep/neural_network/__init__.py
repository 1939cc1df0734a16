"""Estimators for tabular data: multilayer perceptrons and autoencoders."""

from sklearn_deep.neural_network._autoencoder import Autoencoder
from sklearn_deep.neural_network._mlp import MLPClassifier, MLPRegressor

__all__ = ["Autoencoder", "MLPClassifier", "MLPRegressor"]
