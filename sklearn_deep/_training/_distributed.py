"""Data-parallel training across the processes of a ``torch.distributed`` group.

When an estimator is fitted inside an initialised process group (started by
``torchrun``, every rank calling ``fit`` on the same data), the engine trains
one model on all ranks together: every global minibatch is cut into one shard
per rank, ``DistributedDataParallel`` averages the gradients, and the epoch's
loss and validation score are agreed on before any early-stopping decision, so
all ranks stop at the same epoch with identical weights. With equal shards the
averaged gradient is the gradient of the whole minibatch, so the fit follows the
single-process one. Outside a process group (or in a group of one) every method
here is a no-op.

The backend is the group's own: gloo on CPUs, NCCL on GPUs.
"""

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from sklearn_deep._training._hooks import Hook
from sklearn_deep.utils._torch import in_process_group, process_group_device


class DataParallel(Hook):
    """The process group as one fit sees it; inactive outside a group."""

    def __init__(self):
        self.active = in_process_group()
        self.rank = dist.get_rank() if self.active else 0
        self.world_size = dist.get_world_size() if self.active else 1

    def on_train_begin(self, run):
        if not self.active:
            return
        self.check_batches(run.batches)
        run.rank, run.world_size = self.rank, self.world_size
        # Forward passes in training go through the wrapper, which averages
        # gradients across ranks; everything else uses the module itself.
        run.forward = self.wrap(run.module, run.config.device)
        run.reduce_loss = self.mean
        run.share_score = self.from_rank_zero

    def wrap(self, module, device):
        """The module to run forward passes through: DDP-wrapped when active.

        ``DistributedDataParallel`` broadcasts rank 0's parameters when it is
        built and averages gradients during ``backward``. Sparse buffers (a
        graph's adjacency) cannot be broadcast; every rank holds the same ones.
        """
        if not self.active:
            return module
        ignored = [
            name
            for name, buffer in module.named_buffers()
            if buffer.layout != torch.strided
        ]
        if ignored:
            DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(
                module, ignored
            )
        device_ids = [device] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=device_ids)

    def check_batches(self, batches):
        """Every rank needs at least one row of every minibatch."""
        if self.active and min(batches.sizes) < self.world_size:
            raise ValueError(
                f"Data-parallel training over {self.world_size} processes needs "
                f"minibatches of at least {self.world_size} rows, but one has "
                f"{min(batches.sizes)}. Increase batch_size."
            )

    def mean(self, value):
        """The mean of a float over the ranks."""
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        tensor = tensor.to(process_group_device())
        dist.all_reduce(tensor)
        return float(tensor) / self.world_size

    def from_rank_zero(self, value):
        """Rank 0's float on every rank, so that decisions agree exactly."""
        if not self.active:
            return value
        tensor = torch.tensor([value], dtype=torch.float64)
        tensor = tensor.to(process_group_device())
        dist.broadcast(tensor, src=0)
        return float(tensor)
