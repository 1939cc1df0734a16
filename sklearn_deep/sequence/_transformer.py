"""TransformerTagger: a self-attention (-CNN)-CRF sequence labeller.

Token handling, training, validation and prediction are the sequence taggers'
(``sklearn_deep.sequence._base.BaseSequenceTagger``), the token layers and the
output the networks' (``sklearn_deep.nn.TokenTagger``); here are the tagger's
parameters, its network, ``sklearn_deep.nn.TransformerTaggerNetwork``, and its
attention weights.
"""

import inspect
from numbers import Integral, Real

import torch

from sklearn_deep.base import store_parameters, within_thread_budget
from sklearn_deep.nn import (
    FEEDFORWARD_ACTIVATIONS,
    POSITIONAL_ENCODINGS,
    TransformerTaggerNetwork,
)
from sklearn_deep.sequence._base import BaseSequenceTagger
from sklearn_deep.sequence._tagger import LSTMTagger
from sklearn_deep.sequence._tokens import parse_sentences
from sklearn_deep.utils._fitted_checks import check_layer_count
from sklearn_deep.utils._sklearn_compat import Interval, StrOptions

# Tensors of one encoder layer: a bound for the checks of a loaded file.
LAYER_TENSORS = 12


class TransformerTagger(BaseSequenceTagger):
    """Sequence tagger: embeddings, a transformer encoder and an optional CRF.

    The same tagger as :class:`~sklearn_deep.LSTMTagger` (the same token
    formats, word, feature and character embeddings, word dropout, CRF or
    softmax output, ``fit`` / ``predict`` / ``predict_proba`` / ``score``),
    with the BiLSTM replaced by a stack of transformer layers: the token
    representations are projected to ``d_model`` and each layer lets every
    token attend to every token of its sentence (multi-head scaled
    dot-product self-attention), then applies a feed-forward network, both in
    residual connections with layer normalisation. Padding is masked out of
    the attention, so a sentence's tags do not depend on the other sentences
    of its batch.

    Attention alone does not see word order: ``positional`` adds it. The
    default, ``"relative"``, is a learned bias per head on the attention score
    of each relative offset (clipped at +-16 tokens), started as ALiBi's
    locality penalty ``-slope_h * |i - j|`` and learning 10 times as fast as
    the other weights; in a PyTorch prototype of this network on CoNLL-2000
    chunking it scored about 0.8 F1 above sinusoidal positions, and the CRF
    about 1.3 above a softmax output. The feed-forward networks look at each
    token's neighbours too (``feedforward_kernel_size=3``: their first layer
    is a convolution over three tokens), another local view that added
    0.2-0.4 F1 there.
    Attention trained from scratch also needs a learning-rate warm-up
    (``warmup``), here one epoch before the linear decay.

    Parameters
    ----------
    embedding_dim : int, default=50
        Width of the word embeddings.
    d_model : int, default=128
        Width of the transformer layers; a multiple of ``n_heads``.
    n_layers : int, default=2
        Number of transformer layers.
    n_heads : int, default=4
        Attention heads per layer.
    dim_feedforward : int, default=128
        Hidden units of each layer's feed-forward network.
    feedforward_kernel_size : int, default=3
        Tokens seen by each hidden unit of the feed-forward networks, an odd
        number: with 3, the first feed-forward layer is a convolution over
        each token and its two neighbours (as in FastSpeech's feed-forward
        transformer blocks), with 1 it is the position-wise linear layer of
        the original transformer. On CoNLL-2000 chunking, 3 with 128 hidden
        units scored 0.2-0.4 chunk F1 above 1 with 256 (the same arithmetic
        per token) at every epoch from the 8th on.
    activation : {"gelu", "relu"}, default="gelu"
        Activation of the feed-forward networks' hidden units.
    positional : {"relative", "sinusoidal", "learned"}, default="relative"
        Where word order comes from: a learned relative-position bias in each
        layer's attention, fixed sinusoidal position vectors, or learned
        position vectors (up to 512 positions; later ones share the last)
        added to the projected tokens.
    norm_first : bool, default=True
        Layer normalisation before each residual branch ("pre-LN", with a
        final normalisation), or after the residual sum ("post-LN").
    attention_dropout : float, default=0.1
        Dropout on the attention weights.
    char_features : {"cnn", "lstm"} or None, default="cnn"
        Character-level word encoder: a convolution (width 3) max-pooled over
        the characters, a BiLSTM over them, or none.
    char_embedding_dim : int, default=30
        Width of the character embeddings.
    char_hidden_size : int, default=50
        Filters of the character CNN, or hidden units per direction of the
        character BiLSTM.
    feature_embedding_dim : int, default=20
        Width of the embeddings of each extra token feature (tuple or dict
        tokens only).
    residual_dropout : float, default=0.1
        Dropout on each layer's residual branches (the attention's and the
        feed-forward network's outputs) and feed-forward hidden units.
    dropout : float, default=0.5
        Dropout on the token representations and on the encoder's outputs,
        as :class:`~sklearn_deep.LSTMTagger`'s.
    word_dropout : float, default=0.25
        Probability of replacing a training token's word by the unknown word.
    min_freq : int, default=1
        Words seen fewer times in training are unknown words.
    max_vocab : int, default=None
        Keep at most this many most frequent words; all when None.
    lowercase : bool, default=True
        Look words up in lower case (the character encoder still sees the
        case).
    crf : bool, default=True
        Whether to use a linear-chain CRF output layer (Viterbi decoding,
        forward-backward marginals) instead of an independent softmax per token.
    metric : {"accuracy", "chunk_f1"}, default="accuracy"
        What ``score`` returns and early stopping maximises: token accuracy, or
        the micro F1 of chunks in BIO/IOB tags.
    {training_parameters}

    Attributes
    ----------
    module_ : sklearn_deep.nn.TransformerTaggerNetwork
        The trained network.
    {tagger_attributes}

    See Also
    --------
    LSTMTagger : The same tagger with a BiLSTM encoder.
    sklearn_deep.inspection.AttentionDisplay : Heat maps of the attention.

    Notes
    -----
    Tokens are strings, per-token tuples ``(word, feature_1, ...)`` or dicts
    with a ``"word"`` key, as for :class:`~sklearn_deep.LSTMTagger`.

    Examples
    --------
    >>> from sklearn_deep import TransformerTagger
    >>> X = [["the", "dog", "barks"], ["a", "cat", "sleeps"], ["the", "cat"]] * 10
    >>> y = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN"]] * 10
    >>> tagger = TransformerTagger(embedding_dim=8, d_model=16, n_layers=1,
    ...                            dim_feedforward=16, char_features=None,
    ...                            batch_size=4, learning_rate_init=0.01,
    ...                            max_iter=10, random_state=0)
    >>> tagger.fit(X, y).predict([["a", "dog", "sleeps"], ["the", "cat"]])
    [['DET', 'NOUN', 'VERB'], ['DET', 'NOUN']]
    >>> tagger.attention_weights(["a", "dog", "sleeps"]).shape
    (1, 4, 3, 3)
    """

    _parameter_constraints = {
        **BaseSequenceTagger._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "d_model": [Interval(Integral, 1, None, closed="left")],
        "n_layers": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "dim_feedforward": [Interval(Integral, 1, None, closed="left")],
        "feedforward_kernel_size": [Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(FEEDFORWARD_ACTIVATIONS))],
        "positional": [StrOptions(set(POSITIONAL_ENCODINGS))],
        "norm_first": ["boolean"],
        "attention_dropout": [Interval(Real, 0, 1, closed="left")],
        "char_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "char_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "feature_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "residual_dropout": [Interval(Real, 0, 1, closed="left")],
        "word_dropout": [Interval(Real, 0, 1, closed="left")],
    }

    # batch_size="auto": batches of about 768 tokens on a large corpus, 32
    # sentences of CoNLL-2000 (24 tokens on average); attention runs over all
    # positions at once, so its cost is per token, and a corpus of short
    # sentences (UD English-EWT's 16) needs fewer, larger batches of them.
    _auto_batch_sentences = 32
    _auto_batch_tokens = 768

    _training_docs = {
        **LSTMTagger._training_docs,
        "batch_size": """
            Sentences per minibatch. "auto" takes as many sentences of the
            training set's mean length as make 768 tokens (32 sentences of
            24 tokens, 47 of 16), or fewer on a small corpus so that an epoch
            has at least 10 minibatches (one sentence per batch below 20
            sentences). On a CUDA device "auto"
            takes 4 times as many (128) and multiplies ``learning_rate_init``
            by 2 (the square root of 4; by 4 for "sgd"). An explicit
            ``batch_size`` is used as given, with the learning rate as given.
        """,
        "max_iter": """
            Maximum number of epochs. With the defaults an epoch over
            CoNLL-2000 (212,000 training tokens, word and POS columns) takes
            about 17 CPU-seconds on one thread.
        """,
        "weight_averaging": """
            After each epoch, use the mean of the weights reached at the end of
            the last ``weight_averaging`` epochs, or of that fraction of
            ``max_iter`` (rounded up) when a float in (0, 1] (stochastic weight
            averaging; training goes on from each epoch's own weights). None
            keeps each epoch's own weights.
        """,
        "early_stopping": inspect.cleandoc(
            BaseSequenceTagger._training_docs["early_stopping"]
        )
        + " Off by default: with the linear schedule the last epochs are the "
        "best, and every sentence is used for training.",
        "learning_rate_init": """
            The initial step size ``eta_0``, reached at the end of the
            warm-up.
        """,
    }

    def __init__(
        self,
        embedding_dim=50,
        d_model=128,
        n_layers=2,
        *,
        n_heads=4,
        dim_feedforward=128,
        feedforward_kernel_size=3,
        activation="gelu",
        positional="relative",
        norm_first=True,
        attention_dropout=0.1,
        char_features="cnn",
        char_embedding_dim=30,
        char_hidden_size=50,
        feature_embedding_dim=20,
        residual_dropout=0.1,
        dropout=0.5,
        word_dropout=0.25,
        min_freq=1,
        max_vocab=None,
        lowercase=True,
        crf=True,
        metric="accuracy",
        solver="adam",
        alpha=0.0,
        batch_size="auto",
        learning_rate="linear",
        learning_rate_init=0.002,
        learning_rate_final=None,
        decay_epochs=None,
        warmup=1.0,
        power_t=0.5,
        max_iter=25,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        clip_grad_norm=5.0,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=5,
        weight_averaging=0.2,
        precision="fp32",
        prediction_block_size="auto",
        device="auto",
        n_threads=1,
    ):
        store_parameters(self, locals())

    def _check_shapes(self):
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}."
            )
        if self.feedforward_kernel_size % 2 == 0:
            raise ValueError(
                f"feedforward_kernel_size={self.feedforward_kernel_size} must be "
                "odd: the convolution is centred on each token."
            )

    def _validate_fit_data(self, X, y, fit):
        self._check_shapes()
        return super()._validate_fit_data(X, y, fit)

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        self._check_shapes()
        # Each encoder layer holds at least 12 tensors (attention projections,
        # feed-forward layers and two layer norms, weights and biases) and
        # 4 d_model^2 + (kernel + 1) d_model dim_feedforward weights of 4 bytes
        # or more: a file declaring more than it holds is refused before
        # anything is built from its sizes.
        check_layer_count(self.n_layers * LAYER_TENSORS, n_weights)
        layer_weights = (
            4 * self.d_model**2
            + (self.feedforward_kernel_size + 1) * self.d_model * self.dim_feedforward
        )
        if self.n_layers * layer_weights * 4 > n_bytes:
            raise ValueError(
                f"d_model={self.d_model}, dim_feedforward={self.dim_feedforward}, "
                f"feedforward_kernel_size={self.feedforward_kernel_size} and "
                f"n_layers={self.n_layers} make more weights than the file of "
                f"{n_bytes} bytes holds."
            )

    def _network_spec(self):
        return (
            TransformerTaggerNetwork,
            (len(self.vocabulary_) + 2, len(self.classes_)),
            {
                **self._token_network_kwargs(),
                "d_model": self.d_model,
                "n_layers": self.n_layers,
                "n_heads": self.n_heads,
                "dim_feedforward": self.dim_feedforward,
                "feedforward_kernel_size": self.feedforward_kernel_size,
                "activation": self.activation,
                "attention_dropout": self.attention_dropout,
                "residual_dropout": self.residual_dropout,
                "norm_first": self.norm_first,
                "positional": self.positional,
            },
        )

    @within_thread_budget
    def attention_weights(self, sentence):
        """The attention weights of every layer and head on one sentence.

        Parameters
        ----------
        sentence : list of str, tuple or dict
            One sentence, in the token format used in ``fit``.

        Returns
        -------
        weights : ndarray of shape (n_layers, n_heads, n_tokens, n_tokens)
            ``weights[l, h, i, j]``: how much token ``i`` attends to token
            ``j`` in head ``h`` of layer ``l``; each row sums to 1.
        """
        if (
            isinstance(sentence, (list, tuple))
            and sentence
            and all(isinstance(token, list) for token in sentence)
        ):
            raise ValueError(
                "attention_weights takes one sentence (a list of tokens), not a "
                "list of sentences."
            )
        encoded = self._encoded([sentence])
        n_tokens = len(parse_sentences([sentence], self._token_format)[0][0])
        if n_tokens == 0:
            raise ValueError("The sentence is empty: it has no attention to show.")
        self.module_.eval()
        with torch.inference_mode():
            weights = self.module_.attention_weights(encoded)
        return torch.stack([w[0] for w in weights]).double().cpu().numpy()
