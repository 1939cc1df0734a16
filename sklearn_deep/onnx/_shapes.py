"""Shape calculators: the type and shape of each converted estimator's outputs.

skl2onnx calls them while it lays out the whole pipeline, before any
converter runs; they only read the fitted attributes.
"""

from skl2onnx.common.data_types import (
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from skl2onnx.common.utils import (
    check_input_and_output_numbers,
    check_input_and_output_types,
)
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.onnx._outputs import (
    classifier_kind,
    label_classes,
    labels_are_strings,
)

_INPUT_TYPES = [FloatTensorType, DoubleTensorType, Int64TensorType]


def _checked_input(operator, n_outputs):
    """The model and the batch dimension, once inputs and outputs are checked."""
    check_input_and_output_numbers(
        operator, input_count_range=1, output_count_range=n_outputs
    )
    check_input_and_output_types(operator, good_input_types=_INPUT_TYPES)
    model = operator.raw_operator
    check_is_fitted(model)
    shape = operator.inputs[0].type.shape
    width = shape[1] if len(shape) == 2 else None
    if isinstance(width, int) and width != model.n_features_in_:
        # A graph of another width would run: a CNN's reshape would merge rows.
        raise ValueError(
            f"X_sample has {width} features, but {type(model).__name__} was "
            f"fitted on {model.n_features_in_}."
        )
    return model, operator.inputs[0].get_first_dimension()


def _float_type(operator):
    """Outputs are double for double input and float otherwise, like skl2onnx's."""
    if isinstance(operator.inputs[0].type, DoubleTensorType):
        return DoubleTensorType
    return FloatTensorType


def calculate_classifier_shapes(operator):
    """Labels ``[N]`` (``[N, n_labels]`` for multilabel) and probabilities."""
    model, n_rows = _checked_input(operator, [2, 2])
    options = operator.scope_inst.get_options(model, dict(nocl=False))
    classes = label_classes(model, options)
    label_type = StringTensorType if labels_are_strings(classes) else Int64TensorType
    if classifier_kind(model) == "multilabel":
        # A 0/1 indicator matrix, as predict returns.
        operator.outputs[0].type = Int64TensorType([n_rows, len(classes)])
    else:
        operator.outputs[0].type = label_type([n_rows])
    operator.outputs[1].type = _float_type(operator)([n_rows, len(classes)])


def calculate_regressor_shapes(operator):
    """Predictions ``[N, n_outputs_]`` (a column for a single output)."""
    model, n_rows = _checked_input(operator, 1)
    operator.outputs[0].type = _float_type(operator)([n_rows, model.n_outputs_])


def calculate_transformer_shapes(operator):
    """Codes ``[N, n_components]``."""
    model, n_rows = _checked_input(operator, 1)
    n_columns = model.encoder_layer_sizes_[-1]
    operator.outputs[0].type = _float_type(operator)([n_rows, n_columns])


def convolutional(calculate):
    """``calculate`` for a convolutional network, which must be float32.

    onnxruntime implements Conv, AveragePool and the global poolings in
    float32 only; computing a float64 network in float32 instead would change
    its predictions without a word, so a float64 one is refused.
    """

    def calculate_convolutional_shapes(operator):
        model = operator.raw_operator
        check_is_fitted(model)
        if next(model.module_.parameters()).dtype.itemsize == 8:
            raise NotImplementedError(
                f"{type(model).__name__} with dtype='float64' cannot be exported "
                "to ONNX: onnxruntime has no float64 convolution. Fit it with "
                "dtype='float32' to export it, or save it with sklearn_deep.save."
            )
        calculate(operator)

    return calculate_convolutional_shapes
