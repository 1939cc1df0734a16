"""Losses on raw network outputs, optionally weighted per sample.

Each loss is ``loss(output, target, sample_weight=None)`` and returns a scalar,
the (weighted) mean over samples, in scikit-learn's scaling so that
``loss_curve_`` values are comparable with ``sklearn.neural_network``:

- ``cross_entropy``: softmax + negative log-likelihood, for one label per sample
  among several classes; ``target`` holds class indices.
- ``binary_cross_entropy``: sigmoid + binary log loss, summed over outputs, for
  binary and multilabel targets (0/1 floats).
- ``squared_error``: half the mean squared error over samples and outputs.
- ``poisson``: half the Poisson deviance of ``exp(output)``, summed over
  outputs, for counts and other non-negative targets.

They take logits rather than probabilities because the fused forms are stable.
A batch whose weights are all zero has a weighted loss of 0 (and no gradient),
not 0 / 0; the batches skip such minibatches anyway.
"""

import torch
import torch.nn.functional as F


def _weighted_mean(per_sample, sample_weight):
    """``sum(w * loss) / sum(w)``; 0 when every weight is 0 (no host sync)."""
    total = sample_weight.sum()
    return (per_sample * sample_weight).sum() / torch.where(total > 0, total, 1.0)


def cross_entropy(output, target, sample_weight=None):
    """Softmax cross-entropy; ``target`` holds class indices."""
    if sample_weight is None:
        return F.cross_entropy(output, target)
    per_sample = F.cross_entropy(output, target, reduction="none")
    return _weighted_mean(per_sample, sample_weight)


def binary_cross_entropy(output, target, sample_weight=None):
    """Sigmoid binary log loss, summed over outputs and averaged over samples."""
    if sample_weight is None:
        summed = F.binary_cross_entropy_with_logits(output, target, reduction="sum")
        return summed / output.shape[0]
    per_output = F.binary_cross_entropy_with_logits(output, target, reduction="none")
    return _weighted_mean(per_output.sum(dim=1), sample_weight)


def squared_error(output, target, sample_weight=None):
    """Half the mean squared error, averaged over samples and outputs."""
    if sample_weight is None:
        return 0.5 * F.mse_loss(output, target)
    per_sample = (output - target).square().mean(dim=1)
    return 0.5 * _weighted_mean(per_sample, sample_weight)


def poisson(output, target, sample_weight=None):
    """Poisson deviance of the prediction ``exp(output)``, summed over outputs."""
    deviance = torch.xlogy(target, target) - target * output - target + output.exp()
    per_sample = deviance.sum(dim=1)
    if sample_weight is None:
        return per_sample.mean()
    return _weighted_mean(per_sample, sample_weight)


LOSSES = {
    "cross_entropy": cross_entropy,
    "binary_cross_entropy": binary_cross_entropy,
    "squared_error": squared_error,
    "poisson": poisson,
}
