r"""Graph convolutional network of Kipf & Welling (2017).

Each layer mixes every node's representation with its neighbours' through the
renormalised adjacency matrix

.. math::

    \hat{A} = \tilde{D}^{-1/2} (A + I) \tilde{D}^{-1/2}, \qquad
    \tilde{D}_{ii} = \sum_j (A + I)_{ij},

and maps it by a weight matrix: :math:`H^{(l+1)} = \sigma(\hat{A} H^{(l)}
W^{(l)} + b^{(l)})`, with :math:`H^{(0)} = X` the node features and no
non-linearity after the last layer (the softmax belongs to the loss). The
two-layer model of the paper is
:math:`Z = \hat{A}\, \mathrm{ReLU}(\hat{A} X W^{(0)})\, W^{(1)}`.

Reference: T. N. Kipf and M. Welling, "Semi-supervised classification with
graph convolutional networks", ICLR 2017, https://arxiv.org/abs/1609.02907.

Everything is computed for the whole graph at once with sparse-dense products,
so time and memory are O(|E| + nnz(X)) per layer and hidden width. The sparse
matrices are kept as plain index and value buffers (CSR) and turned into torch
sparse tensors on each pass: that costs microseconds, and it lets the module
move, change dtype, deep-copy and pickle like any other module.
"""

import math
import warnings

import torch
from torch import nn

from sklearn_deep.nn._activations import make_activation
from sklearn_deep.nn._dropout import Dropout

# torch warns, once per process, that sparse CSR support is in beta. The few
# CSR operations used here are stable; absorb that one warning at import so
# that it does not surface in the middle of a user's fit or predict.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    torch.sparse_csr_tensor(
        torch.tensor([0, 0]),
        torch.tensor([], dtype=torch.long),
        torch.tensor([]),
        (1, 1),
    )


def normalize_adjacency(adjacency, *, add_self_loops=True):
    r"""The renormalised adjacency :math:`\tilde{D}^{-1/2}(A + I)\tilde{D}^{-1/2}`.

    Parameters
    ----------
    adjacency : torch.Tensor of shape (n_nodes, n_nodes)
        A sparse (any layout) or dense matrix of non-negative edge weights.
        Self-loops already in it add to the identity.
    add_self_loops : bool, default=True
        Whether to add the identity (the paper's renormalisation trick). Without
        it, a node with no edge keeps a zero row.

    Returns
    -------
    normalized : torch.Tensor
        A coalesced sparse COO tensor of the same dtype and device.
    """
    adjacency = (
        adjacency.to_sparse_coo() if adjacency.layout != torch.sparse_coo else adjacency
    )
    adjacency = adjacency.coalesce()
    n_nodes = adjacency.shape[0]
    indices, values = adjacency.indices(), adjacency.values()
    if add_self_loops:
        diagonal = torch.arange(n_nodes, device=indices.device)
        indices = torch.cat([indices, torch.stack([diagonal, diagonal])], dim=1)
        values = torch.cat([values, values.new_ones(n_nodes)])
        adjacency = torch.sparse_coo_tensor(indices, values, adjacency.shape).coalesce()
        indices, values = adjacency.indices(), adjacency.values()
    degree = torch.zeros(n_nodes, dtype=values.dtype, device=values.device)
    degree.index_add_(0, indices[0], values)
    scale = torch.where(degree > 0, degree.rsqrt(), torch.zeros_like(degree))
    values = scale[indices[0]] * values * scale[indices[1]]
    return torch.sparse_coo_tensor(indices, values, adjacency.shape).coalesce()


