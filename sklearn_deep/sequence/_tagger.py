"""LSTMTagger: a BiLSTM(-CNN)-CRF sequence labeller with scikit-learn's API.

The samples are sentences: ``X`` is a list of token sequences, ``y`` a list of
tag sequences of the same lengths, and ``predict`` returns a list of tag lists.
The estimator only turns tokens into padded id tensors and back; the network is
``sklearn_deep.nn.SequenceTagger`` and training is the shared engine's, which
cuts the padded sentence rows into batches of similar lengths.
"""

from collections import Counter
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from sklearn_deep._training import (
    TRAINING_PARAMETER_CONSTRAINTS,
    Batches,
    TrainingConfig,
    train,
)
from sklearn_deep._training._buckets import length_bucketed_order
from sklearn_deep._training._callbacks import CallbackSupportMixin, EpochCallbacks
from sklearn_deep.metrics import chunk_f1_score, token_accuracy_score
from sklearn_deep.nn._tagger import UNKNOWN, SequenceTagger
from sklearn_deep.sequence._tokens import (
    check_tags,
    describe_token_format,
    split_token,
)
from sklearn_deep.utils._fitting import fit_or_restore
from sklearn_deep.utils._pickling import HostPicklingMixin
from sklearn_deep.utils._sklearn_compat import Interval, StrOptions, _fit_context
from sklearn_deep.utils._torch import (
    resolve_device,
    seed_from_random_state,
    torch_threads,
)

PADDING = 0
# Characters per word seen by the character encoder: longer words keep their
# first and last MAX_WORD_CHARS // 2 characters, where prefixes and suffixes
# (the cues for unknown words) are.
MAX_WORD_CHARS = 20
# Sentences per forward pass at prediction time.
PREDICT_BATCH = 128

METRICS = {"accuracy": token_accuracy_score, "chunk_f1": chunk_f1_score}

_TRAINING_PARAMETERS = (
    "alpha",
    "learning_rate",
    "learning_rate_init",
    "learning_rate_final",
    "decay_epochs",
    "power_t",
    "max_iter",
    "shuffle",
    "random_state",
    "tol",
    "verbose",
    "momentum",
    "nesterovs_momentum",
    "rho",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "weight_averaging",
    "device",
)


