"""
Grid search over the architecture and the learning rate
=======================================================

Every parameter of the estimators is a hyper-parameter that scikit-learn's
model selection can tune. ``GridSearchCV`` here crosses three architectures
(``hidden_layer_sizes``) with three initial learning rates
(``learning_rate_init``) by 3-fold cross-validation, and prints the results
table of ``cv_results_``.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)


X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)

# %%
# The search
# ----------
architectures = [(16,), (64,), (64, 64)]
learning_rates = [1e-4, 1e-3, 1e-2]
search = GridSearchCV(
    make_pipeline(
        StandardScaler(),
        MLPClassifier(max_iter=20, random_state=0),
    ),
    {
        "mlpclassifier__hidden_layer_sizes": architectures,
        "mlpclassifier__learning_rate_init": learning_rates,
    },
    cv=3,
)
search.fit(X_train, y_train)

# %%
# The results table
# -----------------
results = pd.DataFrame(search.cv_results_)
table = results[
    [
        "param_mlpclassifier__hidden_layer_sizes",
        "param_mlpclassifier__learning_rate_init",
        "mean_test_score",
        "std_test_score",
        "mean_fit_time",
        "rank_test_score",
    ]
].rename(columns=lambda c: c.replace("param_mlpclassifier__", ""))
print(table.sort_values("rank_test_score").to_string(index=False))
print(f"best: {search.best_params_}")
print(f"test accuracy of the refitted best model: {search.score(X_test, y_test):.3f}")

# %%
# Mean cross-validated accuracy of each combination: too small a learning
# rate does not get far in the epochs given, whatever the architecture.
scores = (
    results["mean_test_score"]
    .to_numpy()
    .reshape(len(architectures), len(learning_rates))
)
fig, ax = plt.subplots(figsize=(5.5, 4))
image = ax.imshow(scores, cmap="viridis", vmin=np.min(scores), vmax=1)
ax.set_xticks(range(len(learning_rates)), [f"{lr:g}" for lr in learning_rates])
ax.set_yticks(range(len(architectures)), [str(a) for a in architectures])
ax.set_xlabel("learning_rate_init")
ax.set_ylabel("hidden_layer_sizes")
for (i, j), score in np.ndenumerate(scores):
    ax.text(j, i, f"{score:.2f}", ha="center", va="center", color="white")
fig.colorbar(image, label="mean CV accuracy")
ax.set_title("GridSearchCV on the digits")
fig.tight_layout()
