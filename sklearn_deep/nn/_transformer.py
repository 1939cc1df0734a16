"""A transformer sequence tagger: the taggers' tokens, a self-attention encoder.

The token representation (word, feature and character embeddings, word
dropout) and the output (a linear layer and an optional linear-chain CRF) are
``TokenTagger``'s, shared with the BiLSTM tagger; the encoder projects the
tokens to ``d_model`` and runs a stack of transformer layers (Vaswani et al.,
2017): multi-head self-attention and a feed-forward network, each in a
residual connection with layer normalisation, before it (``norm_first``,
"pre-LN", which trains without the careful warm-up that post-LN needs) or
after it (the original "post-LN").

Attention by itself is blind to word order; ``positional`` says where the
order comes from: fixed sinusoids or learned vectors added to the inputs
(absolute positions), or a learned bias per head and relative offset added to
the attention scores (``RelativePositionBias``), which starts as ALiBi's
locality penalty. For tagging, where a token's neighbours matter most, the
relative bias with a CRF scored best (see the tagger's documentation).

The feed-forward network of each layer can look at a token's neighbours too
(``feedforward_kernel_size``): its first layer is then a convolution over the
sentence's tokens, as in FastSpeech's feed-forward transformer blocks (Ren et
al., 2019), a local view that attention has to learn otherwise.

Padding: keys at padding get no attention weight, the feed-forward
convolution sees zeros beyond a sentence's last token, and every other layer
is per token, so a sentence's outputs do not depend on the other sentences of
its batch.
"""

import math

import torch
from torch import nn

from sklearn_deep.nn._attention import MultiHeadSelfAttention
from sklearn_deep.nn._dropout import Dropout
from sklearn_deep.nn._init import torch_default_uniform
from sklearn_deep.nn._tagger import TokenTagger

POSITIONAL_ENCODINGS = ("relative", "sinusoidal", "learned")
# The feed-forward networks' activations: Vaswani et al.'s ReLU, or the GELU
# of BERT and its successors.
FEEDFORWARD_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}
# Offsets beyond this share one relative-position bias.
MAX_RELATIVE_DISTANCE = 16
# Positions of the learned absolute embeddings; later ones share the last.
MAX_LEARNED_POSITIONS = 512


