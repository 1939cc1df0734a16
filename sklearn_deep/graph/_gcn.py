"""GCNClassifier: semi-supervised node classification with a graph convolutional net.

The graph is transductive: the estimator holds it (``adjacency`` and
``node_features`` are parameters) and ``X`` names nodes of it by index, the way
``SVC(kernel="precomputed")`` takes rows of a kernel. ``fit`` learns from the
labelled nodes while every node, labelled or not, takes part in propagation.
Training is the engine's (``sklearn_deep._training.train``): the network
propagates the whole graph and returns the rows of the nodes asked for, so one
full batch of labelled nodes per epoch is an ordinary training loop.
"""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from sklearn_deep._training import LOSSES, Batches
from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    store_parameters,
    within_thread_budget,
)
from sklearn_deep.graph._validation import (
    checked_graph,
    checked_labels,
    checked_node_indices,
    to_torch_sparse,
)
from sklearn_deep.nn import ACTIVATIONS, GraphConvolutionalNetwork, normalize_adjacency
from sklearn_deep.utils._fitted_checks import (
    check_feature_names,
    check_fitted_classes,
    check_fitted_count,
    check_layer_count,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes
from sklearn_deep.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    validate_data,
)
from sklearn_deep.utils._torch import to_numpy, to_tensor

# Nodes a model file may declare whatever its size (see _check_fitted_state).
_LOAD_FREE_NODES = 2**14


