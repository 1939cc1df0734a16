"""The optimisers (``solver``) of the engine, built from a ``TrainingConfig``.

The penalties are not the optimisers' business: the engine adds their gradients
to the weight matrices' gradients itself (see ``_engine``), so every parameter
sits in one group and a step is one fused kernel call.
"""

import torch


def penalized_parameters(module):
    """Weight matrices (two or more dimensions) are penalised; biases and norms not.

    A module with a ``penalized_parameters()`` method chooses them itself (the
    graph convolutional network penalises its first layer only, as in the paper).
    """
    chosen = getattr(module, "penalized_parameters", None)
    if callable(chosen):
        return [p for p in chosen() if p.requires_grad]
    return [p for p in module.parameters() if p.requires_grad and p.dim() >= 2]


def make_optimizer(module, config):
    """A torch optimiser for ``module``'s parameters as ``config.solver`` says."""
    groups = [p for p in module.parameters() if p.requires_grad]
    lr = config.learning_rate_init
    if config.solver == "lbfgs":
        # One L-BFGS iteration per engine epoch: torch keeps the curvature pairs
        # between step() calls, so the epochs together are one L-BFGS run.
        return torch.optim.LBFGS(
            groups,
            lr=1.0,
            max_iter=1,
            # Function evaluations per iteration, line search included (scipy's
            # L-BFGS-B allows 20 line-search steps); torch's default for
            # max_iter=1 would leave no room for a line search at all.
            max_eval=25,
            tolerance_grad=0.0,
            tolerance_change=0.0,
            history_size=10,
            line_search_fn="strong_wolfe",
        )
    if config.solver == "sgd":
        return _fused_if_possible(
            torch.optim.SGD,
            groups,
            lr=lr,
            momentum=config.momentum,
            nesterov=config.nesterovs_momentum and config.momentum > 0,
        )
    if config.solver == "adagrad":
        return _fused_if_possible(
            torch.optim.Adagrad, groups, lr=lr, eps=config.epsilon
        )
    if config.solver == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=config.rho, eps=config.epsilon)
    if config.solver == "adam":
        return _fused_if_possible(
            torch.optim.Adam,
            groups,
            lr=lr,
            betas=(config.beta_1, config.beta_2),
            eps=config.epsilon,
        )
    raise ValueError(f"Unknown solver {config.solver!r}.")


def _fused_if_possible(optimizer_class, groups, **options):
    """The fused (one kernel for all parameters) variant where torch has one.

    For small networks the optimiser's per-parameter kernel launches dominate a
    step: fused Adam made a batch-32 step of a 100-256-10 MLP about 25% faster on
    the CPU. Older torch versions, or devices and dtypes without a fused kernel,
    fall back to the default implementation.
    """
    try:
        return optimizer_class(groups, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return optimizer_class(groups, **options)


def set_learning_rate(optimizer, learning_rate):
    """Set the step size of every parameter group."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate


def fast_step(optimizer):
    """A callable that does ``optimizer.step()``, with less Python per call.

    A small network's step on the CPU is short enough that ``Optimizer.step``'s
    own bookkeeping (profiler hooks, grouping tensors by device, re-reading the
    state) cost as much as the fused Adam kernel: 84 against 32 microseconds per
    step for a 100-256-10 MLP. For fused Adam with one parameter group, the
    returned callable calls that kernel itself on the optimiser's own state
    tensors, so the optimiser (and its ``state_dict``) stays the single source of
    truth; anything else falls back to ``optimizer.step``.
    """
    if not _direct_adam_possible(optimizer):
        return optimizer.step
    group = optimizer.param_groups[0]
    params = group["params"]
    cache = {}

    def step():
        if not cache:
            if any(p not in optimizer.state for p in params):
                # The very first step lets torch create the state.
                optimizer.step()
                return
            states = [optimizer.state[p] for p in params]
            cache["exp_avgs"] = [state["exp_avg"] for state in states]
            cache["exp_avg_sqs"] = [state["exp_avg_sq"] for state in states]
            cache["steps"] = [state["step"] for state in states]
        torch._foreach_add_(cache["steps"], 1)
        beta1, beta2 = group["betas"]
        torch._fused_adam_(
            params,
            [p.grad for p in params],
            cache["exp_avgs"],
            cache["exp_avg_sqs"],
            [],
            cache["steps"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            amsgrad=False,
            maximize=False,
        )

    return step


def _direct_adam_possible(optimizer):
    groups = optimizer.param_groups
    if type(optimizer) is not torch.optim.Adam or len(groups) != 1:
        return False
    group = groups[0]
    params = group["params"]
    return (
        hasattr(torch, "_fused_adam_")
        and group.get("fused") is True
        and not group.get("amsgrad")
        and not group.get("maximize")
        and not group.get("differentiable")
        and not group.get("capturable")
        and isinstance(group["lr"], float)
        and len({(p.device, p.dtype) for p in params}) == 1
    )
