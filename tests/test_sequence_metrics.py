"""Sequence-labelling metrics: token accuracy and conlleval's chunk scores.

The expected values are computed by hand from conlleval's rules (a chunk starts
at B-X, or at an I-X after O or after a tag of another type; a predicted chunk
is correct when its type and both boundaries match).
"""

from pathlib import Path

import numpy as np
import pytest

from sklearn_deep.datasets import load_conll
from sklearn_deep.metrics import (
    chunk_classification_report,
    chunk_f1_score,
    chunk_precision_recall_fscore_support,
    chunk_precision_score,
    chunk_recall_score,
    extract_chunks,
    token_accuracy_score,
)

CONLL2000 = Path(__file__).parents[2] / "shared" / "datasets" / "conll2000"


@pytest.mark.parametrize(
    "tags, chunks",
    [
        ([], []),
        (["O", "O"], []),
        (["B-NP", "I-NP", "I-NP"], [("NP", 0, 2)]),
        (["B-NP", "B-NP"], [("NP", 0, 0), ("NP", 1, 1)]),
        # An I-X at the start, after O, or after another type starts a chunk.
        (["I-NP", "I-NP"], [("NP", 0, 1)]),
        (["O", "I-VP", "O"], [("VP", 1, 1)]),
        (["B-NP", "I-VP", "I-VP"], [("NP", 0, 0), ("VP", 1, 2)]),
        (["B-NP", "I-NP", "I-PP", "B-PP"], [("NP", 0, 1), ("PP", 2, 2), ("PP", 3, 3)]),
        # IOBES.
        (["S-NP", "B-VP", "E-VP", "O"], [("NP", 0, 0), ("VP", 1, 2)]),
        (["B-NP", "E-NP", "I-NP"], [("NP", 0, 1), ("NP", 2, 2)]),
    ],
)
def test_extract_chunks_follows_conlleval(tags, chunks):
    assert extract_chunks(tags) == chunks


def test_chunk_scores_hand_computed():
    y_true = [
        ["B-NP", "I-NP", "B-VP", "B-NP", "I-NP", "O"],
        ["B-PP", "B-NP", "O"],
    ]
    y_pred = [
        ["B-NP", "I-NP", "B-VP", "B-NP", "B-NP", "O"],  # NP split: 1 wrong, 1 extra
        ["B-PP", "I-NP", "I-NP"],  # I-NP after B-PP starts an NP of 2 tokens
    ]
    # true chunks: NP(0-1) VP(2) NP(3-4) | PP(0) NP(1)  -> 5
    # pred chunks: NP(0-1) VP(2) NP(3) NP(4) | PP(0) NP(1-2) -> 6
    # correct: NP(0-1), VP(2), PP(0) -> 3
    p, r, f, s = chunk_precision_recall_fscore_support(y_true, y_pred)
    assert (p, r, s) == (3 / 6, 3 / 5, 5)
    assert f == pytest.approx(2 * 0.5 * 0.6 / 1.1)
    assert chunk_precision_score(y_true, y_pred) == p
    assert chunk_recall_score(y_true, y_pred) == r
    assert chunk_f1_score(y_true, y_pred) == f
    # 9 tokens, 6 equal tags.
    assert token_accuracy_score(y_true, y_pred) == pytest.approx(6 / 9)

    p, r, f, s = chunk_precision_recall_fscore_support(y_true, y_pred, average=None)
    # labels sorted: NP, PP, VP
    np.testing.assert_allclose(p, [1 / 4, 1, 1])
    np.testing.assert_allclose(r, [1 / 3, 1, 1])
    np.testing.assert_array_equal(s, [3, 1, 1])
    macro = chunk_precision_recall_fscore_support(y_true, y_pred, average="macro")
    assert macro[0] == pytest.approx(np.mean([1 / 4, 1, 1]))
    only_np = chunk_f1_score(y_true, y_pred, labels=["NP"])
    assert only_np == pytest.approx(2 * (1 / 4) * (1 / 3) / (1 / 4 + 1 / 3))


def test_no_predicted_chunk_scores_zero():
    assert chunk_precision_recall_fscore_support([["B-NP"]], [["O"]]) == (
        0.0,
        0.0,
        0.0,
        1,
    )


def test_classification_report():
    y_true = [["B-NP", "I-NP", "B-VP", "O"]]
    y_pred = [["B-NP", "I-NP", "B-NP", "O"]]
    report = chunk_classification_report(y_true, y_pred, output_dict=True)
    assert report["NP"]["precision"] == 0.5
    assert report["NP"]["recall"] == 1.0
    assert report["VP"]["support"] == 1
    assert report["micro avg"]["f1-score"] == pytest.approx(2 * 0.5 * 0.5 / 1.0)
    assert report["token accuracy"] == 0.75
    text = chunk_classification_report(y_true, y_pred)
    assert "NP" in text and "micro avg" in text


@pytest.mark.parametrize(
    "y_true, y_pred, error, match",
    [
        ([["O"]], [["O"], ["O"]], ValueError, "numbers of sentences"),
        ([["O", "O"]], [["O"]], ValueError, "Sentence 0 has 2 true tags"),
        ("O", [["O"]], TypeError, "list of tag sequences"),
        ([["O"], "O"], [["O"], ["O"]], TypeError, r"y_true\[1\]"),
    ],
)
def test_bad_input(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        chunk_f1_score(y_true, y_pred)
    with pytest.raises(error, match=match):
        token_accuracy_score(y_true, y_pred)


def test_token_accuracy_needs_tokens():
    with pytest.raises(ValueError, match="at least one token"):
        token_accuracy_score([[]], [[]])


def test_bad_average():
    with pytest.raises(ValueError, match="average"):
        chunk_f1_score([["O"]], [["O"]], average="weighted")


def test_inputs_not_modified():
    y_true = [["B-NP", "I-NP"], ("O",)]
    y_pred = [["I-NP", "I-NP"], ("O",)]
    copies = [list(s) for s in y_true], [list(s) for s in y_pred]
    chunk_classification_report(y_true, y_pred)
    assert [list(s) for s in y_true] == copies[0]
    assert [list(s) for s in y_pred] == copies[1]


@pytest.mark.skipif(not CONLL2000.is_dir(), reason="../shared CoNLL-2000 data absent")
def test_conll2000_test_set_chunk_count():
    # The data README: conlleval reports 23,852 chunks for the test set.
    data = load_conll(CONLL2000 / "test.txt")
    p, r, f, support = chunk_precision_recall_fscore_support(data.tags, data.tags)
    assert support == 23852
    assert p == r == f == 1.0
    all_np = [["B-NP"] * len(tags) for tags in data.tags]
    assert 0 < chunk_f1_score(data.tags, all_np) < 1
