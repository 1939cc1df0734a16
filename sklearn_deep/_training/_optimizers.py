"""The optimisers (``solver``) of the engine, built from a ``TrainingConfig``.

The L2 penalty (``alpha``) is the optimisers' ``weight_decay`` on weight matrices
only: torch adds ``weight_decay * w`` to the gradient inside its (fused) update,
which is exactly the gradient of ``alpha / 2 * ||w||^2`` and costs no extra
autograd work per batch. scikit-learn scales the penalty by ``1 / batch_size``;
so do we, so that ``alpha`` means the same in both packages.
"""

import torch


def penalized_parameters(module):
    """Weight matrices (two or more dimensions) are penalised; biases and norms not."""
    return [p for p in module.parameters() if p.requires_grad and p.dim() >= 2]


def make_optimizer(module, config, batch_size):
    """A torch optimiser for ``module``'s parameters as ``config.solver`` says."""
    weights = penalized_parameters(module)
    weight_ids = {id(p) for p in weights}
    others = [
        p for p in module.parameters() if p.requires_grad and id(p) not in weight_ids
    ]
    lr = config.learning_rate_init
    if config.solver == "lbfgs":
        # One L-BFGS iteration per engine epoch: torch keeps the curvature pairs
        # between step() calls, so the epochs together are one L-BFGS run.
        return torch.optim.LBFGS(
            [*weights, *others],
            lr=1.0,
            max_iter=1,
            tolerance_grad=0.0,
            tolerance_change=0.0,
            history_size=10,
            line_search_fn="strong_wolfe",
        )
    groups = [
        {"params": weights, "weight_decay": config.alpha / batch_size},
        {"params": others, "weight_decay": 0.0},
    ]
    groups = [group for group in groups if group["params"]]
    if config.solver == "sgd":
        return torch.optim.SGD(
            groups,
            lr=lr,
            momentum=config.momentum,
            nesterov=config.nesterovs_momentum and config.momentum > 0,
        )
    if config.solver == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, eps=config.epsilon)
    if config.solver == "rmsprop":
        return torch.optim.RMSprop(
            groups, lr=lr, alpha=config.rho, eps=config.epsilon
        )
    if config.solver == "adam":
        return torch.optim.Adam(
            groups, lr=lr, betas=(config.beta_1, config.beta_2), eps=config.epsilon
        )
    raise ValueError(f"Unknown solver {config.solver!r}.")


def set_learning_rate(optimizer, learning_rate):
    """Set the step size of every parameter group."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
