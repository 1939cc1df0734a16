"""Weight initialisation schemes for linear layers, drawn from a given generator.

Glorot & Bengio (2010) keep the variance of activations and gradients roughly
constant across layers: uniform on ``[-sqrt(6 / (n_in + n_out)), +sqrt(...)]`` or
normal with variance ``2 / (n_in + n_out)``. He et al. (2015) use ``2 / n_in`` for
ReLU units. Sparse initialisation (Martens, 2010) gives each unit only a fraction
of non-zero incoming weights, so units start out different without saturating.
Biases start at zero in every scheme.

torch's own layers draw a default initialisation from torch's global generator
when they are built; ``build_uninitialized`` builds a network without any such
draw, for its ``reset_parameters(generator)`` to initialise, and
``torch_default_uniform`` draws torch's default initialisation of a layer from a
given generator.
"""

import math

import torch

WEIGHT_INITS = (
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "sparse",
)


@torch.no_grad()
def initialize_linear(layer, scheme, generator, *, sparse_density=0.1):
    """Initialise ``layer.weight`` by ``scheme`` and its bias to zero, in place.

    Parameters
    ----------
    layer : torch.nn.Linear
        The layer to initialise.
    scheme : str
        One of ``WEIGHT_INITS``.
    generator : torch.Generator
        Source of randomness, so that results depend only on the caller's seed.
    sparse_density : float, default=0.1
        For ``scheme="sparse"``: the fraction of each unit's incoming weights that
        are non-zero (at least one). The non-zero weights are normal with variance
        ``1 / k`` for ``k`` non-zero inputs, so a unit's input keeps unit scale.
    """
    weight = layer.weight
    fan_out, fan_in = weight.shape
    if scheme == "glorot_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        weight.uniform_(-bound, bound, generator=generator)
    elif scheme == "glorot_normal":
        weight.normal_(0.0, math.sqrt(2.0 / (fan_in + fan_out)), generator=generator)
    elif scheme == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        weight.uniform_(-bound, bound, generator=generator)
    elif scheme == "he_normal":
        weight.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
    elif scheme == "sparse":
        n_nonzero = max(1, round(sparse_density * fan_in))
        weight.zero_()
        values = torch.randn(
            fan_out, n_nonzero, generator=generator, dtype=weight.dtype
        ) / math.sqrt(n_nonzero)
        # Each unit (row) picks its own n_nonzero inputs at random.
        scores = torch.rand(fan_out, fan_in, generator=generator)
        columns = scores.argsort(dim=1)[:, :n_nonzero]
        weight.scatter_(1, columns.to(weight.device), values.to(weight.device))
    else:
        raise ValueError(
            f"Unknown weight_init {scheme!r}; expected one of {list(WEIGHT_INITS)}."
        )
    if layer.bias is not None:
        layer.bias.zero_()


def build_uninitialized(factory, *args, **kwargs):
    """``factory(*args, **kwargs)`` with its parameters and buffers left unset.

    The network is built on the "meta" device, where the default
    initialisation of torch's layers draws nothing from torch's global
    generator (and computes nothing), then given uninitialised memory on the
    CPU. The caller must set every parameter and buffer, as the networks'
    ``reset_parameters(generator)`` do. Not for networks whose constructor
    takes data (a graph): their buffers would be lost.
    """
    with torch.device("meta"):
        module = factory(*args, **kwargs)
    return module.to_empty(device="cpu")


@torch.no_grad()
def torch_default_uniform(layer, generator):
    """torch's default initialisation of ``layer``, drawn from ``generator``.

    That of ``nn.Linear`` and ``nn.Conv1d``: weight and bias uniform on
    ``[-1 / sqrt(fan_in), 1 / sqrt(fan_in)]`` (``kaiming_uniform_`` with
    ``a = sqrt(5)`` for the weight), ``fan_in`` the inputs of one output unit.
    """
    fan_in = math.prod(layer.weight.shape[1:])
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    layer.weight.uniform_(-bound, bound, generator=generator)
    if layer.bias is not None:
        layer.bias.uniform_(-bound, bound, generator=generator)
