"""Token ids: a tagger's vocabularies and the padded id tensors of sentences.

``build_vocabularies`` learns, from the training sentences only, the ids of the
words, of the characters and of the values of each extra token feature;
``TokenEncoder`` turns sentences into the padded tensors
``(word ids, feature ids, character ids)`` that a tagging network reads, one
row per sentence. Id 0 is padding and id 1 (``UNKNOWN``) whatever the
vocabularies lack.
"""

from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from sklearn_deep.nn._tagger import UNKNOWN

PADDING = 0
# Characters per word seen by the character encoder: longer words keep their
# first and last MAX_WORD_CHARS // 2 characters, where prefixes and suffixes
# (the cues for unknown words) are.
MAX_WORD_CHARS = 20


def normalise(word, lowercase):
    """``word`` as the word vocabulary holds it."""
    return word.lower() if lowercase else word


def build_vocabularies(
    words, features, n_token_features, *, min_freq, max_vocab, lowercase, chars
):
    """The vocabularies of the sentences ``words`` and their token ``features``.

    Parameters
    ----------
    words : list of list of str
        The words of the training sentences.
    features : list of list of tuple
        The extra features of their tokens.
    n_token_features : int
        Extra features per token.
    min_freq : int
        Words seen fewer times are left out (they are unknown words).
    max_vocab : int or None
        Keep at most this many most frequent words; all when None.
    lowercase : bool
        Whether words are looked up in lower case.
    chars : bool
        Whether to learn the characters' ids (for a character encoder).

    Returns
    -------
    vocabulary : dict
        Word to id, most frequent first (ties alphabetically, so that the
        vocabulary does not depend on the order of the sentences), from 2.
    char_vocabulary : dict
        Character to id, sorted, from 2; empty without ``chars``.
    feature_vocabularies : list of dict
        Value to id, one dict per extra feature, from 2.
    """
    counts = Counter(normalise(w, lowercase) for sentence in words for w in sentence)
    frequent = [w for w, c in counts.items() if c >= min_freq]
    frequent.sort(key=lambda w: (-counts[w], w))
    if max_vocab is not None:
        frequent = frequent[:max_vocab]
    vocabulary = {w: i for i, w in enumerate(frequent, start=2)}
    char_vocabulary = {}
    if chars:
        characters = sorted({c for sentence in words for w in sentence for c in w})
        char_vocabulary = {c: i for i, c in enumerate(characters, start=2)}
    feature_vocabularies = []
    for k in range(n_token_features):
        values = {token[k] for sentence in features for token in sentence}
        ordered = sorted(values, key=lambda v: (type(v).__name__, str(v)))
        feature_vocabularies.append({v: i for i, v in enumerate(ordered, start=2)})
    return vocabulary, char_vocabulary, feature_vocabularies


@dataclass(frozen=True)
class TokenEncoder:
    """Sentences to padded id tensors, by a tagger's vocabularies.

    Parameters
    ----------
    vocabulary : dict
        Word (normalised) to id.
    char_vocabulary : dict
        Character to id.
    feature_vocabularies : list of dict
        Value to id, one dict per extra token feature.
    lowercase : bool
        Whether words are looked up in lower case.
    chars : bool
        Whether to encode the characters of each word.
    """

    vocabulary: dict
    char_vocabulary: dict
    feature_vocabularies: list
    lowercase: bool
    chars: bool

    def encode(self, words, features, device):
        """Padded id tensors ``(words, features, chars)``, one row per sentence.

        Shapes ``(n, max_len)``, ``(n, max_len, n_features)`` and
        ``(n, max_len, MAX_WORD_CHARS)`` (width 0 without ``chars``), with
        ``max_len`` the longest sentence (at least 1).
        """
        n = len(words)
        max_len = max([len(sentence) for sentence in words] + [1])
        n_features = len(self.feature_vocabularies)
        word_ids = np.zeros((n, max_len), dtype=np.int64)
        feature_ids = np.zeros((n, max_len, n_features), dtype=np.int64)
        char_width = MAX_WORD_CHARS if self.chars else 0
        char_dtype = np.int16 if len(self.char_vocabulary) + 2 < 2**15 else np.int32
        char_ids = np.zeros((n, max_len, char_width), dtype=char_dtype)
        vocabulary, lowercase = self.vocabulary, self.lowercase
        spelled = {}
        for i, sentence in enumerate(words):
            if not sentence:
                continue
            word_ids[i, : len(sentence)] = [
                vocabulary.get(normalise(w, lowercase), UNKNOWN) for w in sentence
            ]
            for k, vocab in enumerate(self.feature_vocabularies):
                feature_ids[i, : len(sentence), k] = [
                    vocab.get(token[k], UNKNOWN) for token in features[i]
                ]
            if char_width:
                for j, w in enumerate(sentence):
                    ids = spelled.get(w)
                    if ids is None:
                        ids = spelled[w] = self.spell(w)
                    char_ids[i, j, : len(ids)] = ids
        return (
            torch.as_tensor(word_ids, device=device),
            torch.as_tensor(feature_ids, device=device),
            torch.as_tensor(char_ids, device=device),
        )

    def spell(self, word):
        """The character ids of ``word`` (at most ``MAX_WORD_CHARS``)."""
        if len(word) > MAX_WORD_CHARS:
            half = MAX_WORD_CHARS // 2
            word = word[:half] + word[-half:]
        # An empty token still needs one character for the encoder to pool over.
        return [self.char_vocabulary.get(c, UNKNOWN) for c in word] or [UNKNOWN]


def encode_tags(tags, classes, shape):
    """Tag ids of the tag lists ``tags``: an array of ``shape``, -1 at padding."""
    tag_index = {tag: i for i, tag in enumerate(classes.tolist())}
    target = np.full(shape, -1, dtype=np.int64)
    for i, sentence in enumerate(tags):
        target[i, : len(sentence)] = [tag_index[tag] for tag in sentence]
    return target


def sentence_lengths(word_ids):
    """The number of real (non-padding) tokens of each row of ``word_ids``."""
    return (word_ids != PADDING).sum(dim=1)
