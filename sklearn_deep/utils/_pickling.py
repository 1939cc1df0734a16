"""Pickling that never ties a fitted estimator to the device it was trained on.

torch pickles a tensor together with its device: a model pickled from a GPU
fails to unpickle where there is none. The estimators' state is therefore copied
to the host when pickled, so a pickle (or joblib file) loads on any machine; the
live estimator keeps its network where it is.
"""

import copy
import dataclasses
from collections import OrderedDict

import torch


def _on_host(tensor):
    """Whether ``tensor`` already lives in host memory (nothing to move)."""
    return tensor.device.type == "cpu"


def module_to_cpu(module):
    """``module`` itself when it is on the host, else a host copy of it.

    The copy is made by ``deepcopy`` with every parameter and buffer replaced by
    its host version up front, so the device never holds a second copy.
    """
    tensors = [*module.parameters(), *module.buffers()]
    if all(_on_host(t) for t in tensors):
        return module
    memo = {}
    for parameter in module.parameters():
        memo[id(parameter)] = torch.nn.Parameter(
            parameter.detach().cpu(), requires_grad=parameter.requires_grad
        )
    for buffer in module.buffers():
        memo[id(buffer)] = buffer.detach().cpu()
    return copy.deepcopy(module, memo)


def to_cpu(value):
    """``value`` with every tensor and network in it moved to the host.

    Walks the containers an estimator's state holds (dicts, lists, tuples and
    the engine's dataclass state, e.g. an optimiser's ``state_dict``); anything
    else is returned as it is.
    """
    if isinstance(value, torch.nn.Module):
        return module_to_cpu(value)
    if isinstance(value, torch.Tensor):
        return value if _on_host(value) else value.detach().cpu()
    if type(value) in (dict, OrderedDict):
        return type(value)((k, to_cpu(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(to_cpu(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: to_cpu(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    return value


class HostPicklingMixin:
    """Pickle an estimator with its network and tensors on the host (the CPU)."""

    def __getstate__(self):
        state = super().__getstate__()
        return {name: to_cpu(value) for name, value in state.items()}
