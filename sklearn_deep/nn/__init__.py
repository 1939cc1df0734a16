"""Plain ``torch.nn.Module`` networks used by the estimators (no scikit-learn here).

Randomness: every network draws its initial weights in
``reset_parameters(generator)``, and its layers that draw random numbers in
training (``RandomDraws``: dropout, word dropout, input noise) draw from their
``generator`` attribute, which ``draw_from`` sets; torch's global generator
only when none is given.
"""

from sklearn_deep.nn._activations import ACTIVATIONS, make_activation
from sklearn_deep.nn._attention import MultiHeadSelfAttention, RelativePositionBias
from sklearn_deep.nn._autoencoder import NOISE_TYPES, AutoencoderNetwork
from sklearn_deep.nn._cnn import (
    GLOBAL_POOLINGS,
    POOLINGS,
    ConvolutionalNetwork,
    RandomShift,
    conv_output_shapes,
)
from sklearn_deep.nn._dropout import Dropout, RandomDraws, draw_from
from sklearn_deep.nn._gan import Discriminator, GenerativeAdversarialNetwork
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
    TokenTagger,
)
from sklearn_deep.nn._transformer import (
    FEEDFORWARD_ACTIVATIONS,
    POSITIONAL_ENCODINGS,
    TransformerEncoder,
    TransformerTaggerNetwork,
)

__all__ = [
    "ACTIVATIONS",
    "GLOBAL_POOLINGS",
    "NOISE_TYPES",
    "POOLINGS",
    "FEEDFORWARD_ACTIVATIONS",
    "POSITIONAL_ENCODINGS",
    "WEIGHT_INITS",
    "AutoencoderNetwork",
    "CharCNN",
    "CharLSTM",
    "ConvolutionalNetwork",
    "Discriminator",
    "Dropout",
    "GenerativeAdversarialNetwork",
    "GraphConvolution",
    "GraphConvolutionalNetwork",
    "LinearChainCRF",
    "MultiHeadSelfAttention",
    "MultilayerPerceptron",
    "PaddedLSTM",
    "RandomDraws",
    "RandomShift",
    "RelativePositionBias",
    "SequenceTagger",
    "TokenTagger",
    "TransformerEncoder",
    "TransformerTaggerNetwork",
    "build_uninitialized",
    "conv_output_shapes",
    "draw_from",
    "initialize_linear",
    "make_activation",
    "normalize_adjacency",
]
