"""The training loop that every estimator of sklearn_deep uses.

An estimator hands the engine a network, a loss, its minibatches and optionally
a validation scorer; the engine owns everything else: the optimiser and its
learning-rate schedule, the L1/L2 penalties, shuffling from a seeded generator,
convergence and early stopping, the history, the progress bar and a clean stop on
Ctrl-C.

Why not skorch's ``NeuralNet.fit_loop``: its per-batch machinery (a DataLoader
with per-sample collation, a callback round and a history row per batch) cost
1.8x a bare PyTorch loop at batch 256 in ``benchmarks/bench_mlp.py``. The loop
below does per batch only what a bare loop does, so that the estimators stay
within 10% of it; skorch's ``History`` still records every epoch.
"""

import math
import time
import warnings

import torch
from sklearn.exceptions import ConvergenceWarning

from sklearn_deep._training._averaging import WeightAveraging
from sklearn_deep._training._distributed import DataParallel
from sklearn_deep._training._optimizers import (
    fast_step,
    make_optimizer,
    penalized_parameters,
    set_learning_rate,
)
from sklearn_deep._training._progress import Progress
from sklearn_deep._training._schedules import (
    schedule_completed,
    scheduled_learning_rate,
)
from sklearn_deep._training._state import TrainingState
from sklearn_deep._training._stopping import Stopping
from sklearn_deep.exceptions import TrainingMemoryError
from sklearn_deep.utils._torch import make_generator

# Gradient norms are averaged over this many batches of each epoch at most:
# enough for a smooth per-layer curve at a negligible cost per epoch.
GRADIENT_NORM_SAMPLES = 32


