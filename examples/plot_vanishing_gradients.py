"""
Vanishing gradients: deep sigmoid networks versus ReLU
======================================================

The gradient of a layer's weights is a product of one factor per layer above
it. The logistic function's derivative is at most 1/4, so in a deep network of
sigmoid units the gradients shrink layer after layer on their way down to the
input: the first layers barely learn. ReLU units pass gradients through
unchanged where they are active, and with Glorot initialisation the gradient
norms of all layers stay of the same order.

Both networks below have eight hidden layers of 32 units and the same Glorot
initialisation (``weight_init="glorot_uniform"``); only ``activation``
differs. ``gradient_norms_`` records each layer's gradient norm per epoch and
:class:`~sklearn_deep.inspection.GradientFlowDisplay` draws it.
"""

# %%
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier
from sklearn_deep.inspection import GradientFlowDisplay

warnings.simplefilter("ignore", ConvergenceWarning)


X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

# %%
# Train the same deep network with two activations
# ------------------------------------------------
networks = {}
for activation in ["logistic", "relu"]:
    networks[activation] = MLPClassifier(
        hidden_layer_sizes=(32,) * 8,
        activation=activation,
        weight_init="glorot_uniform",
        solver="sgd",
        momentum=0.9,
        learning_rate_init=0.01,
        max_iter=30,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X_train, y_train)
    norms = networks[activation].gradient_norms_
    accuracy = networks[activation].score(X_test, y_test)
    print(
        f"{activation:>8}: test accuracy {accuracy:.3f},"
        f" first-epoch gradient norm of layer 1 / layer 9 = "
        f"{norms[0, 0] / norms[0, -1]:.2g}"
    )

# %%
# Gradient flow
# -------------
# With sigmoid units the first layer's gradients are orders of magnitude
# below the last layer's and the loss hardly moves; with ReLU they are close.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, (activation, clf) in zip(axes, networks.items(), strict=True):
    display = GradientFlowDisplay.from_estimator(clf, ax=ax)
    ax.set_title(f'activation="{activation}"')
axes[1].get_legend().remove()
fig.tight_layout()
