"""The parameter paragraphs TorchClassifier and TorchRegressor share."""

MODULE_PARAMETERS = """    module : torch.nn.Module subclass or instance, default=None
        The network. A class is built at each fit with ``module_params``, the
        arguments ``n_features``, ``n_classes`` and ``n_outputs`` that its
        ``__init__`` takes and that are unset being filled in from the data;
        its weights are drawn from ``random_state`` (torch's layers by their
        default scheme, a layer of yours by its
        ``reset_parameters(generator)`` when it has one). An instance is
        deep-copied at fit and trained from its current weights; it is never
        changed. ``forward`` takes a batch of X (or X's arrays as keywords
        when X is a dict) and returns raw outputs (logits), one row per
        sample. Required: None fails at fit.
    module_params : dict or None, default=None
        Arguments of the module class's constructor. Each is also a
        hyper-parameter ``module__<name>``: ``set_params(module__width=64)``
        and ``GridSearchCV(est, {"module__width": [32, 64]})`` work, and
        ``get_params()`` lists every constructor argument that has a value.
        An unknown name fails with ``ValueError``.
"""

KEEP_INTEGER_X = """    keep_integer_X : bool, default=False
        Whether integer arrays of X reach the network as int64 tensors (token
        ids, category codes for ``torch.nn.Embedding``). By default they are
        numbers like any other and are converted to the network's float
        ``dtype``, as scikit-learn's estimators do.
"""

SHARED_ATTRIBUTES = """    module_ : torch.nn.Module
        The trained network (a copy: ``module`` itself is never trained).
        ``torch.nn.Dropout`` layers are replaced by
        :class:`sklearn_deep.nn.Dropout`, which draws its masks from the fit's
        generator.
    module_params_ : dict or None
        The constructor arguments the network was built with, the shapes
        filled in from the data included; None for a module instance.
    n_features_in_ : int
        Number of features (``X.shape[1]``) seen during fit; not set for a
        dict X.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
    n_outputs_ : int
        Number of outputs the network must return per sample.
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen by the optimiser.
    loss_ : float
        The loss at the last epoch.
    loss_curve_ : list of float
        The training loss at each epoch.
    best_loss_ : float or None
        The lowest training loss reached (None with early stopping).
    validation_scores_ : list of float or None
        The held-out score at each epoch with early stopping, else None.
    best_validation_score_ : float or None
        The best held-out score with early stopping, else None.
    history_ : skorch.history.History
        One row per epoch: losses, scores, durations.
    gradient_norms_ : ndarray of shape (n_iter_, n_weights)
        Gradient norms of the penalised weights, sampled once per epoch.
"""