class GCNClassifier(ClassifierMixin, DeepEstimator):
    """Graph convolutional network classifier for the nodes of one graph.

    The semi-supervised node classifier of Kipf & Welling (2017), trained by the
    PyTorch engine of sklearn_deep. Each layer averages every node's
    representation with its neighbours' through the renormalised adjacency
    :math:`\\hat{A} = \\tilde{D}^{-1/2}(A + I)\\tilde{D}^{-1/2}`; the default is
    the paper's two-layer model
    :math:`Z = \\mathrm{softmax}(\\hat{A}\\,\\mathrm{ReLU}(\\hat{A} X W^{(0)})\\,
    W^{(1)})`, trained with cross-entropy on the labelled nodes only.

    The graph is transductive: the estimator holds it, and ``X`` is an array of
    node indices (rows of ``adjacency``), the way
    ``SVC(kernel="precomputed")`` takes rows of a kernel matrix. So
    ``fit(train_nodes, labels)``, ``predict(test_nodes)``, and model selection
    splits labelled nodes while every node keeps passing messages.
    ``fit`` takes a snapshot of the graph: changing ``adjacency`` afterwards
    needs a new ``fit``.

    Training is full-batch (one optimiser step per epoch) with sparse-dense
    products: sparse features stay sparse (dropout acts on their non-zero
    entries), so memory is ``O(|E| + nnz(node_features))``.

    Parameters
    ----------
    adjacency : {array-like, sparse matrix} of shape (n_nodes, n_nodes)
        The symmetric matrix of non-negative edge weights (0/1 for an
        unweighted graph). Self-loops are added by the renormalisation; any
        already present add to them. Required (``None`` fails in ``fit``).

    node_features : {array-like, sparse matrix} of shape (n_nodes, n_node_features), \
default=None
        Features of every node, labelled or not. ``None`` gives each node a
        one-hot identity feature (without storing an identity matrix), so the
        classifier learns from the graph structure alone.

    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(16,)
        Width of each hidden graph convolution; empty for a single propagation
        (a logistic regression on :math:`\\hat{A} X`).

    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu"}, \
default="relu"
        Activation of the hidden layers.

    dropout : float, default=0.5
        Probability of dropping each input of every layer during training; on
        sparse features, each non-zero entry.

    normalize_features : bool, default=True
        Whether to scale each node's features to unit L1 norm (the paper's row
        normalisation) before training. Rows of zeros stay zero.

    {training_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.

    n_features_in_ : int
        Always 1: ``X`` holds one node index per row.

    n_nodes_ : int
        Number of nodes of the graph seen in ``fit``.

    n_node_features_ : int
        Number of node features (``n_nodes_`` for identity features).

    module_ : GraphConvolutionalNetwork
        The trained network, holding the normalised graph.

    n_iter_ : int
        Number of epochs run.

    loss_ : float
        Training loss (with the penalty) of the last epoch.

    loss_curve_ : list of float
        Training loss of each epoch.

    best_loss_ : float or None
        Lowest training loss, or None with early stopping.

    validation_scores_ : list of float or None
        Negative validation cross-entropy of each epoch with early stopping,
        else None.

    best_validation_score_ : float or None
        The best of ``validation_scores_``, or None without early stopping.

    history_ : skorch.history.History
        One row per epoch (loss, validation score, learning rate, duration).

    t_ : int
        Number of labelled training nodes seen, summed over the epochs.

    gradient_norms_ : ndarray of shape (n_iter_, n_penalized_layers)
        Norm of the gradient of each penalised weight matrix (the first
        layer's, as ``alpha`` applies to it only) per epoch.

    See Also
    --------
    sklearn_deep.datasets.load_planetoid : The citation graphs of the paper.
    sklearn.semi_supervised.LabelSpreading : Label propagation on a graph.

    Notes
    -----
    The paper's setup on Cora, CiteSeer and PubMed is the default
    (``hidden_layer_sizes=(16,)``, ``dropout=0.5``, ``alpha=5e-4``, Adam with
    ``learning_rate_init=0.01``, ``max_iter=200``) plus
    ``early_stopping=True, n_iter_no_change=10`` with the 500 validation nodes
    as ``X_val``. The paper's own stopping rule compares the validation loss to
    the mean of the last ten; here patience runs out after ten epochs without
    a new best, and the best weights are restored.

    References
    ----------
    T. N. Kipf and M. Welling, "Semi-supervised classification with graph
    convolutional networks", ICLR 2017. https://arxiv.org/abs/1609.02907

    Examples
    --------
    Two groups of five friends, joined by one friendship; one member of each
    group is labelled, and the graph labels the rest.

    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from sklearn_deep import GCNClassifier
    >>> group = np.ones((5, 5)) - np.eye(5)
    >>> adjacency = sp.block_diag([group, group], format="lil")
    >>> adjacency[4, 5] = adjacency[5, 4] = 1
    >>> clf = GCNClassifier(adjacency.tocsr(), max_iter=50, random_state=0)
    >>> clf = clf.fit([0, 9], ["red", "blue"])
    >>> clf.predict([1, 2, 3, 6, 7, 8]).tolist()
    ['red', 'red', 'red', 'blue', 'blue', 'blue']
    >>> clf.transform([0, 9]).shape
    (2, 16)
    """

    _validation_hint = " Pass X_val and y_val, or label more nodes."

    _training_docs = {
        "alpha": """
            The paper's weight decay: ``alpha / 2 * ||W0||^2`` is added to the mean
            cross-entropy over the labelled nodes, ``W0`` being the first layer's
            weights only (as in the paper; the other layers are not penalised).
            Unlike ``MLPClassifier``, it is not divided by the number of training
            samples, so the paper's value fits any number of labelled nodes.
        """,
        "alpha_l1": """
            Strength of an L1 penalty ``alpha_l1 * ||W0||_1`` on the same weights,
            scaled like ``alpha``.
        """,
        "learning_rate_init": """
            The initial step size (the paper's 0.01).
        """,
        "max_iter": """
            Maximum number of epochs (full-batch steps).
        """,
        "random_state": """
            Seeds weight initialisation, dropout and the validation split. Pass an
            int for reproducible results. Every draw comes from the fit's own
            generators: torch's global generator is neither read nor reseeded.
        """,
        "tol": """
            Tolerance for the convergence and early-stopping tests. Without early
            stopping, training ends once the training loss has not fallen by
            ``tol`` for ``n_iter_no_change`` epochs (scikit-learn's rule).
        """,
        "early_stopping": """
            Whether to stop when the validation loss (the cross-entropy on the
            validation nodes, as in the paper) has not fallen by ``tol`` for
            ``n_iter_no_change`` epochs, and keep the best epoch's weights. The
            validation nodes are ``X_val`` if given to ``fit``, otherwise a
            stratified ``validation_fraction`` of the labelled nodes.
        """,
        "validation_fraction": """
            Fraction of the labelled nodes held out for early stopping when
            ``fit`` gets no ``X_val``.
        """,
        "n_iter_no_change": """
            Epochs without improvement before stopping (the paper's window of 10).
            With dropout the full-batch training loss is noisy and can plateau
            early on weak features; ``np.inf`` always runs ``max_iter`` epochs, as
            the paper does without early stopping.
        """,
        "device": """
            Where to train: "auto" (a GPU when there is one), "cpu", "cuda" or
            "cuda:N". The normalised graph is kept there as sparse tensors.
        """,
    }

    _parameter_constraints = {
        "adjacency": ["array-like", "sparse matrix", None],
        "node_features": ["array-like", "sparse matrix", None],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "normalize_features": ["boolean"],
    }
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "classes_",
        "n_nodes_",
        "n_node_features_",
    )

    def __init__(
        self,
        adjacency=None,
        node_features=None,
        *,
        hidden_layer_sizes=(16,),
        activation="relu",
        dropout=0.5,
        normalize_features=True,
        solver="adam",
        alpha=5e-4,
        alpha_l1=0.0,
        learning_rate="constant",
        learning_rate_init=0.01,
        learning_rate_final=None,
        decay_epochs=None,
        power_t=0.5,
        max_iter=200,
        random_state=None,
        tol=1e-4,
        verbose=False,
        momentum=0.9,
        nesterovs_momentum=True,
        rho=0.9,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        weight_averaging=None,
        max_fun=15000,
        precision="fp32",
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    # ---------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, *, X_val=None, y_val=None):
        """Fit the network to the labelled nodes ``X``.

        Parameters
        ----------
        X : array-like of int of shape (n_samples,) or (n_samples, 1)
            Indices of the labelled training nodes (rows of ``adjacency``).
        y : array-like of shape (n_samples,)
            Their class labels.
        X_val : array-like of int of shape (n_val,) or (n_val, 1), default=None
            Indices of validation nodes for early stopping (the paper's 500
            validation nodes); requires ``early_stopping=True``. Without it,
            early stopping holds out ``validation_fraction`` of ``X``.
        y_val : array-like of shape (n_val,), default=None
            Labels of ``X_val``.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, X_val=X_val, y_val=y_val)

    # ------------------------------------------------- the template's hooks
    def _validate_fit_data(self, X, y, fit, X_val=None, y_val=None):
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if X_val is not None and not self.early_stopping:
            raise ValueError(
                "X_val and y_val are used for early stopping only; set "
                "early_stopping=True to use them."
            )
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        adjacency, features = checked_graph(self)
        n_nodes = adjacency.shape[0]
        nodes, y = self._validate_nodes(X, y, n_nodes=n_nodes, reset=True)
        y = checked_labels(y)
        classes, target = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {classes[0]!r}."
            )
        self.classes_ = classes
        self.n_nodes_ = n_nodes
        self.n_node_features_ = n_nodes if features is None else features.shape[1]
        validation = None
        if X_val is not None:
            validation = self._validation_nodes(X_val, y_val)
        return FitData(
            len(nodes),
            X=X,
            y=y,
            stratify=target,
            validation=validation,
            extra={"nodes": nodes, "target": target},
        )

    def _config_overrides(self, data, n_train, device):
        # The engine scales penalties by 1 / n per batch (scikit-learn's
        # convention); alpha here is the paper's unscaled weight decay.
        return {
            "alpha": self.alpha * n_train,
            "alpha_l1": self.alpha_l1 * n_train,
            "batch_size": n_train,
            "shuffle": False,
        }

    def _make_batches(self, data, train_rows, config, fit):
        nodes, target = data.extra["nodes"], data.extra["target"]
        if train_rows is not None:
            nodes, target = nodes[train_rows], target[train_rows]
        return Batches(
            torch.as_tensor(nodes, device=fit.device),
            to_tensor(target, torch.long, fit.device),
            None,
            batch_size=len(nodes),
            shuffle=False,
        )

    def _loss_function(self, data, fit):
        return LOSSES["cross_entropy"]

    def _validation_score(self, data, validation_rows, fit):
        """Minus the cross-entropy on the validation nodes (as in the paper)."""
        if data.validation is not None:
            nodes, target = data.validation
        else:
            nodes = data.extra["nodes"][validation_rows]
            target = data.extra["target"][validation_rows]
        nodes = torch.as_tensor(nodes, device=fit.device)
        target = torch.as_tensor(target, device=fit.device)

        def score(module):
            return -float(F.cross_entropy(module(nodes), target))

        return score

    def _build_module(self, device, dtype, generator):
        adjacency, features = checked_graph(self)
        adjacency = to_torch_sparse(adjacency, torch.float64, device)
        # Normalised once, in double precision, then kept on the device.
        adjacency = normalize_adjacency(adjacency).to(dtype)
        if features is not None:
            features = (
                to_torch_sparse(features, dtype, device)
                if sp.issparse(features)
                else to_tensor(features, dtype, device)
            )
        module = GraphConvolutionalNetwork(
            adjacency,
            features,
            check_hidden_layer_sizes(self.hidden_layer_sizes),
            len(self.classes_),
            activation=self.activation,
            dropout=self.dropout,
            generator=generator,
        )
        return module.to(device=device, dtype=dtype)

    def _validate_nodes(self, X, y=None, *, n_nodes, reset):
        """Node indices as a 1-D int64 array (and ``y``), with clear errors."""
        if sp.issparse(X):
            raise TypeError("X must be an array of node indices, not a sparse matrix.")
        if np.ndim(X) == 1:
            X = np.reshape(np.asarray(X), (-1, 1))
        if y is None:
            X = validate_data(self, X, dtype=None, reset=reset)
        else:
            X, y = validate_data(self, X, y, dtype=None, reset=reset)
        nodes = checked_node_indices(X, n_nodes, "X")
        return nodes if y is None else (nodes, y)

    def _validation_nodes(self, X_val, y_val):
        if sp.issparse(X_val):
            raise TypeError("X_val must be an array of node indices.")
        X_val = np.asarray(X_val)
        X_val = X_val.reshape(-1, 1) if X_val.ndim == 1 else X_val
        X_val = check_array(X_val, dtype=None, input_name="X_val")
        val_nodes = checked_node_indices(X_val, self.n_nodes_, "X_val")
        y_val = checked_labels(column_or_1d(y_val))
        if len(y_val) != len(val_nodes):
            raise ValueError(
                f"X_val has {len(val_nodes)} nodes but y_val {len(y_val)} labels."
            )
        unseen = np.setdiff1d(y_val, self.classes_)
        if len(unseen):
            raise ValueError(
                f"y_val has labels not in the training labels {list(self.classes_)}: "
                f"{list(unseen)}."
            )
        return val_nodes, np.searchsorted(self.classes_, y_val)

    # ------------------------------------------------------------- prediction
    @within_thread_budget
    @torch.inference_mode()
    def _outputs(self, X):
        """All layers' outputs (as tensors) and the validated node indices."""
        check_is_fitted(self)
        nodes = self._validate_nodes(X, n_nodes=self.n_nodes_, reset=False)
        self.module_.eval()
        return self.module_.propagate(), nodes

    def predict_proba(self, X):
        """Class probabilities of the nodes ``X``.

        Parameters
        ----------
        X : array-like of int of shape (n_samples,) or (n_samples, 1)
            Node indices.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
        """
        outputs, nodes = self._outputs(X)
        proba = torch.softmax(outputs[-1], dim=1)
        return to_numpy(proba).astype(np.float64, copy=False)[nodes]

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities of the nodes ``X``.

        Parameters
        ----------
        X : array-like of int of shape (n_samples,) or (n_samples, 1)
            Node indices.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``, computed stably.
        """
        outputs, nodes = self._outputs(X)
        log_proba = torch.log_softmax(outputs[-1], dim=1)
        return to_numpy(log_proba).astype(np.float64, copy=False)[nodes]

    def predict(self, X):
        """Predict the class of the nodes ``X``.

        Parameters
        ----------
        X : array-like of int of shape (n_samples,) or (n_samples, 1)
            Node indices.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted classes, taken from ``classes_``.
        """
        outputs, nodes = self._outputs(X)
        return self.classes_[to_numpy(outputs[-1].argmax(dim=1))[nodes]]

    def transform(self, X):
        """Embeddings of the nodes ``X``: the output of the last hidden layer.

        Parameters
        ----------
        X : array-like of int of shape (n_samples,) or (n_samples, 1)
            Node indices.

        Returns
        -------
        embedding : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            Hidden representations (after the activation, without dropout).
        """
        check_is_fitted(self)
        if len(self.module_.layers) < 2:
            raise ValueError(
                "transform needs a hidden layer; this model was fitted with "
                "hidden_layer_sizes=()."
            )
        outputs, nodes = self._outputs(X)
        return to_numpy(outputs[-2]).astype(np.float64, copy=False)[nodes]

    # --------------------------------------------- checks of sklearn_deep.load
    def _shape_module(self):
        from sklearn_deep.nn import GraphConvolution
        from sklearn_deep.utils._torch import TORCH_DTYPES

        # The graph and the features are data held outside the state dict:
        # only the layers are built, whose weights the file holds.
        widths = [
            self.n_node_features_,
            *check_hidden_layer_sizes(self.hidden_layer_sizes),
            len(self.classes_),
        ]
        with torch.device("meta"):
            module = torch.nn.Module()
            module.layers = torch.nn.ModuleList(
                GraphConvolution(n_in, n_out)
                for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)
            )
        return module.to(TORCH_DTYPES[self.dtype])

    def _check_fitted_state(self, *, n_weights, n_bytes):

        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_layer_count(len(hidden_layer_sizes) + 1, n_weights)
        check_fitted_classes(self)
        check_fitted_count(self, "n_features_in_", maximum=1)
        check_feature_names(self)
        # Building the network normalises the graph, in time and memory linear
        # in its nodes even without an edge. A file that save wrote holds
        # several bytes per node (the adjacency's row pointers, the features
        # or the first layer's weights), so more nodes than it has bytes / 8
        # (beyond a small graph) are declared, not held.
        n_nodes = check_fitted_count(self, "n_nodes_")
        if n_nodes > max(_LOAD_FREE_NODES, n_bytes // 8):
            raise ValueError(
                f"n_nodes_={n_nodes} is more nodes than a file of {n_bytes} bytes "
                "can hold."
            )
        if np.shape(self.adjacency) != (n_nodes, n_nodes):
            raise ValueError(
                f"adjacency has shape {np.shape(self.adjacency)}, not that of "
                f"n_nodes_={n_nodes} nodes."
            )
        n_node_features = n_nodes
        if self.node_features is not None:
            shape = np.shape(self.node_features)
            if len(shape) != 2 or shape[0] != n_nodes:
                raise ValueError(
                    f"node_features has shape {shape} for {n_nodes} nodes."
                )
            n_node_features = shape[1]
        check_fitted_count(self, "n_node_features_")
        if self.n_node_features_ != n_node_features:
            raise ValueError(
                f"n_node_features_ is {self.n_node_features_} but the graph's "
                f"nodes have {n_node_features} features."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        return tags
