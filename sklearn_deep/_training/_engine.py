"""The training loop that every estimator of sklearn_deep uses.

``run_training`` is a short loop over a *step* (``_steps.py``: what an epoch
does to the weights) and *hooks* (``_hooks.py``: everything around it, from
stopping and weight averaging to progress, scikit-learn's callbacks,
data-parallel agreement and the thread budget). The loop itself owns only the
run's random generators, the learning-rate schedule, the bookkeeping of the
training state, a clear error when memory runs out, a clean stop on Ctrl-C and
scikit-learn's ``ConvergenceWarning``. ``train`` assembles the standard step and
hooks from a ``TrainingConfig``; estimators call it through their base.

Randomness: each call draws every random number from two generators of its
own, on the training device, seeded from ``config.seed`` and the epochs done so
far (so that runs repeat exactly while successive ``partial_fit`` calls differ):
``run.generator`` shuffles the batches, and ``run.noise_generator`` (a seed
derived from the same two numbers) is the one that the network's
``RandomDraws`` layers (dropout, word dropout, input noise) draw from during
the call, through ``sklearn_deep.nn.draw_from``. Two generators keep the batch
order independent of whether and how much the network draws, so that ranks of
data-parallel training, whose shards differ in size, still agree on it. torch's
global generator is never read or reseeded: fits in several threads at once
give their serial results.

Why not skorch's ``NeuralNet.fit_loop``: its per-batch machinery (a DataLoader
with per-sample collation, a callback round and a history row per batch) cost
1.8x a bare PyTorch loop at batch 256 in ``benchmarks/bench_mlp.py``. Here hooks
run per epoch and the step does per batch only what a bare loop does, so that
the estimators stay within 10% of it; skorch's ``History`` still records every
epoch.
"""

import time

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning

from sklearn_deep._training._averaging import averaging_hook
from sklearn_deep._training._distributed import DataParallel
from sklearn_deep._training._hooks import Hook, Run, call_hooks
from sklearn_deep._training._process_state import ThreadBudget
from sklearn_deep._training._progress import Progress
from sklearn_deep._training._schedules import (
    schedule_completed,
    scheduled_learning_rate,
)
from sklearn_deep._training._state import TrainingState
from sklearn_deep._training._steps import make_step
from sklearn_deep._training._stopping import Stopping
from sklearn_deep.exceptions import TrainingMemoryError
from sklearn_deep.nn import draw_from
from sklearn_deep.utils._torch import make_generator
from sklearn_deep.utils._warnings import warn_from_caller


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
    n_threads=None,
    step=None,
):
    """Train ``module`` in place with the standard hooks; return the state.

    Parameters
    ----------
    module : torch.nn.Module
        The network, already on ``config.device``.
    loss_fn : callable
        ``loss_fn(output, target, sample_weight) -> scalar tensor``; unused
        when ``step`` is given.
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
    n_threads : int, optional
        The thread budget (``ThreadBudget``); None leaves torch's setting.
    step : step, optional
        The step to train with; ``config.solver``'s by default.

    Returns
    -------
    state : TrainingState
        The state after training; its ``optimizer_state`` lets a later call go on.
    """
    max_epochs = config.max_iter if max_epochs is None else max_epochs
    if step is None:
        step = make_step(module, loss_fn, config)
    # Order matters: agreement across ranks comes before the divergence check,
    # which comes before averaging; stopping decides before the epoch is shown
    # and before the callbacks see it.
    hooks = [
        ThreadBudget(n_threads),
        DataParallel(),
        Stopping(),
    ]
    averaging = averaging_hook(config, max_epochs)
    if averaging is not None:
        hooks.append(averaging)
    hooks += [EpochHistory(), Progress()]
    if callbacks is not None:
        hooks.append(callbacks)
    return run_training(
        step,
        module,
        batches,
        config,
        hooks=hooks,
        state=state,
        max_epochs=max_epochs,
        validation_score=validation_score,
        warn_on_max_iter=warn_on_max_iter,
        description=description,
    )


def run_training(
    step,
    module,
    batches,
    config,
    *,
    hooks=(),
    state=None,
    max_epochs=None,
    validation_score=None,
    warn_on_max_iter=True,
    description=None,
):
    """The loop: ``max_epochs`` epochs of ``step`` with ``hooks`` around them.

    See ``train`` for the parameters; ``hooks`` are ``Hook`` objects, called in
    their order (and in reverse at the end).
    """
    max_epochs = config.max_iter if max_epochs is None else max_epochs
    if state is None:
        state = TrainingState(learning_rate=config.learning_rate_init)
    state.converged = state.interrupted = False
    # Each call reseeds from the config's seed and the epochs done so far, so
    # that runs repeat exactly while successive partial_fit calls see new orders.
    generator = make_generator(config.seed + state.n_iter, device=config.device)
    run = Run(module, config, state, batches, max_epochs, generator, description)
    run.noise_generator = make_generator(
        noise_seed(config.seed, state.n_iter), device=config.device
    )
    with draw_from(module, run.noise_generator):
        _run_epochs(run, step, hooks, validation_score)
    module.eval()
    state.optimizer_state = step.state_dict()
    if warn_on_max_iter and not (
        state.converged or state.interrupted or schedule_completed(config, state)
    ):
        # A step may word the warning itself (L-BFGS says which of its limits
        # stopped it, as scikit-learn does).
        limit_message = getattr(step, "limit_message", None)
        message = (
            limit_message(run)
            if callable(limit_message)
            else f"Stochastic Optimizer: Maximum iterations ({max_epochs}) reached "
            "and the optimization hasn't converged yet."
        )
        warn_from_caller(message, ConvergenceWarning)
    return state


