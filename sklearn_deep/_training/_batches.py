"""Minibatches cut from in-memory data, reshuffled each epoch.

A per-sample ``DataLoader`` (index one row, collate a list) costs as much as the
network itself for small MLPs; slicing whole tensors by a random permutation
does not. Dense data stays on the training device, so a batch never crosses the
bus; sparse data stays a scipy matrix on the host and only one batch at a time is
made dense, and copied to a GPU from page-locked memory without blocking.

A minibatch whose rows all have zero weight is skipped: it has nothing to learn
from (its weighted loss is 0 / 0), and an optimiser step on it would still move
the weights by their momentum and the penalty. Which batches to skip is found
once per epoch, and only when some weights are zero.
"""

import itertools

import scipy.sparse as sp
import torch


class Batches:
    """The minibatches ``(inputs, target, sample_weight)`` of a training set.

    Parameters
    ----------
    inputs : torch.Tensor, scipy sparse matrix or tuple of torch.Tensor
        The rows to train on: a tensor already on the training device, a CSR
        matrix that is densified one batch at a time, or a tuple of tensors with
        aligned first dimensions (e.g. padded word ids and character ids of the
        same sentences), each cut by the same rows.
    target : torch.Tensor
        Targets, first dimension aligned with ``inputs``.
    sample_weight : torch.Tensor or None
        Per-row non-negative weights, or ``None`` for equal weights. At least
        one of the rows trained on must have a positive weight; the batches
        whose rows all have zero weight are left out of each epoch.
    batch_size : int
        Rows per batch (clipped to the number of rows); the last may be smaller.
    shuffle : bool
        Whether to visit the rows in a new random order each epoch.
    dtype : torch.dtype, default=torch.float32
        The dtype sparse input rows are densified to.
    order : callable, default=None
        ``order(generator) -> permutation`` of the rows for a shuffled epoch,
        cut into batches of ``sizes`` in turn; a uniform random permutation when
        None. Sequence models use it to put sentences of similar lengths in the
        same batch (bucketing), so that little padding is computed.
    rows : torch.Tensor, default=None
        Indices of the rows of ``inputs``, ``target`` and ``sample_weight`` to
        train on (all when None). Holding out a validation set this way copies
        no training data: a batch gathers its rows from the full tensors.
    """

    def __init__(
        self,
        inputs,
        target,
        sample_weight,
        batch_size,
        shuffle,
        dtype=torch.float32,
        order=None,
        rows=None,
    ):
        self.inputs = inputs
        self.target = target
        self.sample_weight = sample_weight
        self.order = order
        self.rows = rows
        self._tuple = isinstance(inputs, tuple)
        self.n_samples = (
            (inputs[0] if self._tuple else inputs).shape[0]
            if rows is None
            else len(rows)
        )
        self.batch_size = max(1, min(batch_size, self.n_samples))
        self.shuffle = shuffle
        self.dtype = dtype
        self._sparse = sp.issparse(inputs)
        if self._sparse:
            self.inputs = sp.csr_matrix(inputs)
        self._some_zero_weights = False
        if sample_weight is not None:
            positive = (sample_weight if rows is None else sample_weight[rows]) > 0
            if not bool(positive.any()):
                raise ValueError(
                    "Sample weights must contain at least one non-zero number "
                    "among the rows trained on (the rows held out for "
                    "validation excluded)."
                )
            self._some_zero_weights = not bool(positive.all())

    @property
    def sizes(self):
        """The number of rows of each batch of an epoch.

        A remainder of a single row joins the batch before it: statistics over
        one row are degenerate (batch normalisation cannot even compute them).
        """
        full, last = divmod(self.n_samples, self.batch_size)
        sizes = [self.batch_size] * full + ([last] if last else [])
        if len(sizes) > 1 and sizes[-1] == 1:
            sizes[-2:] = [sizes[-2] + 1]
        return sizes

    def __len__(self):
        return len(self.sizes)

    def epoch(self, generator, rank=0, world_size=1):
        """Yield the batches of one epoch, in an order drawn from ``generator``.

        With ``world_size > 1`` (data-parallel training) every rank draws the
        same order and yields only its own part, ``rank`` of ``world_size``
        nearly equal parts, of each batch. Batches whose rows all have zero
        weight are skipped (on every rank alike).
        """
        starts = [0, *itertools.accumulate(self.sizes)]
        bounds = list(zip(starts[:-1], starts[1:], strict=True))
        order = None
        if self.shuffle:
            n = self.n_samples
            if self.order is not None:
                order = self.order(generator)
            else:
                order = torch.randperm(n, generator=generator, device=generator.device)
            order = order.to(self.target.device)
            indices = (order[start:stop] for start, stop in bounds)
        else:
            indices = (slice(start, stop) for start, stop in bounds)
        if self._some_zero_weights:
            weighted = self._weighted_batches(order, starts)
            indices = (
                index for index, keep in zip(indices, weighted, strict=True) if keep
            )
        if world_size > 1:
            device = self.target.device
            indices = (_shard(index, rank, world_size, device) for index in indices)
        if self.rows is not None:
            indices = (self.rows[index] for index in indices)
        weight = self.sample_weight
        for index in indices:
            yield (
                self._input_rows(index),
                self.target[index],
                None if weight is None else weight[index],
            )

    def _weighted_batches(self, order, starts):
        """Whether each batch of the epoch has a row of positive weight.

        One host synchronisation per epoch: positive rows are counted by a
        cumulative sum over the epoch's order, read at the batch boundaries.
        """
        weight = self.sample_weight
        if self.rows is not None:
            weight = weight[self.rows]
        if order is not None:
            weight = weight[order]
        counts = torch.cumsum(weight > 0, dim=0)
        ends = torch.tensor(starts[1:], device=counts.device) - 1
        return (torch.diff(counts[ends], prepend=counts.new_zeros(1)) > 0).tolist()

    def _input_rows(self, index):
        if self._tuple:
            return tuple(tensor[index] for tensor in self.inputs)
        if not self._sparse:
            return self.inputs[index]
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        rows = torch.as_tensor(self.inputs[index].toarray(), dtype=self.dtype)
        device = self.target.device
        if device.type == "cuda":
            # From page-locked memory the copy runs without blocking the host,
            # which goes on to densify the next batch meanwhile.
            return rows.pin_memory().to(device, non_blocking=True)
        return rows


def _shard(index, rank, world_size, device):
    """Part ``rank`` of ``world_size`` of a batch's rows (a slice or indices)."""
    if isinstance(index, slice):
        index = torch.arange(index.start, index.stop, device=device)
    return index.tensor_split(world_size)[rank]
