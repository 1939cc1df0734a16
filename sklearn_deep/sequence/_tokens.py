"""Checks of the list-of-sentences input: token forms and tag sequences.

``X`` is a list of sentences, each a list of tokens (strings, tuples
``(word, feature, ...)`` or dicts with a ``"word"`` key); ``y`` a list of tag
lists aligned with them. These functions turn bad input into errors that name
the sentence and token at fault.
"""

import numpy as np


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
