"""scikit-learn estimators backed by PyTorch networks."""

from sklearn_deep.neural_network import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
