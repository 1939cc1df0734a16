"""Weight averaging over the last epochs (Polyak averaging, SWA).

With ``weight_averaging=k`` the model after each epoch is the mean of the
weights reached at the end of the last ``k`` epochs (fewer while fewer have
run; a float in (0, 1] is that fraction of the epochs of the call, rounded
up, so that a short fit does not average in its first, untrained epochs), as
in stochastic weight averaging (Izmailov et al., 2018, "Averaging Weights
Leads to Wider Optima and Better Generalization"). Training itself goes
on from the last epoch's own weights: the average is swapped in after an epoch,
so that validation, early stopping, callbacks and the end of ``fit`` all see
it, and swapped out again before the next epoch.
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
