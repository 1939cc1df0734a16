"""Any PyTorch network as a scikit-learn estimator: TorchClassifier, TorchRegressor."""

from sklearn_deep.wrappers._classifier import TorchClassifier
from sklearn_deep.wrappers._regressor import TorchRegressor

__all__ = ["TorchClassifier", "TorchRegressor"]