class _SparseMatrix(nn.Module):
    """A fixed sparse matrix ``M``, stored for fast ``M @ dense`` and its gradient.

    The gradient of ``M @ D`` with respect to ``D`` is ``M.T @ G``. Letting
    autograd find ``M.T`` sorts the indices on every backward pass, which costs
    ten times the product itself; here the transpose's structure is computed
    once, with ``transpose_order`` mapping ``M``'s values to ``M.T``'s. The values
    may be replaced per pass (sparse dropout) without touching the structure.

    Buffers are not persistent: the matrix is data, not learned state, so it
    stays out of ``state_dict`` (and out of early stopping's weight snapshots).
    """

    def __init__(self, matrix):
        super().__init__()
        csr = matrix.to_sparse_csr()
        self.shape = tuple(csr.shape)
        # 32-bit indices made the CPU product 1.4-1.7x faster than 64-bit ones
        # (torch converts them for the kernel otherwise); they suffice below 2**31.
        index_dtype = (
            torch.int32
            if max(*self.shape, csr.values().numel()) < 2**31 - 1
            else torch.int64
        )
        self.register_buffer(
            "crow", csr.crow_indices().to(index_dtype), persistent=False
        )
        self.register_buffer("col", csr.col_indices().to(index_dtype), persistent=False)
        self.register_buffer("values", csr.values(), persistent=False)
        # The transpose of a matrix whose value k is k lists, in CSR order of
        # M.T, which value of M goes where.
        positions = torch.arange(
            csr.values().numel(), dtype=torch.float64, device=csr.values().device
        )
        ordered = torch.sparse_csr_tensor(
            csr.crow_indices(), csr.col_indices(), positions, self.shape
        )
        transpose = ordered.t().to_sparse_coo().coalesce().to_sparse_csr()
        order = transpose.values().long()
        symmetric = (
            torch.equal(transpose.crow_indices(), csr.crow_indices())
            and torch.equal(transpose.col_indices(), csr.col_indices())
            and torch.equal(csr.values()[order], csr.values())
        )
        self.symmetric = bool(symmetric)
        self.register_buffer(
            "t_crow", transpose.crow_indices().to(index_dtype), persistent=False
        )
        self.register_buffer(
            "t_col", transpose.col_indices().to(index_dtype), persistent=False
        )
        self.register_buffer("t_order", order, persistent=False)

    @property
    def nnz(self):
        return self.values.numel()

    def matmul(self, dense, values=None):
        """``M @ dense``, with ``values`` in place of ``M``'s own if given."""
        values = self.values if values is None else values
        return _SparseDenseProduct.apply(self, values, dense)

    def _tensor(self, values):
        return torch.sparse_csr_tensor(
            self.crow, self.col, values, self.shape, check_invariants=False
        )

    def _transpose_tensor(self, values):
        if self.symmetric and values is self.values:
            return self._tensor(values)
        return torch.sparse_csr_tensor(
            self.t_crow,
            self.t_col,
            values.index_select(0, self.t_order),
            self.shape[::-1],
            check_invariants=False,
        )


class _SparseDenseProduct(torch.autograd.Function):
    """``M @ D`` for a constant sparse ``M``; the gradient flows to ``D`` only."""

    @staticmethod
    def forward(ctx, matrix, values, dense):
        ctx.matrix, ctx.values = matrix, values
        return torch.sparse.mm(matrix._tensor(values), dense)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[2]:
            return None, None, None
        transpose = ctx.matrix._transpose_tensor(ctx.values)
        return None, None, torch.sparse.mm(transpose, grad.contiguous())


