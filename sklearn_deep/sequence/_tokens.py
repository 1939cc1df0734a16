"""The list-of-sentences input: parsing and checking tokens and tag sequences.

``X`` is a list of sentences, each a list of tokens (strings, tuples
``(word, feature, ...)`` or dicts with a ``"word"`` key); ``y`` a list of tag
lists aligned with them. ``parse_sentences`` splits ``X`` into words and feature
tuples; these functions turn bad input into errors that name the sentence and
token at fault.
"""

import numpy as np


def parse_sentences(X, token_format=None):
    """Split ``X`` into the words and feature tuples of each sentence, checking it.

    Parameters
    ----------
    X : list of list of str, tuple or dict
        The sentences.
    token_format : tuple, default=None
        The format every token must have (what ``fit`` saw); None while
        fitting, where the first token sets it.

    Returns
    -------
    words : list of list of str
        The words of each sentence.
    features : list of list of tuple
        The extra features of each token (empty tuples for string tokens).
    token_format : tuple
        The format of the tokens; ``("str",)`` when ``X`` holds none.
    """
    if isinstance(X, (str, bytes, dict)) or not hasattr(X, "__len__"):
        raise TypeError(
            "X must be a list of sentences, each a list of tokens; got "
            f"{type(X).__name__}."
        )
    fitting = token_format is None
    words, features = [], []
    for i, sentence in enumerate(X):
        if isinstance(sentence, (str, bytes, dict)) or not hasattr(sentence, "__len__"):
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
    return words, features, token_format or ("str",)


def token_features(token_format):
    """``(n_token_features, feature_names)`` of the tokens of ``token_format``.

    The number of extra features per token, and for dict tokens their keys
    after the word's (``["word", key, ...]``), else None.
    """
    if token_format[0] == "str":
        n_features = 0
    elif token_format[0] == "tuple":
        n_features = token_format[1]
    else:
        n_features = len(token_format[1])
    names = ["word", *token_format[1]] if token_format[0] == "dict" else None
    return n_features, names


def split_token(token, i, j):
    """``(word, feature tuple, format)`` of one token, or a clear error."""
    if isinstance(token, str):
        return token, (), ("str",)
    if isinstance(token, (tuple, list)) and token and isinstance(token[0], str):
        return token[0], tuple(token[1:]), ("tuple", len(token) - 1)
    if isinstance(token, dict) and isinstance(token.get("word"), str):
        keys = tuple(sorted(k for k in token if k != "word"))
        return token["word"], tuple(token[k] for k in keys), ("dict", keys)
    raise TypeError(
        f"Token {j} of sentence {i} is {type(token).__name__} ({token!r}). Tokens "
        "must be strings, tuples (word, feature, ...) whose word is a string, or "
        "dicts with a string under 'word'."
    )


def describe_token_format(kind):
    if kind[0] == "str":
        return "a string"
    if kind[0] == "tuple":
        return f"a tuple of a word and {kind[1]} feature(s)"
    return f"a dict with feature keys {list(kind[1])}"


def check_tags(y, words):
    """``y`` as a list of tag lists aligned with the sentences ``words``."""
    if isinstance(y, (str, bytes, dict)) or not hasattr(y, "__len__"):
        raise TypeError(
            f"y must be a list of tag sequences (one per sentence); got "
            f"{type(y).__name__}."
        )
    if len(y) != len(words):
        raise ValueError(
            f"X and y have different numbers of sentences: {len(words)} and {len(y)}."
        )
    tags = []
    for i, (sentence_tags, sentence) in enumerate(zip(y, words, strict=True)):
        if isinstance(sentence_tags, (str, bytes)) or not hasattr(
            sentence_tags, "__len__"
        ):
            raise TypeError(
                f"y[{i}] is a {type(sentence_tags).__name__}, not a list of tags."
            )
        if len(sentence_tags) != len(sentence):
            raise ValueError(
                f"Sentence {i} has {len(sentence)} tokens but {len(sentence_tags)} "
                "tags; every token needs exactly one tag."
            )
        tags.append([plain_tag(tag) for tag in sentence_tags])
    return tags


def plain_tag(tag):
    """A numpy scalar tag as the Python value it holds (hashable, comparable)."""
    return tag.item() if isinstance(tag, np.generic) else tag


def tag_classes(tags):
    """The distinct tags of the tag lists ``tags``, sorted: a tagger's ``classes_``."""
    try:
        classes = np.array(sorted({tag for sentence in tags for tag in sentence}))
    except TypeError as exc:
        raise TypeError(
            "Tags must be all strings or all numbers, to be sorted into classes_."
        ) from exc
    if len(classes) < 2:
        raise ValueError(f"y needs at least 2 distinct tags, got {classes.tolist()}.")
    return classes
