"""
SGD, momentum, Adagrad, RMSProp and Adam
========================================

The same network on the same data, trained by five optimisers through the
``solver`` parameter: plain minibatch SGD, SGD with momentum, Adagrad (each
weight's step shrinks with its accumulated squared gradients), RMSProp (the
same with a decaying average, ``rho``) and Adam (RMSProp with momentum and a
bias correction). Each gets a learning rate usual for it.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)


X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)

optimizers = {
    "SGD": dict(solver="sgd", momentum=0.0, learning_rate_init=0.05),
    "SGD + momentum 0.9": dict(
        solver="sgd", momentum=0.9, nesterovs_momentum=False, learning_rate_init=0.05
    ),
    "Adagrad": dict(solver="adagrad", learning_rate_init=0.05),
    "RMSProp": dict(solver="rmsprop", rho=0.9, learning_rate_init=0.001),
    "Adam": dict(solver="adam", learning_rate_init=0.001),
}

# %%
# Train with each optimiser
# -------------------------
# ``n_iter_no_change`` is large so that every run goes the full ``max_iter``
# epochs, and ``batch_size=128`` gives 15 steps per epoch.
curves = {}
for name, params in optimizers.items():
    start = time.perf_counter()
    clf = MLPClassifier(
        hidden_layer_sizes=(64,),
        batch_size=128,
        max_iter=25,
        n_iter_no_change=1000,
        random_state=0,
        **params,
    ).fit(X, y)
    curves[name] = clf.loss_curve_
    print(
        f"{name:>20}: final training loss {clf.loss_:.4f} "
        f"({time.perf_counter() - start:.1f} s)"
    )

# %%
# Loss curves
# -----------
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, curve in curves.items():
    ax.plot(range(1, len(curve) + 1), curve, label=name)
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (cross-entropy)")
ax.set_title("One network, five optimisers")
ax.legend()
fig.tight_layout()
