"""
Your own network, tuned by a grid search
========================================

:class:`~sklearn_deep.TorchClassifier` trains any ``torch.nn.Module`` with the
engine of the MLPs. Here the module is a small residual network for tabular
data; its constructor arguments (width, number of blocks, dropout) become
hyper-parameters ``module__<arg>`` that ``GridSearchCV`` tunes together with
the optimiser's learning rate.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from sklearn_deep import TorchClassifier

warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)


# %%
# The network
# -----------
# ``n_features`` and ``n_classes`` are filled in from the data at ``fit``; the
# other arguments have defaults that the grid search overrides. The module
# returns logits: the default criterion is the softmax cross-entropy.
class ResidualBlock(nn.Module):
    def __init__(self, width, dropout):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.linear = nn.Linear(width, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h):
        return h + self.dropout(torch.relu(self.linear(self.norm(h))))


class ResidualNet(nn.Module):
    def __init__(self, n_features, n_classes, width=32, n_blocks=2, dropout=0.1):
        super().__init__()
        self.input = nn.Linear(n_features, width)
        self.blocks = nn.Sequential(
            *(ResidualBlock(width, dropout) for _ in range(n_blocks))
        )
        self.output = nn.Linear(width, n_classes)

    def forward(self, X):
        return self.output(self.blocks(self.input(X)))


# %%
# The search
# ----------
# In a pipeline the module's arguments are ``torchclassifier__module__<arg>``.
# One torch thread per fit: batches of 64 rows of a small network gain
# nothing from more, and lose much when other work shares the cores.
model = make_pipeline(
    StandardScaler(),
    TorchClassifier(
        ResidualNet, max_iter=30, batch_size=64, n_threads=1, random_state=0
    ),
)
grid = {
    "torchclassifier__module__width": [16, 64],
    "torchclassifier__module__n_blocks": [1, 3],
    "torchclassifier__learning_rate_init": [1e-3, 1e-2],
}
search = GridSearchCV(model, grid, cv=3).fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"test accuracy of the best model: {search.score(X_test, y_test):.3f}")

# %%
# The results
# -----------
# Mean cross-validated accuracy of each candidate.
results = pd.DataFrame(search.cv_results_)
labels = [
    f"w={p['torchclassifier__module__width']} "
    f"b={p['torchclassifier__module__n_blocks']} "
    f"lr={p['torchclassifier__learning_rate_init']:g}"
    for p in results["params"]
]
order = results["mean_test_score"].argsort()
fig, ax = plt.subplots(figsize=(7, 4))
ax.barh(
    [labels[i] for i in order],
    results["mean_test_score"][order],
    xerr=results["std_test_score"][order],
)
ax.set_xlim(0.85, 1.0)
ax.set_xlabel("mean CV accuracy")
ax.set_title("ResidualNet: width (w), blocks (b), learning rate (lr)")
fig.tight_layout()

# %%
# The best network
# ----------------
# ``module_`` is a copy of the trained network, a plain ``torch.nn.Module``;
# ``module_params_`` holds the arguments it was built with.
best = search.best_estimator_[-1]
print(best.module_params_)
print(best.module_)
fig, ax = plt.subplots()
ax.plot(best.loss_curve_)
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("Loss curve of the refitted best model")
