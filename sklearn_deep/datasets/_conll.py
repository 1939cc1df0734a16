"""Loaders for CoNLL-style column files and CoNLL-U treebanks (local files only).

Both return sentences as lists, the way :class:`sklearn_deep.LSTMTagger` takes
them: ``words`` (one list of tokens per sentence), ``tags`` (one list of labels
per sentence) and, for the tagger's extra categorical inputs, ``features`` (one
list of per-token tuples per sentence, the word first).
"""

from pathlib import Path

from sklearn.utils import Bunch

CONLLU_COLUMNS = (
    "id",
    "form",
    "lemma",
    "upos",
    "xpos",
    "feats",
    "head",
    "deprel",
    "deps",
    "misc",
)


def _sentences(path, comment_prefix=None):
    """Yield each sentence of a blank-line separated file as ``[(lineno, line)]``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No such file: {str(path)!r}.")
    sentence = []
    with path.open(encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                if sentence:
                    yield sentence
                sentence = []
            elif comment_prefix is None or not line.startswith(comment_prefix):
                sentence.append((lineno, line))
    if sentence:
        yield sentence


def load_conll(
    path, columns=("word", "pos", "chunk"), *, tag_column=None, separator=None
):
    """Load a CoNLL-style column file: one token per line, blank between sentences.

    CoNLL-2000 chunking (``word POS chunk``) and CoNLL-2003 NER
    (``word POS chunk ner``) files have this form. Lines starting with
    ``-DOCSTART-`` (document separators of CoNLL-2003) are skipped.

    Parameters
    ----------
    path : str or path-like
        The file to read (UTF-8).
    columns : sequence of str, default=("word", "pos", "chunk")
        The name of each column, in file order. The first column holds the words.
    tag_column : str, default=None
        The column to return as ``tags``; the last column when None.
    separator : str, default=None
        The column separator; any run of whitespace when None.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the keys

        - ``words``: list of list of str, the tokens of each sentence;
        - ``tags``: list of list of str, the ``tag_column`` labels;
        - ``features``: list of list of tuple, per token the values of every
          column except ``tag_column``, the word first (the input format of
          :class:`~sklearn_deep.LSTMTagger` for extra categorical features);
        - ``feature_names``: list of str, the columns in each ``features`` tuple;
        - ``columns``: dict mapping each column name to its list of lists.

    Raises
    ------
    ValueError
        When a line has a number of fields other than ``len(columns)``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = "He PRP B-NP\\nran VBD B-VP\\n\\nGo VB B-VP\\n"
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "tiny.txt"
    ...     _ = path.write_text(text)
    ...     data = load_conll(path)
    >>> data.words
    [['He', 'ran'], ['Go']]
    >>> data.tags
    [['B-NP', 'B-VP'], ['B-VP']]
    >>> data.features[0]
    [('He', 'PRP'), ('ran', 'VBD')]
    """
    columns = [str(name) for name in columns]
    if len(set(columns)) != len(columns) or not columns:
        raise ValueError(f"columns must be distinct names, got {columns}.")
    tag_column = columns[-1] if tag_column is None else tag_column
    if tag_column not in columns:
        raise ValueError(f"tag_column={tag_column!r} is not one of {columns}.")
    values = {name: [] for name in columns}
    for sentence in _sentences(path):
        rows = []
        for lineno, line in sentence:
            fields = line.split(separator)
            if fields[0] == "-DOCSTART-":
                continue
            if len(fields) != len(columns):
                raise ValueError(
                    f"{path}:{lineno}: expected {len(columns)} fields "
                    f"({' '.join(columns)}), got {len(fields)}: {line!r}."
                )
            rows.append(fields)
        if not rows:
            continue
        for name, column in zip(columns, zip(*rows, strict=True), strict=True):
            values[name].append(list(column))
    return _bunch(values, columns, columns[0], tag_column)


def load_conllu(path, *, tag_column="upos", feature_columns=()):
    """Load a CoNLL-U file (Universal Dependencies) as word and tag sequences.

    Comment lines (``#``), multiword-token ranges (IDs such as ``3-4``) and
    empty nodes (IDs such as ``8.1``) are skipped, so that each sentence has one
    entry per syntactic word, as UD's tagging evaluation on gold tokenisation
    counts them.

    Parameters
    ----------
    path : str or path-like
        The file to read (UTF-8).
    tag_column : str, default="upos"
        The column to return as ``tags``: one of ``id, form, lemma, upos, xpos,
        feats, head, deprel, deps, misc``.
    feature_columns : sequence of str, default=()
        Columns to put after the word (FORM) in each ``features`` tuple.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With the keys ``words`` (the FORM column), ``tags``, ``features``,
        ``feature_names`` and ``columns`` (all ten columns), as
        :func:`load_conll` describes them.

    Raises
    ------
    ValueError
        When a token line does not have 10 tab-separated fields.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = (
    ...     "# text = Don't go\\n"
    ...     "1-2\\tDon't\\t_\\t_\\t_\\t_\\t_\\t_\\t_\\t_\\n"
    ...     "1\\tDo\\tdo\\tAUX\\tVBP\\t_\\t3\\taux\\t_\\t_\\n"
    ...     "2\\tn't\\tnot\\tPART\\tRB\\t_\\t3\\tadvmod\\t_\\t_\\n"
    ...     "3\\tgo\\tgo\\tVERB\\tVB\\t_\\t0\\troot\\t_\\t_\\n"
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "tiny.conllu"
    ...     _ = path.write_text(text)
    ...     data = load_conllu(path)
    >>> data.words, data.tags
    ([['Do', "n't", 'go']], [['AUX', 'PART', 'VERB']])
    """
    columns = list(CONLLU_COLUMNS)
    for name in [tag_column, *feature_columns]:
        if name not in columns:
            raise ValueError(f"{name!r} is not a CoNLL-U column; use one of {columns}.")
    values = {name: [] for name in columns}
    for sentence in _sentences(path, comment_prefix="#"):
        rows = []
        for lineno, line in sentence:
            fields = line.split("\t")
            if len(fields) != len(columns):
                raise ValueError(
                    f"{path}:{lineno}: a CoNLL-U token line has 10 tab-separated "
                    f"fields, got {len(fields)}: {line!r}."
                )
            if "-" in fields[0] or "." in fields[0]:
                continue
            rows.append(fields)
        if not rows:
            continue
        for name, column in zip(columns, zip(*rows, strict=True), strict=True):
            values[name].append(list(column))
    feature_names = ["form", *feature_columns]
    return _bunch(values, feature_names, "form", tag_column)


def _bunch(values, feature_names, word_column, tag_column):
    feature_names = [name for name in feature_names if name != tag_column]
    if word_column not in feature_names:
        feature_names.insert(0, word_column)
    features = [
        list(zip(*sentence, strict=True))
        for sentence in zip(*(values[name] for name in feature_names), strict=True)
    ]
    return Bunch(
        words=values[word_column],
        tags=values[tag_column],
        features=features,
        feature_names=feature_names,
        columns=values,
    )
