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
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from sklearn_deep._training import (
    LOSSES,
    TRAINING_PARAMETER_CONSTRAINTS,
    Batches,
    TrainingConfig,
    train,
)
from sklearn_deep._training._callbacks import CallbackSupportMixin, EpochCallbacks
from sklearn_deep.nn import ACTIVATIONS, GraphConvolutionalNetwork, normalize_adjacency
from sklearn_deep.utils._fitting import check_hidden_layer_sizes, fit_or_restore
from sklearn_deep.utils._pickling import HostPicklingMixin
from sklearn_deep.utils._sklearn_compat import (
    Interval,
    StrOptions,
    _fit_context,
    validate_data,
)
from sklearn_deep.utils._torch import (
    TORCH_DTYPES,
    make_generator,
    resolve_device,
    seed_from_random_state,
    to_numpy,
    to_tensor,
)

# The training parameters of the engine that a full-batch graph model uses:
# no minibatches (so no batch_size or shuffle) and no warm start.
_TRAINING_PARAMETERS = (
    "solver",
    "alpha",
    "alpha_l1",
    "learning_rate",
    "learning_rate_init",
    "learning_rate_final",
    "decay_epochs",
    "power_t",
    "max_iter",
    "random_state",
    "tol",
    "verbose",
    "momentum",
    "nesterovs_momentum",
    "rho",
    "early_stopping",
    "validation_fraction",
    "beta_1",
    "beta_2",
    "epsilon",
    "n_iter_no_change",
    "weight_averaging",
    "max_fun",
    "device",
    "dtype",
)

# Relative tolerance of the symmetry test of the adjacency matrix.
_SYMMETRY_RTOL = 1e-6


class GCNClassifier(
    CallbackSupportMixin, ClassifierMixin, HostPicklingMixin, BaseEstimator
):
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

    solver : {"adam", "sgd", "adagrad", "rmsprop", "lbfgs"}, default="adam"
        The optimiser (see :class:`~sklearn_deep.MLPClassifier`).

    alpha : float, default=5e-4
        The paper's weight decay: ``alpha / 2 * ||W0||^2`` is added to the mean
        cross-entropy over the labelled nodes, ``W0`` being the first layer's
        weights only (as in the paper; the other layers are not penalised).
        Unlike ``MLPClassifier``, it is not divided by the number of training
        samples, so the paper's value fits any number of labelled nodes.

    alpha_l1 : float, default=0.0
        Strength of an L1 penalty ``alpha_l1 * ||W0||_1`` on the same weights,
        scaled like ``alpha``.

    learning_rate : {"constant", "linear", "invscaling", "adaptive"}, \
