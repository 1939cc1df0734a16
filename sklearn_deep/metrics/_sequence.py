"""Scores of sequence labelling: per-token accuracy and chunk (span) scores.

The chunk scores follow ``conlleval``, the CoNLL shared tasks' evaluation
script, so that numbers compare with the literature:

- a tag is ``PREFIX-TYPE`` (``B-NP``, ``I-VP``) or ``O``; the prefixes ``B``,
  ``I``, ``E``, ``S`` (and ``O``) are understood, so IOB1, IOB2/BIO and IOBES
  all work;
- a chunk starts at ``B-X``, and also at an ``I-X`` that follows ``O``, the
  start of a sentence, or a tag of another type (conlleval does not reject
  such ill-formed sequences; it reads them as a new chunk);
- a predicted chunk counts as correct only when its type, first token and last
  token all equal those of a true chunk;
- precision = correct / predicted chunks, recall = correct / true chunks,
  F1 their harmonic mean; the micro average pools the counts of every type.

Scores are fractions in [0, 1] as in ``sklearn.metrics`` (conlleval prints
percentages). Sentences are scored one by one: a chunk never spans two.
"""

from collections import Counter

import numpy as np


def _split_tag(tag):
    """``"B-NP"`` -> ``("B", "NP")``; ``"O"`` -> ``("O", "")``, as conlleval splits."""
    prefix, dash, kind = tag.partition("-")
    return (prefix, kind) if dash else (tag, "")


def _end_of_chunk(prev_tag, tag, prev_type, type_):
    if prev_tag in ("E", "S"):
        return True
    if prev_tag in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev_tag != "O" and prev_type != type_


def _start_of_chunk(prev_tag, tag, prev_type, type_):
    if tag in ("B", "S"):
        return True
    if prev_tag in ("E", "S", "O") and tag in ("I", "E"):
        return True
    return tag != "O" and prev_type != type_


def extract_chunks(tags):
    """The chunks of one tag sequence, as conlleval delimits them.

    Parameters
    ----------
    tags : sequence of str
        The tags of one sentence, e.g. ``["B-NP", "I-NP", "O"]``.

    Returns
    -------
    chunks : list of (str, int, int)
        ``(type, first, last)`` per chunk, token indices inclusive, in order.

    Examples
    --------
    >>> extract_chunks(["B-NP", "I-NP", "B-VP", "O", "I-NP", "I-PP"])
    [('NP', 0, 1), ('VP', 2, 2), ('NP', 4, 4), ('PP', 5, 5)]
    """
    chunks = []
    prev_tag, prev_type, begin = "O", "", 0
    for i, tag in enumerate([*tags, "O"]):
        if not isinstance(tag, str):
            raise TypeError(f"Tags must be strings, got {type(tag).__name__}: {tag!r}.")
        prefix, type_ = _split_tag(tag)
        if _end_of_chunk(prev_tag, prefix, prev_type, type_):
            chunks.append((prev_type, begin, i - 1))
        if _start_of_chunk(prev_tag, prefix, prev_type, type_):
            begin = i
        prev_tag, prev_type = prefix, type_
    return chunks


