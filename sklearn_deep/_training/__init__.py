"""The one training engine behind every estimator of sklearn_deep."""

from sklearn_deep._training._batches import Batches
from sklearn_deep._training._config import (
    LEARNING_RATE_SCHEDULES,
    SOLVERS,
    TRAINING_PARAMETER_CONSTRAINTS,
    TrainingConfig,
)
from sklearn_deep._training._engine import run_training, train
from sklearn_deep._training._hooks import Hook, Run
from sklearn_deep._training._losses import LOSSES
from sklearn_deep._training._parameters import TRAINING_PARAMETERS
from sklearn_deep._training._state import TrainingState
from sklearn_deep._training._steps import FirstOrderStep, LBFGSStep

__all__ = [
    "LEARNING_RATE_SCHEDULES",
    "LOSSES",
    "SOLVERS",
    "TRAINING_PARAMETERS",
    "TRAINING_PARAMETER_CONSTRAINTS",
    "Batches",
    "FirstOrderStep",
    "Hook",
    "LBFGSStep",
    "Run",
    "TrainingConfig",
    "TrainingState",
    "run_training",
    "train",
]
