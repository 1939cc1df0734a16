"""
Early stopping
==============

A large network fitted for long enough learns the noise of its training data:
the training loss keeps falling while the loss on unseen data, after falling
at first, rises again as the network grows confident about memorised, noisy
labels. With ``early_stopping=True`` the estimator holds out
``validation_fraction`` of the training data, scores it after every epoch
(here with ``scoring="neg_log_loss"``, the validation loss with its sign
flipped so that higher is better), stops once the score has not improved by
``tol`` for ``n_iter_no_change`` epochs and restores the weights of the best
epoch. :class:`~sklearn_deep.inspection.TrainingHistoryDisplay` draws both
curves and marks the restored epoch.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier
from sklearn_deep.inspection import TrainingHistoryDisplay

warnings.simplefilter("ignore", ConvergenceWarning)


# 20% of the labels are flipped: noise the network can only memorise.
X, y = make_classification(
    n_samples=1000, n_features=20, n_informative=8, flip_y=0.2, random_state=0
)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

params = dict(
    hidden_layer_sizes=(128, 128),
    alpha=0.0,
    learning_rate_init=1e-3,
    max_iter=60,
    random_state=0,
)

# %%
# With and without early stopping
# -------------------------------
stopped = MLPClassifier(
    early_stopping=True,
    scoring="neg_log_loss",
    validation_fraction=0.2,
    n_iter_no_change=10,
    **params,
)
stopped.fit(X_train, y_train)
full = MLPClassifier(n_iter_no_change=1000, **params).fit(X_train, y_train)
best = [row["epoch"] for row in stopped.history_ if row["best"]][-1]
print(f"early stopping ran {stopped.n_iter_} epochs and restored epoch {best}")
for name, clf in [("with early stopping", stopped), ("without", full)]:
    loss = log_loss(y_test, clf.predict_proba(X_test))
    print(
        f"{name:>20} ({clf.n_iter_:2d} epochs): test log-loss {loss:.3f}, "
        f"test accuracy {clf.score(X_test, y_test):.3f}"
    )

# %%
# The training history
# --------------------
# The validation score (minus the validation loss) peaks early; the epochs
# after it only lower the training loss. The dashed line is the epoch whose
# weights were kept.
display = TrainingHistoryDisplay.from_estimator(stopped)
display.figure_.set_size_inches(7, 4)
display.figure_.tight_layout()

# %%
# Both training losses on one plot: the network trained to the end drives its
# loss much lower, by memorising the flipped labels.
fig, ax = plt.subplots(figsize=(7, 4))
TrainingHistoryDisplay.from_estimator(
    full, ax=ax, loss_kwargs={"label": "training loss, no early stopping"}
)
ax.plot(
    range(1, stopped.n_iter_ + 1),
    stopped.loss_curve_,
    color="C3",
    label="training loss, early stopping",
)
ax.legend()
ax.set_title("Training loss with and without early stopping")
fig.tight_layout()
