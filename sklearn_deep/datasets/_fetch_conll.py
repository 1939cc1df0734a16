"""Fetchers of sequence-labelling corpora: CoNLL-2000 chunking, UD treebanks."""

from sklearn_deep.datasets._conll import load_conll, load_conllu
from sklearn_deep.datasets._download import RemoteFile, fetch_files

# The shared task's files as Léon Bottou's SGD package ships them (gzipped),
# at a fixed commit of a public copy of that package.
CONLL2000_URL = (
    "https://raw.githubusercontent.com/yuxiang-wu/sgdsvm/"
    "e1735c8a36e0f6eaf0c1218679c6a66310ae6a0f/data/conll2000"
)
# Digests of the decompressed files.
_CONLL2000_SHA256 = {
    "train": "82033cd7a72b209923a98007793e8f9de3abc1c8b79d646c50648eb949b87cea",
    "test": "73b7b1e565fa75a1e22fe52ecdf41b6624d6f59dacb591d44252bf4d692b1628",
}

# Universal Dependencies treebanks: the release tag of the treebank's own
# repository, the data set's folder in the data home, and each split's digest.
UD_TREEBANKS = {
    "en_ewt": {
        "url": (
            "https://raw.githubusercontent.com/UniversalDependencies/"
            "UD_English-EWT/r2.16"
        ),
        "folder": "ud_english_ewt",
        "sha256": {
            "train": "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b",
            "dev": "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6",
            "test": "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd",
        },
    },
}


def _check_subset(subset, subsets):
    if not isinstance(subset, str) or subset not in subsets:
        raise ValueError(f"subset must be one of {list(subsets)}, got {subset!r}.")


def fetch_conll2000(
    subset="train", data_home=None, download_if_missing=True, *, base_url=None
):
    """Load the CoNLL-2000 chunking data, downloading it if needed.

    The shared task's sentences of the Wall Street Journal (sections 15-18 to
    train, 20 to test) with their part-of-speech tags and IOB2 chunk tags
    (Tjong Kim Sang & Buchholz, 2000). The first call downloads the split from
    a public copy of the shared task's files into the ``conll2000`` folder of
    scikit-learn's data home, checking its SHA-256; later calls read it from
    there. The text is from the Penn Treebank (LDC): use it as a research
    benchmark.

    Parameters
    ----------
    subset : {"train", "test"}, default="train"
        The split: 8,936 sentences (211,727 tokens) to train, 2,012 to test.
    data_home : str or path-like, default=None
        Where to keep data sets; scikit-learn's data home
        (:func:`sklearn.datasets.get_data_home`) when None. The files go to
        its ``conll2000`` subfolder as ``train.txt`` and ``test.txt``.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing file.
    base_url : str, default=None
        A mirror holding ``train.txt`` and ``test.txt`` (uncompressed). When
        None, the ``conll2000`` folder of the mirror named by the
        ``SKLEARN_DEEP_DATA_URL`` environment variable, if set, else the
        public copy.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_conll` returns it: ``words``, ``tags`` (the chunk tags),
        ``features`` (word and POS tag of each token), ``feature_names`` and
        ``columns``.

    Raises
    ------
    ValueError
        If ``subset`` is not a split of the data set.
    OSError
        If the file is missing and cannot be downloaded (the message names
        the URL and the folder to copy it into by hand), or if a download
        does not match its checksum (nothing is kept).

    See Also
    --------
    load_conll : Read a CoNLL column file from anywhere.

    Examples
    --------
    >>> from sklearn_deep.datasets import fetch_conll2000
    >>> data = fetch_conll2000("test")  # doctest: +SKIP
    >>> len(data.words), data.tags[0][:3]  # doctest: +SKIP
    (2012, ['B-NP', 'B-PP', 'B-NP'])
    """
    _check_subset(subset, _CONLL2000_SHA256)
    name = f"{subset}.txt"
    file = RemoteFile(
        name, f"{CONLL2000_URL}/{name}.gz", sha256=_CONLL2000_SHA256[subset]
    )
    folder = fetch_files(
        [file],
        "conll2000",
        data_home=data_home,
        download_if_missing=download_if_missing,
        base_url=base_url,
    )
    return load_conll(folder / name)


def fetch_ud_treebank(
    name="en_ewt",
    subset="train",
    data_home=None,
    download_if_missing=True,
    *,
    base_url=None,
    tag_column="upos",
):
    """Load a Universal Dependencies treebank, downloading it if needed.

    ``"en_ewt"`` is the English Web Treebank (UD v2.16; weblogs, newsgroups,
    emails, reviews and question answers), licensed CC BY-SA 4.0 (Silveira et
    al., 2014). The first call downloads the split from the treebank's
    repository into a subfolder of scikit-learn's data home, checking its
    SHA-256; later calls read it from there.

    Parameters
    ----------
    name : {"en_ewt"}, default="en_ewt"
        The treebank.
    subset : {"train", "dev", "test"}, default="train"
        The split (for en_ewt 12,544, 2,001 and 2,077 sentences).
    data_home : str or path-like, default=None
        Where to keep data sets; scikit-learn's data home
        (:func:`sklearn.datasets.get_data_home`) when None. en_ewt's files go
        to its ``ud_english_ewt`` subfolder as ``en_ewt-ud-<subset>.conllu``.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading a missing file.
    base_url : str, default=None
        A mirror holding the ``.conllu`` files. When None, the treebank's
        folder (``ud_english_ewt``) of the mirror named by the
        ``SKLEARN_DEEP_DATA_URL`` environment variable, if set, else the
        treebank's repository.
    tag_column : str, default="upos"
        The column returned as ``tags`` (``"upos"``, 17 universal tags, or
        ``"xpos"``, the Penn Treebank tags), as :func:`load_conllu` takes it.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_conllu` returns it: ``words``, ``tags``, ``features``,
        ``feature_names`` and ``columns``.

    Raises
    ------
    ValueError
        If ``name`` or ``subset`` is unknown.
    OSError
        If the file is missing and cannot be downloaded (the message names
        the URL and the folder to copy it into by hand), or if a download
        does not match its checksum (nothing is kept).

    See Also
    --------
    load_conllu : Read a CoNLL-U file from anywhere.

    Examples
    --------
    >>> from sklearn_deep.datasets import fetch_ud_treebank
    >>> data = fetch_ud_treebank("en_ewt", "dev")  # doctest: +SKIP
    >>> len(data.words), data.tags[0][:3]  # doctest: +SKIP
    (2001, ['PROPN', 'PUNCT', 'PROPN'])
    """
    if not isinstance(name, str) or name not in UD_TREEBANKS:
        raise ValueError(
            f"Unknown treebank {name!r}; expected one of {list(UD_TREEBANKS)}."
        )
    treebank = UD_TREEBANKS[name]
    _check_subset(subset, treebank["sha256"])
    filename = f"{name}-ud-{subset}.conllu"
    file = RemoteFile(
        filename, f"{treebank['url']}/{filename}", sha256=treebank["sha256"][subset]
    )
    folder = fetch_files(
        [file],
        treebank["folder"],
        data_home=data_home,
        download_if_missing=download_if_missing,
        base_url=base_url,
    )
    return load_conllu(folder / filename, tag_column=tag_column)
