"""Learning-rate schedules: the step size to use for the coming epoch.

- ``constant``: ``learning_rate_init`` throughout.
- ``linear``: ``eta_t = (1 - t / tau) * eta_0 + (t / tau) * eta_tau`` for epoch
  ``t < tau``, then ``eta_tau`` (Goodfellow, Bengio & Courville, 2016, sec. 8.3.1),
  with ``tau = decay_epochs`` (default ``max_iter``) and
  ``eta_tau = learning_rate_final`` (default 1% of ``eta_0``).
- ``invscaling``: ``eta_0 / (t_ + 1) ** power_t`` with ``t_`` the number of
  samples seen so far, as scikit-learn computes it.
- ``adaptive``: ``eta_0`` until the loss (or validation score) stops improving
  for ``n_iter_no_change`` epochs, then divided by 5 (see ``_stopping``).

A warm-up (``warmup`` epochs) scales any of them per batch, from the step's
batch loop (``warmup_factors``).
"""

# scikit-learn stops shrinking an adaptive learning rate below this.
MIN_ADAPTIVE_LEARNING_RATE = 1e-6


def _linear_decay_epochs(config):
    """``tau`` of the linear schedule: ``decay_epochs``, else ``max_iter``."""
    return config.decay_epochs or config.max_iter


def schedule_completed(config, state):
    """Whether a ``linear`` schedule has decayed to its end: a planned finish.

    Such a fit runs a fixed budget of epochs by design, so reaching
    ``max_iter`` is no sign of a failure to converge.
    """
    return config.learning_rate == "linear" and state.n_iter >= (
        _linear_decay_epochs(config)
    )


def scheduled_learning_rate(config, state):
    """The learning rate for the epoch about to start, given the training state."""
    if config.learning_rate == "linear":
        tau = _linear_decay_epochs(config)
        t = state.n_iter
        if t >= tau:
            return config.final_learning_rate
        return (1 - t / tau) * config.learning_rate_init + (
            t / tau
        ) * config.final_learning_rate
    if config.learning_rate == "invscaling":
        return config.learning_rate_init / (state.t + 1) ** config.power_t
    # constant and adaptive: the current rate, which only adaptive ever changes.
    return state.learning_rate


def warmup_factors(config, state, n_batches):
    """Multipliers of the epoch's learning rate for its ``n_batches`` batches.

    During the first ``config.warmup`` epochs the rate grows linearly with
    the batches trained, ``min(1, (epochs done + (i + 1) / n_batches) /
    warmup)`` at batch ``i``, so that the last warm-up batch reaches the
    schedule's rate. None when no batch of this epoch is warmed up (no
    warm-up, or the warm-up is over), so the step leaves the rate alone.
    """
    warmup = getattr(config, "warmup", 0)
    if not warmup or state.n_iter >= warmup:
        return None
    n_batches = max(int(n_batches), 1)
    return [
        min(1.0, (state.n_iter + (i + 1) / n_batches) / warmup)
        for i in range(n_batches)
    ]


def batch_scaled_learning_rate(learning_rate, solver, factor):
    """The learning rate for batches ``factor`` times as large.

    Plain SGD takes the linear scaling rule (Goyal et al., 2017: ``factor``
    times the step, so that an epoch moves the weights as far); the adaptive
    optimisers (Adam, RMSProp, Adagrad) the square-root rule (Malladi et al.,
    2022: their steps are already normalised by the gradients' size, and the
    gradient noise falls as the square root of the batch).
    """
    if factor == 1:
        return learning_rate
    return learning_rate * (factor if solver == "sgd" else factor**0.5)
