"""Weight averaging: over the last epochs (Polyak averaging, SWA), or an
exponential moving average updated after every optimiser step.

With ``weight_averaging=k`` the model after each epoch is the mean of the
weights reached at the end of the last ``k`` epochs (fewer while fewer have
run; a float in (0, 1] is that fraction of the epochs of the call, rounded
up, so that a short fit does not average in its first, untrained epochs), as
in stochastic weight averaging (Izmailov et al., 2018, "Averaging Weights
Leads to Wider Optima and Better Generalization"). Training itself goes
on from the last epoch's own weights: the average is swapped in after an epoch,
so that validation, early stopping, callbacks and the end of ``fit`` all see
it, and swapped out again before the next epoch.

With ``moving_average_decay=beta`` the average is instead exponential,
``w_avg <- beta_t w_avg + (1 - beta_t) w`` after every update (Polyak &
Juditsky, 1992; for GANs' generators, Yazici et al., 2019, "The Unusual
Effectiveness of Averaging in GAN Training"), and swapped in and out in the
same way. ``beta_t = min(beta, (1 + t) / (10 + t))`` after ``t`` updates, as in
TensorFlow's ``ExponentialMovingAverage``: a short fit's average is not
dominated by its initial weights. A step
that updates several networks updates the average itself, of the weights it
chooses (a GAN's step: the generator's, after each generator update), through
``run.moving_average``; for any other step it is updated once per epoch, over
all the weights.
"""

import math
from collections import deque
from numbers import Integral

import torch

from sklearn_deep._training._hooks import Hook
from sklearn_deep._training._stopping import snapshot


class WeightAveraging(Hook):
    """A sliding window of epoch-end weights and the swap of their mean.

    Parameters
    ----------
    n_epochs : int
        Size of the window, in epochs.
    """

    def __init__(self, n_epochs):
        self.window = deque(maxlen=n_epochs)
        self.training_weights = None

    @classmethod
    def from_config(cls, weight_averaging, max_epochs):
        """The averaging of ``weight_averaging`` over ``max_epochs``; None for none."""
        if weight_averaging is None:
            return None
        if isinstance(weight_averaging, Integral) and not isinstance(
            weight_averaging, bool
        ):
            return cls(int(weight_averaging))
        # Rounded first: 0.07 * 100 is 7.000000000000001, whose ceiling is 8.
        return cls(max(1, math.ceil(round(weight_averaging * max_epochs, 9))))

    def on_epoch_begin(self, run):
        self.swap_out(run.module)

    def on_epoch_trained(self, run):
        # Everything after the epoch sees the average of the window.
        if not run.stop:
            self.swap_in(run.module)

    def swap_in(self, module):
        """Add ``module``'s weights to the window and load the window's mean."""
        weights = snapshot(module)
        self.window.append(weights)
        self.training_weights = weights
        module.load_state_dict(_mean(self.window))

    def swap_out(self, module):
        """Load back the weights training reached, to go on from them."""
        if self.training_weights is not None:
            module.load_state_dict(self.training_weights)
            self.training_weights = None

    def on_train_end(self, run, error):
        # An interruption within an epoch leaves that epoch's raw weights in
        # place: the fit keeps the mean it had reached instead.
        interrupted = error is None and run.state.interrupted
        if interrupted and self.training_weights is None and self.window:
            run.module.load_state_dict(_mean(self.window))


def averaging_hook(config, max_epochs):
    """The weight-averaging hook ``config`` asks for, or None.

    The mean of the last epochs (``weight_averaging``) and the moving average
    (``moving_average_decay``) are two ways of doing the same thing: one fit
    uses at most one.
    """
    decay = getattr(config, "moving_average_decay", None)
    if decay is None:
        return WeightAveraging.from_config(config.weight_averaging, max_epochs)
    if config.weight_averaging is not None:
        raise ValueError(
            "weight_averaging and moving_average_decay are two kinds of weight "
            "averaging: set one of them to None."
        )
    return MovingAverage(decay)


class MovingAverage(Hook):
    """An exponential moving average of weights, swapped in after each epoch.

    A step that updates several networks names the weights to average once,
    with ``track`` in its ``begin``, and calls ``update`` after each update of
    them; the hook then never updates the average itself. For any other step
    the hook averages every floating-point weight, once per epoch.

    Parameters
    ----------
    decay : float
        ``beta`` in ``w_avg <- beta_t w_avg + (1 - beta_t) w``, in [0, 1),
        with ``beta_t = min(beta, (1 + t) / (10 + t))`` at the ``t``-th update
        (counted from 0), so that the first update weighs the initial weights
        by at most 0.1.
    """

    def __init__(self, decay):
        self.decay = decay
        self.parameters = self.average = self.training_weights = None
        self.tracked_by_step = False
        self.n_updates = 0

    def on_train_begin(self, run):
        # The step reaches the average through the run, to update it per step.
        run.moving_average = self

    def track(self, parameters):
        """Average ``parameters`` (from their current values), updated by the
        step through ``update`` alone."""
        self._start(parameters)
        self.tracked_by_step = True

    def _start(self, parameters):
        self.parameters = list(parameters)
        self.average = [p.detach().clone() for p in self.parameters]

    def update(self):
        """Move the average towards the tracked weights' current values; one
        fused call, no host synchronisation."""
        decay = min(self.decay, (1 + self.n_updates) / (10 + self.n_updates))
        torch._foreach_lerp_(
            self.average, [p.detach() for p in self.parameters], 1 - decay
        )
        self.n_updates += 1

    def on_epoch_begin(self, run):
        self._swap_out()

    def _swap_out(self):
        if self.training_weights is not None:
            with torch.no_grad():
                torch._foreach_copy_(self.parameters, self.training_weights)
            self.training_weights = None

    def _swap_in(self):
        with torch.no_grad():
            self.training_weights = [p.detach().clone() for p in self.parameters]
            torch._foreach_copy_(self.parameters, self.average)

    def on_epoch_trained(self, run):
        if not self.tracked_by_step:
            if self.average is None:
                self._start(p for p in run.module.parameters() if p.is_floating_point())
            self.update()
        if not run.stop:
            self._swap_in()

    def on_train_end(self, run, error):
        # An interruption within an epoch leaves that epoch's raw weights in
        # place: the fit keeps the average it had reached instead.
        interrupted = error is None and run.state.interrupted
        if interrupted and self.training_weights is None and self.n_updates:
            with torch.no_grad():
                torch._foreach_copy_(self.parameters, self.average)


def _mean(states):
    """Element-wise mean of floating-point entries; the newest of the others."""
    newest = states[-1]
    mean = {}
    for name, value in newest.items():
        if torch.is_floating_point(value):
            total = torch.zeros_like(value)
            for state in states:
                total += state[name]
            mean[name] = total / len(states)
        else:
            # Integer buffers (batch-norm counters) are not averaged.
            mean[name] = value
    return mean
