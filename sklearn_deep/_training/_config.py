"""The training hyper-parameters every estimator shares, and their validation.

Estimators merge ``TRAINING_PARAMETER_CONSTRAINTS`` into their own
``_parameter_constraints`` and build a ``TrainingConfig`` from their parameters in
``fit``; the engine only ever reads the config.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch

from sklearn_deep.utils._sklearn_compat import Interval, Options, StrOptions

SOLVERS = ("sgd", "adagrad", "rmsprop", "adam", "lbfgs")
LEARNING_RATE_SCHEDULES = ("constant", "linear", "invscaling", "adaptive")

TRAINING_PARAMETER_CONSTRAINTS = {
    "solver": [StrOptions(set(SOLVERS))],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "alpha_l1": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate": [StrOptions(set(LEARNING_RATE_SCHEDULES))],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "learning_rate_final": [None, Interval(Real, 0, None, closed="left")],
    "decay_epochs": [None, Interval(Integral, 1, None, closed="left")],
    "power_t": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "rho": [Interval(Real, 0, 1, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "n_iter_no_change": [
        Interval(Integral, 1, None, closed="left"),
        Options(Real, {np.inf}),
    ],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "scoring": [None, str, callable],
    "device": [str, torch.device],
    "dtype": [StrOptions({"float32", "float64"})],
    "weight_averaging": [
        None,
        Interval(Integral, 1, None, closed="left"),
        Interval(Real, 0, 1, closed="right"),
    ],
}


@dataclass
class TrainingConfig:
    """Everything the engine needs to know about how to train.

    Attribute names and meanings follow ``sklearn.neural_network.MLPClassifier``;
    see the estimators' docstrings for each one.
    """

    solver: str = "adam"
    learning_rate: str = "constant"
    learning_rate_init: float = 1e-3
    learning_rate_final: float | None = None
    decay_epochs: int | None = None
    power_t: float = 0.5
    momentum: float = 0.9
    nesterovs_momentum: bool = True
    rho: float = 0.9
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    alpha: float = 0.0
    alpha_l1: float = 0.0
    batch_size: int = 200
    shuffle: bool = True
    max_iter: int = 200
    max_fun: int = 15000
    clip_grad_norm: float | None = None
    tol: float = 1e-4
    n_iter_no_change: float = 10
    early_stopping: bool = False
    weight_averaging: float | None = None
    verbose: int = 0
    seed: int = 0
    device: torch.device = torch.device("cpu")

    @classmethod
    def from_params(cls, params, **overrides):
        """Build a config from an estimator's ``get_params()`` dictionary."""
        names = cls.__dataclass_fields__
        values = {name: params[name] for name in names if name in params}
        values.update(overrides)
        return cls(**values)

    @property
    def final_learning_rate(self):
        """eta_tau of the linear schedule: 1% of eta_0 unless given."""
        if self.learning_rate_final is None:
            return self.learning_rate_init / 100
        return self.learning_rate_final
