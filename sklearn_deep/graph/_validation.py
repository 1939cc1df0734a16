"""Checks and conversions of the graph a GCNClassifier holds and of its nodes.

Nothing here modifies the user's matrices: every step returns a new one.
"""

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.preprocessing import normalize
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array

# Relative tolerance of the symmetry test of the adjacency matrix.
_SYMMETRY_RTOL = 1e-6


def checked_graph(estimator):
    """The validated adjacency (CSR) and row-normalised features (or None).

    Never modifies the user's matrices: every step below returns a new one.
    """
    if estimator.adjacency is None:
        raise ValueError(
            "GCNClassifier needs the graph: pass adjacency=<(n_nodes, n_nodes) "
            "matrix> to the constructor or to set_params."
        )
    adjacency = check_array(
        estimator.adjacency,
        accept_sparse=["csr", "csc", "coo"],
        dtype=(np.float64, np.float32),
        input_name="adjacency",
    )
    adjacency = sp.csr_matrix(adjacency, dtype=np.float64)
    n_rows, n_cols = adjacency.shape
    if n_rows != n_cols:
        raise ValueError(
            f"adjacency must be a square (n_nodes, n_nodes) matrix, got shape "
            f"{adjacency.shape}."
        )
    if adjacency.nnz and adjacency.data.min() < 0:
        raise ValueError("adjacency must hold non-negative edge weights.")
    asymmetry = abs(adjacency - adjacency.T)
    scale = abs(adjacency).max() if adjacency.nnz else 0.0
    if asymmetry.nnz and asymmetry.max() > _SYMMETRY_RTOL * scale:
        raise ValueError(
            "adjacency must be symmetric (an undirected graph); for a directed "
            "graph pass adjacency + adjacency.T or its maximum with the transpose."
        )
    if estimator.node_features is None:
        return adjacency, None
    features = check_array(
        estimator.node_features,
        accept_sparse=["csr", "csc", "coo"],
        dtype=(np.float64, np.float32),
        input_name="node_features",
    )
    if features.shape[0] != n_rows:
        raise ValueError(
            f"node_features has {features.shape[0]} rows but adjacency has "
            f"{n_rows} nodes; they must describe the same nodes."
        )
    if sp.issparse(features):
        features = sp.csr_matrix(features)
    if estimator.normalize_features:
        features = normalize(features, norm="l1", axis=1, copy=True)
    values = features.data if sp.issparse(features) else features
    limit = np.finfo(np.float32).max
    # In float32 such values become infinities inside the network, and the
    # fit a NaN model; say so instead.
    if estimator.dtype == "float32" and values.size and np.abs(values).max() > limit:
        raise ValueError(
            "node_features holds values beyond float32's range (about "
            "3.4e38), which GCNClassifier computes in: scale them, keep "
            "normalize_features=True, or fit with dtype='float64'."
        )
    return adjacency, features


def checked_node_indices(X, n_nodes, name):
    """The single column of ``X`` as int64 node indices in ``0 .. n_nodes - 1``."""
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(
            f"{name} must hold one node index per row, shape (n_samples,) or "
            f"(n_samples, 1); got shape {X.shape}."
        )
    if not np.issubdtype(X.dtype, np.integer):
        raise TypeError(
            f"{name} must hold integer node indices (rows of adjacency), got "
            f"dtype {X.dtype}."
        )
    # Checked before the cast to int64, which would wrap uint64 values of
    # 2**63 and above round to negative ones: the message shows the real ones.
    column = X[:, 0]
    outside = (column < 0) | (column >= n_nodes)
    if outside.any():
        raise ValueError(
            f"{name} holds node indices outside 0..{n_nodes - 1} (the graph has "
            f"{n_nodes} nodes): {column[outside][:5].tolist()}."
        )
    return column.astype(np.int64)


def checked_labels(y):
    check_classification_targets(y)
    target_type = type_of_target(y)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"GCNClassifier takes one class label per node; got a {target_type} target."
        )
    return y


def to_torch_sparse(matrix, dtype, device):
    coo = sp.coo_matrix(matrix)
    indices = np.vstack([coo.row, coo.col]).astype(np.int64)
    return torch.sparse_coo_tensor(
        torch.as_tensor(indices, device=device),
        torch.as_tensor(coo.data, dtype=dtype, device=device),
        coo.shape,
    ).coalesce()
