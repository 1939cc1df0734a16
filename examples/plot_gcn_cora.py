"""
Semi-supervised node classification on Cora with a graph convolutional network
==============================================================================

Cora is a citation graph of 2708 machine-learning papers in 7 topics; each paper
is a bag of words over 1433 terms. Kipf & Welling (ICLR 2017) label only 140
papers (20 per topic) and classify the rest with a two-layer graph
convolutional network, which averages each paper's representation with those
of the papers it cites or is cited by. Their test accuracy is 81.5%.

``sklearn_deep.GCNClassifier`` holds the graph, and ``X`` names its nodes:
``fit`` takes the 140 labelled node ids, early stopping watches the 500
validation nodes, and ``predict`` and ``transform`` answer for any node. The
files are the ones of the paper's code, loaded by
``sklearn_deep.datasets.fetch_planetoid``, which downloads them into
scikit-learn's data home on first use.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE

from sklearn_deep import GCNClassifier
from sklearn_deep.datasets import fetch_planetoid

cora = fetch_planetoid("cora")
print(cora.DESCR)

# %%
# The paper's setup is the estimator's default, plus early stopping on the
# validation nodes: 16 hidden units, dropout 0.5, weight decay 5e-4 on the
# first layer, Adam with learning rate 0.01, at most 200 epochs.
gcn = GCNClassifier(
    cora.adjacency, cora.features, early_stopping=True, random_state=0, device="cpu"
)
start = time.perf_counter()
gcn.fit(
    cora.train_index,
    cora.target[cora.train_index],
    X_val=cora.val_index,
    y_val=cora.target[cora.val_index],
)
seconds = time.perf_counter() - start
y_test = cora.target[cora.test_index]
accuracy = gcn.score(cora.test_index, y_test)
ms_per_epoch = 1000 * seconds / gcn.n_iter_
print(f"{gcn.n_iter_} epochs in {seconds:.1f} s ({ms_per_epoch:.1f} ms each)")
print(f"test accuracy: {accuracy:.3f} (paper: 0.815)")

# %%
# The learned hidden layer of the 1000 test nodes, reduced to two dimensions by
# t-SNE as in the paper's figure 1: topics form clusters although only 140
# nodes were labelled and none of these.
embedding = gcn.transform(cora.test_index)
tsne = TSNE(n_components=2, init="pca", max_iter=500, random_state=0)
points = tsne.fit_transform(embedding)

# %%
predicted = gcn.predict(cora.test_index)
per_class = [np.mean(predicted[y_test == c] == c) for c in gcn.classes_]
fig, (ax_curve, ax_bar) = plt.subplots(1, 2, figsize=(10, 4))
ax_curve.plot(gcn.loss_curve_, label="training loss (with penalty)")
ax_curve.plot(-np.asarray(gcn.validation_scores_), label="validation loss")
ax_curve.set_xlabel("epoch")
ax_curve.set_title("Learning curves")
ax_curve.legend()
ax_bar.bar([str(c) for c in gcn.classes_], per_class, color="tab:blue")
ax_bar.axhline(accuracy, color="black", label=f"overall {accuracy:.3f}")
ax_bar.axhline(0.815, color="tab:red", linestyle="--", label="paper 0.815")
ax_bar.set_ylim(0, 1)
ax_bar.set_xlabel("topic")
ax_bar.set_title("Test accuracy per topic")
ax_bar.legend(loc="lower right")
fig.tight_layout()

fig_tsne, ax = plt.subplots(figsize=(6, 6))
scatter = ax.scatter(points[:, 0], points[:, 1], c=y_test, cmap="tab10", s=6, alpha=0.8)
ax.legend(*scatter.legend_elements(), title="topic", loc="best", fontsize=8)
ax.set_title("t-SNE of the hidden layer (1000 test nodes)")
ax.set_xticks([])
ax.set_yticks([])
fig_tsne.tight_layout()
