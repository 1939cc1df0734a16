"""
Universal approximation with one hidden layer
=============================================

A network with a single hidden layer of ReLU units computes a piecewise-linear
function with at most one kink per unit. With enough units it can follow any
continuous function on an interval as closely as wanted: the universal
approximation theorem. Here ``MLPRegressor(hidden_layer_sizes=(n,))`` fits a
wiggly 1-D function as ``n`` grows from 1 to 64.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error

from sklearn_deep import MLPRegressor

warnings.simplefilter("ignore", ConvergenceWarning)


def target(x):
    return np.sin(3 * x) + 0.5 * np.cos(7 * x) + 0.3 * x


rng = np.random.RandomState(0)
X = np.sort(rng.uniform(-2, 2, size=300)).reshape(-1, 1)
y = target(X.ravel())
X_grid = np.linspace(-2, 2, 500).reshape(-1, 1)

# %%
# Fit networks of growing width
# -----------------------------
# The data are small and noiseless, so full-batch L-BFGS fits them best.
widths = [1, 4, 16, 64]
models = {}
for width in widths:
    models[width] = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation="relu",
        solver="lbfgs",
        alpha=0.0,
        max_iter=1000,
        dtype="float64",
        random_state=0,
    ).fit(X, y)
    mse = mean_squared_error(target(X_grid.ravel()), models[width].predict(X_grid))
    print(f"{width:3d} hidden units: mean squared error {mse:.4f}")

# %%
# Plot the fits
# -------------
# One unit gives one kink; more units give more linear pieces, and the error
# falls as the width grows.
fig, axes = plt.subplots(1, len(widths), figsize=(13, 3), sharey=True)
for ax, width in zip(axes, widths, strict=True):
    ax.plot(
        X_grid, target(X_grid), color="black", linewidth=3, alpha=0.3, label="target"
    )
    ax.plot(X_grid, models[width].predict(X_grid), color="C0", label="network")
    ax.set_title(f"{width} hidden ReLU unit{'s' if width > 1 else ''}")
    ax.set_xlabel("x")
axes[0].legend(loc="lower right")
fig.tight_layout()
