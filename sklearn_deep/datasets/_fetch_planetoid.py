"""Fetcher of the Planetoid citation graphs (Cora, CiteSeer, PubMed)."""

from sklearn_deep.datasets._download import RemoteFile, fetch_files
from sklearn_deep.datasets._planetoid import (
    PICKLED_PARTS,
    PLANETOID_NAMES,
    load_planetoid,
)

# The data folder of the Planetoid authors' repository, at a fixed commit; the
# reference GCN code (tkipf/gcn) ships byte-identical copies of these files.
PLANETOID_URL = (
    "https://raw.githubusercontent.com/kimiyoung/planetoid/"
    "af6abf468a772cc055bec88c52e4d6f51b7c37e3/data"
)
# SHA-256 of each file, as ``sha256sum`` prints them.
_SHA256SUMS = """
2ac30345d95c9ec933a817ee0bdd6a5f077f8c184a20e696910192d534414668 ind.citeseer.allx
f704b2d986dde6c2669934de1f3ae5696a6cf9455c0f6b2646a2d135ea0a1c95 ind.citeseer.ally
d79a4ef9d3e7169aee8946145f6b7306e35bc79bffad26346cfb94e10e9912a7 ind.citeseer.graph
2af990671580b6b2df5d158d1038f8292e30c9cd821b5453f399659b25b723d4 ind.citeseer.test.index
539a8906a2da97628d212f2fdd668c109a8b3f0d36574b59e5d3fd5b5303da21 ind.citeseer.tx
55e5bd1ba1e733a04598753ad1a8d57957f4b8f89e74519f41f4f4938767e4ce ind.citeseer.ty
d20de19150741e555de0ed037195630fc194114ebc7fd72ced62810148aa22f6 ind.citeseer.x
8ba87e515d8e3ee3cf52f6d2c5b86aa73f11ecad825a808455209ec26cd54924 ind.citeseer.y
9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543 ind.cora.allx
2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71 ind.cora.ally
58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d ind.cora.graph
297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875 ind.cora.test.index
b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a ind.cora.tx
41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad ind.cora.ty
23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab ind.cora.x
94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1 ind.cora.y
0c37bbe3b5014ec365e9d393cf4791925e5ed94fb194305d74f064a8d7b50f0e ind.pubmed.ally
5b89f0036ca22909471f1e6558eb42fa06e0c730a577bde5b058b40638f81dc9 ind.pubmed.graph
b101d421688bbaecbd82e8a18f1e282378d6830f3a37666f28ebc47f844341b5 ind.pubmed.test.index
4eb5f5d0f30f26497eb0ac6ac9719d09c67e284f1ed0385c93f3ef27a671da3d ind.pubmed.tx
ee2e0d4819d9fbcc403689c3bf2e49face401b605932f093bc58ab6461130fdd ind.pubmed.ty
fbe9cb5c47200d1b7769a26e579be3b7130b556831f9d850e77c4c74f2599b33 ind.pubmed.x
e6c807633307a07ed659249006536a147c7999c797f11a2560752990181b41b3 ind.pubmed.y
"""
_SHA256 = dict(reversed(line.split()) for line in _SHA256SUMS.split("\n") if line)
# ind.pubmed.allx is the one file whose SHA-256 could not be computed from a
# verified copy: it is checked against the git blob id the repository records.
_GIT_BLOB_SHA1 = {"ind.pubmed.allx": "3b86bccf08111c37c632a9dd8ab63db25ea76361"}


def planetoid_files(name):
    """The :class:`RemoteFile` list of one Planetoid data set."""
    files = []
    for part in (*PICKLED_PARTS, "test.index"):
        filename = f"ind.{name}.{part}"
        files.append(
            RemoteFile(
                filename,
                f"{PLANETOID_URL}/{filename}",
                sha256=_SHA256.get(filename),
                git_blob_sha1=_GIT_BLOB_SHA1.get(filename),
            )
        )
    return files


def fetch_planetoid(name, data_home=None, download_if_missing=True, *, base_url=None):
    """Load a Planetoid citation graph, downloading its files if needed.

    The first call downloads the eight ``ind.<name>.*`` files of Yang et al.
    (2016) from the authors' public repository into the ``planetoid``
    folder of scikit-learn's data home, checking the SHA-256 of each; later
    calls read them from there. The data and split are those of
    :func:`load_planetoid`.

    Parameters
    ----------
    name : {"cora", "citeseer", "pubmed"}
        The dataset (case-insensitive).
    data_home : str or path-like, default=None
        Where to keep data sets; scikit-learn's data home
        (:func:`sklearn.datasets.get_data_home`, ``~/scikit_learn_data`` unless
        ``SCIKIT_LEARN_DATA`` says otherwise) when None. The files go to its
        ``planetoid`` subfolder.
    download_if_missing : bool, default=True
        If False, raise an ``OSError`` instead of downloading missing files.
    base_url : str, default=None
        A mirror of the files (a URL whose ``ind.<name>.*`` files are the
        ones above). When None, the ``planetoid`` folder of the mirror named
        by the ``SKLEARN_DEEP_DATA_URL`` environment variable, if set, else
        the authors' repository.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        As :func:`load_planetoid` returns it: ``features``, ``adjacency``,
        ``target``, ``train_index``, ``val_index``, ``test_index``,
        ``target_names``, ``name`` and ``DESCR``.

    Raises
    ------
    ValueError
        If ``name`` is not a Planetoid dataset.
    OSError
        If a file is missing and cannot be downloaded (the message names the
        URL and the folder to copy the files into by hand), or if a download
        does not match its checksum (nothing is kept).

    See Also
    --------
    load_planetoid : Read the same files from a folder of your choice.

    Examples
    --------
    >>> from sklearn_deep.datasets import fetch_planetoid
    >>> data = fetch_planetoid("cora")  # doctest: +SKIP
    >>> data.features.shape, len(data.train_index)  # doctest: +SKIP
    ((2708, 1433), 140)
    """
    if not isinstance(name, str) or name.lower() not in PLANETOID_NAMES:
        raise ValueError(
            f"Unknown Planetoid dataset {name!r}; expected one of "
            f"{list(PLANETOID_NAMES)}."
        )
    name = name.lower()
    folder = fetch_files(
        planetoid_files(name),
        "planetoid",
        data_home=data_home,
        download_if_missing=download_if_missing,
        base_url=base_url,
    )
    return load_planetoid(name, folder)
