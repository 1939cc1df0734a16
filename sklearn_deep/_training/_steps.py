"""The steps of the engine: what one epoch of training does to the weights.

A step is any object with these four methods; the engine calls them and knows
nothing else of how weights change:

``begin(run)``
    make the optimisers (going on from ``run.state.optimizer_state`` when a
    fit continues);
``epoch(run) -> (loss, gradient_norms)``
    train one epoch over ``run.batches`` (shuffled from ``run.generator``,
    this rank's shard of each batch, forward passes through ``run.forward``,
    at ``run.learning_rate``) and return the epoch's mean loss as a float and
    one gradient norm per tracked weight;
``finished(run) -> bool``
    whether the step itself has nothing left to do (L-BFGS's ``max_fun``);
``state_dict()``
    what a later call needs to go on (the optimisers' states).

A step owns its batch loop, so it is the place for what happens per batch: a
per-step learning-rate schedule (warm-up, then decay), several networks and
optimisers updated in turn (a GAN's discriminator ``n_critic`` times, then its
generator), gradient accumulation, clipping and mixed precision
(``torch.autocast``). ``tests/test_training.py`` trains such a two-optimiser
step through the engine.

Here: ``FirstOrderStep`` (minibatch SGD, Adagrad, RMSProp, Adam, with the
learning-rate warm-up of ``config.warmup`` applied per batch and the mixed
precision of ``config.precision``) and ``LBFGSStep`` (full-batch L-BFGS, in
the network's own precision: its line search compares losses too closely for
16-bit products).
"""

import torch

from sklearn_deep._training._optimizers import (
    fast_step,
    make_optimizer,
    penalized_parameters,
    set_learning_rate,
)
from sklearn_deep._training._precision import (
    MixedPrecision,
    effective_precision,
    to_full_precision,
)
from sklearn_deep._training._schedules import warmup_factors

# Gradient norms are averaged over this many batches of each epoch at most:
# enough for a smooth per-layer curve at a negligible cost per epoch.
GRADIENT_NORM_SAMPLES = 32


