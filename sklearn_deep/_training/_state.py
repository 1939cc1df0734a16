"""What the engine remembers between epochs and between calls to ``fit``."""

import math
from dataclasses import dataclass, field

from skorch.history import History


@dataclass
class TrainingState:
    """The progress of training, carried over by ``warm_start`` and ``partial_fit``.

    Estimators copy its fields to their fitted attributes (``n_iter_``, ``t_``,
    ``loss_curve_``, ...); ``history`` is a skorch ``History``, so
    ``history[:, "train_loss"]`` slices it by column.
    """

    learning_rate: float
    n_iter: int = 0
    t: int = 0
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    gradient_norms: list = field(default_factory=list)
    history: History = field(default_factory=History)
    best_loss: float = math.inf
    best_validation_score: float = -math.inf
    best_epoch: int | None = None
    no_improvement_count: int = 0
    optimizer_state: dict | None = None
    converged: bool = False
    interrupted: bool = False
    function_evaluations: int = 0
