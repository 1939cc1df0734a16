"""The one training engine behind every estimator of sklearn_deep."""

from sklearn_deep._training._batches import Batches
from sklearn_deep._training._config import (
    LEARNING_RATE_SCHEDULES,
    SOLVERS,
    TRAINING_PARAMETER_CONSTRAINTS,
    TrainingConfig,
)
from sklearn_deep._training._engine import train
from sklearn_deep._training._losses import LOSSES
from sklearn_deep._training._state import TrainingState

__all__ = [
    "LEARNING_RATE_SCHEDULES",
    "LOSSES",
    "SOLVERS",
    "TRAINING_PARAMETER_CONSTRAINTS",
    "Batches",
    "TrainingConfig",
    "TrainingState",
    "train",
]
