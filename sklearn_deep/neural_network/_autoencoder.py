"""Autoencoder: a non-linear, PCA-like transformer trained by the engine."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_array, check_is_fitted

from sklearn_deep._training import LOSSES, Batches
from sklearn_deep.base import (
    DeepEstimator,
    FitData,
    TabularMixin,
    forward_rows,
    store_parameters,
)
from sklearn_deep.neural_network._network_parameters import (
    NETWORK_PARAMETER_CONSTRAINTS,
)
from sklearn_deep.nn import (
    ACTIVATIONS,
    NOISE_TYPES,
    AutoencoderNetwork,
    build_uninitialized,
)
from sklearn_deep.utils._fitting import check_hidden_layer_sizes
from sklearn_deep.utils._sklearn_compat import Interval, StrOptions, _fit_context
from sklearn_deep.utils._torch import to_tensor

# The output activations and the training loss that matches each.
_OUTPUT_LOSSES = {"identity": "squared_error", "logistic": "binary_cross_entropy"}


class Autoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, TabularMixin, DeepEstimator
):
    """Autoencoder: reduce dimension by learning to reproduce the input.

    A network ``x -> code -> x_hat`` is trained to reconstruct its input through
    a code of ``n_components`` units. ``transform`` returns the codes and
    ``inverse_transform`` the reconstructions, so it slots into a ``Pipeline``
    where :class:`sklearn.decomposition.PCA` would. A linear autoencoder
    (``activation="identity"``, squared error) spans the same subspace as PCA;
    non-linear layers let it reconstruct curved data better at the same code
    size. Its encoder can initialise the first layers of an
    :class:`~sklearn_deep.MLPClassifier` or :class:`~sklearn_deep.MLPRegressor`
    (their ``init`` parameter): pre-training on unlabeled data for a task with
    few labels.

    The training parameters (solver, schedule, penalties, early stopping,
    ``device``, ``dtype``, ...) are those of :class:`~sklearn_deep.MLPClassifier`
    and mean the same; early stopping watches the reconstruction error of the
    held-out rows.

    Parameters
    ----------
    n_components : int, default=2
        Width of the code. At most the number of features, unless ``noise`` or
        ``sparsity`` is set: an overcomplete code without either can learn to
        copy its input and would capture nothing, so ``fit`` raises. A code as
        wide as the input is allowed (it can still be useful, e.g. non-linear
        and denoising).

    hidden_layer_sizes : array-like of shape (n_hidden,), default=(100,)
        Widths of the encoder's hidden layers, input side first. The decoder
        mirrors them: ``(256, 64)`` gives
        ``n_features -> 256 -> 64 -> n_components -> 64 -> 256 -> n_features``.
        An empty tuple gives a single linear map each way.

    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu"}, \
default="relu"
        Activation of the hidden layers of encoder and decoder.

    code_activation : {"identity", "logistic", "tanh", "relu", "leaky_relu"}, \
