"""scikit-learn estimators backed by PyTorch networks."""

from sklearn_deep._persistence import load, save
from sklearn_deep.exceptions import ModelFormatError
from sklearn_deep.graph import GCNClassifier
from sklearn_deep.neural_network import Autoencoder, MLPClassifier, MLPRegressor
from sklearn_deep.sequence import LSTMTagger

__version__ = "0.1.0"

__all__ = [
    "Autoencoder",
    "GCNClassifier",
    "LSTMTagger",
    "MLPClassifier",
    "MLPRegressor",
    "ModelFormatError",
    "__version__",
    "load",
    "save",
]
