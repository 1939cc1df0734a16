"""What the engine remembers between epochs and between calls to ``fit``."""

import math
from dataclasses import dataclass, field

import numpy as np
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

    def fitted_attributes(self, early_stopping):
        """The fitted attributes, under scikit-learn's names, that training sets.

        ``best_loss_`` is kept without early stopping and the validation scores
        with it, as ``sklearn.neural_network.MLPClassifier`` does.
        """
        return {
            "n_iter_": self.n_iter,
            "t_": self.t,
            "loss_": self.loss_curve[-1] if self.loss_curve else None,
            "loss_curve_": list(self.loss_curve),
            "history_": self.history,
            "gradient_norms_": np.asarray(self.gradient_norms, dtype=float),
            "validation_scores_": (
                list(self.validation_scores) if early_stopping else None
            ),
            "best_validation_score_": (
                self.best_validation_score if early_stopping else None
            ),
            "best_loss_": None if early_stopping else self.best_loss,
        }
