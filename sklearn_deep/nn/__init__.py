"""Plain ``torch.nn.Module`` networks used by the estimators (no scikit-learn here)."""

from sklearn_deep.nn._activations import ACTIVATIONS, make_activation
from sklearn_deep.nn._init import WEIGHT_INITS, initialize_linear
from sklearn_deep.nn._mlp import MultilayerPerceptron

__all__ = [
    "ACTIVATIONS",
    "WEIGHT_INITS",
    "MultilayerPerceptron",
    "initialize_linear",
    "make_activation",
]