class FirstOrderStep:
    """Minibatch training of one module by one first-order optimiser.

    Parameters
    ----------
    module : torch.nn.Module
        The network; its weight matrices get the L1/L2 penalties.
    loss_fn : callable
        ``loss_fn(output, target, sample_weight) -> scalar tensor``.
    config : TrainingConfig
        The optimiser, penalties and gradient clipping.
    """

    def __init__(self, module, loss_fn, config):
        self.module = module
        self.loss_fn = loss_fn
        self.config = config
        self.weights = penalized_parameters(module)
        self.optimizer = None
        self.precision = None

    def begin(self, run):
        self.optimizer = make_optimizer(self.module, self.config)
        if run.state.optimizer_state is not None:
            self.optimizer.load_state_dict(run.state.optimizer_state)
        self.precision = self._mixed_precision()

    def _mixed_precision(self):
        device = self.config.device
        return MixedPrecision(
            effective_precision(self.config.precision, device), device
        )

    def finished(self, run):
        return False

    def state_dict(self):
        return self.optimizer.state_dict()

    def epoch(self, run):
        """One pass over the minibatches.

        This is the hot loop: per batch it does what a bare PyTorch loop does
        plus one fused call per penalty, and records gradient norms on a sample
        of at most ``GRADIENT_NORM_SAMPLES`` batches. In data-parallel training
        each rank sees its shard of every batch; the returned loss is this
        rank's.
        """
        config, weights, batches = self.config, self.weights, run.batches
        set_learning_rate(self.optimizer, run.learning_rate)
        module, loss_fn = run.forward, self.loss_fn
        module.train()
        parameters = [
            p for group in self.optimizer.param_groups for p in group["params"]
        ]
        step = fast_step(self.optimizer)
        precision = self.precision
        l1, l2 = config.alpha_l1, config.alpha
        record_every = max(1, len(batches) // GRADIENT_NORM_SAMPLES)
        # The per-batch learning rates of a warm-up (None once it is over).
        warmup = warmup_factors(config, run.state, len(batches))
        batch_losses, batch_norms, batch_sizes = [], [], []
        shards = batches.epoch(run.generator, run.rank, run.world_size)
        for i, (inputs, target, sample_weight) in enumerate(shards):
            if warmup is not None:
                factor = warmup[min(i, len(warmup) - 1)]
                set_learning_rate(self.optimizer, run.learning_rate * factor)
            if precision.enabled:
                with precision.autocast():
                    output = module(inputs)
                loss = loss_fn(to_full_precision(output), target, sample_weight)
            else:
                loss = loss_fn(module(inputs), target, sample_weight)
            # Dropping the gradients is what zero_grad(set_to_none=True) does,
            # without its profiler hooks.
            for parameter in parameters:
                parameter.grad = None
            precision.scale(loss).backward()
            precision.unscale(self.optimizer)
            if l1 or l2:
                # Gradients of (alpha / 2 ||w||^2 + alpha_l1 ||w||_1) / n, with n
                # the batch's total sample weight: scikit-learn's scaling of the
                # penalty (a shard stands for 1 / world_size of its batch).
                # n > 0 but on a data-parallel shard whose rows all have zero
                # weight (whole batches of zero weight are skipped).
                n = (
                    target.shape[0]
                    if sample_weight is None
                    else float(sample_weight.sum())
                )
                n *= run.world_size
                grads = [w.grad for w in weights]
                if l2 and n > 0:
                    torch._foreach_add_(grads, weights, alpha=l2 / n)
                if l1 and n > 0:
                    torch._foreach_add_(
                        grads, torch._foreach_sign(weights), alpha=l1 / n
                    )
            if i % record_every == 0:
                batch_norms.append(torch._foreach_norm([w.grad for w in weights]))
            if config.clip_grad_norm is not None:
                # Recurrent networks have rare, huge gradients (exploding through
                # time); rescaling the whole gradient keeps one such batch from
                # undoing training. It runs without a host synchronisation.
                torch.nn.utils.clip_grad_norm_(
                    parameters, config.clip_grad_norm, foreach=True
                )
            precision.step(step, self.optimizer)
            batch_losses.append(loss.detach())
            batch_sizes.append(target.shape[0])
        # One host synchronisation per epoch, not per batch. The mean is over
        # the batches trained on (those of zero weight are skipped).
        n_rows = sum(batch_sizes)
        sizes = torch.tensor(batch_sizes, dtype=batch_losses[0].dtype)
        losses = torch.stack(batch_losses).cpu()
        data_loss = float((losses * sizes).sum() / n_rows)
        penalty = (
            penalty_value(weights, config) * len(sizes) / (n_rows * run.world_size)
        )
        norms = torch.stack([torch.stack(n) for n in batch_norms]).mean(dim=0)
        return data_loss + penalty, norms.cpu().tolist()


class LBFGSStep(FirstOrderStep):
    """One L-BFGS iteration on the full batch (strong-Wolfe line search) per epoch.

    L-BFGS steps by its line search from a unit step, so the learning-rate
    schedule does not apply.
    """

    def epoch(self, run):
        config, weights, optimizer = self.config, self.weights, self.optimizer
        module, loss_fn = run.forward, self.loss_fn
        module.train()
        shards = run.batches.epoch(run.generator, run.rank, run.world_size)
        inputs, target, sample_weight = next(shards)
        n = target.shape[0] if sample_weight is None else float(sample_weight.sum())
        # scikit-learn's 1 / n scaling of the penalty (0 for a data-parallel
        # shard whose rows all have zero weight).
        scale = 1.0 / (n * run.world_size) if n > 0 else 0.0

        def closure():
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(module(inputs), target, sample_weight)
            if config.alpha or config.alpha_l1:
                loss = loss + penalty_tensor(weights, config) * scale
            loss.backward()
            return loss

        optimizer.step(closure)
        # LBFGS returns the loss before its step; report the loss at the new
        # weights.
        with torch.no_grad():
            loss = loss_fn(module(inputs), target, sample_weight)
            loss = float(loss) + penalty_value(weights, config) * scale
        norms = [float(w.grad.norm()) for w in weights]
        return loss, norms

    def begin(self, run):
        super().begin(run)
        self.first_epoch = run.state.n_iter

    def _mixed_precision(self):
        return MixedPrecision("fp32", self.config.device)

    def finished(self, run):
        """Whether L-BFGS has used up ``max_fun`` function evaluations.

        That is a limit reached, not convergence: the engine then warns with
        ``limit_message``, as scikit-learn warns when ``max_fun`` stops it.
        """
        first = next(iter(self.optimizer.state.values()), {})
        run.state.function_evaluations = first.get("func_evals", 0)
        return run.state.function_evaluations >= self.config.max_fun

    def limit_message(self, run):
        """scikit-learn's warning when ``max_iter`` or ``max_fun`` stops L-BFGS."""
        if run.state.function_evaluations >= self.config.max_fun:
            reason = "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT"
        else:
            reason = "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT"
        n_iter = run.state.n_iter - self.first_epoch
        return (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status=1):\n{reason} (max_iter={run.max_epochs}, "
            f"max_fun={self.config.max_fun}).\n\nIncrease the number of "
            "iterations (max_iter) or function evaluations (max_fun), or scale "
            "the data as shown in https://scikit-learn.org/stable/modules/"
            "preprocessing.html"
        )


def make_step(module, loss_fn, config):
    """The step of ``config.solver`` for ``module``."""
    step_class = LBFGSStep if config.solver == "lbfgs" else FirstOrderStep
    return step_class(module, loss_fn, config)


def penalty_tensor(weights, config):
    """``alpha / 2 ||w||^2 + alpha_l1 ||w||_1`` over ``weights``, as a tensor."""
    total = 0.0
    if config.alpha:
        total = total + 0.5 * config.alpha * sum(w.square().sum() for w in weights)
    if config.alpha_l1:
        total = total + config.alpha_l1 * sum(w.abs().sum() for w in weights)
    return total


def penalty_value(weights, config):
    """The L1 + L2 penalty as a float (before scikit-learn's 1/batch scaling)."""
    with torch.no_grad():
        return float(penalty_tensor(weights, config))