def _check_sequences(y_true, y_pred):
    """Validate two lists of tag sequences of matching lengths; return lists."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if isinstance(y, str) or not hasattr(y, "__len__"):
            raise TypeError(
                f"{name} must be a list of tag sequences (one list per sentence), "
                f"got {type(y).__name__}."
            )
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true and y_pred have different numbers of sentences: "
            f"{len(y_true)} and {len(y_pred)}."
        )
    true_lists, pred_lists = [], []
    for i, (true, pred) in enumerate(zip(y_true, y_pred, strict=True)):
        for name, seq in (("y_true", true), ("y_pred", pred)):
            if isinstance(seq, str) or not hasattr(seq, "__len__"):
                raise TypeError(
                    f"{name}[{i}] must be a sequence of tags, got "
                    f"{type(seq).__name__}: {seq!r}. Pass one list of tags per "
                    "sentence."
                )
        if len(true) != len(pred):
            raise ValueError(
                f"Sentence {i} has {len(true)} true tags but {len(pred)} "
                "predicted tags."
            )
        true_lists.append(list(true))
        pred_lists.append(list(pred))
    return true_lists, pred_lists


def token_accuracy_score(y_true, y_pred):
    """The fraction of tokens whose predicted tag equals the true tag.

    Parameters
    ----------
    y_true : list of list of str
        The true tags, one list per sentence.
    y_pred : list of list of str
        The predicted tags, same shape as ``y_true``.

    Returns
    -------
    accuracy : float
        Correct tokens over all tokens.

    Examples
    --------
    >>> from sklearn_deep.metrics import token_accuracy_score
    >>> y_true, y_pred = [["B-NP", "I-NP"], ["O"]], [["B-NP", "B-NP"], ["O"]]
    >>> round(token_accuracy_score(y_true, y_pred), 4)
    0.6667
    """
    y_true, y_pred = _check_sequences(y_true, y_pred)
    n_tokens = sum(len(seq) for seq in y_true)
    if n_tokens == 0:
        raise ValueError("token_accuracy_score needs at least one token; got none.")
    correct = sum(
        t == p
        for true, pred in zip(y_true, y_pred, strict=True)
        for t, p in zip(true, pred, strict=True)
    )
    return correct / n_tokens


def _chunk_counts(y_true, y_pred):
    """Per chunk type: (correct, predicted, true) counts."""
    y_true, y_pred = _check_sequences(y_true, y_pred)
    correct, predicted, true = Counter(), Counter(), Counter()
    for true_tags, pred_tags in zip(y_true, y_pred, strict=True):
        true_chunks = set(extract_chunks(true_tags))
        pred_chunks = set(extract_chunks(pred_tags))
        true.update(kind for kind, _, _ in true_chunks)
        predicted.update(kind for kind, _, _ in pred_chunks)
        correct.update(kind for kind, _, _ in true_chunks & pred_chunks)
    return correct, predicted, true


def _ratio(numerator, denominator):
    return numerator / denominator if denominator else 0.0


def chunk_precision_recall_fscore_support(
    y_true, y_pred, *, average="micro", labels=None
):
    """Chunk precision, recall, F1 and support with conlleval's rules.

    Parameters
    ----------
    y_true : list of list of str
        The true BIO/IOB tags, one list per sentence.
    y_pred : list of list of str
        The predicted tags, same shape as ``y_true``.
    average : {"micro", "macro"} or None, default="micro"
        ``"micro"`` pools the counts of all chunk types (conlleval's overall
        score), ``"macro"`` averages the per-type scores, ``None`` returns one
        score per type.
    labels : list of str, default=None
        The chunk types to report (and average over), e.g. ``["NP", "VP"]``;
        every type in ``y_true`` or ``y_pred`` when None, sorted.

    Returns
    -------
    precision, recall, f1 : float or ndarray of shape (n_labels,)
        The scores, 0 where undefined (no predicted or no true chunk).
    support : int or ndarray of shape (n_labels,)
        The number of true chunks.

    Examples
    --------
    >>> from sklearn_deep.metrics import chunk_precision_recall_fscore_support
    >>> y_true = [["B-NP", "I-NP", "B-VP", "O"]]
    >>> y_pred = [["B-NP", "B-NP", "B-VP", "O"]]
    >>> p, r, f, s = chunk_precision_recall_fscore_support(y_true, y_pred)
    >>> round(p, 3), round(r, 3), round(f, 3), s
    (0.333, 0.5, 0.4, 2)
    """
    if average not in ("micro", "macro", None):
        raise ValueError(f"average must be 'micro', 'macro' or None, got {average!r}.")
    correct, predicted, true = _chunk_counts(y_true, y_pred)
    if labels is None:
        labels = sorted(set(true) | set(predicted))
    labels = list(labels)
    if average == "micro":
        c = sum(correct[k] for k in labels)
        n_pred = sum(predicted[k] for k in labels)
        n_true = sum(true[k] for k in labels)
        precision, recall = _ratio(c, n_pred), _ratio(c, n_true)
        return precision, recall, _f1(precision, recall), n_true
    precision = np.array([_ratio(correct[k], predicted[k]) for k in labels])
    recall = np.array([_ratio(correct[k], true[k]) for k in labels])
    f1 = np.array([_f1(p, r) for p, r in zip(precision, recall, strict=True)])
    support = np.array([true[k] for k in labels], dtype=int)
    if average == "macro":
        if not labels:
            return 0.0, 0.0, 0.0, 0
        return (
            float(precision.mean()),
            float(recall.mean()),
            float(f1.mean()),
            int(support.sum()),
        )
    return precision, recall, f1, support


def _f1(precision, recall):
    return _ratio(2 * precision * recall, precision + recall)


def chunk_f1_score(y_true, y_pred, *, average="micro", labels=None):
    """Chunk F1 (conlleval's ``FB1``).

    See :func:`chunk_precision_recall_fscore_support` for the parameters.

    Examples
    --------
    >>> from sklearn_deep.metrics import chunk_f1_score
    >>> chunk_f1_score([["B-NP", "I-NP", "O"]], [["B-NP", "I-NP", "O"]])
    1.0
    """
    return chunk_precision_recall_fscore_support(
        y_true, y_pred, average=average, labels=labels
    )[2]


def chunk_precision_score(y_true, y_pred, *, average="micro", labels=None):
    """Chunk precision.

    See :func:`chunk_precision_recall_fscore_support` for the parameters.

    Examples
    --------
    >>> from sklearn_deep.metrics import chunk_precision_score
    >>> chunk_precision_score([["B-NP", "I-NP"]], [["B-NP", "B-NP"]])
    0.0
    """
    return chunk_precision_recall_fscore_support(
        y_true, y_pred, average=average, labels=labels
    )[0]


def chunk_recall_score(y_true, y_pred, *, average="micro", labels=None):
    """Chunk recall.

    See :func:`chunk_precision_recall_fscore_support` for the parameters.

    Examples
    --------
    >>> from sklearn_deep.metrics import chunk_recall_score
    >>> chunk_recall_score([["B-NP", "O", "B-VP"]], [["B-NP", "O", "O"]])
    0.5
    """
    return chunk_precision_recall_fscore_support(
        y_true, y_pred, average=average, labels=labels
    )[1]


def chunk_classification_report(y_true, y_pred, *, digits=2, output_dict=False):
    """A per-chunk-type table of precision, recall, F1 and support, like conlleval.

    Parameters
    ----------
    y_true : list of list of str
        The true tags, one list per sentence.
    y_pred : list of list of str
        The predicted tags, same shape as ``y_true``.
    digits : int, default=2
        Decimals of the percentages in the text report.
    output_dict : bool, default=False
        Return a dict ``{type: {"precision", "recall", "f1-score", "support"}}``
        (with ``"micro avg"`` and ``"token accuracy"`` entries) instead of text.

    Returns
    -------
    report : str or dict
        The table (scores in percent, as conlleval prints them), or the dict
        (scores as fractions).

    Examples
    --------
    >>> from sklearn_deep.metrics import chunk_classification_report
    >>> print(chunk_classification_report([["B-NP", "O"]], [["B-NP", "O"]]))
    type       precision  recall      F1  support
    NP            100.00  100.00  100.00        1
    micro avg     100.00  100.00  100.00        1
    token accuracy 100.00
    """
    labels = sorted(set().union(*(set(c) for c in _chunk_counts(y_true, y_pred))))
    p, r, f, s = chunk_precision_recall_fscore_support(
        y_true, y_pred, average=None, labels=labels
    )
    micro = chunk_precision_recall_fscore_support(y_true, y_pred, labels=labels)
    n_tokens = sum(len(seq) for seq in y_true)
    accuracy = token_accuracy_score(y_true, y_pred) if n_tokens else 0.0
    rows = {label: (p[i], r[i], f[i], int(s[i])) for i, label in enumerate(labels)}
    rows["micro avg"] = micro
    if output_dict:
        report = {
            name: dict(
                zip(("precision", "recall", "f1-score", "support"), row, strict=True)
            )
            for name, row in rows.items()
        }
        report["token accuracy"] = accuracy
        return report
    width = max(len("micro avg"), *(len(label) for label in labels))
    lines = [f"{'type':<{width}}  {'precision':>9}  {'recall':>6}  {'F1':>6}  support"]
    for name, (prec, rec, f1, support) in rows.items():
        lines.append(
            f"{name:<{width}}  {100 * prec:>9.{digits}f}  {100 * rec:>6.{digits}f}  "
            f"{100 * f1:>6.{digits}f}  {support:>7}"
        )
    lines.append(f"token accuracy {100 * accuracy:.{digits}f}")
    return "\n".join(lines)
