"""Registration of the converters with skl2onnx, through its public API.

``update_registered_converter`` ties each estimator class to an alias, a shape
calculator and a converter; the classifier declares the options of
scikit-learn's classifiers (``zipmap``, ``nocl``, ``output_class_labels``),
which also selects skl2onnx's classifier parser, so the labels and
probabilities come out as they do for scikit-learn's ``MLPClassifier``.
"""

from skl2onnx import update_registered_converter

from sklearn_deep.convolutional import CNNClassifier, CNNRegressor
from sklearn_deep.generative import GAN
from sklearn_deep.graph import GCNClassifier
from sklearn_deep.neural_network import Autoencoder, MLPClassifier, MLPRegressor
from sklearn_deep.onnx._converters import (
    convert_autoencoder,
    convert_classifier,
    convert_regressor,
)
from sklearn_deep.onnx._refusals import (
    refused_converter,
    refused_shapes,
    refusing_parser,
)
from sklearn_deep.onnx._shapes import (
    calculate_classifier_shapes,
    calculate_regressor_shapes,
    calculate_transformer_shapes,
    convolutional,
)
from sklearn_deep.sequence import LSTMTagger, TransformerTagger
from sklearn_deep.wrappers import TorchClassifier, TorchRegressor

CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "nocl": [False, True],
    "output_class_labels": [False, True],
}

# (class, shape calculator, converter, options) of each exportable estimator.
CONVERTERS = [
    (
        MLPClassifier,
        calculate_classifier_shapes,
        convert_classifier,
        CLASSIFIER_OPTIONS,
    ),
    (MLPRegressor, calculate_regressor_shapes, convert_regressor, None),
    (Autoencoder, calculate_transformer_shapes, convert_autoencoder, None),
    (
        CNNClassifier,
        convolutional(calculate_classifier_shapes),
        convert_classifier,
        CLASSIFIER_OPTIONS,
    ),
    (CNNRegressor, convolutional(calculate_regressor_shapes), convert_regressor, None),
]

REFUSED = [
    GAN,
    GCNClassifier,
    LSTMTagger,
    TransformerTagger,
    TorchClassifier,
    TorchRegressor,
]


def _alias(cls):
    return f"SklearnDeep{cls.__name__}"


def register_converters():
    """Register every converter (and every refusal) with skl2onnx.

    Importing ``sklearn_deep.onnx`` calls it; calling it again changes
    nothing.
    """
    for cls, shapes, converter, options in CONVERTERS:
        update_registered_converter(
            cls, _alias(cls), shapes, converter, options=options
        )
    for cls in REFUSED:
        update_registered_converter(
            cls,
            _alias(cls),
            refused_shapes,
            refused_converter,
            parser=refusing_parser,
        )
