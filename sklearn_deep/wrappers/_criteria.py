"""The loss a wrapped network trains with, and what it implies for prediction.

A criterion is a name of the engine's losses (fused, stable, weighted per
sample, on raw outputs: the MLPs' losses), or the user's own: a
``torch.nn.Module`` loss class or instance (``torch.nn.HuberLoss(delta=2)``)
or a function ``criterion(output, target) -> scalar``. Sigmoid-type criteria
(binary cross-entropy) make ``predict_proba`` a sigmoid of the outputs and take
0/1 indicator targets; the others take class indices and give a softmax.
"""

import copy

import torch

from sklearn_deep._training import LOSSES

CLASSIFIER_CRITERIA = ("cross_entropy", "binary_cross_entropy")
REGRESSOR_CRITERIA = ("squared_error", "poisson")
# torch's losses on logits that treat each output as its own binary problem.
_SIGMOID_LOSSES = (torch.nn.BCEWithLogitsLoss, torch.nn.MultiLabelSoftMarginLoss)


def is_builtin(criterion):
    return isinstance(criterion, str)


def is_sigmoid_type(criterion):
    if isinstance(criterion, str):
        return criterion == "binary_cross_entropy"
    kind = criterion if isinstance(criterion, type) else type(criterion)
    return isinstance(kind, type) and issubclass(kind, _SIGMOID_LOSSES)


def loss_function(criterion):
    """``loss(output, target, sample_weight)`` for the engine."""
    if isinstance(criterion, str):
        return LOSSES[criterion]
    if isinstance(criterion, type):
        function = criterion()
    elif isinstance(criterion, torch.nn.Module):
        function = copy.deepcopy(criterion)  # the user's instance stays untouched
    else:
        function = criterion

    def loss(output, target, sample_weight=None):
        # The fit refuses sample weights with a criterion of the user's own.
        return function(output, target)

    return loss


def check_sample_weight_support(criterion, sample_weight, owner):
    if sample_weight is not None and not is_builtin(criterion):
        raise ValueError(
            f"{owner} weighs samples with its built-in criteria only "
            f"({', '.join(CLASSIFIER_CRITERIA + REGRESSOR_CRITERIA)}); a criterion "
            "of your own gets no sample_weight. Weigh inside your criterion, or "
            "use a built-in one."
        )
