"""Displays of how a network trained: loss and validation curves, gradient flow,
filters, attention, and a generative model's samples during training.

They follow scikit-learn's display API (``from_estimator`` then ``plot``) and
need matplotlib, which is imported only when a display is drawn.
"""

from sklearn_deep.inspection._attention import AttentionDisplay
from sklearn_deep.inspection._filters import FilterDisplay
from sklearn_deep.inspection._gradient_flow import GradientFlowDisplay
from sklearn_deep.inspection._samples import SamplesDisplay, SampleSnapshots
from sklearn_deep.inspection._training_history import TrainingHistoryDisplay

__all__ = [
    "AttentionDisplay",
    "FilterDisplay",
    "GradientFlowDisplay",
    "SampleSnapshots",
    "SamplesDisplay",
    "TrainingHistoryDisplay",
]
