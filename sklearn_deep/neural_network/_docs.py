"""The shared numpydoc docstring of MLPClassifier and MLPRegressor."""

_INTRO = {
    "classifier": (
        "Multi-layer perceptron classifier trained by a PyTorch engine.\n\n"
        "    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:\n"
        "    the parameters it shares with it have the same names, defaults and\n"
        "    meanings. Multiclass targets get a softmax output and cross-entropy;\n"
        "    binary and multilabel (0/1 indicator) targets get sigmoid outputs and\n"
        "    binary cross-entropy."
    ),
    "regressor": (
        "Multi-layer perceptron regressor trained by a PyTorch engine.\n\n"
        "    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:\n"
        "    the parameters it shares with it have the same names, defaults and\n"
        "    meanings. The output layer is linear and the loss is half the mean\n"
        "    squared error; several outputs are fitted jointly."
    ),
}

_CLASS_WEIGHT = {
    "classifier": """
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, ``{label: weight}``; "balanced"
        uses ``n_samples / (n_classes * np.bincount(y))``. Multiplies
        ``sample_weight``. Not for multilabel targets.
""",
    "regressor": "",
}

_LOSS = {
    "classifier": "",
    "regressor": """    loss : {"squared_error", "poisson"}, default="squared_error"
        Half the squared error with an identity output, or half the Poisson
        deviance with an exponential output (for counts and other non-negative
        targets).

""",
}

_ATTRIBUTES = {
    "classifier": """    classes_ : ndarray of shape (n_classes,)
        The class labels (``arange(n_labels)`` for multilabel targets).
    out_activation_ : str
        "softmax" for multiclass, "logistic" for binary and multilabel targets.
""",
    "regressor": """    out_activation_ : str
        "identity" for the squared error, "exp" for the Poisson loss.
""",
}

_EXAMPLE = {
    "classifier": """    >>> from sklearn.datasets import make_moons
    >>> from sklearn_deep import MLPClassifier
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300,
    ...                     learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]), y[:3]
    (array([0, 1, 1]), array([0, 1, 1]))
    >>> round(clf.score(X, y), 2) >= 0.95
    True""",
    "regressor": """    >>> import numpy as np
    >>> from sklearn_deep import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 2))
    >>> y = X[:, 0] ** 2 + X[:, 1]
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=300,
    ...                    learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> round(reg.score(X, y), 2) >= 0.95
    True""",
}

MLP_DOC_TEMPLATE = """{intro}

    Parameters
    ----------
{loss}    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units of the ith hidden layer. An empty
        tuple gives a linear model (logistic or linear regression) trained by
        the same engine.

    activation : {{"identity", "logistic", "tanh", "relu", "leaky_relu"}}, \
default="relu"
        Activation of the hidden layers; "leaky_relu" has slope 0.01 below 0.

    weight_init : {{"glorot_uniform", "glorot_normal", "he_uniform", \
"he_normal", "sparse"}}, default="glorot_uniform"
        Initialisation of the weights; biases start at zero. "glorot_uniform"
        draws from U(-sqrt(6/(n_in + n_out)), +sqrt(6/(n_in + n_out))).

    sparse_init_density : float, default=0.1
        For ``weight_init="sparse"``: the fraction of each unit's incoming
        weights that are non-zero.

    batch_norm : bool, default=False
        Whether to batch-normalise each hidden layer before its activation.

    dropout : float, default=0.0
        Probability of dropping each hidden unit during training.

    init : fitted Autoencoder or None, default=None
        Pre-training: a fitted :class:`~sklearn_deep.Autoencoder` (e.g. fitted
        on plentiful unlabeled data) whose encoder weights initialise the first
        hidden layers. Its ``encoder_layer_sizes_`` (its hidden widths, then
        ``n_components``) must be the first entries of ``hidden_layer_sizes``,
        and it must have been fitted on the same features. Only its linear
        layers are copied (batch-norm layers start anew); the activations are
        this network's. It is read, never modified, and ``clone`` keeps it
        fitted (clones share it). ``GridSearchCV`` clones the values of a grid
        it searches over: to search over ``init`` itself, wrap each candidate in
        :class:`sklearn.frozen.FrozenEstimator`. Ignored by a ``warm_start`` or
        ``partial_fit`` call that continues a fitted network.

    freeze_init_epochs : int, default=0
        Number of first epochs in which the layers taken from ``init`` stay
        frozen while the layers above them train; then all layers train for the
        remaining ``max_iter - freeze_init_epochs`` epochs as a new run (a new
        optimiser state; early stopping restores the best epoch of that run).
        Frozen layers have a gradient norm of 0 in ``gradient_norms_``. Not used
        by ``partial_fit``. With ``weight_averaging``, the two phases average
        their own epochs.
{class_weight}
    {{training_parameters}}

    Attributes
    ----------
{attributes}    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    n_outputs_ : int
        Number of output units.

    n_layers_ : int
        Number of layers, input and output included.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer i, shape (n_in, n_out), in
        the floating dtype of the training X. Read-only copies of the
        network's weights: assign ``coefs_`` (or ``coefs_[i]``) to write into
        the network.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer i + 1; read-only copies
        too, assignable like ``coefs_``.

    module_ : torch.nn.Module
        The trained network.

    loss_ : float
        The training loss of the last epoch, penalties included.

    loss_curve_ : list of float
        The training loss of each epoch, over all calls with ``warm_start``
        and ``partial_fit``.

    best_loss_ : float or None
        The lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        The validation score of each epoch; None without early stopping.

    best_validation_score_ : float or None
        The best validation score; None without early stopping.

    n_iter_ : int
        Number of epochs the last call ran (as in scikit-learn: a
        warm-started ``fit`` runs at most ``max_iter`` more, ``partial_fit``
        one).

    t_ : int
        Number of training samples seen by the solver, over all calls.

    gradient_norms_ : ndarray of shape (len(loss_curve_), n_layers_ - 1)
        Mean Euclidean norm of each weight matrix's gradient over the minibatches
        of each epoch, input layer first: shows vanishing gradients in deep
        sigmoid networks.

    history_ : skorch.history.History
        One row per epoch: ``epoch``, ``train_loss``, ``valid_score``,
        ``learning_rate``, ``best`` and ``dur`` (seconds); slice it like
        ``history_[:, "train_loss"]``.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : scikit-learn's NumPy implementation.
    sklearn.neural_network.MLPRegressor : scikit-learn's NumPy implementation.

    Examples
    --------
{example}
    """


def mlp_docstring(kind):
    """The docstring of the MLP ``kind``, "classifier" or "regressor"."""
    return MLP_DOC_TEMPLATE.format(
        intro=_INTRO[kind],
        loss=_LOSS[kind],
        class_weight=_CLASS_WEIGHT[kind],
        attributes=_ATTRIBUTES[kind],
        example=_EXAMPLE[kind],
    )
