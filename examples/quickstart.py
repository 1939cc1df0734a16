"""
Quick start: tune an MLP inside a scikit-learn pipeline
=======================================================

``sklearn_deep.MLPClassifier`` takes the same parameters as
``sklearn.neural_network.MLPClassifier`` and trains with PyTorch (on a GPU when
one is there). Here it sits in a ``Pipeline`` after a ``StandardScaler`` and
``GridSearchCV`` tunes its architecture and regularisation on the handwritten
digits that scikit-learn ships.
"""

# %%
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The network trains for at most 60 epochs: enough for the digits, so the
# search finishes in well under a minute on two CPU cores.
pipeline = Pipeline(
    [
        ("scale", StandardScaler()),
        ("mlp", MLPClassifier(max_iter=60, random_state=0)),
    ]
)
param_grid = {
    "mlp__hidden_layer_sizes": [(64,), (128, 64)],
    "mlp__alpha": [1e-4, 1e-2],
    "mlp__dropout": [0.0, 0.2],
}
search = GridSearchCV(pipeline, param_grid, cv=3, n_jobs=2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

# %%
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")
