"""A batch order that puts sequences of similar lengths together (bucketing).

Padded sequence batches compute on their padding; sorting a whole shuffled
epoch by length would leave the batches the same every epoch, so sentences are
sorted only within pools of ``pool_batches`` batches, and the batches are then
visited in a random order.
"""

import torch

from sklearn_deep._training._batches import Batches

# Shuffled sequences are sorted by length within pools of this many batches, so
# that a batch holds sequences of similar lengths (little padding) while the
# batches still differ from epoch to epoch.
POOL_BATCHES = 50


def length_bucketed_order(lengths, sizes, batch_size, pool_batches=POOL_BATCHES):
    """A batch order for ``Batches``: shuffled, then sorted by length in pools.

    Sentences are shuffled, sorted by length within pools of
    ``pool_batches`` batches and cut into batches of ``sizes``; the full
    batches are then visited in a random order (a smaller last batch stays
    last, where ``Batches`` expects it).

    Parameters
    ----------
    lengths : torch.Tensor of shape (n_sequences,)
        The length of each training sequence (on the CPU).
    sizes : list of int
        ``Batches.sizes``: the size of each batch of an epoch, in order.
    batch_size : int
        The size of a full batch.
    pool_batches : int, default=50
        Batches per pool sorted by length.

    Returns
    -------
    order : callable
        ``order(generator) -> permutation``, for ``Batches.order``.
    """

    def order(generator):
        n = len(lengths)
        permutation = torch.randperm(n, generator=generator, device=generator.device)
        permutation = permutation.cpu()
        pool = pool_batches * batch_size
        pieces = []
        for start in range(0, n, pool):
            piece = permutation[start : start + pool]
            pieces.append(piece[torch.argsort(lengths[piece], stable=True)])
        segments = list(torch.cat(pieces).split(sizes))
        full = [k for k, size in enumerate(sizes) if size == batch_size]
        shuffled = torch.randperm(
            len(full), generator=generator, device=generator.device
        ).tolist()
        result = list(segments)
        for target, source in zip(full, shuffled, strict=True):
            result[target] = segments[full[source]]
        return torch.cat(result)

    return order


def length_bucketed_batches(
    inputs,
    target,
    lengths,
    batch_size,
    *,
    shuffle,
    rows=None,
    pool_batches=POOL_BATCHES,
):
    """``Batches`` of padded sequences whose shuffled epochs are length-bucketed.

    Parameters
    ----------
    inputs : tuple of torch.Tensor
        Padded sequences, one row each (e.g. word ids and character ids).
    target : torch.Tensor
        Per-position targets, rows aligned with ``inputs``.
    lengths : torch.Tensor of shape (n_rows,)
        The length of each row of ``inputs`` (on the CPU).
    batch_size : int
        Sequences per batch.
    shuffle : bool
        Whether to shuffle (then bucket) each epoch; without it the rows are
        visited in order.
    rows : torch.Tensor, default=None
        The rows to train on (all when None), as ``Batches`` takes them.
    pool_batches : int, default=50
        Batches per pool sorted by length.

    Returns
    -------
    batches : Batches
        The batches, their order from ``length_bucketed_order``.
    """
    batches = Batches(inputs, target, None, batch_size, shuffle=shuffle, rows=rows)
    if rows is not None:
        lengths = lengths[rows.cpu()]
    batches.order = length_bucketed_order(
        lengths, batches.sizes, batches.batch_size, pool_batches
    )
    return batches
