"""A user's network built and initialised from the estimator's generator.

torch's layers draw their default initialisation from torch's global
generator in their constructors; a fit must draw from its own generator only
(two fits with the same ``random_state`` agree, and fits in threads do not
disturb each other or the caller). So the module class is built on the "meta"
device, where nothing is drawn, and every layer is then initialised from the
generator: a layer with a ``reset_parameters(generator)`` method by that
method, torch's common layers by their default scheme drawn from the
generator, and layers whose reset draws nothing (normalisations) by their own
``reset_parameters()``. Tensors no rule covers (a custom layer's
``nn.Parameter`` or constant buffer) take the values the constructor gives
them, from one real construction on the CPU, with torch's global generator
seeded from the fit's generator for it and its state put back afterwards.

``torch.nn.Dropout`` layers draw their masks from the global generator too:
each is replaced by ``sklearn_deep.nn.Dropout``, whose masks the engine draws
from the fit's generator.
"""

import inspect
import math
import threading

import torch
from torch import nn

from sklearn_deep.nn import Dropout
from sklearn_deep.nn._init import torch_default_uniform

# Held while a network is constructed for real (its draws then come from
# torch's global generator, seeded and restored around the construction).
_GLOBAL_GENERATOR_LOCK = threading.Lock()

_UNIFORM_FAN_IN = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
# Layers whose reset_parameters() sets constants only (no random draw).
_CONSTANT_RESET = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.RMSNorm,
    nn.PReLU,
)


def takes_generator(module):
    reset = getattr(module, "reset_parameters", None)
    if not callable(reset):
        return False
    try:
        return "generator" in inspect.signature(reset).parameters
    except (TypeError, ValueError):
        return False


@torch.no_grad()
def _initialise_layer(layer, generator):
    """Initialise ``layer``'s own tensors; return the names it set."""
    own = [name for name, _ in layer.named_parameters(recurse=False)]
    if takes_generator(layer):
        layer.reset_parameters(generator=generator)
        return None  # the layer's own method covers the whole subtree
    if isinstance(layer, _UNIFORM_FAN_IN):
        torch_default_uniform(layer, generator)
    elif isinstance(layer, nn.Bilinear):
        bound = 1.0 / math.sqrt(layer.weight.shape[1])
        layer.weight.uniform_(-bound, bound, generator=generator)
        if layer.bias is not None:
            layer.bias.uniform_(-bound, bound, generator=generator)
    elif isinstance(layer, nn.Embedding | nn.EmbeddingBag):
        layer.weight.normal_(0.0, 1.0, generator=generator)
        padding_idx = getattr(layer, "padding_idx", None)
        if padding_idx is not None:
            layer.weight[padding_idx].zero_()
    elif isinstance(layer, nn.RNNBase | nn.RNNCellBase):
        bound = 1.0 / math.sqrt(layer.hidden_size) if layer.hidden_size > 0 else 0.0
        for weight in layer.parameters(recurse=False):
            weight.uniform_(-bound, bound, generator=generator)
    elif isinstance(layer, nn.MultiheadAttention):
        for name in (
            "in_proj_weight",
            "q_proj_weight",
            "k_proj_weight",
            "v_proj_weight",
        ):
            weight = getattr(layer, name, None)
            if weight is not None:
                _xavier_uniform(weight, generator)
        if layer.in_proj_bias is not None:
            layer.in_proj_bias.zero_()
            layer.out_proj.bias.zero_()
        for name in ("bias_k", "bias_v"):
            bias = getattr(layer, name, None)
            if bias is not None:
                fan_in, fan_out = bias.shape[-1], bias.shape[-2]
                std = math.sqrt(2.0 / (fan_in + fan_out))
                bias.normal_(0.0, std, generator=generator)
    elif isinstance(layer, _CONSTANT_RESET):
        layer.reset_parameters()
        return {name for name, _ in layer.named_parameters(recurse=False)} | {
            name for name, _ in layer.named_buffers(recurse=False)
        }
    else:
        return set()
    return set(own)


def _xavier_uniform(weight, generator):
    fan_out, fan_in = weight.shape[0], math.prod(weight.shape[1:])
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    weight.uniform_(-bound, bound, generator=generator)


def build_module(module_class, arguments, generator):
    """``module_class(**arguments)`` with its weights drawn from ``generator``."""
    with torch.device("meta"):
        module = module_class(**arguments)
    module = module.to_empty(device="cpu")
    covered = set()
    # Children first, so that a parent (multi-head attention, a custom block
    # with reset_parameters(generator)) has the last word on its children.
    for prefix, layer in reversed(list(module.named_modules())):
        names = _initialise_layer(layer, generator)
        if names is None:
            covered |= _tensor_names(layer, prefix)
        else:
            covered |= {_join(prefix, name) for name in names}
    state = module.state_dict(keep_vars=True)
    uncovered = [name for name in state if name not in covered]
    if uncovered:
        # The constructor's own values (constants, or a custom layer's draws).
        # The real construction draws from torch's global CPU generator: it is
        # seeded from the fit's generator for that construction and its state
        # put back afterwards, under a lock so that fits in threads neither
        # see each other's draws nor leave the caller's sequence moved.
        seed = int(
            torch.randint(0, 2**62, (), generator=generator, device=generator.device)
        )
        with _GLOBAL_GENERATOR_LOCK, torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            real = module_class(**arguments).state_dict()
        with torch.no_grad():
            for name in uncovered:
                state[name].copy_(real[name])
    return replace_dropout(module)


def _tensor_names(layer, prefix):
    names = [n for n, _ in layer.named_parameters()]
    names += [n for n, _ in layer.named_buffers()]
    return {_join(prefix, name) for name in names}


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def replace_dropout(module):
    """``module`` with each ``torch.nn.Dropout`` replaced by ours (same ``p``).

    ``sklearn_deep.nn.Dropout`` draws its masks from the generator the engine
    hands it; torch's draws from the global one.
    """
    for name, child in list(module.named_children()):
        # A subclass that keeps torch's forward is a plain dropout by another
        # name; one with its own forward (AlphaDropout...) is left as it is.
        if isinstance(child, nn.Dropout) and type(child).forward is nn.Dropout.forward:
            setattr(module, name, Dropout(child.p))
        else:
            replace_dropout(child)
    return module
