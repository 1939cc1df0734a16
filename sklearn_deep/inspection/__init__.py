"""Displays of how a network trained: loss and validation curves, gradient flow.

They follow scikit-learn's display API (``from_estimator`` then ``plot``) and
need matplotlib, which is imported only when a display is drawn.
"""

from sklearn_deep.inspection._filters import FilterDisplay
from sklearn_deep.inspection._gradient_flow import GradientFlowDisplay
from sklearn_deep.inspection._training_history import TrainingHistoryDisplay

__all__ = ["FilterDisplay", "GradientFlowDisplay", "TrainingHistoryDisplay"]