def sinusoidal_positions(length, width, device=None, dtype=None):
    """Vaswani et al.'s fixed position vectors (length, width).

    ``PE[p, 2i] = sin(p / 10000^(2i / width))``, ``PE[p, 2i + 1]`` the cosine.
    """
    positions = torch.arange(length, device=device, dtype=torch.float64)[:, None]
    rates = torch.exp(
        torch.arange(0, width, 2, device=device, dtype=torch.float64)
        * (-math.log(10000.0) / width)
    )
    table = torch.zeros(length, width, device=device, dtype=torch.float64)
    table[:, 0::2] = torch.sin(positions * rates)
    table[:, 1::2] = torch.cos(positions * rates[: width // 2])
    return table.to(dtype)


def neighbourhood_convolution(x, conv):
    """``conv`` (an ``nn.Conv1d`` over time) on ``x`` (batch, time, channels).

    For a ``conv`` of stride 1 padded by ``kernel_size // 2`` on each side,
    as the feed-forward layers' are: the same sums as
    ``conv(x.transpose(1, 2)).transpose(1, 2)``, as one
    matrix product: each token's vector beside those of its neighbours (zeros
    beyond the ends) times the kernel laid out to match. The feed-forward
    convolution of 128 to 128 channels over 3 tokens, forward and backward,
    on 33 sentences of 40 tokens: 8.1-9.0 ms this way against 9.9-10.7 ms
    for ``Conv1d``'s (one thread), whose input is a transposed copy.
    """
    width = conv.kernel_size[0]
    length = x.shape[1]
    padded = nn.functional.pad(x, (0, 0, width // 2, width // 2))
    neighbourhoods = torch.cat(
        [padded[:, offset : offset + length] for offset in range(width)], dim=2
    )
    # (out, in, offset) -> (out, offset * in), the neighbourhoods' layout.
    kernel = conv.weight.permute(0, 2, 1).reshape(conv.out_channels, -1)
    return nn.functional.linear(neighbourhoods, kernel, conv.bias)


class TransformerLayer(nn.Module):
    """Self-attention then a feed-forward network, each residual with a LayerNorm.

    Parameters
    ----------
    d_model : int
        Width of the token vectors.
    n_heads : int
        Attention heads.
    dim_feedforward : int
        Hidden units of the feed-forward network.
    dropout : float
        Dropout on each residual branch.
    attention_dropout : float
        Dropout on the attention weights.
    norm_first : bool
        Pre-LN ``x + f(norm(x))`` when True, post-LN ``norm(x + f(x))`` else.
    relative_positions : int or None
        Clipping distance of a relative-position bias, or None for none.
    feedforward_kernel_size : int, default=1
        Tokens seen by each hidden unit of the feed-forward network, an odd
        number: 1 is the position-wise network (a linear layer), more a
        convolution over the token and its neighbours.
    activation : {"gelu", "relu"}, default="gelu"
        The feed-forward network's activation.
    """

    def __init__(
        self,
        d_model,
        n_heads,
        dim_feedforward,
        dropout,
        attention_dropout,
        norm_first,
        relative_positions,
        feedforward_kernel_size=1,
        activation="gelu",
    ):
        super().__init__()
        if activation not in FEEDFORWARD_ACTIVATIONS:
            raise ValueError(f"Unknown activation {activation!r}.")
        if feedforward_kernel_size < 1 or feedforward_kernel_size % 2 == 0:
            raise ValueError(
                f"feedforward_kernel_size={feedforward_kernel_size} must be an "
                "odd positive number."
            )
        self.norm_first = norm_first
        self.attention = MultiHeadSelfAttention(
            d_model, n_heads, attention_dropout, relative_positions
        )
        self.norm1 = nn.LayerNorm(d_model)
        self.linear1 = (
            nn.Linear(d_model, dim_feedforward)
            if feedforward_kernel_size == 1
            else nn.Conv1d(
                d_model,
                dim_feedforward,
                feedforward_kernel_size,
                padding=feedforward_kernel_size // 2,
            )
        )
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.activation = FEEDFORWARD_ACTIVATIONS[activation]()
        self.dropout = Dropout(dropout)

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Linear layers as torch's default; LayerNorms the identity."""
        self.attention.reset_parameters(generator)
        torch_default_uniform(self.linear1, generator)
        torch_default_uniform(self.linear2, generator)
        for norm in (self.norm1, self.norm2):
            norm.reset_parameters()

    def _feedforward(self, x, mask):
        if isinstance(self.linear1, nn.Linear):
            hidden = self.linear1(x)
        else:
            # Zeros at padding, so that the last tokens of a short sentence
            # see the convolution's zero padding, as in a batch of their own.
            x = x.masked_fill(~mask[:, :, None], 0.0)
            hidden = neighbourhood_convolution(x, self.linear1)
        return self.linear2(self.dropout(self.activation(hidden)))

    def forward(self, x, mask, need_weights=False):
        """``x`` (batch, time, d_model) -> same shape, and the attention weights."""
        if self.norm_first:
            attended, weights = self.attention(self.norm1(x), mask, need_weights)
            x = x + self.dropout(attended)
            x = x + self.dropout(self._feedforward(self.norm2(x), mask))
        else:
            attended, weights = self.attention(x, mask, need_weights)
            x = self.norm1(x + self.dropout(attended))
            x = self.norm2(x + self.dropout(self._feedforward(x, mask)))
        return x, weights


class TransformerEncoder(nn.Module):
    """Token vectors -> ``d_model`` -> positions -> ``n_layers`` transformer layers.

    Parameters
    ----------
    input_size : int
        Width of the token representations.
    d_model : int, default=128
        Width of the layers; a multiple of ``n_heads``.
    n_layers : int, default=2
        Number of transformer layers.
    n_heads : int, default=4
        Attention heads per layer.
    dim_feedforward : int, default=256
        Hidden units of each layer's feed-forward network.
    dropout : float, default=0.1
        Dropout on the residual branches (and the feed-forward hidden units).
    attention_dropout : float, default=0.1
        Dropout on the attention weights.
    norm_first : bool, default=True
        Pre-LN layers (with a final LayerNorm) or post-LN ones.
    positional : {"relative", "sinusoidal", "learned"}, default="relative"
        A relative-position bias in each layer's attention, or absolute
        position vectors (fixed or learned) added to the projected inputs.
    feedforward_kernel_size : int, default=1
        Tokens seen by each hidden unit of a layer's feed-forward network (an
        odd number; 1: position-wise).
    activation : {"gelu", "relu"}, default="gelu"
        The feed-forward networks' activation.
    """

    def __init__(
        self,
        input_size,
        d_model=128,
        n_layers=2,
        n_heads=4,
        dim_feedforward=256,
        dropout=0.1,
        attention_dropout=0.1,
        norm_first=True,
        positional="relative",
        feedforward_kernel_size=1,
        activation="gelu",
    ):
        super().__init__()
        if positional not in POSITIONAL_ENCODINGS:
            raise ValueError(f"Unknown positional {positional!r}.")
        self.d_model = d_model
        self.positional = positional
        self.projection = nn.Linear(input_size, d_model)
        self.position_embedding = (
            nn.Embedding(MAX_LEARNED_POSITIONS, d_model)
            if positional == "learned"
            else None
        )
        relative = MAX_RELATIVE_DISTANCE if positional == "relative" else None
        self.layers = nn.ModuleList(
            TransformerLayer(
                d_model,
                n_heads,
                dim_feedforward,
                dropout,
                attention_dropout,
                norm_first,
                relative,
                feedforward_kernel_size,
                activation,
            )
            for _ in range(n_layers)
        )
        self.final_norm = nn.LayerNorm(d_model) if norm_first else None
        self.output_size = d_model

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Projection and layers as torch's default; learned positions N(0, 0.02)."""
        torch_default_uniform(self.projection, generator)
        if self.position_embedding is not None:
            self.position_embedding.weight.normal_(0.0, 0.02, generator=generator)
        for layer in self.layers:
            layer.reset_parameters(generator)
        if self.final_norm is not None:
            self.final_norm.reset_parameters()

    def _positioned(self, tokens):
        x = self.projection(tokens)
        length = x.shape[1]
        if self.positional == "sinusoidal":
            x = x + sinusoidal_positions(length, self.d_model, x.device, x.dtype)
        elif self.positional == "learned":
            positions = torch.arange(length, device=x.device).clamp(
                max=MAX_LEARNED_POSITIONS - 1
            )
            x = x + self.position_embedding(positions)
        return x

    def forward(self, tokens, mask, need_weights=False):
        """``tokens`` (batch, time, input_size) -> (batch, time, d_model).

        With ``need_weights``, also the attention weights of every layer, a
        list of (batch, n_heads, time, time).
        """
        x = self._positioned(tokens)
        all_weights = []
        for layer in self.layers:
            x, weights = layer(x, mask, need_weights)
            all_weights.append(weights)
        if self.final_norm is not None:
            x = self.final_norm(x)
        return (x, all_weights) if need_weights else x


class TransformerTaggerNetwork(TokenTagger):
    """Embeddings -> transformer encoder -> per-token tag scores [-> CRF].

    The token representation and the output are ``TokenTagger``'s (as in
    ``SequenceTagger``); the encoder is a ``TransformerEncoder``.

    Parameters
    ----------
    n_words, n_tags, feature_sizes, embedding_dim, feature_embedding_dim, \
n_chars, char_features, char_embedding_dim, char_hidden_size
        The vocabularies and the token layers, as for ``SequenceTagger``
        (``embedding_dim`` 50 by default here).
    d_model, n_layers, n_heads, dim_feedforward, attention_dropout, \
norm_first, positional
        The encoder's (``TransformerEncoder``).
    feedforward_kernel_size : int, default=3
        The encoder's: tokens seen by each feed-forward hidden unit.
    activation : {"gelu", "relu"}, default="gelu"
        The encoder's feed-forward activation.
    residual_dropout : float, default=0.1
        The encoder's ``dropout``: on its residual branches and feed-forward
        hidden units.
    dropout : float, default=0.5
        Dropout on the token representations and on the encoder's outputs.
    word_dropout : float, default=0.0
        Probability of replacing a word id by the unknown id in training.
    crf : bool, default=True
        Whether to add a linear-chain CRF on top of the emissions.
    """

    def __init__(
        self,
        n_words,
        n_tags,
        *,
        feature_sizes=(),
        embedding_dim=50,
        feature_embedding_dim=20,
        n_chars=0,
        char_features=None,
        char_embedding_dim=30,
        char_hidden_size=50,
        d_model=128,
        n_layers=2,
        n_heads=4,
        dim_feedforward=128,
        attention_dropout=0.1,
        norm_first=True,
        positional="relative",
        feedforward_kernel_size=3,
        activation="gelu",
        residual_dropout=0.1,
        dropout=0.5,
        word_dropout=0.0,
        crf=True,
    ):
        super().__init__()
        width = self._build_tokens(locals())
        self.encoder = TransformerEncoder(
            width,
            d_model,
            n_layers,
            n_heads,
            dim_feedforward,
            residual_dropout,
            attention_dropout,
            norm_first,
            positional,
            feedforward_kernel_size,
            activation,
        )
        self._build_output(d_model, n_tags, crf)
        self.reset_parameters()

    def _reset_encoder(self, generator):
        self.encoder.reset_parameters(generator)

    def encode(self, tokens, mask, lengths):
        """The transformer's outputs (batch, time, d_model)."""
        return self.encoder(tokens, mask)

    @torch.no_grad()
    def attention_weights(self, inputs):
        """The attention weights of every layer on a batch, in eval mode.

        Returns a list, one (batch, n_heads, time, time) tensor per layer,
        ``time`` the batch's longest sentence; rows sum to 1 over each
        sentence's real tokens.
        """
        tokens, mask, _ = self.embed_tokens(inputs)
        _, weights = self.encoder(tokens, mask, need_weights=True)
        return weights