class LSTMTagger(CallbackSupportMixin, HostPicklingMixin, BaseEstimator):
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
    solver : {"adam", "sgd", "adagrad", "rmsprop"}, default="adam"
        The optimiser.
    alpha : float, default=0.0
        L2 penalty on the weight matrices (scikit-learn's scaling).
    batch_size : int, default=16
        Sentences per minibatch.
    learning_rate : {"constant", "linear", "invscaling", "adaptive"}, \
default="linear"
        The learning-rate schedule (as in ``MLPClassifier``); the default decays
        linearly from ``learning_rate_init`` to ``learning_rate_final`` over
        ``decay_epochs`` (``max_iter`` by default); a fit that runs the whole
        decay is finished, without a ``ConvergenceWarning``.
    learning_rate_init : float, default=0.002
        The initial step size.
    learning_rate_final : float, default=None
        Final step size of the ``linear`` schedule; 1% of the initial one when
        None.
    decay_epochs : int, default=None
        Epochs of the ``linear`` decay; ``max_iter`` when None.
    power_t : float, default=0.5
        Exponent of the ``invscaling`` schedule.
    max_iter : int, default=30
        Maximum number of epochs. With the defaults an epoch over CoNLL-2000
        (212,000 training tokens, word and POS columns) takes about 16
        CPU-seconds on one thread.
    shuffle : bool, default=True
        Whether to shuffle the sentences each epoch (within length buckets).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split, the batch order and
        dropout, through local generators (torch's global seed is left alone).
    tol : float, default=1e-4
        Minimum improvement of the loss (or of the validation score with early
        stopping) that resets the patience counter.
    verbose : bool or int, default=False
        Whether to show a progress bar.
    momentum : float, default=0.9
        Momentum of ``sgd``.
    nesterovs_momentum : bool, default=True
        Whether ``sgd`` uses Nesterov's momentum.
    rho : float, default=0.9
        Decay of ``rmsprop``'s squared-gradient average.
    clip_grad_norm : float or None, default=5.0
        Rescale each batch's gradient to at most this Euclidean norm; None
        disables clipping.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the sentences, stop when ``metric``
        on them has not improved for ``n_iter_no_change`` epochs and keep the
        best epoch's weights. Off by default: with the linear schedule the last
        epochs are the best, and training on every sentence scored 0.2 chunk
        F1 higher on CoNLL-2000 than holding 10% out.
    validation_fraction : float, default=0.1
        Fraction of the sentences held out for early stopping.
    beta_1 : float, default=0.9
        Adam's first-moment decay.
    beta_2 : float, default=0.999
        Adam's second-moment decay.
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=5
        Patience, in epochs, of the stopping rule.
    weight_averaging : int, float or None, default=0.2
        After each epoch, use the mean of the weights reached at the end of the
        last ``weight_averaging`` epochs, or of that fraction of ``max_iter``
        (rounded up) when a float in (0, 1] (stochastic weight averaging;
        training goes on from each epoch's own weights). The fitted network is
        thus the mean of the last epochs, which scored 0.1-0.2 chunk F1 above
        the last epoch alone on CoNLL-2000. None keeps each epoch's own weights.
    device : str or torch.device, default="auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
    n_threads : int or None, default=1
        Intra-op threads torch trains with (a lower limit already in force,
        from threadpoolctl or a joblib worker, is kept); None leaves torch's
        setting alone. Batches of a few sentences are too small to share out:
        on a 2-core machine two threads made an epoch 1.4x slower than one, and
        one thread leaves the other cores to parallel fits (``n_jobs``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_tags,)
        The tags, sorted; ``predict`` returns values of this array.
    vocabulary_ : dict
        Word (lower-cased when ``lowercase``) to embedding row; 0 is padding and
        1 the unknown word.
    char_vocabulary_ : dict
        Character to embedding row (when ``char_features`` is set).
    feature_vocabularies_ : list of dict
        Value to embedding row, one dict per extra token feature.
    n_token_features_ : int
        Number of extra categorical features per token (0 for string tokens).
    feature_names_ : list of str or None
        The feature keys, for dict tokens (the word under ``"word"``).
    module_ : sklearn_deep.nn.SequenceTagger
        The trained network.
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean per-token training loss of each epoch.
    validation_scores_ : list of float or None
        ``metric`` on the held-out sentences after each epoch (early stopping).
    best_validation_score_ : float or None
        The best of ``validation_scores_``.
    history_ : skorch.history.History
        One row per epoch: loss, validation score, learning rate, duration.
    loss_ : float
        Training loss of the last epoch.
    best_loss_ : float or None
        Lowest training loss, or None with early stopping.
    t_ : int
        Number of sentences seen, summed over the epochs.
    gradient_norms_ : ndarray of shape (n_iter_, n_weight_matrices)
        Mean norm of the gradient of each weight matrix per epoch.

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
        **{name: TRAINING_PARAMETER_CONSTRAINTS[name] for name in _TRAINING_PARAMETERS},
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "char_features": [StrOptions({"cnn", "lstm"}), None],
        "char_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "char_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "feature_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "word_dropout": [Interval(Real, 0, 1, closed="left")],
        "min_freq": [Interval(Integral, 1, None, closed="left")],
        "max_vocab": [None, Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        "crf": ["boolean"],
        "metric": [StrOptions(set(METRICS))],
        "solver": [StrOptions({"adam", "sgd", "adagrad", "rmsprop"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "clip_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "n_threads": [None, Interval(Integral, 1, None, closed="left")],
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
        batch_size=16,
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
        device="auto",
        n_threads=1,
    ):
        self.embedding_dim = embedding_dim
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.char_features = char_features
        self.char_embedding_dim = char_embedding_dim
        self.char_hidden_size = char_hidden_size
        self.feature_embedding_dim = feature_embedding_dim
        self.dropout = dropout
        self.word_dropout = word_dropout
        self.min_freq = min_freq
        self.max_vocab = max_vocab
        self.lowercase = lowercase
        self.crf = crf
        self.metric = metric
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.learning_rate_final = learning_rate_final
        self.decay_epochs = decay_epochs
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.rho = rho
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.weight_averaging = weight_averaging
        self.device = device
        self.n_threads = n_threads

    # ------------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the tagger to sentences ``X`` and their tags ``y``.

        Parameters
        ----------
        X : list of list of str, tuple or dict
            The sentences: per token a string, or a tuple ``(word, feature_1,
            ...)``, or a dict with a ``"word"`` key and feature keys.
        y : list of list
            The tags of each sentence, as many as it has tokens.

        Returns
        -------
        self : object
            The fitted tagger.
        """
        with torch_threads(self.n_threads):
            return fit_or_restore(self, self._fit, X, y)

    def predict(self, X):
        """Predict the tags of each sentence.

        Parameters
        ----------
        X : list of list of str, tuple or dict
            The sentences, in the token format used in ``fit``.

        Returns
        -------
        y : list of list
            One list of tags (values of ``classes_``) per sentence, always a
            list of lists, empty for an empty sentence.
        """
        check_is_fitted(self)
        words, features = self._parse(X, fitting=False)
        ids = self._run(self.module_, self._encode(words, features), "decode")
        return [self.classes_[row].tolist() for row in ids]

    def predict_proba(self, X):
        """Per-token tag probabilities of each sentence.

        With ``crf=True`` these are the CRF's marginals ``p(y_t = k | x)`` by
        forward-backward (their argmax may differ from the Viterbi sequence of
        ``predict``); without it, each token's softmax.

        Parameters
        ----------
        X : list of list of str, tuple or dict
            The sentences, in the token format used in ``fit``.

        Returns
        -------
        proba : list of ndarray of shape (n_tokens_i, n_tags)
            One array per sentence, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        words, features = self._parse(X, fitting=False)
        return self._run(self.module_, self._encode(words, features), "proba")

    def score(self, X, y):
        """Token accuracy, or chunk F1 when ``metric="chunk_f1"``, on ``X, y``.

        Parameters
        ----------
        X : list of list of str, tuple or dict
            The sentences.
        y : list of list
            Their true tags; every tag must be one of ``classes_``.

        Returns
        -------
        score : float
            The ``metric`` of ``predict(X)`` against ``y``.
        """
        check_is_fitted(self)
        words, _ = self._parse(X, fitting=False)
        y = check_tags(y, words)
        unknown = {tag for tags in y for tag in tags} - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                "y holds tags the tagger was not fitted with: "
                f"{sorted(map(str, unknown))}; known: {self.classes_.tolist()}."
            )
        return METRICS[self.metric](y, self.predict(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    # ---------------------------------------------------------------- fitting
    def _fit(self, X, y):
        words, features = self._parse(X, fitting=True)
        tags = check_tags(y, words)
        keep = [i for i, sentence in enumerate(words) if sentence]
        if not keep:
            raise ValueError("X holds no non-empty sentence to learn from.")
        words = [words[i] for i in keep]
        features = [features[i] for i in keep]
        tags = [tags[i] for i in keep]
        try:
            classes = np.array(sorted({tag for sentence in tags for tag in sentence}))
        except TypeError as exc:
            raise TypeError(
                "Tags must be all strings or all numbers, to be sorted into classes_."
            ) from exc
        if len(classes) < 2:
            raise ValueError(
                f"y needs at least 2 distinct tags, got {classes.tolist()}."
            )
        device = resolve_device(self.device)
        seed = seed_from_random_state(self.random_state)
        train_index = np.arange(len(words))
        validation_index = None
        if self.early_stopping:
            train_index, validation_index = train_test_split(
                train_index,
                test_size=self.validation_fraction,
                random_state=seed % (2**32),
            )
            if len(train_index) == 0:
                raise ValueError(
                    "The validation split leaves no sentence to train on; lower "
                    "validation_fraction or pass more sentences."
                )
        self.classes_ = classes
        self._build_vocabularies(
            [words[i] for i in train_index], [features[i] for i in train_index]
        )
        tag_index = {tag: i for i, tag in enumerate(classes.tolist())}
        encoded = self._encode(words, features, device)
        target = np.full(encoded[0].shape, -1, dtype=np.int64)
        for i, sentence in enumerate(tags):
            target[i, : len(sentence)] = [tag_index[tag] for tag in sentence]
        target = torch.as_tensor(target, device=device)

        module = self._build_module(seed, device)
        validation_score = None
        if validation_index is not None:
            validation = tuple(part[validation_index] for part in encoded)
            y_val = [tags[i] for i in validation_index]
            metric = METRICS[self.metric]
            classes_list = self.classes_

            def validation_score(module):
                ids = self._run(module, validation, "decode")
                return metric(y_val, [classes_list[row].tolist() for row in ids])

        rows = torch.as_tensor(train_index, device=device)
        batches = Batches(
            tuple(part[rows] for part in encoded),
            target[rows],
            None,
            self.batch_size,
            shuffle=self.shuffle,
        )
        lengths = (batches.inputs[0] != PADDING).sum(dim=1).cpu()
        batches.order = length_bucketed_order(
            lengths, batches.sizes, batches.batch_size
        )
        config = TrainingConfig.from_params(
            self.get_params(),
            seed=seed,
            device=device,
            verbose=int(self.verbose),
        )
        # Each epoch is a task for scikit-learn's callbacks (set_callbacks).
        callbacks = EpochCallbacks.start(self, X, y, max_epochs=self.max_iter)
        state = train(
            module,
            lambda output, target, sample_weight: module.loss(output, target),
            batches,
            config,
            validation_score=validation_score,
            description=type(self).__name__,
            callbacks=callbacks,
        )
        self.module_ = module
        for name, value in state.fitted_attributes(self.early_stopping).items():
            setattr(self, name, value)
        if callbacks is not None:
            callbacks.close()
        return self

    def _build_vocabularies(self, words, features):
        counts = Counter(self._normalise(w) for sentence in words for w in sentence)
        frequent = [w for w, c in counts.items() if c >= self.min_freq]
        # Most frequent first; ties alphabetically, so the vocabulary is the same
        # whatever the order of the sentences.
        frequent.sort(key=lambda w: (-counts[w], w))
        if self.max_vocab is not None:
            frequent = frequent[: self.max_vocab]
        self.vocabulary_ = {w: i for i, w in enumerate(frequent, start=2)}
        chars = sorted({c for sentence in words for w in sentence for c in w})
        self.char_vocabulary_ = (
            {c: i for i, c in enumerate(chars, start=2)} if self.char_features else {}
        )
        self.feature_vocabularies_ = []
        for k in range(self.n_token_features_):
            values = {token[k] for sentence in features for token in sentence}
            ordered = sorted(values, key=lambda v: (type(v).__name__, str(v)))
            self.feature_vocabularies_.append(
                {v: i for i, v in enumerate(ordered, start=2)}
            )

    def _build_module(self, seed, device):
        # torch's layers draw their initial weights from the global generator:
        # fork it so that fitting neither depends on nor changes the user's.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            module = SequenceTagger(
                len(self.vocabulary_) + 2,
                len(self.classes_),
                feature_sizes=[len(v) + 2 for v in self.feature_vocabularies_],
                embedding_dim=self.embedding_dim,
                feature_embedding_dim=self.feature_embedding_dim,
                n_chars=len(self.char_vocabulary_) + 2,
                char_features=self.char_features,
                char_embedding_dim=self.char_embedding_dim,
                char_hidden_size=self.char_hidden_size,
                hidden_size=self.hidden_size,
                num_layers=self.num_layers,
                bidirectional=self.bidirectional,
                dropout=self.dropout,
                word_dropout=self.word_dropout,
                crf=self.crf,
            )
        return module.to(device)

    def _rebuild_module(self):
        """A network of the fitted shape on the CPU, for ``sklearn_deep.load``."""
        return self._build_module(0, torch.device("cpu"))

    # --------------------------------------------------------------- encoding
    def _normalise(self, word):
        return word.lower() if self.lowercase else word

    def _parse(self, X, fitting):
        """Split ``X`` into words and feature tuples per sentence, checking it."""
        if isinstance(X, (str, bytes, dict)) or not hasattr(X, "__len__"):
            raise TypeError(
                "X must be a list of sentences, each a list of tokens; got "
                f"{type(X).__name__}."
            )
        words, features = [], []
        token_format = None if fitting else self._token_format
        for i, sentence in enumerate(X):
            if isinstance(sentence, (str, bytes, dict)) or not hasattr(
                sentence, "__len__"
            ):
                raise TypeError(
                    f"Sentence {i} of X is a {type(sentence).__name__}, not a list "
                    "of tokens. X must be a list of sentences, each a list of "
                    "tokens (e.g. [['The', 'dog'], ['It', 'ran']])."
                )
            sentence_words, sentence_features = [], []
            for j, token in enumerate(sentence):
                word, extra, kind = split_token(token, i, j)
                if token_format is None:
                    token_format = kind
                elif kind != token_format:
                    where = "earlier tokens are" if fitting else "fit saw"
                    raise ValueError(
                        f"Token {j} of sentence {i} is "
                        f"{describe_token_format(kind)}, but {where} "
                        f"{describe_token_format(token_format)}; every token "
                        "must have the same form."
                    )
                sentence_words.append(word)
                sentence_features.append(extra)
            words.append(sentence_words)
            features.append(sentence_features)
        if fitting:
            self._token_format = token_format or ("str",)
            kind = self._token_format
            if kind[0] == "str":
                self.n_token_features_ = 0
            elif kind[0] == "tuple":
                self.n_token_features_ = kind[1]
            else:
                self.n_token_features_ = len(kind[1])
            self.feature_names_ = ["word", *kind[1]] if kind[0] == "dict" else None
        return words, features

    def _encode(self, words, features, device=None):
        """Padded id tensors ``(words, features, chars)``, one row per sentence."""
        if device is None:
            device = next(self.module_.parameters()).device
        n = len(words)
        max_len = max([len(sentence) for sentence in words] + [1])
        word_ids = np.zeros((n, max_len), dtype=np.int64)
        feature_ids = np.zeros((n, max_len, self.n_token_features_), dtype=np.int64)
        char_width = MAX_WORD_CHARS if self.char_features else 0
        char_dtype = np.int16 if len(self.char_vocabulary_) + 2 < 2**15 else np.int32
        char_ids = np.zeros((n, max_len, char_width), dtype=char_dtype)
        vocabulary, normalise = self.vocabulary_, self._normalise
        spelled = {}
        for i, sentence in enumerate(words):
            if not sentence:
                continue
            word_ids[i, : len(sentence)] = [
                vocabulary.get(normalise(w), UNKNOWN) for w in sentence
            ]
            for k, vocab in enumerate(self.feature_vocabularies_):
                feature_ids[i, : len(sentence), k] = [
                    vocab.get(token[k], UNKNOWN) for token in features[i]
                ]
            if char_width:
                for j, w in enumerate(sentence):
                    chars = spelled.get(w)
                    if chars is None:
                        chars = spelled[w] = self._spell(w)
                    char_ids[i, j, : len(chars)] = chars
        return (
            torch.as_tensor(word_ids, device=device),
            torch.as_tensor(feature_ids, device=device),
            torch.as_tensor(char_ids, device=device),
        )

    def _spell(self, word):
        if len(word) > MAX_WORD_CHARS:
            half = MAX_WORD_CHARS // 2
            word = word[:half] + word[-half:]
        # An empty token still needs one character for the encoder to pool over.
        return [self.char_vocabulary_.get(c, UNKNOWN) for c in word] or [UNKNOWN]

    # ------------------------------------------------------------- prediction
    @torch.inference_mode()
    def _run(self, module, encoded, what):
        """Decode tag ids (``what="decode"``) or probabilities of each sentence.

        Sentences are run longest first in batches of similar lengths; the
        results come back in the input order.
        """
        module.eval()
        words = encoded[0]
        lengths = (words != PADDING).sum(dim=1).cpu().numpy()
        results = [
            np.zeros(0, dtype=np.int64)
            if what == "decode"
            else np.zeros((0, len(self.classes_)))
        ] * len(lengths)
        order = np.argsort(-lengths, kind="stable")
        order = order[lengths[order] > 0]
        for start in range(0, len(order), PREDICT_BATCH):
            rows = order[start : start + PREDICT_BATCH]
            index = torch.as_tensor(rows, device=words.device)
            emissions = module(tuple(part[index] for part in encoded))
            mask = words[index, : emissions.shape[1]] != PADDING
            if what == "decode":
                output = module.decode(emissions, mask).cpu().numpy()
            else:
                output = module.marginals(emissions, mask).double().cpu().numpy()
            for k, row in enumerate(rows):
                results[row] = output[k, : lengths[row]]
        return results
