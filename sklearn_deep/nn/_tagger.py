"""A BiLSTM sequence tagger with optional character features and a CRF output.

The architecture of Lample et al. (2016, "Neural Architectures for Named Entity
Recognition") and Ma & Hovy (2016, "End-to-end Sequence Labeling via
Bi-directional LSTM-CNNs-CRF"): each token is the concatenation of a word
embedding, embeddings of extra categorical features (e.g. a POS column) and a
character-level representation (a max-pooled CNN or the final states of a
BiLSTM over the characters); a (Bi)LSTM reads the sentence; a linear layer gives
per-token tag scores ("emissions"); a linear-chain CRF (or an independent
softmax per token) turns them into a distribution over tag sequences.

Conventions: index 0 is padding in every id tensor (words, features,
characters); a sentence is a prefix of non-zero word ids, so its length is the
count of non-zero ids. Padding never reaches the LSTM's outputs at real tokens
(``PaddedLSTM`` reads each sentence before its padding in both directions),
the character encoder (only real tokens are encoded, padded character positions
are masked out of the max-pool), the loss or the CRF (all masked), so a
sentence's output never depends on the other sentences of its batch.

Every network here has ``reset_parameters(generator)``, drawing all its initial
weights from ``generator`` (torch's global generator when None).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from sklearn_deep.nn._dropout import Dropout, RandomDraws
from sklearn_deep.nn._init import torch_default_uniform
from sklearn_deep.nn._recurrent import PaddedLSTM, reset_lstm

# Word id that stands for any word outside the vocabulary.
UNKNOWN = 1
# The constructor arguments of every tagger's token layers (``TokenTagger``).
TOKEN_ARGUMENTS = (
    "n_words",
    "feature_sizes",
    "embedding_dim",
    "feature_embedding_dim",
    "n_chars",
    "char_features",
    "char_embedding_dim",
    "char_hidden_size",
    "dropout",
    "word_dropout",
)


@torch.no_grad()
def reset_embedding(embedding, generator=None):
    """Uniform with variance ``1 / embedding_dim``; the padding row (0) zero.

    Not torch's N(0, 1), whose scale swamps the LSTM's input gates.
    """
    bound = math.sqrt(3.0 / embedding.embedding_dim)
    embedding.weight.uniform_(-bound, bound, generator=generator)
    embedding.weight[0].zero_()


class CharCNN(nn.Module):
    """Character embeddings, one 1-D convolution (width 3), max-pooled over the word.

    Parameters
    ----------
    n_chars : int
        Size of the character vocabulary, padding (0) included.
    embedding_dim : int
        Width of the character embeddings.
    n_filters : int
        Number of convolution filters, i.e. the width of the word representation.
    """

    def __init__(self, n_chars, embedding_dim, n_filters):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(embedding_dim, n_filters, kernel_size=3, padding=1)
        self.output_size = n_filters

    def reset_parameters(self, generator=None):
        """Embeddings as ``reset_embedding``, the convolution as torch's default."""
        reset_embedding(self.embedding, generator)
        torch_default_uniform(self.conv, generator)

    def forward(self, chars):
        """``chars`` (n_words, max_chars) -> (n_words, n_filters)."""
        # The convolution of embedded characters equals a sum of lookups in
        # per-offset tables: column k of the kernel applied to every character's
        # embedding, E @ W[:, :, k].T (n_chars x n_filters). Three small lookups
        # and adds ran 1.4x as fast as the oneDNN convolution, forward and
        # backward, on a batch of 560 words. Id 0 (padding) has a zero
        # embedding, so its table rows are zero, as the convolution's zero padding.
        width = self.conv.kernel_size[0]
        tables = torch.einsum("ce,fek->kcf", self.embedding.weight, self.conv.weight)
        padded = F.pad(chars.long(), (width // 2, width // 2))
        n = chars.shape[1]
        features = self.conv.bias + sum(
            tables[k][padded[:, k : k + n]] for k in range(width)
        )
        features = features.masked_fill((chars == 0)[:, :, None], -math.inf)
        return features.max(dim=1).values


class CharLSTM(nn.Module):
    """Character embeddings read by a BiLSTM; the two final states, concatenated.

    Parameters
    ----------
    n_chars : int
        Size of the character vocabulary, padding (0) included.
    embedding_dim : int
        Width of the character embeddings.
    hidden_size : int
        Hidden units of each direction; the representation is twice as wide.
    """

    def __init__(self, n_chars, embedding_dim, hidden_size):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(
            embedding_dim, hidden_size, batch_first=True, bidirectional=True
        )
        self.output_size = 2 * hidden_size

    def reset_parameters(self, generator=None):
        """Embeddings as ``reset_embedding``, the BiLSTM as torch's default."""
        reset_embedding(self.embedding, generator)
        reset_lstm(self.lstm, generator)

    def forward(self, chars):
        """``chars`` (n_words, max_chars) -> (n_words, 2 * hidden_size)."""
        lengths = (chars != 0).sum(dim=1)
        packed = pack_padded_sequence(
            self.embedding(chars),
            lengths.cpu(),
            batch_first=True,
            enforce_sorted=False,
        )
        _, (hidden, _) = self.lstm(packed)
        return torch.cat([hidden[0], hidden[1]], dim=1)


class LinearChainCRF(nn.Module):
    """A linear-chain conditional random field over per-token tag scores.

    The score of tags ``y_1..y_n`` given emissions ``E`` is
    ``start[y_1] + sum_t E[t, y_t] + sum_t T[y_t, y_t+1] + end[y_n]``; the
    model is ``p(y | x) = exp(score(y)) / Z(x)``. The forward algorithm gives
    ``log Z`` (for the log-likelihood), Viterbi the best sequence, and
    forward-backward the per-token marginals. Every method takes ``mask``
    (batch, time), True on real tokens, a prefix of each row.

    Parameters
    ----------
    n_tags : int
        Number of tags.
    """

    # Whether log_partition combines the positions in a tree
    # (parallel_log_partition) rather than one after the other: on one CPU
    # thread the tree took 750 ms against 20 for 64 sentences of 50 tokens and
    # 23 tags, forward and backward; on a GPU it is to be measured
    # (benchmarks/bench_gpu.py), so the sequential algorithm is the default.
    parallel = False

    def __init__(self, n_tags):
        super().__init__()
        self.n_tags = n_tags
        self.transitions = nn.Parameter(torch.zeros(n_tags, n_tags))
        self.start = nn.Parameter(torch.zeros(n_tags))
        self.end = nn.Parameter(torch.zeros(n_tags))

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Every score uniform on [-0.1, 0.1]."""
        for parameter in (self.transitions, self.start, self.end):
            parameter.uniform_(-0.1, 0.1, generator=generator)

    def _forward_scores(self, emissions, mask):
        """Forward variables ``alpha`` (batch, time, tags), frozen after each end."""
        alpha = self.start + emissions[:, 0]
        alphas = [alpha]
        transitions = self.transitions[None]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha[:, :, None] + transitions, dim=1)
            alpha = torch.where(mask[:, t, None], step + emissions[:, t], alpha)
            alphas.append(alpha)
        return torch.stack(alphas, dim=1)

    def log_partition(self, emissions, mask):
        """``log Z(x)`` of each sentence, shape (batch,).

        The forward algorithm, one position after the other: a few small
        kernels per position. With ``parallel_log_partition`` the positions
        are combined in a tree instead.
        """
        if self.parallel:
            return self.parallel_log_partition(emissions, mask)
        alpha = self.start + emissions[:, 0]
        transitions = self.transitions[None]
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha[:, :, None] + transitions, dim=1)
            alpha = torch.where(mask[:, t, None], step + emissions[:, t], alpha)
        return torch.logsumexp(alpha + self.end, dim=1)

    def parallel_log_partition(self, emissions, mask):
        """``log Z(x)`` by a tree of log-semiring matrix products.

        Position ``t >= 1`` is the matrix ``M_t[i, j] = T[i, j] + E[t, j]``
        (the log-space identity past a sentence's end), and ``log Z`` is
        ``logsumexp(alpha_0 (x) M_1 (x) ... (x) M_{n-1} + end)`` with
        ``(A (x) B)[i, k] = logsumexp_j A[i, j] + B[j, k]``, an associative
        product: pairs of neighbours are multiplied all at once, halving the
        chain each round. That is ``log2(time)`` rounds of a few kernels
        instead of ``time`` steps, for ``tags`` times the arithmetic: a trade
        for GPUs, which wait on launches; on a CPU the sequential algorithm
        is faster.
        """
        batch, time, n_tags = emissions.shape
        alpha = self.start + emissions[:, 0]
        if time == 1:
            return torch.logsumexp(alpha + self.end, dim=1)
        identity = torch.full(
            (n_tags, n_tags),
            float("-inf"),
            dtype=emissions.dtype,
            device=emissions.device,
        ).fill_diagonal_(0.0)
        steps = self.transitions[None, None] + emissions[:, 1:, None, :]
        steps = torch.where(mask[:, 1:, None, None], steps, identity)
        while steps.shape[1] > 1:
            if steps.shape[1] % 2:
                pad = identity.expand(batch, 1, n_tags, n_tags)
                steps = torch.cat([steps, pad], dim=1)
            left, right = steps[:, 0::2], steps[:, 1::2]
            steps = torch.logsumexp(
                left[..., :, :, None] + right[..., None, :, :], dim=-2
            )
        alpha = torch.logsumexp(alpha[:, :, None] + steps[:, 0], dim=1)
        return torch.logsumexp(alpha + self.end, dim=1)

    def sequence_score(self, emissions, tags, mask):
        """The unnormalised score of the tag sequences ``tags``, shape (batch,)."""
        tags = tags.masked_fill(~mask, 0)
        maskf = mask.to(emissions.dtype)
        emitted = emissions.gather(2, tags[:, :, None])[:, :, 0]
        score = (emitted * maskf).sum(dim=1) + self.start[tags[:, 0]]
        moves = self.transitions[tags[:, :-1], tags[:, 1:]]
        score = score + (moves * maskf[:, 1:]).sum(dim=1)
        last = mask.sum(dim=1) - 1
        return score + self.end[tags.gather(1, last[:, None])[:, 0]]

    def negative_log_likelihood(self, emissions, tags, mask):
        """``-log p(tags | x)`` per sentence, shape (batch,)."""
        return self.log_partition(emissions, mask) - self.sequence_score(
            emissions, tags, mask
        )

    def decode(self, emissions, mask):
        """The Viterbi (most probable) tag sequences, (batch, time) long.

        Positions past a sentence's end repeat its last tag; callers trim them.
        """
        score = self.start + emissions[:, 0]
        transitions = self.transitions[None]
        backpointers = []
        identity = torch.arange(self.n_tags, device=emissions.device)
        for t in range(1, emissions.shape[1]):
            best, index = (score[:, :, None] + transitions).max(dim=1)
            keep = mask[:, t, None]
            score = torch.where(keep, best + emissions[:, t], score)
            # Past the end the path stays on its tag, so backtracking from the
            # last column reaches each sentence's own best final tag.
            backpointers.append(torch.where(keep, index, identity))
        best = (score + self.end).argmax(dim=1)
        path = [best]
        for index in reversed(backpointers):
            best = index.gather(1, best[:, None])[:, 0]
            path.append(best)
        return torch.stack(path[::-1], dim=1)

    def marginals(self, emissions, mask):
        """Posterior tag probabilities (batch, time, tags), by forward-backward."""
        alphas = self._forward_scores(emissions, mask)
        log_z = torch.logsumexp(alphas[:, -1] + self.end, dim=1)
        end = self.end.expand(emissions.shape[0], -1)
        beta = end
        betas = [beta]
        transitions = self.transitions[None]
        for t in range(emissions.shape[1] - 2, -1, -1):
            following = emissions[:, t + 1] + beta
            step = torch.logsumexp(transitions + following[:, None, :], dim=2)
            beta = torch.where(mask[:, t + 1, None], step, end)
            betas.append(beta)
        betas = torch.stack(betas[::-1], dim=1)
        return torch.exp(alphas + betas - log_z[:, None, None])


class TokenTagger(RandomDraws, nn.Module):
    """Base of the tagging networks: token representations in, tag scores out.

    What every tagger shares, so that taggers differ only in their sentence
    encoder: the token representation (a word embedding with word dropout,
    embeddings of extra categorical features, an optional character encoder,
    concatenated, then dropout), and the output (dropout, a linear layer to
    per-token tag scores, and an optional linear-chain CRF with its loss,
    decoding and marginals). A subclass calls ``_build_tokens`` then
    ``_build_output`` in its ``__init__`` and implements
    ``encode(tokens, mask, lengths) -> hidden`` (batch, time, width) and
    ``_reset_encoder(generator)``. The layers are attributes of the network
    itself (``word_embedding``, ``feature_embeddings``, ``char_encoder``,
    ``output``, ``crf``), so their state-dict names are the same in every
    tagger.

    In training, word dropout draws from the ``generator`` attribute and
    dropout from its ``Dropout`` layers' (see ``draw_from``); torch's global
    generator unless set.
    """

    def _build_tokens(self, arguments):
        """The token layers; returns the width of a token's representation.

        ``arguments`` is the subclass constructor's ``locals()``: the
        ``TOKEN_ARGUMENTS`` are read from it, so that every tagger takes them
        under the same names.
        """
        (
            n_words,
            feature_sizes,
            embedding_dim,
            feature_embedding_dim,
            n_chars,
            char_features,
            char_embedding_dim,
            char_hidden_size,
            dropout,
            word_dropout,
        ) = (arguments[name] for name in TOKEN_ARGUMENTS)
        self.word_dropout = word_dropout
        self.word_embedding = nn.Embedding(n_words, embedding_dim, padding_idx=0)
        self.feature_embeddings = nn.ModuleList(
            nn.Embedding(size, feature_embedding_dim, padding_idx=0)
            for size in feature_sizes
        )
        width = embedding_dim + feature_embedding_dim * len(feature_sizes)
        if char_features == "cnn":
            self.char_encoder = CharCNN(n_chars, char_embedding_dim, char_hidden_size)
        elif char_features == "lstm":
            self.char_encoder = CharLSTM(n_chars, char_embedding_dim, char_hidden_size)
        elif char_features is None:
            self.char_encoder = None
        else:
            raise ValueError(f"Unknown char_features {char_features!r}.")
        if self.char_encoder is not None:
            width += self.char_encoder.output_size
        self.dropout = Dropout(dropout)
        return width

    def _build_output(self, width, n_tags, crf):
        """The linear layer from the encoder's ``width`` to tags, and the CRF."""
        self.output = nn.Linear(width, n_tags)
        self.crf = LinearChainCRF(n_tags) if crf else None

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Re-initialise every parameter from ``generator`` (None: torch's global).

        Embeddings are uniform with variance 1/width (``reset_embedding``), the
        character encoder and the output layer have torch's default
        distributions, the encoder its own (``_reset_encoder``); the CRF's
        scores are uniform on [-0.1, 0.1].
        """
        for embedding in (self.word_embedding, *self.feature_embeddings):
            reset_embedding(embedding, generator)
        if self.char_encoder is not None:
            self.char_encoder.reset_parameters(generator)
        self._reset_encoder(generator)
        torch_default_uniform(self.output, generator)
        if self.crf is not None:
            self.crf.reset_parameters(generator)

    def _reset_encoder(self, generator):
        raise NotImplementedError

    def encode(self, tokens, mask, lengths):
        """The sentence encoder: token representations -> (batch, time, width)."""
        raise NotImplementedError

    def forward(self, inputs):
        """Per-token tag scores (batch, time, n_tags), ``time`` the longest sentence.

        ``inputs`` is ``(words, features, chars)``: word ids (batch, max_len),
        feature ids (batch, max_len, n_features) and character ids
        (batch, max_len, max_chars); the last two may have width 0.
        """
        tokens, mask, lengths = self.embed_tokens(inputs)
        hidden = self.encode(tokens, mask, lengths)
        return self.output(self.dropout(hidden))

    def embed_tokens(self, inputs):
        """``(tokens, mask, lengths)``: the dropped-out token representations
        (batch, time, width), True on real tokens, and the sentence lengths
        (at least 1), ``time`` the longest sentence of the batch."""
        words, features, chars = inputs
        lengths = (words != 0).sum(dim=1)
        length = max(int(lengths.max()), 1)
        words = words[:, :length]
        mask = words != 0
        if self.training and self.word_dropout > 0:
            draws = torch.rand(
                words.shape, device=words.device, generator=self.generator
            )
            drop = draws < self.word_dropout
            words = torch.where(drop & mask, torch.full_like(words, UNKNOWN), words)
        parts = [self.word_embedding(words)]
        for i, embedding in enumerate(self.feature_embeddings):
            parts.append(embedding(features[:, :length, i].long()))
        if self.char_encoder is not None:
            parts.append(self._encode_chars(chars[:, :length], mask))
        tokens = self.dropout(torch.cat(parts, dim=2))
        return tokens, mask, lengths.clamp(min=1)

    def _encode_chars(self, chars, mask):
        """Character representations of the real tokens, zeros at padding."""
        n_chars = max(int((chars != 0).sum(dim=2).max()), 1)
        real = chars[:, :, :n_chars][mask].long()
        # Each distinct word of the batch is encoded once: a batch of 32
        # CoNLL-2000 sentences holds about 860 tokens but 390 distinct words,
        # and the character CNN's forward and backward took 5.8 ms instead of
        # 10.1 (one thread), the sort of torch.unique included.
        distinct, where = torch.unique(real, dim=0, return_inverse=True)
        encoded = self.char_encoder(distinct)[where]
        out = encoded.new_zeros((*mask.shape, encoded.shape[1]))
        out[mask] = encoded
        return out

    def loss(self, emissions, target):
        """Mean per-token negative log-likelihood; ``target`` -1 at padding.

        With the CRF it is the sentences' negative log-likelihood summed and
        divided by the number of tokens, so that both outputs report a loss on
        the same per-token scale.
        """
        target = target[:, : emissions.shape[1]]
        mask = target >= 0
        if self.crf is None:
            return F.cross_entropy(
                emissions.reshape(-1, emissions.shape[2]),
                target.reshape(-1),
                ignore_index=-1,
            )
        nll = self.crf.negative_log_likelihood(emissions, target, mask)
        return nll.sum() / mask.sum()

    def decode(self, emissions, mask):
        """Best tag ids (batch, time): Viterbi with the CRF, else per-token argmax."""
        if self.crf is None:
            return emissions.argmax(dim=2)
        return self.crf.decode(emissions, mask)

    def marginals(self, emissions, mask):
        """Per-token tag probabilities (batch, time, n_tags)."""
        if self.crf is None:
            return torch.softmax(emissions, dim=2)
        return self.crf.marginals(emissions, mask)


class SequenceTagger(TokenTagger):
    """Embeddings -> (Bi)LSTM -> per-token tag scores [-> linear-chain CRF].

    The token representation and the output are ``TokenTagger``'s; the
    sentence encoder is a ``PaddedLSTM``. In training, word dropout draws from
    the ``generator`` attribute and dropout from its ``Dropout`` layers' (see
    ``draw_from``); torch's global generator unless set.

    Parameters
    ----------
    n_words : int
        Size of the word vocabulary, padding (0) and unknown (1) included.
    n_tags : int
        Number of tags.
    feature_sizes : sequence of int, default=()
        Vocabulary size (padding and unknown included) of each extra
        categorical feature.
    embedding_dim : int, default=100
        Width of the word embeddings.
    feature_embedding_dim : int, default=20
        Width of each extra feature's embeddings.
    n_chars : int, default=0
        Size of the character vocabulary (padding and unknown included).
    char_features : {"cnn", "lstm"} or None, default=None
        The character-level word encoder, or None for none.
    char_embedding_dim : int, default=30
        Width of the character embeddings.
    char_hidden_size : int, default=50
        CNN filters, or hidden units per direction of the character BiLSTM.
    hidden_size : int, default=128
        Hidden units of each direction of the sentence LSTM.
    num_layers : int, default=1
        Stacked LSTM layers.
    bidirectional : bool, default=True
        Whether the sentence LSTM also reads right to left.
    dropout : float, default=0.5
        Dropout on the token representations, between LSTM layers and on the
        LSTM outputs.
    word_dropout : float, default=0.0
        Probability of replacing a word id by the unknown id during training,
        so that the unknown-word embedding is trained.
    crf : bool, default=True
        Whether to add a linear-chain CRF on top of the emissions.
    """

    def __init__(
        self,
        n_words,
        n_tags,
        *,
        feature_sizes=(),
        embedding_dim=100,
        feature_embedding_dim=20,
        n_chars=0,
        char_features=None,
        char_embedding_dim=30,
        char_hidden_size=50,
        hidden_size=128,
        num_layers=1,
        bidirectional=True,
        dropout=0.5,
        word_dropout=0.0,
        crf=True,
    ):
        super().__init__()
        width = self._build_tokens(locals())
        self.lstm = PaddedLSTM(
            width,
            hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
        )
        self._build_output(self.lstm.output_size, n_tags, crf)
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Re-initialise every parameter from ``generator`` (None: torch's global).

        As ``TokenTagger.reset_parameters``, the LSTMs with torch's default
        distributions, and the LSTMs' forget gates a bias of 1, so that early
        training carries information across tokens.
        """
        super().reset_parameters(generator)
        for lstm in self.modules():
            if isinstance(lstm, nn.LSTM):
                for name, parameter in lstm.named_parameters():
                    if name.startswith("bias_ih"):
                        hidden = lstm.hidden_size
                        parameter[hidden : 2 * hidden].fill_(1.0)

    def _reset_encoder(self, generator):
        self.lstm.reset_parameters(generator)

    def encode(self, tokens, mask, lengths):
        """The BiLSTM's outputs (batch, time, ``lstm.output_size``)."""
        return self.lstm(tokens, lengths)
