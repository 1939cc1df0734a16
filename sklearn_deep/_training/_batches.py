"""Minibatches cut from in-memory data, reshuffled each epoch.

A per-sample ``DataLoader`` (index one row, collate a list) costs as much as the
network itself for small MLPs; slicing whole tensors by a random permutation
does not. Dense data stays on the training device, so a batch never crosses the
bus; sparse data stays a scipy matrix on the host and only one batch at a time is
made dense.
"""

import itertools

import scipy.sparse as sp
import torch


class Batches:
    """The minibatches ``(inputs, target, sample_weight)`` of a training set.

    Parameters
    ----------
    inputs : torch.Tensor or scipy sparse matrix
        The rows to train on: a tensor already on the training device, or a CSR
        matrix that is densified one batch at a time.
    target : torch.Tensor
        Targets, first dimension aligned with ``inputs``.
    sample_weight : torch.Tensor or None
        Per-row weights, or ``None`` for equal weights.
    batch_size : int
        Rows per batch (clipped to the number of rows); the last may be smaller.
    shuffle : bool
        Whether to visit the rows in a new random order each epoch.
    dtype : torch.dtype, default=torch.float32
        The dtype sparse input rows are densified to.
    """

    def __init__(
        self, inputs, target, sample_weight, batch_size, shuffle, dtype=torch.float32
    ):
        self.inputs = inputs
        self.target = target
        self.sample_weight = sample_weight
        self.n_samples = inputs.shape[0]
        self.batch_size = max(1, min(batch_size, self.n_samples))
        self.shuffle = shuffle
        self.dtype = dtype
        self._sparse = sp.issparse(inputs)
        if self._sparse:
            self.inputs = sp.csr_matrix(inputs)

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

    def epoch(self, generator):
        """Yield the batches of one epoch, in an order drawn from ``generator``."""
        starts = [0, *itertools.accumulate(self.sizes)]
        bounds = list(zip(starts[:-1], starts[1:], strict=True))
        if self.shuffle:
            n = self.n_samples
            order = torch.randperm(n, generator=generator, device=generator.device)
            order = order.to(self.target.device)
            indices = (order[start:stop] for start, stop in bounds)
        else:
            indices = (slice(start, stop) for start, stop in bounds)
        weight = self.sample_weight
        for index in indices:
            yield (
                self._input_rows(index),
                self.target[index],
                None if weight is None else weight[index],
            )

    def _input_rows(self, index):
        if not self._sparse:
            return self.inputs[index]
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        rows = self.inputs[index].toarray()
        return torch.as_tensor(rows, dtype=self.dtype, device=self.target.device)