def train(
    module,
    loss_fn,
    batches,
    config,
    *,
    state=None,
    max_epochs=None,
    validation_score=None,
    warn_on_max_iter=True,
    description=None,
    callbacks=None,
):
    """Train ``module`` in place and return the updated ``TrainingState``.

    Parameters
    ----------
    module : torch.nn.Module
        The network, already on ``config.device``.
    loss_fn : callable
        ``loss_fn(output, target, sample_weight) -> scalar tensor``.
    batches : Batches
        The training minibatches.
    config : TrainingConfig
        How to train.
    state : TrainingState, optional
        The state of an earlier call, to continue from (warm start and
        ``partial_fit``); a new one is started when ``None``.
    max_epochs : int, optional
        Epochs to run at most in this call; ``config.max_iter`` by default.
    validation_score : callable, optional
        ``validation_score(module) -> float``, higher is better; used when
        ``config.early_stopping`` is set.
    warn_on_max_iter : bool, default=True
        Whether to warn with ``ConvergenceWarning`` if training has not converged
        after ``max_epochs`` (``partial_fit`` does not).
    description : str, optional
        Label of the progress bar.
    callbacks : EpochCallbacks, optional
        scikit-learn's callbacks of the estimator, told about each epoch; one
        asking to stop ends training after that epoch, as an interruption does.

    Returns
    -------
    state : TrainingState
        The state after training; its ``optimizer_state`` lets a later call go on.
    """
    max_epochs = config.max_iter if max_epochs is None else max_epochs
    if state is None:
        state = TrainingState(learning_rate=config.learning_rate_init)
    state.converged = state.interrupted = False
    optimizer = make_optimizer(module, config)
    if state.optimizer_state is not None:
        optimizer.load_state_dict(state.optimizer_state)
    stopping = Stopping(config, state)
    averaging = WeightAveraging.from_config(config.weight_averaging, max_epochs)
    weights = penalized_parameters(module)
    epoch_step = _lbfgs_epoch if config.solver == "lbfgs" else _first_order_epoch
    parallel = DataParallel()
    parallel.check_batches(batches)
    # Forward passes in training go through the data-parallel wrapper, which
    # averages gradients across ranks; everything else uses the module itself.
    forward = parallel.wrap(module, config.device)
    # Each call reseeds from the config's seed and the epochs done so far, so that
    # runs repeat exactly while successive partial_fit calls see new orders.
    generator = make_generator(config.seed + state.n_iter, device=config.device)
    progress = Progress(config.verbose, max_epochs, description)
    # Dropout draws from torch's global generator: fork it so that the seed we set
    # here neither leaks into nor depends on the user's global random state.
    fork_devices = [config.device] if config.device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices):
        torch.manual_seed(config.seed + state.n_iter)
        try:
            for _ in range(max_epochs):
                start = time.perf_counter()
                if averaging is not None:
                    averaging.swap_out(module)
                if callbacks is not None:
                    callbacks.epoch_begin(module)
                learning_rate = scheduled_learning_rate(config, state)
                if config.solver != "lbfgs":
                    # L-BFGS steps by its line search from a unit step instead.
                    set_learning_rate(optimizer, learning_rate)
                forward.train()
                loss, grad_norms = epoch_step(
                    forward,
                    loss_fn,
                    batches,
                    optimizer,
                    config,
                    weights,
                    generator,
                    parallel,
                )
                loss = parallel.mean(loss)
                if not math.isfinite(loss):
                    _diverged(module, stopping, learning_rate)
                    state.interrupted = True
                    break
                if averaging is not None:
                    # Everything after the epoch sees the average of the window.
                    averaging.swap_in(module)
                score = None
                if config.early_stopping:
                    module.eval()
                    with torch.no_grad():
                        score = parallel.from_rank_zero(float(validation_score(module)))
                state.n_iter += 1
                state.t += batches.n_samples
                state.loss_curve.append(loss)
                state.gradient_norms.append(grad_norms)
                if score is not None:
                    state.validation_scores.append(score)
                stop = stopping.update(module, loss, score)
                _record(state, loss, score, learning_rate, time.perf_counter() - start)
                progress.update(state.n_iter, loss, score, learning_rate)
                if callbacks is not None and callbacks.epoch_end(module):
                    state.interrupted = True
                    break
                if stop or _lbfgs_exhausted(optimizer, config, state):
                    break
        except RuntimeError as exc:
            # torch.OutOfMemoryError for CUDA; the CPU allocator raises a plain
            # RuntimeError. Either way the fix is the batch size or the device.
            if not _out_of_memory(exc):
                raise
            raise TrainingMemoryError(
                f"Ran out of memory on device {config.device} while training with "
                f"batch_size={batches.batch_size}: lower batch_size, use a "
                "smaller network, or train on a device with more memory."
            ) from exc
        except KeyboardInterrupt:
            state.interrupted = True
            warnings.warn(
                "Training interrupted by the user; keeping the best weights so far.",
                UserWarning,
                stacklevel=2,
            )
        finally:
            progress.close()
            if callbacks is not None:
                callbacks.close_epoch()
    if config.early_stopping:
        stopping.restore_best(module)
    module.eval()
    state.optimizer_state = optimizer.state_dict()
    if warn_on_max_iter and not (
        state.converged or state.interrupted or schedule_completed(config, state)
    ):
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({max_epochs}) reached and "
            "the optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return state


