"""Plain ``torch.nn.Module`` networks used by the estimators (no scikit-learn here).

Randomness: every network draws its initial weights in
``reset_parameters(generator)``, and its layers that draw random numbers in
training (``RandomDraws``: dropout, word dropout, input noise) draw from their
``generator`` attribute, which ``draw_from`` sets; torch's global generator
only when none is given.
"""

from sklearn_deep.nn._activations import ACTIVATIONS, make_activation
from sklearn_deep.nn._autoencoder import NOISE_TYPES, AutoencoderNetwork
from sklearn_deep.nn._cnn import (
    GLOBAL_POOLINGS,
    POOLINGS,
    ConvolutionalNetwork,
    RandomShift,
    conv_output_shapes,
)
from sklearn_deep.nn._dropout import Dropout, RandomDraws, draw_from
from sklearn_deep.nn._gcn import (
    GraphConvolution,
    GraphConvolutionalNetwork,
    normalize_adjacency,
)
from sklearn_deep.nn._init import (
    WEIGHT_INITS,
    build_uninitialized,
    initialize_linear,
)
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
    "GLOBAL_POOLINGS",
    "NOISE_TYPES",
    "POOLINGS",
    "WEIGHT_INITS",
    "AutoencoderNetwork",
    "CharCNN",
    "CharLSTM",
    "ConvolutionalNetwork",
    "Dropout",
    "GraphConvolution",
    "GraphConvolutionalNetwork",
    "LinearChainCRF",
    "MultilayerPerceptron",
    "PaddedLSTM",
    "RandomDraws",
    "RandomShift",
    "SequenceTagger",
    "build_uninitialized",
    "conv_output_shapes",
    "draw_from",
    "initialize_linear",
    "make_activation",
    "normalize_adjacency",
]
