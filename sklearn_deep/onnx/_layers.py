"""The ONNX nodes of a trained network's layers, read from the torch modules.

A network of ``sklearn_deep.nn`` is a sequence of layers; each one in
``eval()`` mode is a fixed function of its input, which one or two ONNX
operators compute. The weights come from the fitted module itself (its
parameters and buffers), so the graph computes what ``predict`` computes.
Layers that only act in training (dropout, input noise, random shifts) are
left out: in ``eval()`` mode they are the identity.
"""

import numpy as np
from onnx import TensorProto
from torch import nn

from sklearn_deep.nn import Dropout
from sklearn_deep.nn._autoencoder import InputNoise, TransposedLinear
from sklearn_deep.nn._cnn import GlobalPooling, RandomShift

# Activation modules and the ONNX operator that computes each.
_ACTIVATION_OPERATORS = {nn.Sigmoid: "Sigmoid", nn.Tanh: "Tanh", nn.ReLU: "Relu"}

# Layer types and the GraphWriter method that translates each.
_TRANSLATIONS = [
    ((nn.Linear, TransposedLinear), "linear"),
    ((nn.BatchNorm1d, nn.BatchNorm2d), "batch_norm"),
    ((nn.LeakyReLU,), "leaky_relu"),
    ((nn.Conv1d, nn.Conv2d), "convolution"),
    ((nn.MaxPool1d, nn.MaxPool2d, nn.AvgPool1d, nn.AvgPool2d), "pooling"),
    ((GlobalPooling,), "global_pooling"),
    ((nn.Unflatten,), "unflatten"),
    ((nn.Flatten,), "flatten"),
]

# Layers that are the identity in eval() mode.
_IDENTITY_LAYERS = (nn.Identity, Dropout, InputNoise, RandomShift, nn.Dropout)


def numpy_dtype(proto_dtype):
    """The numpy dtype of an ONNX tensor type (float or double)."""
    return np.float64 if proto_dtype == TensorProto.DOUBLE else np.float32


def _array(tensor, dtype):
    return tensor.detach().cpu().numpy().astype(dtype)


