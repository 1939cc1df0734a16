"""scikit-learn estimators backed by PyTorch networks."""

from sklearn_deep._persistence import load, save
from sklearn_deep.convolutional import CNNClassifier, CNNRegressor
from sklearn_deep.exceptions import ModelFormatError
from sklearn_deep.generative import GAN
from sklearn_deep.graph import GCNClassifier
from sklearn_deep.neural_network import Autoencoder, MLPClassifier, MLPRegressor
from sklearn_deep.sequence import LSTMTagger, TransformerTagger
from sklearn_deep.wrappers import TorchClassifier, TorchRegressor

__version__ = "0.1.0"

__all__ = [
    "Autoencoder",
    "CNNClassifier",
    "CNNRegressor",
    "GAN",
    "GCNClassifier",
    "LSTMTagger",
    "MLPClassifier",
    "MLPRegressor",
    "ModelFormatError",
    "TorchClassifier",
    "TorchRegressor",
    "TransformerTagger",
    "__version__",
    "load",
    "save",
]


def __getattr__(name):
    # to_onnx is imported on first use: importing sklearn_deep must not import
    # skl2onnx and onnx, which the optional "onnx" extra installs. It stays out
    # of __all__, which all_estimators() walks with getattr.
    if name == "to_onnx":
        from sklearn_deep.onnx import to_onnx

        return to_onnx
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