def _first_order_epoch(
    module, loss_fn, batches, optimizer, config, weights, gen, parallel
):
    """One pass over the minibatches with a first-order optimiser.

    This is the hot loop: per batch it does what a bare PyTorch loop does plus
    one fused call per penalty, and records gradient norms on a sample of at
    most ``GRADIENT_NORM_SAMPLES`` batches. In data-parallel training each rank
    sees its shard of every batch; the returned loss is this rank's.
    """
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    step = fast_step(optimizer)
    l1, l2 = config.alpha_l1, config.alpha
    record_every = max(1, len(batches) // GRADIENT_NORM_SAMPLES)
    batch_losses, batch_norms = [], []
    shards = batches.epoch(gen, parallel.rank, parallel.world_size)
    for i, (inputs, target, sample_weight) in enumerate(shards):
        loss = loss_fn(module(inputs), target, sample_weight)
        # Dropping the gradients is what zero_grad(set_to_none=True) does,
        # without its profiler hooks.
        for parameter in parameters:
            parameter.grad = None
        loss.backward()
        if l1 or l2:
            # Gradients of (alpha / 2 ||w||^2 + alpha_l1 ||w||_1) / n, with n the
            # batch's total sample weight: scikit-learn's scaling of the penalty
            # (a shard stands for 1 / world_size of its batch).
            n = target.shape[0] if sample_weight is None else float(sample_weight.sum())
            n *= parallel.world_size
            grads = [w.grad for w in weights]
            if l2:
                torch._foreach_add_(grads, weights, alpha=l2 / n)
            if l1:
                torch._foreach_add_(grads, torch._foreach_sign(weights), alpha=l1 / n)
        if i % record_every == 0:
            batch_norms.append(torch._foreach_norm([w.grad for w in weights]))
        if config.clip_grad_norm is not None:
            # Recurrent networks have rare, huge gradients (exploding through
            # time); rescaling the whole gradient keeps one such batch from
            # undoing training. It runs without a host synchronisation.
            torch.nn.utils.clip_grad_norm_(
                parameters, config.clip_grad_norm, foreach=True
            )
        step()
        batch_losses.append(loss.detach())
    # One host synchronisation per epoch, not per batch.
    sizes = torch.tensor(batches.sizes, dtype=batch_losses[0].dtype)
    losses = torch.stack(batch_losses).cpu()
    data_loss = float((losses * sizes).sum() / batches.n_samples)
    penalty = _penalty(weights, config) * len(sizes) / batches.n_samples
    norms = torch.stack([torch.stack(n) for n in batch_norms]).mean(dim=0)
    return data_loss + penalty, norms.cpu().tolist()


def _lbfgs_epoch(module, loss_fn, batches, optimizer, config, weights, gen, parallel):
    """One L-BFGS iteration on the full batch (with a strong-Wolfe line search)."""
    shards = batches.epoch(gen, parallel.rank, parallel.world_size)
    inputs, target, sample_weight = next(shards)
    n = target.shape[0] if sample_weight is None else float(sample_weight.sum())
    n *= parallel.world_size

    def closure():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(module(inputs), target, sample_weight)
        if config.alpha or config.alpha_l1:
            loss = loss + _penalty_tensor(weights, config) / n
        loss.backward()
        return loss

    optimizer.step(closure)
    # LBFGS returns the loss before its step; report the loss at the new weights.
    with torch.no_grad():
        loss = loss_fn(module(inputs), target, sample_weight)
        loss = float(loss) + _penalty(weights, config) / n
    norms = [float(w.grad.norm()) for w in weights]
    return loss, norms


def _lbfgs_exhausted(optimizer, config, state):
    """Whether L-BFGS has used up ``max_fun`` function evaluations."""
    if config.solver != "lbfgs":
        return False
    first = next(iter(optimizer.state.values()), {})
    state.function_evaluations = first.get("func_evals", 0)
    if state.function_evaluations >= config.max_fun:
        state.converged = True
        return True
    return False


def _penalty_tensor(weights, config):
    total = 0.0
    if config.alpha:
        total = total + 0.5 * config.alpha * sum(w.square().sum() for w in weights)
    if config.alpha_l1:
        total = total + config.alpha_l1 * sum(w.abs().sum() for w in weights)
    return total


def _penalty(weights, config):
    """The L1 + L2 penalty as a float (before scikit-learn's 1/batch scaling)."""
    with torch.no_grad():
        return float(_penalty_tensor(weights, config))


def _out_of_memory(exc):
    message = str(exc)
    return isinstance(exc, torch.OutOfMemoryError) or (
        "out of memory" in message or "can't allocate memory" in message
    )


def _diverged(module, stopping, learning_rate):
    """Non-finite loss: fall back on the best weights, or fail clearly."""
    if stopping.best_weights is None:
        raise ValueError(
            "Training diverged: the loss became NaN or infinite at learning rate "
            f"{learning_rate:g}. Lower learning_rate_init, scale the input "
            "features (e.g. StandardScaler) or check them for huge values."
        )
    stopping.restore_best(module)
    warnings.warn(
        "Training diverged (non-finite loss); restored the best weights so far. "
        "Lower learning_rate_init to avoid this.",
        UserWarning,
        stacklevel=3,
    )


def _record(state, loss, score, learning_rate, duration):
    history = state.history
    history.new_epoch()
    history.record("epoch", state.n_iter)
    history.record("train_loss", loss)
    if score is not None:
        history.record("valid_score", score)
    history.record("learning_rate", learning_rate)
    history.record("best", state.best_epoch == state.n_iter)
    history.record("dur", duration)
