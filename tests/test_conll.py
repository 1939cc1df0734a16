"""Loaders of CoNLL column files and CoNLL-U treebanks."""

from pathlib import Path

import pytest

from sklearn_deep.datasets import load_conll, load_conllu

SHARED = Path(__file__).parents[2] / "shared" / "datasets"
CONLL2000 = SHARED / "conll2000"
EWT = SHARED / "ud_english_ewt"


def _write(tmp_path, text, name="data.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_conll_columns_and_blank_lines(tmp_path):
    text = "\n\nThe DT B-NP\ncat NN I-NP\n\n\n\nsat VBD B-VP\n.  . O\n"
    data = load_conll(_write(tmp_path, text))
    assert data.words == [["The", "cat"], ["sat", "."]]
    assert data.tags == [["B-NP", "I-NP"], ["B-VP", "O"]]
    assert data.columns["pos"] == [["DT", "NN"], ["VBD", "."]]
    assert data.feature_names == ["word", "pos"]
    assert data.features == [
        [("The", "DT"), ("cat", "NN")],
        [("sat", "VBD"), (".", ".")],
    ]


def test_load_conll_tag_column_separator_docstart(tmp_path):
    text = "-DOCSTART- -X- -X- O\n\nEU\tNNP\tB-NP\tB-ORG\r\nrejects\tVBZ\tB-VP\tO\r\n"
    data = load_conll(
        _write(tmp_path, text),
        columns=["word", "pos", "chunk", "ner"],
        tag_column="chunk",
        separator=None,
    )
    assert data.words == [["EU", "rejects"]]
    assert data.tags == [["B-NP", "B-VP"]]
    assert data.feature_names == ["word", "pos", "ner"]
    assert data.features[0][0] == ("EU", "NNP", "B-ORG")


def test_load_conll_errors(tmp_path):
    path = _write(tmp_path, "a DT B-NP\nb NN\n")
    with pytest.raises(ValueError, match=r"data.txt:2: expected 3 fields"):
        load_conll(path)
    with pytest.raises(ValueError, match="tag_column"):
        load_conll(path, tag_column="ner")
    with pytest.raises(FileNotFoundError):
        load_conll(tmp_path / "missing.txt")


CONLLU = """# sent_id = 1
# text = Don't stop.
1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_
1\tDo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
2\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
3\tstop\tstop\tVERB\tVB\t_\t0\troot\t_\t_
3.1\tgo\tgo\tVERB\tVB\t_\t_\t_\t3:conj\t_
4\t.\t.\tPUNCT\t.\t_\t3\tpunct\t_\t_

# sent_id = 2
1\tHi\thi\tINTJ\tUH\t_\t0\troot\t_\t_
"""


def test_load_conllu_skips_comments_ranges_and_empty_nodes(tmp_path):
    data = load_conllu(_write(tmp_path, CONLLU, "x.conllu"))
    assert data.words == [["Do", "n't", "stop", "."], ["Hi"]]
    assert data.tags == [["AUX", "PART", "VERB", "PUNCT"], ["INTJ"]]
    assert data.columns["xpos"][0] == ["VBP", "RB", "VB", "."]
    xpos = load_conllu(
        _write(tmp_path, CONLLU, "x.conllu"),
        tag_column="xpos",
        feature_columns=["upos"],
    )
    assert xpos.tags[1] == ["UH"]
    assert xpos.features[1] == [("Hi", "INTJ")]


def test_load_conllu_errors(tmp_path):
    with pytest.raises(ValueError, match="10 tab-separated"):
        load_conllu(_write(tmp_path, "1 Do do AUX VBP _ 0 root _ _\n"))
    with pytest.raises(ValueError, match="not a CoNLL-U column"):
        load_conllu(_write(tmp_path, CONLLU), tag_column="pos")


@pytest.mark.skipif(not CONLL2000.is_dir(), reason="../shared CoNLL-2000 data absent")
@pytest.mark.parametrize(
    "split, sentences, tokens, max_len, n_labels, n_chunks, n_types",
    [
        ("train", 8936, 211727, 78, 22, 106978, 19122),
        ("test", 2012, 47377, 70, 19, 23852, 8118),
    ],
)
def test_conll2000_counts(
    split, sentences, tokens, max_len, n_labels, n_chunks, n_types
):
    # The counts of the data README.
    data = load_conll(CONLL2000 / f"{split}.txt")
    assert len(data.words) == sentences
    assert sum(map(len, data.words)) == tokens
    assert max(map(len, data.words)) == max_len
    assert len({t for tags in data.tags for t in tags}) == n_labels
    assert sum(t.startswith("B-") for tags in data.tags for t in tags) == n_chunks
    assert len({w for words in data.words for w in words}) == n_types


@pytest.mark.skipif(not EWT.is_dir(), reason="../shared UD English-EWT data absent")
@pytest.mark.parametrize(
    "split, sentences, words, max_len, n_xpos, n_types",
    [
        ("train", 12544, 204577, 159, 49, 19674),
        ("dev", 2001, 25147, 75, 49, 5494),
        ("test", 2077, 25094, 81, 48, 5629),
    ],
)
def test_ewt_counts(split, sentences, words, max_len, n_xpos, n_types):
    data = load_conllu(EWT / f"en_ewt-ud-{split}.conllu")
    assert len(data.words) == sentences
    assert sum(map(len, data.words)) == words
    assert max(map(len, data.words)) == max_len
    assert len({t for tags in data.tags for t in tags}) == 17
    assert len({t for tags in data.columns["xpos"] for t in tags}) == n_xpos
    assert len({w for s in data.words for w in s}) == n_types
