"""The base of the sequence taggers: token data, vocabularies, CRF output.

The samples of a tagger are sentences: ``X`` is a list of token sequences, ``y``
a list of tag sequences of the same lengths, and ``predict`` returns a list of
tag lists. ``BaseSequenceTagger`` fills in the hooks of the fit template
(``sklearn_deep.base.DeepEstimator``) for such data: it parses the tokens
(``_tokens.py``), learns the vocabularies from the training sentences and
encodes every sentence into padded id tensors (``_encoding.py``), cuts them
into batches of similar lengths, trains on the network's own loss, scores the
held-out sentences with ``metric`` and predicts in blocks of sentences. A
tagger adds its parameters and its network.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from sklearn_deep._training._buckets import length_bucketed_batches
from sklearn_deep._training._schedules import batch_scaled_learning_rate
from sklearn_deep.base import DeepEstimator, FitData, within_thread_budget
from sklearn_deep.metrics import chunk_f1_score, token_accuracy_score
from sklearn_deep.nn import build_uninitialized
from sklearn_deep.sequence._encoding import (
    PADDING,
    TokenEncoder,
    build_vocabularies,
    encode_tags,
    sentence_lengths,
)
from sklearn_deep.sequence._tokens import (
    check_tags,
    parse_sentences,
    tag_classes,
    token_features,
)
from sklearn_deep.utils._fitted_checks import check_fitted_classes
from sklearn_deep.utils._sklearn_compat import Interval, StrOptions, _fit_context

METRICS = {"accuracy": token_accuracy_score, "chunk_f1": chunk_f1_score}
# Sentences per forward pass at prediction time, on the CPU and on a GPU.
PREDICT_BATCH = 128
PREDICT_BATCH_CUDA = 512


# batch_size="auto": this many sentences per minibatch on a large corpus, and
# fewer on a small one so that an epoch has at least MIN_AUTO_BATCHES updates.
AUTO_BATCH_SENTENCES = 16
MIN_AUTO_BATCHES = 10
# On a CUDA device, "auto" batches are this many times as large: batches of
# 16 short sentences leave a GPU waiting on kernel launches.
AUTO_BATCH_SCALE_CUDA = 4


# The fitted attributes every tagger documents (besides its ``module_``), put
# in its docstring in place of this marker.
TAGGER_ATTRIBUTES_MARKER = "    {tagger_attributes}\n"
TAGGER_ATTRIBUTES = """\
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
"""


class BaseSequenceTagger(DeepEstimator):
    """Base class of the sequence taggers; not for direct use.

    A tagger takes the parameters constrained here (the token handling,
    ``crf`` and ``metric``) besides its network's, and implements
    ``_build_module(device, dtype, generator)``: a network of
    ``len(vocabulary_) + 2`` words, ``len(classes_)`` tags, the feature
    vocabularies' sizes plus 2 and ``len(char_vocabulary_) + 2`` characters,
    whose ``forward((words, features, chars))`` returns per-token tag scores and
    which has ``loss(emissions, target)``, ``decode(emissions, mask)`` and
    ``marginals(emissions, mask)``, as ``sklearn_deep.nn.SequenceTagger`` does.
    """

    _parameter_constraints = {
        "char_features": [StrOptions({"cnn", "lstm"}), None],
        "min_freq": [Interval(Integral, 1, None, closed="left")],
        "max_vocab": [None, Interval(Integral, 1, None, closed="left")],
        "lowercase": ["boolean"],
        "crf": ["boolean"],
        "metric": [StrOptions(set(METRICS))],
        # Minibatches of sentences: no full-batch L-BFGS.
        "solver": [StrOptions({"adam", "sgd", "adagrad", "rmsprop"})],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
    }

    _fitted_attributes = (
        "_token_format",
        "n_token_features_",
        "feature_names_",
        "classes_",
        "vocabulary_",
        "char_vocabulary_",
        "feature_vocabularies_",
    )

    _training_types = {
        "solver": '{"adam", "sgd", "adagrad", "rmsprop"}',
        "batch_size": 'int or "auto"',
    }

    _training_docs = {
        "solver": """
            The optimiser. "sgd" uses ``momentum`` and ``nesterovs_momentum``;
            "rmsprop" averages squared gradients with decay ``rho``; "adam" uses
            ``beta_1``, ``beta_2`` and ``epsilon``.
        """,
        "batch_size": """
            Sentences per minibatch. "auto" takes 16 sentences, or fewer on a
            small corpus so that an epoch has at least 10 minibatches (one
            sentence per batch below 20 sentences): with a handful of sentences
            in one batch of 16, an epoch would be a single update, and 30
            epochs far too few updates to fit them. On a CUDA device "auto"
            takes 4 times as many sentences (64), where a GPU no longer waits
            on kernel launches, and multiplies ``learning_rate_init`` by 2
            (the square root of the batches' growth; by 4 for "sgd", the
            linear rule). An explicit ``batch_size`` is used as given, with
            the learning rate as given.
        """,
        "prediction_block_size": """
            Sentences per forward pass when predicting (longest first, so a
            block holds sentences of similar lengths). "auto": 128 on the CPU,
            512 on a CUDA device.
        """,
        "shuffle": """
            Whether to shuffle the sentences each epoch (within length
            buckets).
        """,
        "random_state": """
            Seeds the initial weights, the validation split, the batch
            order, dropout and word dropout, through the fit's own generators
            (torch's global generator is neither read nor reseeded).
        """,
        "tol": """
            Minimum improvement of the loss (or of the validation score with
            early stopping) that resets the patience counter.
        """,
        "early_stopping": """
            Hold out ``validation_fraction`` of the sentences, stop
            when ``metric`` on them has not improved for ``n_iter_no_change``
            epochs and keep the best epoch's weights.
        """,
        "validation_fraction": """
            Fraction of the sentences held out for early
            stopping (at least two sentences).
        """,
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        doc = cls.__dict__.get("__doc__")
        if doc and TAGGER_ATTRIBUTES_MARKER in doc:
            cls.__doc__ = doc.replace(TAGGER_ATTRIBUTES_MARKER, TAGGER_ATTRIBUTES)

    # prediction_block_size="auto": sentences per forward pass on the CPU and
    # on a CUDA device.
    _auto_prediction_block = (PREDICT_BATCH, PREDICT_BATCH_CUDA)

    # The sentences per minibatch of batch_size="auto" on a large corpus; or,
    # when _auto_batch_tokens is set, as many sentences of the corpus's mean
    # length as make about that many tokens.
    _auto_batch_sentences = AUTO_BATCH_SENTENCES
    _auto_batch_tokens = None

    def _resolved_batch_size(self, n_samples, device=None, mean_length=None):
        """``batch_size`` for ``n_samples`` sentences of ``mean_length`` tokens
        on average ("auto": see its doc)."""
        if self.batch_size != "auto":
            return self.batch_size
        sentences = self._auto_batch_sentences
        if self._auto_batch_tokens and mean_length:
            sentences = max(1, round(self._auto_batch_tokens / mean_length))
        if device is not None and torch.device(device).type == "cuda":
            sentences *= AUTO_BATCH_SCALE_CUDA
        return max(1, min(sentences, n_samples // MIN_AUTO_BATCHES))

    def _config_overrides(self, data, n_train, device):
        words = data.extra["words"]
        mean_length = sum(map(len, words)) / max(1, len(words))
        batch_size = self._resolved_batch_size(data.n_samples, device, mean_length)
        overrides = {"batch_size": batch_size}
        if self.batch_size == "auto":
            # Larger automatic batches on a GPU take a larger step (see
            # batch_scaled_learning_rate); the final rate of the linear
            # schedule follows unless it was given.
            cpu_batch = self._resolved_batch_size(data.n_samples, None, mean_length)
            factor = batch_size / cpu_batch
            overrides["learning_rate_init"] = batch_scaled_learning_rate(
                self.learning_rate_init, self.solver, factor
            )
        return overrides

    def _build_module(self, device, dtype, generator):
        """The network of ``_network_spec``, its weights drawn from ``generator``."""
        factory, args, kwargs = self._network_spec()
        module = build_uninitialized(factory, *args, **kwargs)
        module.reset_parameters(generator)
        return module.to(device=device, dtype=dtype)

    def _token_network_kwargs(self):
        """The network arguments of the token representation and the output."""
        return {
            "feature_sizes": [len(v) + 2 for v in self.feature_vocabularies_],
            "embedding_dim": self.embedding_dim,
            "feature_embedding_dim": self.feature_embedding_dim,
            "n_chars": len(self.char_vocabulary_) + 2,
            "char_features": self.char_features,
            "char_embedding_dim": self.char_embedding_dim,
            "char_hidden_size": self.char_hidden_size,
            "dropout": self.dropout,
            "word_dropout": self.word_dropout,
            "crf": self.crf,
        }

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
        return self._fit(X, y)

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
        encoded = self._encoded(X)
        ids = self._predict_sentences(self.module_, encoded, "decode")
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
        encoded = self._encoded(X)
        return self._predict_sentences(self.module_, encoded, "proba")

    def score(self, X, y):
        """Token accuracy, or chunk F1 when ``metric="chunk_f1"``, on ``X, y``.

        Parameters
        ----------
        X : list of list of str, tuple or dict
            The sentences.
        y : list of list
            Their true tags. A tag never seen in training cannot be predicted,
            so its tokens count as errors (as ``accuracy_score`` counts a label
            a classifier never predicts): a cross-validation fold holding a
            rare tag gets a lower score, not ``nan``.

        Returns
        -------
        score : float
            The ``metric`` of ``predict(X)`` against ``y``.
        """
        check_is_fitted(self)
        words, _, _ = parse_sentences(X, self._token_format)
        y = check_tags(y, words)
        return METRICS[self.metric](y, self.predict(X))

    def _check_fitted_state(self, *, n_weights, n_bytes):
        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        check_fitted_classes(self)
        token_format = getattr(self, "_token_format", None)
        if not _is_token_format(token_format):
            raise ValueError(f"Invalid token format {token_format!r}.")
        n_features, names = token_features(token_format)
        if (self.n_token_features_, self.feature_names_) != (n_features, names):
            raise ValueError(
                f"Tokens of format {token_format!r} have {n_features} features "
                f"named {names}, not {self.n_token_features_!r} named "
                f"{self.feature_names_!r}."
            )
        vocabularies = self.feature_vocabularies_
        if not isinstance(vocabularies, list) or len(vocabularies) != n_features:
            raise ValueError(f"feature_vocabularies_ must be {n_features} dicts.")
        for name, vocabulary in [
            ("vocabulary_", self.vocabulary_),
            ("char_vocabulary_", self.char_vocabulary_),
            *(("feature_vocabularies_", v) for v in vocabularies),
        ]:
            # The ids index the network's embeddings: 0 and 1 are padding and
            # unknown, the vocabulary's own run from 2 without a gap.
            if not isinstance(vocabulary, dict):
                raise ValueError(f"{name} must be a dict, not {vocabulary!r}.")
            ids = sorted(i if type(i) is int else -1 for i in vocabulary.values())
            if ids != list(range(2, len(vocabulary) + 2)):
                raise ValueError(f"{name} must map its entries to the ids 2, 3, ...")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags

    # ------------------------------------------------- the template's hooks
    def _validate_fit_data(self, X, y, fit):
        """Parse the sentences, check the tags, skip empty sentences."""
        words, features, self._token_format = parse_sentences(X)
        self.n_token_features_, self.feature_names_ = token_features(self._token_format)
        tags = check_tags(y, words)
        keep = [i for i, sentence in enumerate(words) if sentence]
        if not keep:
            raise ValueError("X holds no non-empty sentence to learn from.")
        words = [words[i] for i in keep]
        features = [features[i] for i in keep]
        tags = [tags[i] for i in keep]
        self.classes_ = tag_classes(tags)
        return FitData(
            len(words),
            X=X,
            y=y,
            extra={"words": words, "features": features, "tags": tags},
        )

    def _prepare_encoding(self, data, train_rows, fit):
        """Learn the vocabularies from the training sentences; encode them all."""
        words, features = data.extra["words"], data.extra["features"]
        if train_rows is None:
            train_words, train_features = words, features
        else:
            train_words = [words[i] for i in train_rows]
            train_features = [features[i] for i in train_rows]
        vocabularies = build_vocabularies(
            train_words,
            train_features,
            self.n_token_features_,
            min_freq=self.min_freq,
            max_vocab=self.max_vocab,
            lowercase=self.lowercase,
            chars=bool(self.char_features),
        )
        self.vocabulary_, self.char_vocabulary_, self.feature_vocabularies_ = (
            vocabularies
        )
        inputs = self._token_encoder().encode(words, features, fit.device)
        target = encode_tags(data.extra["tags"], self.classes_, inputs[0].shape)
        data.extra["inputs"] = inputs
        data.extra["target"] = torch.as_tensor(target, device=fit.device)

    def _make_batches(self, data, train_rows, config, fit):
        """Batches of sentences of similar lengths (little padding)."""
        inputs = data.extra["inputs"]
        return length_bucketed_batches(
            inputs,
            data.extra["target"],
            sentence_lengths(inputs[0]).cpu(),
            config.batch_size,
            shuffle=self.shuffle,
            rows=None
            if train_rows is None
            else torch.as_tensor(train_rows, device=fit.device),
        )

    def _loss_function(self, data, fit):
        """The network's own loss (the CRF's negative log-likelihood)."""
        network_loss = fit.module.loss
        return lambda output, target, sample_weight: network_loss(output, target)

    def _validation_score(self, data, validation_rows, fit):
        """``metric`` of the decoded held-out sentences."""
        rows = torch.as_tensor(validation_rows, device=fit.device)
        inputs = tuple(part[rows] for part in data.extra["inputs"])
        y_val = [data.extra["tags"][i] for i in validation_rows]
        metric, classes = METRICS[self.metric], self.classes_

        def score(module):
            ids = self._predict_sentences(module, inputs, "decode")
            return metric(y_val, [classes[row].tolist() for row in ids])

        return score

    # ------------------------------------------------------------- prediction
    def _token_encoder(self):
        return TokenEncoder(
            self.vocabulary_,
            self.char_vocabulary_,
            self.feature_vocabularies_,
            lowercase=self.lowercase,
            chars=bool(self.char_features),
        )

    def _encoded(self, X):
        """The id tensors of the sentences ``X``, on the network's device."""
        check_is_fitted(self)
        words, features, _ = parse_sentences(X, self._token_format)
        device = next(self.module_.parameters()).device
        return self._token_encoder().encode(words, features, device)

    @within_thread_budget
    @torch.inference_mode()
    def _predict_sentences(self, module, encoded, what):
        """Decode tag ids (``what="decode"``) or probabilities of each sentence.

        Sentences are run longest first in batches of similar lengths; the
        results come back in the input order.
        """
        module.eval()
        words = encoded[0]
        lengths = sentence_lengths(words).cpu().numpy()
        results = [
            np.zeros(0, dtype=np.int64)
            if what == "decode"
            else np.zeros((0, len(self.classes_)))
        ] * len(lengths)
        order = np.argsort(-lengths, kind="stable")
        order = order[lengths[order] > 0]
        block = self._prediction_block(words.device)
        for start in range(0, len(order), block):
            rows = order[start : start + block]
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


def _is_token_format(token_format):
    """Whether ``token_format`` is one ``parse_sentences`` returns."""
    if not isinstance(token_format, tuple) or not token_format:
        return False
    kind = token_format[0]
    if kind == "str":
        return len(token_format) == 1
    if kind == "tuple":
        return (
            len(token_format) == 2
            and type(token_format[1]) is int
            and token_format[1] >= 0
        )
    return (
        kind == "dict"
        and len(token_format) == 2
        and isinstance(token_format[1], tuple)
        and all(isinstance(key, str) for key in token_format[1])
    )
