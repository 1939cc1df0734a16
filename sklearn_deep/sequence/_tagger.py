"""LSTMTagger: a BiLSTM(-CNN)-CRF sequence labeller with scikit-learn's API.

Token handling, training, validation and prediction are the sequence taggers'
(``sklearn_deep.sequence._base.BaseSequenceTagger``); here are the tagger's
parameters and its network, ``sklearn_deep.nn.SequenceTagger``.
"""

import inspect
from numbers import Integral, Real

from sklearn_deep._training._parameters import TRAINING_PARAMETERS
from sklearn_deep.base import store_parameters
from sklearn_deep.nn import SequenceTagger
from sklearn_deep.sequence._base import BaseSequenceTagger
from sklearn_deep.utils._fitted_checks import check_layer_count
from sklearn_deep.utils._sklearn_compat import Interval


class LSTMTagger(BaseSequenceTagger):
    """Sequence tagger: embeddings, a (Bi)LSTM and an optional CRF output layer.

    Tags each token of each sentence (part-of-speech tags, BIO chunk or entity
    tags). Each token is represented by a word embedding, optional embeddings of
    extra categorical features (such as a given POS column) and an optional
    character-level encoding (a CNN or a BiLSTM over its characters), which is
    what lets the model tag unknown and rare words from their spelling. A
    (bidirectional) LSTM reads the sentence and a linear layer scores the tags
    of each token; with ``crf=True`` a linear-chain CRF scores whole tag
    sequences, is trained by its log-likelihood and decodes with Viterbi.

    Words seen fewer than ``min_freq`` times (or beyond the ``max_vocab`` most
    frequent) share one unknown-word embedding, which ``word_dropout`` trains by
    randomly hiding known words, so that words never seen in training are
    tagged sensibly at predict time.

    Parameters
    ----------
    embedding_dim : int, default=50
        Width of the word embeddings.
    hidden_size : int, default=200
        Hidden units of each direction of the sentence LSTM.
    num_layers : int, default=1
        Number of stacked LSTM layers.
    bidirectional : bool, default=True
        Whether the LSTM also reads each sentence right to left.
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
    dropout : float, default=0.5
        Dropout on the token representations and on the LSTM outputs (and
        between LSTM layers).
    word_dropout : float, default=0.25
        Probability of replacing a training token's word by the unknown word.
        Besides training the unknown-word embedding it keeps the tagger from
        leaning on memorised words: on CoNLL-2000, 0.25 scored 0.3 chunk F1
        above 0.05.
    min_freq : int, default=1
        Words seen fewer times in training are unknown words.
    max_vocab : int, default=None
        Keep at most this many most frequent words; all when None.
    lowercase : bool, default=True
        Look words up in lower case (the character encoder still sees the
        case). With ``char_features=None`` this discards case information.
    crf : bool, default=True
        Whether to use a linear-chain CRF output layer (Viterbi decoding,
        forward-backward marginals) instead of an independent softmax per token.
    metric : {"accuracy", "chunk_f1"}, default="accuracy"
        What ``score`` returns and early stopping maximises: token accuracy, or
        the micro F1 of chunks in BIO/IOB tags (conlleval's rules, see
        :func:`sklearn_deep.metrics.chunk_f1_score`).
    {training_parameters}

    Attributes
    ----------
    module_ : sklearn_deep.nn.SequenceTagger
        The trained network.
    {tagger_attributes}

    Notes
    -----
    Tokens are strings; for extra features pass per-token tuples
    ``(word, feature_1, ...)`` or dicts with a ``"word"`` key (the other keys,
    sorted, are the features), the same shape for every token. Empty sentences
    are skipped by ``fit`` (they carry no tag to learn) and get an empty tag
    list from ``predict``.

    Examples
    --------
    >>> from sklearn_deep import LSTMTagger
    >>> X = [["the", "dog", "barks"], ["a", "cat", "sleeps"], ["the", "cat"]] * 10
    >>> y = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["DET", "NOUN"]] * 10
    >>> tagger = LSTMTagger(embedding_dim=8, hidden_size=8, char_features=None,
    ...                     batch_size=4, learning_rate_init=0.01, max_iter=10,
    ...                     early_stopping=False, random_state=0)
    >>> tagger.fit(X, y).predict([["a", "dog", "sleeps"], ["the"]])
    [['DET', 'NOUN', 'VERB'], ['DET']]
    """

    _parameter_constraints = {
        **BaseSequenceTagger._parameter_constraints,
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "char_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "char_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "feature_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "word_dropout": [Interval(Real, 0, 1, closed="left")],
    }

    _training_docs = {
        **BaseSequenceTagger._training_docs,
        "learning_rate": inspect.cleandoc(
            """
            The learning-rate schedule; the default decays linearly from
            ``learning_rate_init`` to ``learning_rate_final`` over
            ``decay_epochs`` (``max_iter`` by default); a fit that runs the
            whole decay is finished, without a ``ConvergenceWarning``. The
            schedules:
            """
        )
        + "\n\n"
        + TRAINING_PARAMETERS["learning_rate"].doc.split("\n\n", 1)[-1],
        "max_iter": """
            Maximum number of epochs. With the defaults an epoch over
            CoNLL-2000 (212,000 training tokens, word and POS columns) takes
            about 16 CPU-seconds on one thread.
        """,
        "early_stopping": inspect.cleandoc(
            BaseSequenceTagger._training_docs["early_stopping"]
        )
        + " "
        + inspect.cleandoc(
            """
            Off by default: with the linear schedule the last epochs are the
            best, and training on every sentence scored 0.2 chunk F1 higher on
            CoNLL-2000 than holding 10% out.
            """
        ),
        "weight_averaging": """
            After each epoch, use the mean of the weights reached
            at the end of the last ``weight_averaging`` epochs, or of that fraction
            of ``max_iter`` (rounded up) when a float in (0, 1] (stochastic weight
            averaging; training goes on from each epoch's own weights). The fitted
            network is thus the mean of the last epochs, which scored 0.1-0.2 chunk
            F1 above the last epoch alone on CoNLL-2000. None keeps each epoch's own
            weights.
        """,
        "n_threads": """
            Intra-op threads torch trains and predicts with (a lower limit already
            in force, from threadpoolctl or a joblib worker, is kept); None leaves
            torch's setting alone. Batches of a few sentences are too small to share
            out: on a 2-core machine two threads made an epoch 1.4x slower than one,
            and one thread leaves the other cores to parallel fits (``n_jobs``).
        """,
    }

    def __init__(
        self,
        embedding_dim=50,
        hidden_size=200,
        num_layers=1,
        *,
        bidirectional=True,
        char_features="cnn",
        char_embedding_dim=30,
        char_hidden_size=50,
        feature_embedding_dim=20,
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
        power_t=0.5,
        max_iter=30,
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

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        # An LSTM layer holds 4 tensors per direction (input and hidden
        # weights and biases).
        directions = 2 if self.bidirectional else 1
        check_layer_count(4 * directions * self.num_layers, n_weights)

    def _network_spec(self):
        return (
            SequenceTagger,
            (len(self.vocabulary_) + 2, len(self.classes_)),
            {
                **self._token_network_kwargs(),
                "hidden_size": self.hidden_size,
                "num_layers": self.num_layers,
                "bidirectional": self.bidirectional,
            },
        )
