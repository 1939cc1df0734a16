"""
L1 versus L2 penalties: sparse weights
======================================

Both penalties shrink the weights. The L2 penalty (``alpha``,
:math:`\\frac{\\alpha}{2}\\lVert W\\rVert_2^2`) pulls each weight towards zero
in proportion to its size, so small weights only get smaller. The L1 penalty
(``alpha_l1``, :math:`\\alpha_1\\lVert W\\rVert_1`) pulls every weight by the
same amount whatever its size, so weights that the loss does not need end up
at (or, with stochastic gradients, around) zero: a sparse network. On data
where only 5 of 40 features matter, the L1 network's first layer ignores the
other 35.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)


# shuffle=False puts the 5 informative features first.
X, y = make_classification(
    n_samples=1000,
    n_features=40,
    n_informative=5,
    n_redundant=0,
    shuffle=False,
    random_state=0,
)
X = StandardScaler().fit_transform(X)

# %%
# Fit with each penalty
# ---------------------
common = dict(
    hidden_layer_sizes=(32,),
    learning_rate_init=0.01,
    max_iter=60,
    n_iter_no_change=1000,
    random_state=0,
)
models = {
    "L2 (alpha=1)": MLPClassifier(alpha=1.0, **common).fit(X, y),
    "L1 (alpha_l1=1)": MLPClassifier(alpha=0.0, alpha_l1=1.0, **common).fit(X, y),
}
threshold = 1e-2
for name, clf in models.items():
    weights = clf.coefs_[0]
    print(
        f"{name:>16}: training accuracy {clf.score(X, y):.3f}, first-layer "
        f"weights below {threshold:g}: {np.mean(np.abs(weights) < threshold):.0%}"
    )

# %%
# The first layer's weights
# -------------------------
# Left: the distribution of the absolute weights. Right: the norm of each
# input feature's outgoing weights; the first five features are the
# informative ones.
fig, (ax_hist, ax_feat) = plt.subplots(1, 2, figsize=(12, 4))
bins = np.logspace(-6, 1, 50)
for i, (name, clf) in enumerate(models.items()):
    weights = clf.coefs_[0]
    ax_hist.hist(
        np.abs(weights).ravel() + 1e-6, bins=bins, alpha=0.6, color=f"C{i}", label=name
    )
    ax_feat.bar(
        np.arange(X.shape[1]) + 0.4 * i,
        np.linalg.norm(weights, axis=1),
        width=0.4,
        color=f"C{i}",
        label=name,
    )
ax_hist.set_xscale("log")
ax_hist.set_xlabel("|weight| of the first layer")
ax_hist.set_ylabel("number of weights")
ax_hist.legend()
ax_feat.set_xlabel("input feature (0-4 informative)")
ax_feat.set_ylabel("norm of its outgoing weights")
ax_feat.legend()
fig.tight_layout()