class GraphConvolution(nn.Module):
    r"""One graph convolution :math:`\hat{A} (H W) + b` (no activation).

    Parameters
    ----------
    in_features, out_features : int
        Widths of the input and output node representations.
    bias : bool, default=True
        Whether to add a learned bias after propagation.
    generator : torch.Generator, default=None
        The generator the initial weights are drawn from (see
        ``reset_parameters``); torch's global generator when None.

    Attributes
    ----------
    weight : torch.nn.Parameter of shape (in_features, out_features)
    bias : torch.nn.Parameter of shape (out_features,) or None
    """

    def __init__(self, in_features, out_features, *, bias=True, generator=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        self.reset_parameters(generator)

    @torch.no_grad()
    def reset_parameters(self, generator=None):
        """Glorot-uniform weights (as in the paper), zero bias."""
        bound = math.sqrt(6.0 / (self.in_features + self.out_features))
        self.weight.uniform_(-bound, bound, generator=generator)
        if self.bias is not None:
            self.bias.zero_()

    def forward(self, adjacency, inputs):
        """``adjacency`` is a ``_SparseMatrix``; ``inputs`` a dense tensor."""
        output = adjacency.matmul(inputs @ self.weight)
        return output if self.bias is None else output + self.bias


class GraphConvolutionalNetwork(nn.Module):
    r"""A graph convolutional network over one fixed graph (transductive).

    The module holds the graph: the normalised adjacency :math:`\hat{A}` and
    the node features :math:`X` are buffers, and ``module(nodes)`` propagates
    the whole graph and returns the output rows of ``nodes``. Training on the
    labelled nodes is then an ordinary full-batch loop.

    Dropout acts on the input of every layer during training. On sparse
    features it drops their non-zero entries ("sparse dropout"), so the
    features are never made dense; with identity features (``features=None``)
    it drops whole rows of the first weight matrix, which is the same thing.
    Its masks are drawn from the generator of ``dropout_layer`` (see
    ``sklearn_deep.nn.draw_from``), torch's global one unless set.

    Parameters
    ----------
    adjacency : torch.Tensor of shape (n_nodes, n_nodes)
        The propagation matrix, already normalised (see
        :func:`normalize_adjacency`); sparse (any layout) or dense.
    features : torch.Tensor of shape (n_nodes, n_features) or None
        Node features, sparse or dense; ``None`` means one-hot identity
        features (``n_features = n_nodes``) without storing them.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer; empty for a single (linear) propagation.
    n_outputs : int
        Width of the output (the number of classes).
    activation : str, default="relu"
        Hidden activation (see ``ACTIVATIONS``).
    dropout : float, default=0.5
        Probability of dropping an input of each layer during training.
    bias : bool, default=True
        Whether the layers add a bias.
    generator : torch.Generator, default=None
        The generator the initial weights are drawn from (see
        ``reset_parameters``); torch's global generator when None.

    Attributes
    ----------
    layers : torch.nn.ModuleList of GraphConvolution
    dropout_layer : Dropout
        The dropout of every layer's input, drawing from its ``generator``.
    n_nodes, n_features : int
    """

    def __init__(
        self,
        adjacency,
        features,
        hidden_layer_sizes,
        n_outputs,
        *,
        activation="relu",
        dropout=0.5,
        bias=True,
        generator=None,
    ):
        super().__init__()
        n_nodes = adjacency.shape[0]
        if adjacency.dim() != 2 or adjacency.shape[1] != n_nodes:
            raise ValueError(f"adjacency must be square, got {tuple(adjacency.shape)}.")
        if features is not None and features.shape[0] != n_nodes:
            raise ValueError(
                f"features has {features.shape[0]} rows for {n_nodes} nodes."
            )
        self.n_nodes = n_nodes
        self.n_features = n_nodes if features is None else features.shape[1]
        self.dropout = dropout
        self.dropout_layer = Dropout(dropout)
        self.adjacency = _SparseMatrix(adjacency)
        # "identity" features are never stored: X @ W is W itself.
        if features is None:
            self.feature_kind = "identity"
        elif features.layout != torch.strided:
            self.feature_kind = "sparse"
            self.features = _SparseMatrix(features)
        else:
            self.feature_kind = "dense"
            self.register_buffer("dense_features", features, persistent=False)
        widths = [self.n_features, *hidden_layer_sizes, n_outputs]
        self.layers = nn.ModuleList(
            GraphConvolution(n_in, n_out, bias=bias, generator=generator)
            for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)
        )
        self.activation = make_activation(activation)

    def reset_parameters(self, generator=None):
        """Re-initialise every layer (Glorot uniform) from ``generator``."""
        for layer in self.layers:
            layer.reset_parameters(generator)

    def penalized_parameters(self):
        """The weights the L2 penalty applies to: the first layer's, as in the paper.

        The training engine asks the module for this list when it has the method.
        """
        return [self.layers[0].weight]

    def _first_product(self, weight):
        """``dropout(X) @ W`` for the first layer, without densifying ``X``."""
        drop = self.dropout_layer
        if self.feature_kind == "sparse":
            return self.features.matmul(weight, drop(self.features.values))
        if self.feature_kind == "identity":
            # The identity has one non-zero per node: dropping node i's feature
            # drops row i of W.
            if not drop.training or drop.p == 0:
                return weight
            return weight * drop(torch.ones_like(weight[:, :1]))
        return drop(self.dense_features) @ weight

    def propagate(self):
        """The output of every layer for all nodes, first hidden layer to last."""
        outputs = []
        hidden = None
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if i == 0:
                product = self._first_product(layer.weight)
            else:
                product = self.dropout_layer(hidden) @ layer.weight
            hidden = self.adjacency.matmul(product)
            if layer.bias is not None:
                hidden = hidden + layer.bias
            if i < last:
                hidden = self.activation(hidden)
            outputs.append(hidden)
        return outputs

    def forward(self, nodes=None):
        """Raw outputs (logits) of ``nodes`` (an index tensor), or of all nodes."""
        output = self.propagate()[-1]
        return output if nodes is None else output.index_select(0, nodes)