default="constant"
        Learning-rate schedule (see :class:`~sklearn_deep.MLPClassifier`).

    learning_rate_init : float, default=0.01
        The initial step size (the paper's 0.01).

    learning_rate_final : float, default=None
        Final step size of the "linear" schedule; None means 1% of the first.

    decay_epochs : int, default=None
        Epochs of the "linear" schedule; None means ``max_iter``.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=200
        Maximum number of epochs (full-batch steps).

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and the validation split. Pass an
        int for reproducible results; torch's global seed is not touched.

    tol : float, default=1e-4
        Tolerance for the convergence and early-stopping tests. Without early
        stopping, training ends once the training loss has not fallen by
        ``tol`` for ``n_iter_no_change`` epochs (scikit-learn's rule).

    verbose : bool or int, default=False
        Whether to show a progress bar with the loss and validation score.

    momentum : float, default=0.9
        Momentum of "sgd".

    nesterovs_momentum : bool, default=True
        Whether "sgd" uses Nesterov's momentum.

    rho : float, default=0.9
        Decay of the squared-gradient average of "rmsprop".

    early_stopping : bool, default=False
        Whether to stop when the validation loss (the cross-entropy on the
        validation nodes, as in the paper) has not fallen by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the best epoch's weights. The
        validation nodes are ``X_val`` if given to ``fit``, otherwise a
        stratified ``validation_fraction`` of the labelled nodes.

    validation_fraction : float, default=0.1
        Fraction of the labelled nodes held out for early stopping when
        ``fit`` gets no ``X_val``.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's moment estimates.

    epsilon : float, default=1e-8
        Numerical stability constant of Adam, Adagrad and RMSProp.

    n_iter_no_change : int or np.inf, default=10
        Epochs without improvement before stopping (the paper's window of 10).
        With dropout the full-batch training loss is noisy and can plateau
        early on weak features; ``np.inf`` always runs ``max_iter`` epochs, as
        the paper does without early stopping.

    weight_averaging : int, float or None, default=None
        After each epoch, use the mean of the weights reached at the end of the
        last ``weight_averaging`` epochs, or of that fraction of ``max_iter``
        (rounded up) when a float in (0, 1] (stochastic weight averaging;
        training goes on from each epoch's own weights). Validation, early
        stopping and the fitted network see the mean. None keeps each epoch's
        own weights.

    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".

    device : str or torch.device, default="auto"
        Where to train: "auto" (a GPU when there is one), "cpu", "cuda" or
        "cuda:N". The normalised graph is kept there as sparse tensors.

    dtype : {"float32", "float64"}, default="float32"
        Floating-point precision of the network.

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
        **{name: TRAINING_PARAMETER_CONSTRAINTS[name] for name in _TRAINING_PARAMETERS},
    }

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
        device="auto",
        dtype="float32",
    ):
        self.adjacency = adjacency
        self.node_features = node_features
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.normalize_features = normalize_features
        self.solver = solver
        self.alpha = alpha
        self.alpha_l1 = alpha_l1
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.learning_rate_final = learning_rate_final
        self.decay_epochs = decay_epochs
        self.power_t = power_t
        self.max_iter = max_iter
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.rho = rho
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.weight_averaging = weight_averaging
        self.max_fun = max_fun
        self.device = device
        self.dtype = dtype

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
        return fit_or_restore(self, self._fit, X, y, X_val, y_val)

    def _fit(self, X, y, X_val, y_val):
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if X_val is not None and not self.early_stopping:
            raise ValueError(
                "X_val and y_val are used for early stopping only; set "
                "early_stopping=True to use them."
            )
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        device = resolve_device(self.device)
        dtype = TORCH_DTYPES[self.dtype]
        adjacency, features = self._checked_graph()
        n_nodes = adjacency.shape[0]
        nodes, y = self._validate_nodes(X, y, n_nodes=n_nodes, reset=True)
        y = _checked_labels(y)
        classes, target = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                "The classifier needs samples of at least 2 classes in the data, "
                f"but the data contains only one class: {classes[0]!r}."
            )
        self.classes_ = classes
        self.n_nodes_ = n_nodes
        self.n_node_features_ = n_nodes if features is None else features.shape[1]
        seed = seed_from_random_state(self.random_state)

        validation_score = None
        if self.early_stopping:
            if X_val is None:
                nodes, target, val_nodes, val_target = self._validation_split(
                    nodes, target, seed
                )
            else:
                val_nodes, val_target = self._validation_nodes(X_val, y_val)
            validation_score = _negative_loss_on(
                torch.as_tensor(val_nodes, device=device),
                torch.as_tensor(val_target, device=device),
            )

        module = self._build_module(
            adjacency, features, hidden_layer_sizes, seed, device, dtype
        )
        n_train = len(nodes)
        # The engine scales penalties by 1 / n per batch (scikit-learn's
        # convention); alpha here is the paper's unscaled weight decay.
        config = TrainingConfig.from_params(
            self.get_params(deep=False),
            alpha=self.alpha * n_train,
            alpha_l1=self.alpha_l1 * n_train,
            batch_size=n_train,
            shuffle=False,
            seed=seed,
            device=device,
            verbose=int(self.verbose),
        )
        batches = Batches(
            torch.as_tensor(nodes, device=device),
            to_tensor(target, torch.long, device),
            None,
            batch_size=n_train,
            shuffle=False,
        )
        # Each epoch is a task for scikit-learn's callbacks (set_callbacks).
        callbacks = EpochCallbacks.start(self, X, y, max_epochs=self.max_iter)
        state = train(
            module,
            LOSSES["cross_entropy"],
            batches,
            config,
            validation_score=validation_score,
            description=type(self).__name__,
            callbacks=callbacks,
        )
        self.module_ = module
        for name, value in state.fitted_attributes(self.early_stopping).items():
            setattr(self, name, value)
        if callbacks is not None:
            callbacks.close()
        return self

    def _checked_graph(self):
        """The validated adjacency (CSR) and row-normalised features (or None).

        Never modifies the user's matrices: every step below returns a new one.
        """
        if self.adjacency is None:
            raise ValueError(
                "GCNClassifier needs the graph: pass adjacency=<(n_nodes, n_nodes) "
                "matrix> to the constructor or to set_params."
            )
        adjacency = check_array(
            self.adjacency,
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
        if self.node_features is None:
            return adjacency, None
        features = check_array(
            self.node_features,
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
        if self.normalize_features:
            features = normalize(features, norm="l1", axis=1, copy=True)
        values = features.data if sp.issparse(features) else features
        limit = np.finfo(np.float32).max
        # In float32 such values become infinities inside the network, and the
        # fit a NaN model; say so instead.
        if self.dtype == "float32" and values.size and np.abs(values).max() > limit:
            raise ValueError(
                "node_features holds values beyond float32's range (about "
                "3.4e38), which GCNClassifier computes in: scale them, keep "
                "normalize_features=True, or fit with dtype='float64'."
            )
        return adjacency, features

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
        nodes = _checked_node_indices(X, n_nodes, "X")
        return nodes if y is None else (nodes, y)

    def _validation_nodes(self, X_val, y_val):
        if sp.issparse(X_val):
            raise TypeError("X_val must be an array of node indices.")
        X_val = np.asarray(X_val)
        X_val = X_val.reshape(-1, 1) if X_val.ndim == 1 else X_val
        X_val = check_array(X_val, dtype=None, input_name="X_val")
        val_nodes = _checked_node_indices(X_val, self.n_nodes_, "X_val")
        y_val = _checked_labels(column_or_1d(y_val))
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

    def _validation_split(self, nodes, target, seed):
        """Hold out a stratified ``validation_fraction`` of the labelled nodes."""
        counts = np.bincount(target)
        stratify = target if counts.min() >= 2 else None
        try:
            train_index, val_index = train_test_split(
                np.arange(len(nodes)),
                test_size=self.validation_fraction,
                random_state=seed % (2**32),
                stratify=stratify,
            )
        except ValueError as exc:
            raise ValueError(
                f"Cannot hold out validation_fraction={self.validation_fraction} of "
                f"{len(nodes)} labelled nodes for early stopping: {exc} Pass X_val "
                "and y_val, or label more nodes."
            ) from exc
        return (
            nodes[train_index],
            target[train_index],
            nodes[val_index],
            target[val_index],
        )

    def _build_module(
        self, adjacency, features, hidden_layer_sizes, seed, device, dtype
    ):
        adjacency = _to_torch_sparse(adjacency, torch.float64, device)
        # Normalised once, in double precision, then kept on the device.
        adjacency = normalize_adjacency(adjacency).to(dtype)
        if features is not None:
            features = (
                _to_torch_sparse(features, dtype, device)
                if sp.issparse(features)
                else to_tensor(features, dtype, device)
            )
        # Building layers draws a default initialisation from torch's global
        # generator; fork it so that fitting leaves the user's random state be.
        with torch.random.fork_rng(devices=[]):
            module = GraphConvolutionalNetwork(
                adjacency,
                features,
                hidden_layer_sizes,
                len(self.classes_),
                activation=self.activation,
                dropout=self.dropout,
            )
        module.reset_parameters(make_generator(seed))
        return module.to(device=device, dtype=dtype)

    def _rebuild_module(self):
        """A network of the fitted shape on the CPU, for ``sklearn_deep.load``.

        Its weights are placeholders that ``load`` overwrites with the saved ones.
        """
        adjacency, features = self._checked_graph()
        hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        cpu, dtype = torch.device("cpu"), TORCH_DTYPES[self.dtype]
        return self._build_module(
            adjacency, features, hidden_layer_sizes, 0, cpu, dtype
        )

    # ------------------------------------------------------------- prediction
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.two_d_array = True
        tags.input_tags.allow_nan = False
        return tags


def _checked_node_indices(X, n_nodes, name):
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
    nodes = X[:, 0].astype(np.int64)
    if nodes.size and (nodes.min() < 0 or nodes.max() >= n_nodes):
        bad = nodes[(nodes < 0) | (nodes >= n_nodes)]
        raise ValueError(
            f"{name} holds node indices outside 0..{n_nodes - 1} (the graph has "
            f"{n_nodes} nodes): {bad[:5].tolist()}."
        )
    return nodes


def _checked_labels(y):
    check_classification_targets(y)
    target_type = type_of_target(y)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"GCNClassifier takes one class label per node; got a {target_type} target."
        )
    return y


def _to_torch_sparse(matrix, dtype, device):
    coo = sp.coo_matrix(matrix)
    indices = np.vstack([coo.row, coo.col]).astype(np.int64)
    return torch.sparse_coo_tensor(
        torch.as_tensor(indices, device=device),
        torch.as_tensor(coo.data, dtype=dtype, device=device),
        coo.shape,
    ).coalesce()


def _negative_loss_on(nodes, target):
    """The validation score for early stopping: minus the cross-entropy."""

    def score(module):
        return -float(F.cross_entropy(module(nodes), target))

    return score