class GraphWriter:
    """Adds nodes and weights to a skl2onnx container under unique names.

    Parameters
    ----------
    scope : skl2onnx.common._topology.Scope
        Where the names come from.
    container : skl2onnx.common._container.ModelComponentContainer
        Where the nodes and weights go.
    proto_dtype : int
        The ONNX element type the network computes in (its own dtype).
    """

    def __init__(self, scope, container, proto_dtype):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype
        self.dtype = numpy_dtype(proto_dtype)

    def name(self, hint):
        return self.scope.get_unique_variable_name(hint)

    def constant(self, hint, values, proto_dtype=None):
        """A weight (an initializer) holding ``values``; its name."""
        proto_dtype = self.proto_dtype if proto_dtype is None else proto_dtype
        values = np.asarray(values)
        name = self.name(hint)
        self.container.add_initializer(
            name, proto_dtype, list(values.shape), values.ravel()
        )
        return name

    def node(self, op_type, inputs, hint, *, output=None, **attributes):
        """One node computing ``op_type``; the name of its output."""
        output = self.name(hint) if output is None else output
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def cast(self, name, proto_dtype, *, output=None):
        """``name`` as ``proto_dtype``."""
        return self.node("Cast", [name], "cast", output=output, to=proto_dtype)

    # ------------------------------------------------------------- layers
    def layers(self, name, modules):
        """The output of ``modules`` applied in turn to ``name``."""
        for module in modules:
            name = self.layer(name, module)
        return name

    def layer(self, name, module):
        """The output of one ``eval()``-mode layer applied to ``name``."""
        if isinstance(module, _IDENTITY_LAYERS):
            return name
        if isinstance(module, nn.Sequential):
            return self.layers(name, module)
        for layer_types, method in _TRANSLATIONS:
            if isinstance(module, layer_types):
                return getattr(self, method)(name, module)
        operator = _ACTIVATION_OPERATORS.get(type(module))
        if operator is not None:
            return self.node(operator, [name], operator.lower())
        raise NotImplementedError(
            f"No ONNX translation for the layer {type(module).__name__}: "
            "the network holds a layer the exporter does not know."
        )

    def linear(self, name, module):
        # Gemm computes x @ W.T + b with W as torch stores it (out x in).
        inputs = [name, self.constant("weight", _array(module.weight, self.dtype))]
        if module.bias is not None:
            inputs.append(self.constant("bias", _array(module.bias, self.dtype)))
        return self.node("Gemm", inputs, "linear", transB=1)

    def leaky_relu(self, name, module):
        slope = float(module.negative_slope)
        if self.proto_dtype == TensorProto.FLOAT:
            return self.node("LeakyRelu", [name], "leaky_relu", alpha=slope)
        # onnxruntime has no double LeakyRelu: x where x > 0, else slope * x.
        zero = self.constant("zero", np.zeros(1, self.dtype))
        positive = self.node("Greater", [name, zero], "positive")
        scaled = self.node(
            "Mul", [name, self.constant("slope", np.full(1, slope, self.dtype))], "mul"
        )
        return self.node("Where", [positive, name, scaled], "leaky_relu")

    def batch_norm(self, name, module):
        if module.running_mean is None:
            # Without running statistics eval() normalises by the batch's own,
            # so a row's output depends on the other rows: not a row function.
            raise NotImplementedError(
                "A BatchNorm layer without running statistics "
                "(track_running_stats=False) cannot be exported."
            )
        width, dtype = module.num_features, self.dtype
        affine = module.affine
        weights = {
            "bn_scale": _array(module.weight, dtype) if affine else np.ones(width),
            "bn_shift": _array(module.bias, dtype) if affine else np.zeros(width),
            "bn_mean": _array(module.running_mean, dtype),
            "bn_var": _array(module.running_var, dtype),
        }
        inputs = [name] + [
            self.constant(k, v.astype(dtype)) for k, v in weights.items()
        ]
        return self.node(
            "BatchNormalization", inputs, "batch_norm", epsilon=float(module.eps)
        )

    def unflatten(self, name, module):
        if module.dim != 1:
            raise NotImplementedError("Only nn.Unflatten(1, shape) is exported.")
        return self.reshape(name, [-1, *module.unflattened_size])

    def flatten(self, name, module):
        if (module.start_dim, module.end_dim) != (1, -1):
            raise NotImplementedError("Only nn.Flatten() (from axis 1) is exported.")
        return self.node("Flatten", [name], "flatten", axis=1)

    def reshape(self, name, shape):
        shape = self.constant("shape", np.array(shape), TensorProto.INT64)
        return self.node("Reshape", [name, shape], "reshape")

    def convolution(self, name, module):
        if module.padding_mode != "zeros" or isinstance(module.padding, str):
            raise NotImplementedError(
                "Only convolutions padded with zeros by a number of positions are "
                f"exported, not padding={module.padding!r}, "
                f"padding_mode={module.padding_mode!r}."
            )
        inputs = [name, self.constant("kernel", _array(module.weight, self.dtype))]
        if module.bias is not None:
            inputs.append(self.constant("bias", _array(module.bias, self.dtype)))
        return self.node(
            "Conv",
            inputs,
            "conv",
            kernel_shape=list(module.kernel_size),
            strides=list(module.stride),
            # ONNX lists the zeros before every axis, then those after.
            pads=list(module.padding) * 2,
            dilations=list(module.dilation),
            group=module.groups,
        )

    def pooling(self, name, module):
        n_dims = 1 if isinstance(module, nn.MaxPool1d | nn.AvgPool1d) else 2

        def per_axis(value):
            return list(value) if isinstance(value, tuple) else [int(value)] * n_dims

        attributes = dict(
            kernel_shape=per_axis(module.kernel_size),
            strides=per_axis(module.stride),
            pads=per_axis(module.padding) * 2,
            ceil_mode=int(module.ceil_mode),
        )
        if isinstance(module, nn.MaxPool1d | nn.MaxPool2d):
            return self.node(
                "MaxPool",
                [name],
                "max_pool",
                dilations=per_axis(module.dilation),
                **attributes,
            )
        if getattr(module, "divisor_override", None) is not None:
            raise NotImplementedError("Average pooling with divisor_override.")
        return self.node(
            "AveragePool",
            [name],
            "avg_pool",
            count_include_pad=int(module.count_include_pad),
            **attributes,
        )

    def global_pooling(self, name, module):
        """Each channel pooled over all positions: ``(N, C)``, or ``(N, 2C)``."""
        kind = module.kind
        pooled = {}
        for part, op_type in (("avg", "GlobalAveragePool"), ("max", "GlobalMaxPool")):
            if part in kind:
                kept = self.node(op_type, [name], f"global_{part}")
                pooled[part] = self.node("Flatten", [kept], "flatten", axis=1)
        if kind == "avg_max":  # side by side, mean first
            return self.node(
                "Concat", [pooled["avg"], pooled["max"]], "global_pool", axis=1
            )
        return pooled[kind]
