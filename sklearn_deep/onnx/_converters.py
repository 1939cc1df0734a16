"""Converters: the ONNX graph of each fitted estimator's prediction.

Each converter writes the network's layers (see ``_layers``) and then what the
estimator does with the raw outputs: the output activation, and for a
classifier the probabilities and labels as ``predict_proba`` and ``predict``
return them. The network computes in its own dtype, whatever the graph's input
type, as the estimator casts its input before the forward pass; the outputs
take the input's float type, as skl2onnx's converters do.
"""

import numpy as np
from onnx import TensorProto
from skl2onnx.common.data_types import guess_proto_type

from sklearn_deep.onnx._layers import GraphWriter
from sklearn_deep.onnx._outputs import (
    classifier_kind,
    label_classes,
    labels_are_strings,
    regression_activation,
)


def _network_dtype(model):
    parameter = next(model.module_.parameters())
    return TensorProto.DOUBLE if parameter.dtype.itemsize == 8 else TensorProto.FLOAT


def _start(scope, operator, container):
    """A writer in the network's dtype and the graph's input, cast to it."""
    writer = GraphWriter(scope, container, _network_dtype(operator.raw_operator))
    return writer, writer.cast(operator.inputs[0].full_name, writer.proto_dtype)


def _finish(writer, name, output):
    """Write ``name`` to the output variable ``output`` in the output's type."""
    writer.cast(name, guess_proto_type(output.type), output=output.full_name)


def convert_classifier(scope, operator, container):
    """Labels and probabilities of an ``MLPClassifier`` or ``CNNClassifier``."""
    model = operator.raw_operator
    label, probabilities = operator.outputs
    writer, inputs = _start(scope, operator, container)
    logits = writer.layers(inputs, model.module_)
    kind = classifier_kind(model)
    if kind == "multiclass":
        proba = writer.node("Softmax", [logits], "probabilities", axis=1)
        index = writer.node("ArgMax", [proba], "argmax", axis=1, keepdims=0)
    else:
        proba = writer.node("Sigmoid", [logits], "probabilities")
        # predict thresholds the positive probability: above one half.
        half = writer.constant("half", np.array([0.5], dtype=writer.dtype))
        positive = writer.node("Greater", [proba, half], "positive")
        index = writer.cast(positive, TensorProto.INT64)
        if kind == "binary":
            one = writer.constant("one", np.array([1.0], dtype=writer.dtype))
            negative = writer.node("Sub", [one, proba], "negative_probability")
            proba = writer.node("Concat", [negative, proba], "probabilities", axis=1)
            flat = writer.constant("flat", np.array([-1]), TensorProto.INT64)
            index = writer.node("Reshape", [index, flat], "class_index")
    _finish(writer, proba, probabilities)
    if kind == "multilabel":  # the 0/1 indicator matrix predict returns
        writer.node("Identity", [index], "labels", output=label.full_name)
        return
    classes = label_classes(model, container.get_options(model, dict(nocl=False)))
    if labels_are_strings(classes):
        values = np.array([c.encode("utf-8") for c in classes], dtype=object)
        classes_name = writer.constant("classes", values, TensorProto.STRING)
    else:
        classes_name = writer.constant("classes", classes, TensorProto.INT64)
    writer.node("Gather", [classes_name, index], "labels", output=label.full_name)


def convert_regressor(scope, operator, container):
    """Predictions of an ``MLPRegressor`` or ``CNNRegressor``, a column each."""
    model = operator.raw_operator
    writer, inputs = _start(scope, operator, container)
    output = writer.layers(inputs, model.module_)
    if regression_activation(model) == "exp":  # the Poisson loss's log link
        output = writer.node("Exp", [output], "prediction")
    _finish(writer, output, operator.outputs[0])


def convert_autoencoder(scope, operator, container):
    """``transform`` of an ``Autoencoder``: the codes."""
    network = operator.raw_operator.module_
    writer, inputs = _start(scope, operator, container)
    # encode() in eval() mode: the input noise is off.
    code = writer.layers(inputs, [network.encoder, network.code_activation])
    _finish(writer, code, operator.outputs[0])
