"""A convolutional network for signals (1-D) and images (2-D), and its shifts.

LeCun et al. (1998) and Goodfellow, Bengio & Courville (2016, ch. 9): a
convolution applies the same small filter at every position (local receptive
fields, shared weights), so a pattern is detected wherever it occurs; pooling
makes the detection tolerant to small shifts. The network here is a stack of
``Conv -> [BatchNorm] -> activation -> [pool]`` blocks, then a global pooling
over positions (or a flattening), then fully connected layers. It takes the
flat rows of a 2-D matrix and reshapes them itself, so that it fits behind any
tabular pipeline.

``RandomShift`` is the data augmentation: in training it translates each
sample by a random number of positions (zeros enter at the border), drawn from
its ``generator`` (a ``RandomDraws`` layer); in evaluation it is the identity.
"""

import math
from numbers import Integral

import torch
from torch import nn

from sklearn_deep.nn._activations import make_activation
from sklearn_deep.nn._dropout import Dropout, RandomDraws
from sklearn_deep.nn._init import torch_default_uniform

POOLINGS = ("max", "avg")
GLOBAL_POOLINGS = ("avg", "max", "avg_max")

_CONV = {1: nn.Conv1d, 2: nn.Conv2d}
_BATCH_NORM = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}
_POOL = {
    ("max", 1): nn.MaxPool1d,
    ("max", 2): nn.MaxPool2d,
    ("avg", 1): nn.AvgPool1d,
    ("avg", 2): nn.AvgPool2d,
}


def per_layer(value, n_layers, name):
    """``value`` (an int, or one int per layer) as a list of ``n_layers`` ints."""
    single = isinstance(value, Integral) and not isinstance(value, bool)
    values = [value] * n_layers if single else list(value)
    if len(values) != n_layers:
        raise ValueError(
            f"{name} has {len(values)} values for {n_layers} convolution layers; "
            f"give one int, or one per layer."
        )
    if not all(
        isinstance(v, Integral) and not isinstance(v, bool) and v >= 1 for v in values
    ):
        raise ValueError(f"{name} must hold positive ints, got {value!r}.")
    return [int(v) for v in values]


def conv_output_shapes(
    input_shape, filters, kernel_size, strides, padding, pooling, pool_size
):
    """The ``(channels, *positions)`` after each block, input first.

    Raises ``ValueError`` naming the layer where a signal or image becomes
    smaller than a kernel (or a pooling window), which torch would only report
    from inside the forward pass.
    """
    n_layers = len(filters)
    kernels = per_layer(kernel_size, n_layers, "kernel_size")
    strides = per_layer(strides, n_layers, "strides")
    spatial = list(input_shape[1:])
    shapes = [tuple(input_shape)]
    for i, (n_filters, k, s) in enumerate(zip(filters, kernels, strides, strict=True)):
        pad = _padding(padding, k)
        size_after = []
        for n in spatial:
            if n + 2 * pad < k:
                raise ValueError(
                    f"Convolution layer {i + 1} has kernel_size={k} but its input "
                    f"is only {n} positions wide (input_shape={tuple(input_shape)}, "
                    f"padding={padding!r}): use smaller kernels, fewer layers or "
                    "less pooling, or padding='same'."
                )
            n = (n + 2 * pad - k) // s + 1
            if pooling is not None:
                if n < pool_size:
                    raise ValueError(
                        f"The pooling after convolution layer {i + 1} has "
                        f"pool_size={pool_size} but its input is only {n} "
                        f"positions wide (input_shape={tuple(input_shape)}): use "
                        "pooling=None, a smaller pool_size or fewer layers."
                    )
                n //= pool_size
            size_after.append(n)
        spatial = size_after
        shapes.append((n_filters, *spatial))
    return shapes


def _padding(padding, kernel_size):
    """Zeros added on each side: "same" keeps the length for odd kernels."""
    if padding == "same":
        return (kernel_size - 1) // 2
    if padding == "valid":
        return 0
    return int(padding)


class RandomShift(RandomDraws, nn.Module):
    """Translate each sample by up to ``max_shift`` positions, in training only.

    Every sample gets its own offset in ``[-max_shift, max_shift]`` along each
    spatial axis, drawn from ``generator``; the positions shifted in are zeros.
    One gather per axis over a zero-padded copy does it for the whole batch.

    Parameters
    ----------
    max_shift : int
        The largest translation, in positions (pixels).
    generator : torch.Generator, default=None
        Where the offsets are drawn from (torch's global generator when None);
        the ``generator`` attribute, which ``draw_from`` sets.
    """

    def __init__(self, max_shift, *, generator=None):
        super().__init__()
        self.max_shift = max_shift
        self.generator = generator

    def forward(self, x):
        if not self.training or self.max_shift == 0:
            return x
        for axis in range(2, x.dim()):
            x = self._shift_axis(x, axis)
        return x

    def _shift_axis(self, x, axis):
        s, n = self.max_shift, x.shape[axis]
        offsets = torch.randint(
            0, 2 * s + 1, (x.shape[0],), device=x.device, generator=self.generator
        )
        pad = [0, 0] * (x.dim() - 1 - axis) + [s, s]
        padded = nn.functional.pad(x, pad)
        # Sample b reads positions offsets[b] .. offsets[b] + n - 1 of its
        # padded copy: a shift by s - offsets[b].
        index = torch.arange(n, device=x.device) + offsets[:, None]
        view = [x.shape[0]] + [1] * (x.dim() - 1)
        view[axis] = n
        return padded.gather(axis, index.view(view).expand(x.shape))

    def extra_repr(self):
        return f"max_shift={self.max_shift}"