default="identity"
        Activation of the code layer: "identity" leaves the codes unbounded
        (like PCA scores), "logistic" puts them in (0, 1).

    output_activation : {"identity", "logistic"}, default="identity"
        "identity" reconstructs any real data and trains on half the mean
        squared error. "logistic" is for data in [0, 1] (pixel intensities,
        frequencies); it trains on binary cross-entropy of the sigmoid output,
        which does not saturate on confident wrong pixels, and ``fit`` rejects
        data outside [0, 1].

    tied_weights : bool, default=False
        Whether each decoder layer uses the transpose of the matching encoder
        weight matrix (each keeps its own bias): half the weights to learn.

    noise : float, default=0.0
        Denoising: corruption of the training input, which the network learns
        to undo (the clean input is the target). The standard deviation of
        added Gaussian noise, or the fraction of masked features (below 1).
        Applied during training only, drawn from the generator that
        ``random_state`` seeds.

    noise_type : {"gaussian", "masking"}, default="gaussian"
        "gaussian" adds ``noise * N(0, 1)`` to each feature; "masking" sets each
        feature to 0 with probability ``noise``.

    sparsity : float, default=0.0
        Strength of an L1 penalty on the codes, ``sparsity * sum |code|`` per
        sample averaged over the batch: pushes most code units to 0 for each
        sample (with ``code_activation="relu"`` exact zeros).

    weight_init : {"glorot_uniform", "glorot_normal", "he_uniform", \
"he_normal", "sparse"}, default="glorot_uniform"
        Initialisation of the weights; biases start at zero.

    sparse_init_density : float, default=0.1
        For ``weight_init="sparse"``: the fraction of non-zero incoming weights.

    batch_norm : bool, default=False
        Whether to batch-normalise each hidden layer before its activation.

    dropout : float, default=0.0
        Probability of dropping each hidden unit during training.

    {training_parameters}

    Attributes
    ----------
    reconstruction_error_ : float
        Mean squared reconstruction error on the training data after fit
        (minus ``score(X)``), per sample and feature.

    encoder_layer_sizes_ : list of int
        Widths of the encoder's layers: the hidden layers, then the code. An
        MLP's ``hidden_layer_sizes`` must start with them to take this
        encoder as ``init``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during fit, when X has string column names.

    module_ : torch.nn.Module
        The trained :class:`~sklearn_deep.nn.AutoencoderNetwork`; its
        ``encoder`` and ``decoder`` are ``MultilayerPerceptron`` networks.

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
        Number of epochs the last call ran (``fit``, warm-started or not, or
        one for ``partial_fit``), as scikit-learn counts.

    t_ : int
        Number of training samples seen by the solver.

    gradient_norms_ : ndarray of shape (len(loss_curve_), n_weight_matrices)
        Mean norm of each weight matrix's gradient per epoch, encoder first.

    history_ : skorch.history.History
        One row per epoch: ``epoch``, ``train_loss``, ``valid_score``,
        ``learning_rate``, ``best`` and ``dur``.

    See Also
    --------
    sklearn.decomposition.PCA : The linear, closed-form counterpart.
    MLPClassifier : Takes a fitted autoencoder as ``init``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_deep import Autoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> ae = Autoencoder(n_components=8, hidden_layer_sizes=(64,), max_iter=30,
    ...                  learning_rate_init=0.01, random_state=0).fit(X)
    >>> ae.transform(X[:2]).shape
    (2, 8)
    >>> ae.inverse_transform(ae.transform(X[:2])).shape
    (2, 64)
    >>> ae.get_feature_names_out()[:3]
    array(['autoencoder0', 'autoencoder1', 'autoencoder2'], dtype=object)
    >>> bool(ae.reconstruction_error_ < 0.05)
    True
    """

    _parameter_constraints = {
        **NETWORK_PARAMETER_CONSTRAINTS,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "code_activation": [StrOptions(set(ACTIVATIONS))],
        "output_activation": [StrOptions(set(_OUTPUT_LOSSES))],
        "tied_weights": ["boolean"],
        "noise": [Interval(Real, 0, None, closed="left")],
        "noise_type": [StrOptions(set(NOISE_TYPES))],
        "sparsity": [Interval(Real, 0, None, closed="left")],
    }
    _fitted_attributes = (
        "n_features_in_",
        "feature_names_in_",
        "encoder_layer_sizes_",
        "reconstruction_error_",
    )

    _training_docs = {
        "early_stopping": """
            Whether to hold out ``validation_fraction`` of the rows, stop when their
            score (minus their mean squared reconstruction error, unless
            ``scoring``) has not improved by ``tol`` for ``n_iter_no_change``
            epochs, and restore the weights of the best epoch.
        """,
        "scoring": """
            Validation score for early stopping, called as
            ``scoring(estimator, X_val, None)``; None means :meth:`score`.
        """,
    }

    def __init__(
        self,
        n_components=2,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        code_activation="identity",
        output_activation="identity",
        tied_weights=False,
        noise=0.0,
        noise_type="gaussian",
        sparsity=0.0,
        solver="adam",
        alpha=0.0001,
        alpha_l1=0.0,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        learning_rate_final=None,
        decay_epochs=None,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
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
        scoring=None,
        weight_init="glorot_uniform",
        sparse_init_density=0.1,
        batch_norm=False,
        dropout=0.0,
        precision="fp32",
        prediction_block_size="auto",
        device="auto",
        dtype="float32",
        n_threads=None,
    ):
        store_parameters(self, locals())

    # ------------------------------------------------------------- public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Update the autoencoder with one epoch over X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, incremental=True)

    def transform(self, X):
        """Encode X: the codes of its rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data to encode.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_components)
            The codes.
        """
        X = self._validated_input(X)
        return self._predict_in_blocks(self.module_.encode, X, self._n_features_out)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as ``transform`` returns them.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features_in_)
            The reconstructions.
        """
        check_is_fitted(self)
        codes = check_array(X, dtype=(np.float64, np.float32))
        if codes.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {codes.shape[1]} features (code units), but "
                f"{type(self).__name__} has codes of {self._n_features_out}."
            )
        return self._predict_in_blocks(
            lambda code: self._activate(self.module_.decode(code)),
            codes,
            self.n_features_in_,
        )

    def score(self, X, y=None):
        """Minus the mean squared reconstruction error of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data to reconstruct.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        score : float
            ``-mean((X - inverse_transform(transform(X))) ** 2)``; higher is
            better, as scikit-learn's model selection expects.
        """
        X = self._validated_input(X)
        return -self._mean_squared_error(X)

    @property
    def _n_features_out(self):
        """Number of output features: the code width (get_feature_names_out)."""
        return self.encoder_layer_sizes_[-1]

    # ---------------------------------------------------------------- fitting
    def _validate_fit_data(self, X, y, fit):
        check_hidden_layer_sizes(self.hidden_layer_sizes)
        X = self._validate_float_data(X, reset=not fit.continuing)
        self._check_training_data(X)
        self._check_batch_norm_samples(X.shape[0])
        return FitData(X.shape[0], X=X, y=None)

    def _prepare_encoding(self, data, train_rows, fit):
        X_train = data.X if train_rows is None else data.X[train_rows]
        if sp.issparse(X_train):
            X_train = sp.csr_matrix(X_train)
        data.extra["inputs"] = self._input_tensor(X_train, fit.device, fit.dtype)
        if not fit.continuing:
            # Set before training: callbacks transform with each epoch's network.
            hidden_layer_sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
            self.encoder_layer_sizes_ = [*hidden_layer_sizes, self.n_components]

    def _make_batches(self, data, train_rows, config, fit):
        # The target of each row is the row itself: the batches carry row
        # indices and the loss looks the clean rows up, so that sparse data is
        # made dense one batch at a time and noise never reaches the target.
        inputs = data.extra["inputs"]
        indices = torch.arange(inputs.shape[0], device=fit.device)
        return Batches(
            inputs,
            indices,
            None,
            config.batch_size,
            shuffle=self.shuffle and self.solver != "lbfgs",
            dtype=fit.dtype,
        )

    def _loss_function(self, data, fit):
        return _reconstruction_loss(
            _row_lookup(data.extra["inputs"], fit.dtype, fit.device),
            LOSSES[_OUTPUT_LOSSES[self.output_activation]],
            self.sparsity,
        )

    def _after_fit(self, data):
        self.reconstruction_error_ = self._mean_squared_error(data.X)

    def _check_training_data(self, X):
        n_features = X.shape[1]
        if self.n_components > n_features and not (self.noise or self.sparsity):
            raise ValueError(
                f"n_components={self.n_components} is larger than the number of "
                f"features, n_features={n_features}: such a code can copy the "
                "input and learns nothing. Lower n_components, or regularise the "
                "code with noise > 0 or sparsity > 0."
            )
        if self.noise_type == "masking" and self.noise >= 1:
            raise ValueError(
                f"noise={self.noise} masks every feature; with "
                "noise_type='masking' it must be below 1."
            )
        if self.output_activation == "logistic":
            values = X.data if sp.issparse(X) else X
            if values.size and (values.min() < 0 or values.max() > 1):
                raise ValueError(
                    "output_activation='logistic' reconstructs data in [0, 1], "
                    f"but X has values in [{values.min():g}, {values.max():g}]. "
                    "Scale X (e.g. MinMaxScaler) or use "
                    "output_activation='identity'."
                )

    def _network_spec(self):
        return (
            AutoencoderNetwork,
            (
                self.n_features_in_,
                check_hidden_layer_sizes(self.hidden_layer_sizes),
                self.n_components,
            ),
            {
                "activation": self.activation,
                "code_activation": self.code_activation,
                "tied_weights": self.tied_weights,
                "noise_type": self.noise_type,
                "noise": self.noise,
                "dropout": self.dropout,
                "batch_norm": self.batch_norm,
            },
        )

    def _build_module(self, device, dtype, generator):
        factory, args, kwargs = self._network_spec()
        module = build_uninitialized(factory, *args, **kwargs)
        module.reset_parameters(
            self.weight_init, generator, sparse_density=self.sparse_init_density
        )
        return module.to(device=device, dtype=dtype)

    def _validation_score(self, data, validation_rows, fit):
        """``score(module)`` on the held-out rows for early stopping."""
        X_val = data.X[validation_rows]
        if self.scoring is not None:
            return self._user_scoring(X_val, None)
        X_val_tensor = self._input_tensor(X_val, fit.device, fit.dtype)
        dense = X_val.toarray() if sp.issparse(X_val) else X_val
        target = to_tensor(dense, fit.dtype, fit.device)

        def score(module):
            reconstruction, _ = forward_rows(module, X_val_tensor)
            error = (self._activate(reconstruction) - target).square().mean()
            return -float(error)

        return score

    # ------------------------------------------------------------- prediction
    def _activate(self, reconstruction):
        if self.output_activation == "logistic":
            return torch.sigmoid(reconstruction)
        return reconstruction

    def _mean_squared_error(self, X):
        """Mean over rows and features of the squared reconstruction error."""

        def squared_errors(rows):
            reconstruction, _ = self.module_(rows)
            return (self._activate(reconstruction) - rows).square().sum(dim=1)

        per_row = self._predict_in_blocks(squared_errors, X, 1)
        return float(per_row.sum() / max(1, X.shape[0] * X.shape[1]))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # --------------------------------------------- checks of sklearn_deep.load
    def _check_fitted_state(self, *, n_weights, n_bytes):

        super()._check_fitted_state(n_weights=n_weights, n_bytes=n_bytes)
        hidden_layer_sizes = self._check_tabular_fitted_state(n_weights)
        sizes = [*hidden_layer_sizes, self.n_components]
        if getattr(self, "encoder_layer_sizes_", None) != sizes:
            raise ValueError(
                f"encoder_layer_sizes_ must be {sizes} for these parameters, got "
                f"{getattr(self, 'encoder_layer_sizes_', None)!r}."
            )


def _row_lookup(inputs, dtype, device):
    """``rows(index)``: the clean training rows at ``index``, a dense tensor."""
    if not sp.issparse(inputs):
        return inputs.__getitem__

    def rows(index):
        index = index.cpu().numpy()
        return torch.as_tensor(inputs[index].toarray(), dtype=dtype, device=device)

    return rows


def _reconstruction_loss(rows, data_loss, sparsity):
    """The engine's loss: reconstruction of the clean rows, plus code sparsity."""

    def loss(output, index, sample_weight):
        reconstruction, code = output
        value = data_loss(reconstruction, rows(index), sample_weight)
        if sparsity:
            value = value + sparsity * code.abs().sum(dim=1).mean()
        return value

    return loss
