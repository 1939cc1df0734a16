"""Small networks for the common checks of TorchClassifier and TorchRegressor.

Their constructors take the shapes the estimators fill in from the data
(``n_features``, ``n_classes``, ``n_outputs``), so that one class serves every
data set scikit-learn's checks generate.
"""

from torch import nn


class ClassifierMLP(nn.Module):
    """One hidden ReLU layer, one logit per class."""

    def __init__(self, n_features, n_classes, hidden_units=100):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden_units)
        self.output = nn.Linear(hidden_units, n_classes)

    def forward(self, X):
        return self.output(self.hidden(X).relu())


class RegressorMLP(nn.Module):
    """One hidden ReLU layer, one value per output."""

    def __init__(self, n_features, n_outputs, hidden_units=100):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden_units)
        self.output = nn.Linear(hidden_units, n_outputs)

    def forward(self, X):
        return self.output(self.hidden(X).relu())