class GlobalPooling(nn.Module):
    """Pool every channel over all positions: mean, max, or both side by side."""

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        x = x.flatten(2)
        if self.kind == "avg":
            return x.mean(dim=2)
        if self.kind == "max":
            return x.amax(dim=2)
        return torch.cat([x.mean(dim=2), x.amax(dim=2)], dim=1)

    def extra_repr(self):
        return f"kind={self.kind!r}"


class ConvolutionalNetwork(nn.Sequential):
    """Convolution blocks, a global pooling (or flattening) and a dense head.

    The input is a batch of flat rows of ``prod(input_shape)`` values, viewed
    as ``(channels, length)`` signals or ``(channels, height, width)`` images.
    Each block is ``Conv -> [BatchNorm] -> activation -> [pool]``; then the
    positions are pooled globally (``global_pooling``) or flattened (None);
    then ``Linear -> activation -> [Dropout]`` per hidden layer and a linear
    output layer of raw scores (the output non-linearity belongs to the loss).

    Parameters
    ----------
    input_shape : tuple of int
        ``(channels, length)`` or ``(channels, height, width)``.
    filters : sequence of int
        The number of filters (output channels) of each convolution layer.
    n_outputs : int
        Width of the output.
    kernel_size, strides : int or sequence of int, default=5 and 1
        Per convolution layer (one int for all); square kernels for images.
    padding : {"same", "valid"} or int, default="same"
        Zeros added on each side of each convolution's input.
    pooling : {"max", "avg"} or None, default=None
        Pooling of ``pool_size`` positions (with stride ``pool_size``) after
        each convolution block.
    pool_size : int, default=2
        The pooling window.
    global_pooling : {"avg", "max", "avg_max"} or None, default="avg_max"
        Pool over all positions of the last block ("avg_max": both, side by
        side), or flatten them when None.
    hidden_layer_sizes : sequence of int, default=()
        Widths of the dense layers between the pooling and the output.
    activation : str, default="relu"
        Name of the activation (see ``ACTIVATIONS``).
    batch_norm : bool, default=True
        Batch normalisation after each convolution.
    dropout : float, default=0.0
        Dropout before each dense layer.
    max_shift : int, default=0
        Random translations of up to this many positions in training
        (``RandomShift``).
    """

    def __init__(
        self,
        input_shape,
        filters,
        n_outputs,
        *,
        kernel_size=5,
        strides=1,
        padding="same",
        pooling=None,
        pool_size=2,
        global_pooling="avg_max",
        hidden_layer_sizes=(),
        activation="relu",
        batch_norm=True,
        dropout=0.0,
        max_shift=0,
    ):
        input_shape = tuple(int(n) for n in input_shape)
        n_dims = len(input_shape) - 1
        shapes = conv_output_shapes(
            input_shape, filters, kernel_size, strides, padding, pooling, pool_size
        )
        kernels = per_layer(kernel_size, len(filters), "kernel_size")
        stride_list = per_layer(strides, len(filters), "strides")
        layers = [nn.Unflatten(1, input_shape)]
        if max_shift:
            layers.append(RandomShift(max_shift))
        channels = input_shape[0]
        for n_filters, k, s in zip(filters, kernels, stride_list, strict=True):
            layers.append(
                _CONV[n_dims](
                    channels,
                    n_filters,
                    k,
                    stride=s,
                    padding=_padding(padding, k),
                    bias=not batch_norm,
                )
            )
            if batch_norm:
                layers.append(_BATCH_NORM[n_dims](n_filters))
            layers.append(make_activation(activation))
            if pooling is not None:
                layers.append(_POOL[pooling, n_dims](pool_size))
            channels = n_filters
        if global_pooling is None:
            layers.append(nn.Flatten())
            width = math.prod(shapes[-1])
        else:
            layers.append(GlobalPooling(global_pooling))
            width = channels * (2 if global_pooling == "avg_max" else 1)
        for n_units in hidden_layer_sizes:
            if dropout > 0:
                layers.append(Dropout(dropout))
            layers += [nn.Linear(width, n_units), make_activation(activation)]
            width = n_units
        if dropout > 0:
            layers.append(Dropout(dropout))
        layers.append(nn.Linear(width, n_outputs))
        super().__init__(*layers)
        self.input_shape = input_shape

    @property
    def conv_layers(self):
        """The convolution layers, input to output."""
        return [layer for layer in self if isinstance(layer, nn.Conv1d | nn.Conv2d)]

    @property
    def linear_layers(self):
        """The dense layers, output layer last."""
        return [layer for layer in self if isinstance(layer, nn.Linear)]

    @torch.no_grad()
    def reset_parameters(self, generator):
        """Draw every weight from ``generator``; batch norm starts at (1, 0).

        torch's default initialisation (uniform on ``+-1 / sqrt(fan_in)``),
        which trains these networks well with or without batch norm.
        """
        for layer in self:
            if isinstance(layer, nn.Conv1d | nn.Conv2d | nn.Linear):
                torch_default_uniform(layer, generator)
            elif isinstance(layer, nn.BatchNorm1d | nn.BatchNorm2d):
                layer.reset_parameters()
                layer.reset_running_stats()
