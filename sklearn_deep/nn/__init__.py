"""Plain ``torch.nn.Module`` networks used by the estimators (no scikit-learn here)."""

from sklearn_deep.nn._activations import ACTIVATIONS, make_activation
from sklearn_deep.nn._autoencoder import NOISE_TYPES, AutoencoderNetwork
from sklearn_deep.nn._gcn import (
    GraphConvolution,
    GraphConvolutionalNetwork,
    normalize_adjacency,
)
from sklearn_deep.nn._init import WEIGHT_INITS, initialize_linear
from sklearn_deep.nn._mlp import MultilayerPerceptron
from sklearn_deep.nn._recurrent import PaddedLSTM
from sklearn_deep.nn._tagger import (
    CharCNN,
    CharLSTM,
    LinearChainCRF,
    SequenceTagger,
)

__all__ = [
    "ACTIVATIONS",
    "NOISE_TYPES",
    "WEIGHT_INITS",
    "AutoencoderNetwork",
    "CharCNN",
    "CharLSTM",
    "GraphConvolution",
    "GraphConvolutionalNetwork",
    "LinearChainCRF",
    "MultilayerPerceptron",
    "PaddedLSTM",
    "SequenceTagger",
    "initialize_linear",
    "make_activation",
    "normalize_adjacency",
]
