"""Pre-training an MLP with a fitted autoencoder (the MLPs' ``init``).

The first hidden layers take the encoder's weights; with ``freeze_init_epochs``
they stay frozen for the first epochs while the layers above them settle, so
that their large initial gradients cannot wash out what the autoencoder
learned.
"""

import torch

from sklearn_deep._training import train
from sklearn_deep.base import restart
from sklearn_deep.neural_network._autoencoder import Autoencoder


def fitted_autoencoder(init):
    """The fitted ``Autoencoder`` of ``init`` (itself, or in a FrozenEstimator)."""
    autoencoder = getattr(init, "estimator", init)
    if not isinstance(autoencoder, Autoencoder):
        raise ValueError(
            "init must be None or a fitted sklearn_deep.Autoencoder (optionally "
            f"in a sklearn.frozen.FrozenEstimator), got {type(init).__name__}."
        )
    if not hasattr(autoencoder, "module_"):
        raise ValueError(
            "init must be a fitted Autoencoder: call its fit first (e.g. on "
            "unlabeled data). To search over init in GridSearchCV, wrap it in "
            "sklearn.frozen.FrozenEstimator, which cloning keeps fitted."
        )
    return autoencoder


@torch.no_grad()
def copy_encoder_weights(autoencoder, module, n_features, hidden_layer_sizes):
    """Initialise the first layers of ``module`` with ``autoencoder``'s encoder."""
    if autoencoder.n_features_in_ != n_features:
        raise ValueError(
            f"init was fitted on {autoencoder.n_features_in_} features, but X has "
            f"{n_features}."
        )
    widths = list(autoencoder.encoder_layer_sizes_)
    if list(hidden_layer_sizes[: len(widths)]) != widths:
        raise ValueError(
            f"The encoder of init has layers of widths {widths} (hidden layers, "
            "then the code); hidden_layer_sizes must start with them to take its "
            f"weights, got {tuple(hidden_layer_sizes)}."
        )
    source = autoencoder.module_.encoder.linear_layers
    # copy_ converts to the network's device and dtype.
    for target, layer in zip(module.linear_layers, source, strict=False):
        target.weight.copy_(layer.weight)
        target.bias.copy_(layer.bias)


def n_pretrained_layers(estimator):
    """How many first layers come from ``init`` and stay frozen at first."""
    if estimator.init is None or estimator.freeze_init_epochs == 0:
        return 0
    return len(fitted_autoencoder(estimator.init).encoder_layer_sizes_)


def train_with_frozen_layers(estimator, module, train_rest, n_frozen, **engine_args):
    """Train ``freeze_init_epochs`` without the first ``n_frozen`` layers, then all.

    The two phases are two runs of the engine: the second starts its
    optimiser, patience and best-epoch tracking anew (as a warm start does), so
    early stopping restores the best epoch of the fine-tuning phase.
    ``train_rest(state, epochs)`` runs the second phase.
    """
    frozen = module.linear_layers[:n_frozen]
    for layer in frozen:
        layer.requires_grad_(False)
    try:
        state = train(
            module,
            max_epochs=min(estimator.freeze_init_epochs, estimator.max_iter),
            warn_on_max_iter=False,
            description=f"{type(estimator).__name__} (frozen)",
            **engine_args,
        )
    finally:
        for layer in frozen:
            layer.requires_grad_(True)
    # The frozen layers had no gradient: record their norms as 0.
    state.gradient_norms = [[0.0] * n_frozen + row for row in state.gradient_norms]
    remaining = estimator.max_iter - state.n_iter
    if remaining <= 0 or state.interrupted:
        return state
    restart(state)
    return train_rest(state, remaining)
