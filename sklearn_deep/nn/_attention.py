"""Multi-head self-attention with a padding mask and relative-position biases.

Scaled dot-product attention (Vaswani et al., 2017, "Attention Is All You
Need"): for each head ``h``, ``softmax(Q_h K_h^T / sqrt(d_head) + B_h) V_h``,
``B_h`` a bias added to the scores: a large negative score for the keys that
are padding, which softmax turns into a weight of exactly 0 (so a token never
attends to another sentence's padding, and its output does not depend on how
long the other sentences of its batch are), plus an optional learned bias for
each relative offset ``j - i`` (``RelativePositionBias``).

Every module here has ``reset_parameters(generator)``, drawing all its
initial weights from ``generator`` (torch's global generator when None).
"""

import math

import torch
from torch import nn

from sklearn_deep.nn._dropout import Dropout
from sklearn_deep.nn._init import torch_default_uniform

# The score of a key at padding: exp gives exactly 0 for it after softmax's
# shift by the row's maximum, and unlike -inf a row without any real key (an
# empty sentence) stays finite. Not the dtype's most negative number: under
# autocast the scores are float16 or bfloat16, where adding anything to that
# overflows to -inf.
PADDING_SCORE = -1e4


def alibi_slopes(n_heads):
    """ALiBi's per-head slopes (Press et al., 2022): a geometric sequence.

    For ``n`` a power of two, ``2 ** (-8 (h + 1) / n)``, h = 0..n-1; otherwise
    the slopes of the closest smaller power of two followed by every other
    slope of the next one, as in the paper's code.
    """

    def power_of_two(n):
        start = 2 ** (-8 / n)
        return [start ** (h + 1) for h in range(n)]

    if math.log2(n_heads).is_integer():
        return power_of_two(n_heads)
    closest = 2 ** math.floor(math.log2(n_heads))
    return power_of_two(closest) + power_of_two(2 * closest)[0::2][: n_heads - closest]


class RelativePositionBias(nn.Module):
    """A learned score bias per head and relative offset, clipped at +-``max_distance``.

    The bias of query ``i`` and key ``j`` in head ``h`` is ``b[h, clip(j - i)]``
    (Shaw et al., 2018; Raffel et al., 2020, share one such table per layer).
    It starts as ALiBi's linear penalty ``-slope_h * |j - i|``, so that each
    head first looks at a neighbourhood of its own width, a locality prior
    that attention trained from scratch on a few thousand sentences cannot
    find by itself. The table is stored divided by ``scale`` and multiplied
    back in ``forward``: with Adam, whose steps are about the learning rate in
    a parameter's own units, the bias then learns ``scale`` times as fast as
    the other weights, without a parameter group of its own.

    Parameters
    ----------
    n_heads : int
        Number of attention heads.
    max_distance : int, default=16
        Offsets beyond +-``max_distance`` share the bias of the farthest one.
    scale : float, default=10.0
        How much faster than the other weights the bias learns.
    """

    def __init__(self, n_heads, max_distance=16, scale=10.0):
        super().__init__()
        self.max_distance = max_distance
        self.scale = scale
        self.weight = nn.Parameter(torch.empty(n_heads, 2 * max_distance + 1))

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """ALiBi's shape, ``-slope_h * |offset|``; nothing is drawn."""
        offsets = torch.arange(-self.max_distance, self.max_distance + 1)
        slopes = torch.tensor(alibi_slopes(self.weight.shape[0]))
        bias = -slopes[:, None] * offsets.abs()[None, :]
        self.weight.copy_(bias / self.scale)

    def forward(self, length):
        """The biases (n_heads, length, length) of a sentence of ``length`` tokens."""
        positions = torch.arange(length, device=self.weight.device)
        offsets = (positions[None, :] - positions[:, None]).clamp(
            -self.max_distance, self.max_distance
        )
        return self.weight[:, offsets + self.max_distance] * self.scale

    def extra_repr(self):
        return f"max_distance={self.max_distance}, scale={self.scale}"


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention over padded sentences.

    Parameters
    ----------
    d_model : int
        Width of the inputs and outputs; a multiple of ``n_heads``.
    n_heads : int
        Number of heads, each of width ``d_model // n_heads``.
    attention_dropout : float, default=0.0
        Dropout on the attention weights in training.
    relative_positions : int or None, default=None
        With an int, a ``RelativePositionBias`` clipped at that distance.
    """

    def __init__(
        self, d_model, n_heads, attention_dropout=0.0, relative_positions=None
    ):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(
                f"d_model={d_model} must be a multiple of n_heads={n_heads}."
            )
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.dropout = Dropout(attention_dropout)
        self.position_bias = (
            None
            if relative_positions is None
            else RelativePositionBias(n_heads, relative_positions)
        )

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """The projections as torch's ``nn.Linear``; the bias as ALiBi's."""
        torch_default_uniform(self.qkv, generator)
        torch_default_uniform(self.out, generator)
        if self.position_bias is not None:
            self.position_bias.reset_parameters(generator)

    def forward(self, x, mask, need_weights=False):
        """Attend over ``x`` (batch, time, d_model); ``mask`` True on real tokens.

        Returns the outputs (batch, time, d_model) and, with ``need_weights``,
        the attention weights (batch, n_heads, time, time), each row summing
        to 1 over the sentence's real tokens and 0 on its padding.
        """
        batch, time, width = x.shape
        heads = self.n_heads
        q, k, v = (
            self.qkv(x)
            .view(batch, time, 3, heads, width // heads)
            .permute(2, 0, 3, 1, 4)
        )
        # One matmul for the scores and one for the context rather than
        # torch's scaled_dot_product_attention: forward and backward of 32
        # sentences of 40 tokens, 4 heads of 32, with a bias and a padding
        # mask, took 3.9-4.3 ms against its 4.6-4.7 on one CPU thread; and
        # the weights are at hand for inspection and for a dropout that draws
        # from the layer's own generator. The scaling, the position bias and
        # the padding mask enter that matmul as baddbmm's alpha and input
        # rather than as passes of their own over the scores (3% of a
        # tagger's training step).
        bias = x.new_zeros(batch, 1, 1, time).masked_fill_(
            ~mask[:, None, None, :], PADDING_SCORE
        )
        if self.position_bias is not None:
            bias = bias + self.position_bias(time)
        scores = torch.baddbmm(
            bias.expand(batch, heads, time, time).reshape(batch * heads, time, time),
            q.reshape(batch * heads, time, -1),
            k.reshape(batch * heads, time, -1).transpose(1, 2),
            alpha=1.0 / math.sqrt(width // heads),
        ).view(batch, heads, time, time)
        weights = torch.softmax(scores, dim=-1)
        context = self.dropout(weights) @ v
        output = self.out(context.transpose(1, 2).reshape(batch, time, width))
        return (output, weights) if need_weights else (output, None)
