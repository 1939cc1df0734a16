"""The one protocol of the engine's hooks, and the run they see.

A hook is told about the stages of training and acts on the ``Run``: it can
swap weights (averaging), decide to stop (stopping, callbacks), show progress,
replace how the loss and score are agreed on (data-parallel) or set up and tear
down the process state a fit needs (threads). The stages, in order:

``on_train_begin(run)``
    once, before the first epoch;
``on_epoch_begin(run)``
    before the step trains an epoch;
``on_epoch_trained(run)``
    after the step, with ``run.loss`` and ``run.gradient_norms`` set; a hook
    that sets ``run.stop`` here ends training before the epoch is recorded;
``on_epoch_end(run)``
    after the epoch is recorded in ``run.state`` (and ``run.score`` is set);
``on_train_end(run, error)``
    once, in reverse order, whatever happened; ``error`` is the exception
    that ends training, or None.
"""

from dataclasses import dataclass, field

import torch


class Hook:
    """A hook that does nothing: subclasses override the stages they need."""

    def on_train_begin(self, run):
        pass

    def on_epoch_begin(self, run):
        pass

    def on_epoch_trained(self, run):
        pass

    def on_epoch_end(self, run):
        pass

    def on_train_end(self, run, error):
        pass


def _same(value):
    return value


@dataclass
class Run:
    """What one call of the engine works on, shared by its step and hooks.

    ``module`` is the network whose weights hooks snapshot, average and restore
    (a step that trains several networks passes one module holding them all);
    ``forward`` is what the step runs forward passes through (``module``, or a
    data-parallel wrapper of it). ``generator`` shuffles the batches;
    ``noise_generator`` is the one the network's random layers (dropout, noise)
    draw from during the call, and any other draw of the step should too:
    torch's global generator belongs to the user.
    """

    module: torch.nn.Module
    config: object
    state: object
    batches: object
    max_epochs: int
    generator: torch.Generator
    description: str | None = None
    forward: torch.nn.Module | None = None
    rank: int = 0
    world_size: int = 1
    learning_rate: float | None = None
    loss: float | None = None
    gradient_norms: list = field(default_factory=list)
    score: float | None = None
    epoch_seconds: float = 0.0
    stop: bool = False
    # Set by the stopping hook when the loss became non-finite.
    diverged: bool = False
    noise_generator: torch.Generator | None = None
    # The moving average of weights a step updates after its updates (set by
    # the averaging hook when ``moving_average_decay`` is given).
    moving_average: object = None
    # Values of the epoch a step records in the history beside its loss.
    epoch_metrics: dict = field(default_factory=dict)
    # The parameters that set the step size, named in the advice of a
    # divergence error (a step with several optimisers names its own).
    learning_rate_names: str = "learning_rate_init"
    # How ranks agree on the loss and the validation score (data-parallel
    # training replaces these; alone, a value is its own agreement).
    reduce_loss: object = _same
    share_score: object = _same

    def __post_init__(self):
        if self.forward is None:
            self.forward = self.module


def call_hooks(hooks, stage, run):
    for hook in hooks:
        getattr(hook, stage)(run)
