"""Loader of the Planetoid citation graphs (Cora, CiteSeer, PubMed).

The files are those of Yang, Cohen & Salakhutdinov (ICML 2016), used with the
same split by Kipf & Welling (ICLR 2017): ``ind.<name>.<part>`` Python-2 pickles
plus a text file of test node ids. Nothing is downloaded: the caller says where
the files are.
"""

import codecs
import collections
import io
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.utils import Bunch

PLANETOID_NAMES = ("cora", "citeseer", "pubmed")
PICKLED_PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph")
# The standard split validates on the 500 nodes that follow the training nodes.
N_VALIDATION = 500


def _numpy_reconstruct():
    try:  # numpy >= 2 moved the pickling helpers to numpy._core
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return _reconstruct


# Everything these pickles need, and nothing more: unpickling looks a name up
# here instead of importing it, so a tampered file cannot call arbitrary code.
# The files were written by Python 2 with SciPy's old module path
# ``scipy.sparse.csr`` (deprecated, to be removed in SciPy 2.0).
_ALLOWED_GLOBALS = {
    ("numpy", "dtype"): np.dtype,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct(),
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct(),
    ("scipy.sparse.csr", "csr_matrix"): sp.csr_matrix,
    ("scipy.sparse._csr", "csr_matrix"): sp.csr_matrix,
    ("scipy.sparse", "csr_matrix"): sp.csr_matrix,
    ("collections", "defaultdict"): collections.defaultdict,
    ("__builtin__", "list"): list,
    ("builtins", "list"): list,
    # Python 3 writes bytes into protocol-2 pickles through codecs.encode
    # (a pure str -> bytes conversion), e.g. for files re-saved by Python 3.
    ("_codecs", "encode"): codecs.encode,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only builds numpy arrays, CSR matrices and lists."""

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"Refusing to load {module}.{name} from a Planetoid file: only "
                "numpy arrays, scipy CSR matrices and adjacency lists are expected."
            ) from None


def _load_pickle(path):
    with open(path, "rb") as file:
        data = file.read()
    # Python-2 pickles of numpy arrays hold raw bytes in str objects.
    return _RestrictedUnpickler(io.BytesIO(data), encoding="latin1").load()


def load_planetoid(name, data_home):
    """Load a Planetoid citation graph with its standard semi-supervised split.

    Reads the files ``ind.<name>.{x, y, tx, ty, allx, ally, graph, test.index}``
    of Yang et al. (2016), as distributed with the reference code of Kipf &
    Welling (2017), and assembles the whole graph as ``load_data`` in that code
    does. Nothing is downloaded.

    Parameters
    ----------
    name : {"cora", "citeseer", "pubmed"}
        The dataset (case-insensitive).
    data_home : str or path-like
        The folder that holds the ``ind.<name>.*`` files.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes:

        features : scipy.sparse.csr_matrix of shape (n_nodes, n_features)
            Node features (bag-of-words indicators for Cora and CiteSeer,
            TF-IDF for PubMed), float32, not normalised.
        adjacency : scipy.sparse.csr_matrix of shape (n_nodes, n_nodes)
            The symmetric 0/1 adjacency matrix of the citation graph, float32,
            duplicates merged and self-loops removed (a GCN adds its own).
        target : ndarray of shape (n_nodes,)
            Class of each node (int64), or -1 for the nodes that have no
            label in the files (see Notes).
        train_index, val_index, test_index : ndarray of int64
            The standard split: the first ``20 * n_classes`` nodes, the 500
            nodes after them, and the 1000 test nodes (sorted).
        target_names : ndarray of shape (n_classes,)
            The class indices ``0 .. n_classes - 1`` (the files name no classes).
        name : str
            The dataset's name, lower case.
        DESCR : str
            A short description.

    Raises
    ------
    FileNotFoundError
        If a file of the dataset is missing from ``data_home``; the message
        names it.
    ValueError
        If ``name`` is not a Planetoid dataset or the files are inconsistent.

    Notes
    -----
    CiteSeer's test ids span 1015 node ids, 15 of which have no feature row and
    no label in any file. As in the reference code, those nodes keep an
    all-zero feature vector, take part in message passing, and belong to no
    split; their ``target`` is -1.

    References
    ----------
    Z. Yang, W. Cohen and R. Salakhutdinov, "Revisiting semi-supervised learning
    with graph embeddings", ICML 2016.

    T. N. Kipf and M. Welling, "Semi-supervised classification with graph
    convolutional networks", ICLR 2017.

    Examples
    --------
    >>> from sklearn_deep.datasets import load_planetoid
    >>> data = load_planetoid("cora", "path/to/planetoid")  # doctest: +SKIP
    >>> data.features.shape, data.adjacency.shape  # doctest: +SKIP
    ((2708, 1433), (2708, 2708))
    >>> len(data.train_index), len(data.val_index), len(data.test_index)
    ... # doctest: +SKIP
    (140, 500, 1000)
    """
    if not isinstance(name, str) or name.lower() not in PLANETOID_NAMES:
        raise ValueError(
            f"Unknown Planetoid dataset {name!r}; expected one of "
            f"{list(PLANETOID_NAMES)}."
        )
    name = name.lower()
    folder = Path(data_home)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"The Planetoid data folder {str(folder)!r} does not exist."
        )
    files = [folder / f"ind.{name}.{part}" for part in (*PICKLED_PARTS, "test.index")]
    missing = [path.name for path in files if not path.is_file()]
    if missing:
        raise FileNotFoundError(
            f"Cannot load Planetoid dataset {name!r}: missing file(s) "
            f"{', '.join(missing)} in {str(folder)!r}. The dataset needs all of "
            f"ind.{name}.{{{', '.join(PICKLED_PARTS)}, test.index}}."
        )
    parts = {
        part: _load_pickle(folder / f"ind.{name}.{part}") for part in PICKLED_PARTS
    }
    test_ids = np.loadtxt(folder / f"ind.{name}.test.index", dtype=np.int64, ndmin=1)
    return _assemble(name, parts, test_ids)


def _assemble(name, parts, test_ids):
    """Stack the parts into one graph, the way the reference ``load_data`` does."""
    allx, ally = sp.csr_matrix(parts["allx"]), np.asarray(parts["ally"])
    tx, ty = sp.csr_matrix(parts["tx"]), np.asarray(parts["ty"])
    n_train = np.asarray(parts["y"]).shape[0]
    graph = parts["graph"]
    n_known, n_classes = ally.shape
    if tx.shape[0] != len(test_ids) or ty.shape[0] != len(test_ids):
        raise ValueError(
            f"ind.{name}.tx/ty have {tx.shape[0]}/{ty.shape[0]} rows but "
            f"ind.{name}.test.index lists {len(test_ids)} nodes."
        )
    test_sorted = np.sort(test_ids)
    if test_sorted[0] < n_known:
        raise ValueError(f"ind.{name}.test.index lists nodes that are in allx.")
    # Test rows are stored in test.index order; the graph numbers the test
    # range contiguously, with holes (CiteSeer) for nodes that have no row.
    n_test_range = test_sorted[-1] - n_known + 1
    test_features = sp.lil_matrix((n_test_range, tx.shape[1]), dtype=np.float32)
    test_features[test_ids - n_known] = tx
    test_labels = np.zeros((n_test_range, n_classes), dtype=ally.dtype)
    test_labels[test_ids - n_known] = ty
    features = sp.vstack([allx, test_features.tocsr()], format="csr")
    labels = np.vstack([ally, test_labels])
    n_nodes = max(features.shape[0], len(graph))
    if features.shape[0] < n_nodes:
        # Nodes past the last test id exist only in the graph.
        pad = sp.csr_matrix((n_nodes - features.shape[0], features.shape[1]))
        features = sp.vstack([features, pad], format="csr")
        labels = np.vstack([labels, np.zeros((pad.shape[0], n_classes), labels.dtype)])
    target = np.where(labels.any(axis=1), labels.argmax(axis=1), -1).astype(np.int64)

    rows, cols = [], []
    for node, neighbours in graph.items():
        rows.extend([node] * len(neighbours))
        cols.extend(neighbours)
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    if len(rows) and (
        max(rows.max(), cols.max()) >= n_nodes or min(rows.min(), cols.min()) < 0
    ):
        raise ValueError(f"ind.{name}.graph refers to nodes outside 0..{n_nodes - 1}.")
    off_diagonal = rows != cols
    rows, cols = rows[off_diagonal], cols[off_diagonal]
    adjacency = sp.coo_matrix(
        (
            np.ones(2 * len(rows), dtype=np.float32),
            (np.r_[rows, cols], np.r_[cols, rows]),
        ),
        shape=(n_nodes, n_nodes),
    ).tocsr()
    # Duplicate entries were summed: the graph is unweighted.
    adjacency.data[:] = 1.0
    features = features.astype(np.float32)
    features.sort_indices()
    adjacency.sort_indices()

    val_index = np.arange(n_train, n_train + N_VALIDATION, dtype=np.int64)
    return Bunch(
        features=features,
        adjacency=adjacency,
        target=target,
        train_index=np.arange(n_train, dtype=np.int64),
        val_index=val_index,
        test_index=test_sorted.astype(np.int64),
        target_names=np.arange(n_classes),
        name=name,
        DESCR=(
            f"Planetoid {name} citation graph: {n_nodes} nodes, "
            f"{adjacency.nnz // 2} undirected edges, {features.shape[1]} features, "
            f"{n_classes} classes; standard split {n_train}/{N_VALIDATION}/"
            f"{len(test_ids)} (Yang et al. 2016, Kipf & Welling 2017)."
        ),
    )
