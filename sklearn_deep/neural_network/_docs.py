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

    solver : {{"adam", "sgd", "adagrad", "rmsprop", "lbfgs"}}, default="adam"
        The optimiser. "sgd" uses ``momentum`` and ``nesterovs_momentum``;
        "rmsprop" averages squared gradients with decay ``rho``; "adam" uses
        ``beta_1``, ``beta_2`` and ``epsilon``; "lbfgs" is full-batch L-BFGS
        with a strong-Wolfe line search, good for small data sets.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases), scaled by
        ``1 / batch_size`` as in scikit-learn.

    alpha_l1 : float, default=0.0
        Strength of the L1 penalty on the weights (not the biases), scaled like
        ``alpha``. Drives the weights of irrelevant inputs towards zero.

    batch_size : int or "auto", default="auto"
        Minibatch size; "auto" means ``min(200, n_samples)``. Ignored by "lbfgs".

    learning_rate : {{"constant", "linear", "invscaling", "adaptive"}}, \
default="constant"
        Learning-rate schedule, applied to every solver but "lbfgs":

        - "constant": ``learning_rate_init`` throughout.
        - "linear": ``eta_t = (1 - t/tau) eta_0 + (t/tau) eta_tau`` at epoch
          ``t < tau``, then ``eta_tau``, with ``tau = decay_epochs`` and
          ``eta_tau = learning_rate_final``. A fit whose schedule has decayed
          to its end (``tau`` epochs run) is finished by design: reaching
          ``max_iter`` then raises no ``ConvergenceWarning``.
        - "invscaling": ``eta_0 / (t_ + 1) ** power_t``, ``t_`` the number of
          samples seen, as in scikit-learn.
        - "adaptive": ``eta_0`` until the loss (or validation score) has not
          improved by ``tol`` for ``n_iter_no_change`` epochs, then divided by
          5; training stops once it falls below 1e-6.

    learning_rate_init : float, default=0.001
        The initial step size ``eta_0``.

    learning_rate_final : float, default=None
        ``eta_tau`` of the "linear" schedule; None means ``eta_0 / 100``.

    decay_epochs : int, default=None
        ``tau`` of the "linear" schedule; None means ``max_iter``.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=200
        Maximum number of epochs (iterations of L-BFGS for "lbfgs").

    shuffle : bool, default=True
        Whether to shuffle the samples at every epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, dropout and the validation split.
        Pass an int for reproducible results; torch's global seed is not touched.

    tol : float, default=1e-4
        Tolerance for the convergence and early-stopping tests.

    verbose : bool or int, default=False
        Whether to show a progress bar with the loss and validation score.

    warm_start : bool, default=False
        Whether ``fit`` continues from the weights of the previous fit.

    momentum : float, default=0.9
        Momentum of "sgd", between 0 and 1.

    nesterovs_momentum : bool, default=True
        Whether "sgd" uses Nesterov's momentum.

    rho : float, default=0.9
        Decay rate of the average of squared gradients of "rmsprop".

    early_stopping : bool, default=False
        Whether to hold out ``validation_fraction`` of the data, stop when its
        score has not improved by ``tol`` for ``n_iter_no_change`` epochs, and
        restore the weights of the best epoch.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimates.

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimates.

    epsilon : float, default=1e-8
        Numerical-stability term of "adam", "adagrad" and "rmsprop".

    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before stopping (or, with
        "adaptive", before dividing the learning rate).

    weight_averaging : int, float or None, default=None
        After each epoch, use the mean of the weights reached at the end of the
        last ``weight_averaging`` epochs, or of that fraction of ``max_iter``
        (rounded up) when a float in (0, 1] (stochastic weight averaging;
        training goes on from each epoch's own weights). Validation, early
        stopping and the fitted network see the mean. The two phases of
        ``freeze_init_epochs`` average their own epochs. Each ``partial_fit``
        call is one epoch, so it averages nothing. None keeps each epoch's own
        weights.

    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".

    scoring : str, callable or None, default=None
        Validation score for early stopping, as for
        :func:`sklearn.metrics.check_scoring`; None means the estimator's
        ``score`` (accuracy or R^2).

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
        by ``partial_fit``.
{class_weight}
    device : str, default="auto"
        Where to train: "auto" (CUDA when available, else the CPU), "cpu",
        "cuda" or "cuda:N".

    dtype : {{"float32", "float64"}}, default="float32"
        Floating-point precision of the network and of the computations.

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
        ``coefs_[i]`` is the weight matrix of layer i, shape (n_in, n_out).

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer i + 1.

    module_ : torch.nn.Module
        The trained network.

    loss_ : float
        The training loss of the last epoch, penalties included.

    loss_curve_ : list of float
        The training loss of each epoch.

    best_loss_ : float or None
        The lowest training loss; None with early stopping.

    validation_scores_ : list of float or None
        The validation score of each epoch; None without early stopping.

    best_validation_score_ : float or None
        The best validation score; None without early stopping.

    n_iter_ : int
        Number of epochs run (over all calls, with ``warm_start`` and
        ``partial_fit``).

    t_ : int
        Number of training samples seen by the solver.

    gradient_norms_ : ndarray of shape (n_iter_, n_layers_ - 1)
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
