"""``TrainingConfig``: what the engine reads, derived from the parameter table.

Its fields are the table's entries that the engine reads (``in_config``), plus
what an estimator resolves before training: the integer ``seed`` drawn from
``random_state`` and the ``torch.device``. Estimators build it with
``TrainingConfig.from_params``; the engine only ever reads it.
"""

import dataclasses

import torch

from sklearn_deep._training._parameters import (
    LEARNING_RATE_SCHEDULES,
    SOLVERS,
    TRAINING_PARAMETERS,
    training_constraints,
)

# Where the engine is called directly (tests, custom steps) the config's
# defaults describe plain training: no penalty, a fixed batch size, no output.
_ENGINE_DEFAULTS = {"alpha": 0.0, "batch_size": 200, "verbose": 0}


def _final_learning_rate(self):
    """eta_tau of the linear schedule: 1% of eta_0 unless given."""
    if self.learning_rate_final is None:
        return self.learning_rate_init / 100
    return self.learning_rate_final


def _from_params(cls, params, **overrides):
    """Build a config from an estimator's parameters (a name-to-value mapping).

    Only the fields of the config are read; ``overrides`` (resolved values
    such as ``seed``, ``device`` or an integer ``batch_size``) win.
    """
    names = [f.name for f in dataclasses.fields(cls)]
    values = {name: params[name] for name in names if name in params}
    values.update(overrides)
    return cls(**values)


TrainingConfig = dataclasses.make_dataclass(
    "TrainingConfig",
    [
        (name, object, dataclasses.field(default=_ENGINE_DEFAULTS.get(name, p.default)))
        for name, p in TRAINING_PARAMETERS.items()
        if p.in_config
    ]
    + [
        ("seed", int, dataclasses.field(default=0)),
        ("device", torch.device, dataclasses.field(default=torch.device("cpu"))),
    ],
    namespace={
        "from_params": classmethod(_from_params),
        "final_learning_rate": property(_final_learning_rate),
        "__doc__": "Everything the engine needs to know about how to train.\n\n"
        "    One field per training parameter the engine reads (see\n"
        "    ``sklearn_deep._training._parameters``), plus ``seed`` and ``device``.",
    },
)
TrainingConfig.__module__ = __name__

# Every training parameter's constraint, for code that takes them all.
TRAINING_PARAMETER_CONSTRAINTS = training_constraints(TRAINING_PARAMETERS)

__all__ = [
    "LEARNING_RATE_SCHEDULES",
    "SOLVERS",
    "TRAINING_PARAMETER_CONSTRAINTS",
    "TrainingConfig",
]