def noise_seed(seed, n_iter):
    """The seed of the noise generator of a call seeded ``seed`` after ``n_iter``.

    Derived by numpy's ``SeedSequence``, so that the stream is independent of
    the shuffling generator's (seeded ``seed + n_iter``) and the same on every
    machine.
    """
    sequence = np.random.SeedSequence([seed % 2**64, n_iter])
    return int(sequence.generate_state(1, np.uint64)[0])


def _run_epochs(run, step, hooks, validation_score):
    """The epochs of one call, with the hooks' beginning and end around them."""
    config, state, batches = run.config, run.state, run.batches
    started, error = [], None
    try:
        for hook in hooks:
            hook.on_train_begin(run)
            started.append(hook)
        step.begin(run)
        for _ in range(run.max_epochs):
            _epoch(run, step, hooks, validation_score)
            if run.stop or step.finished(run):
                break
    except KeyboardInterrupt:
        state.interrupted = True
        warn_from_caller(
            "Training interrupted by the user; keeping the best weights so far.",
            UserWarning,
        )
    except RuntimeError as exc:
        error = exc
        # torch.OutOfMemoryError for CUDA; the CPU allocator raises a plain
        # RuntimeError. Either way the fix is the batch size or the device.
        if not _out_of_memory(exc):
            raise
        raise TrainingMemoryError(
            f"Ran out of memory on device {config.device} while training with "
            f"batch_size={batches.batch_size}: lower batch_size, use a "
            "smaller network, or train on a device with more memory."
        ) from exc
    except BaseException as exc:
        error = exc
        raise
    finally:
        _end_hooks(reversed(started), run, error)


def _end_hooks(hooks, run, error):
    """Tell every hook that training ended, even when one of them fails.

    Hooks give back process state (torch's threads), so a failing hook must
    not keep the others from running; its error is raised after them, unless
    training already ends in an error of its own.
    """
    failure = None
    for hook in hooks:
        try:
            hook.on_train_end(run, error)
        except BaseException as exc:
            failure = failure or exc
    if failure is not None and error is None:
        raise failure


def _epoch(run, step, hooks, validation_score):
    """Train, check, validate and record one epoch."""
    state, config = run.state, run.config
    start = time.perf_counter()
    call_hooks(hooks, "on_epoch_begin", run)
    run.learning_rate = scheduled_learning_rate(config, state)
    loss, run.gradient_norms = step.epoch(run)
    run.loss = run.reduce_loss(loss)
    call_hooks(hooks, "on_epoch_trained", run)
    if run.diverged and config.early_stopping:
        # scikit-learn's record of a diverged epoch: its loss, and nan for its
        # validation score (the best weights are already back in place). Its
        # gradient norms are as meaningless: nan, in the shape of the others.
        if state.gradient_norms:
            run.gradient_norms = [float("nan")] * len(state.gradient_norms[-1])
        _record(run, score=float("nan"))
        return
    if run.stop:
        return
    run.score = None
    if config.early_stopping:
        run.module.eval()
        with torch.no_grad():
            run.score = run.share_score(float(validation_score(run.module)))
    _record(run, run.score)
    run.epoch_seconds = time.perf_counter() - start
    call_hooks(hooks, "on_epoch_end", run)


def _record(run, score):
    """Count the epoch just trained and keep its loss and score."""
    state = run.state
    state.n_iter += 1
    state.t += run.batches.n_samples
    state.loss_curve.append(run.loss)
    state.gradient_norms.append(run.gradient_norms)
    if score is not None:
        state.validation_scores.append(score)


class EpochHistory(Hook):
    """One row of ``history_`` per epoch (after stopping has marked the best)."""

    def on_epoch_end(self, run):
        state = run.state
        history = state.history
        history.new_epoch()
        history.record("epoch", state.n_iter)
        history.record("train_loss", run.loss)
        if run.score is not None:
            history.record("valid_score", run.score)
        history.record("learning_rate", run.learning_rate)
        history.record("best", state.best_epoch == state.n_iter)
        history.record("dur", run.epoch_seconds)
        # What a step measures besides its loss (a GAN's two losses).
        for name, value in run.epoch_metrics.items():
            history.record(name, value)


def _out_of_memory(exc):
    message = str(exc)
    return isinstance(exc, torch.OutOfMemoryError) or (
        "out of memory" in message or "can't allocate memory" in message
    )
