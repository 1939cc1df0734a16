"""
Chunking CoNLL-2000 with LSTMTagger
===================================

Train a BiLSTM-CNN-CRF chunker on CoNLL-2000 (words and their given POS tags as
input, IOB2 chunk tags as output), report conlleval's chunk F1 and the token
accuracy on the test set, and plot the learning curves and the F1 of each chunk
type.

The example trains on a subset (1,000 sentences, a smaller network, 5 epochs)
so that it finishes in well under a minute on two CPU cores; the scores are
therefore far below what the full data give. Set ``FULL = True`` below to
train ``LSTMTagger`` with its default network and schedule on the full
training set (about 9 minutes on one CPU thread; ``benchmarks/RESULTS.md`` has
the test scores of the defaults, which train on every sentence instead of
holding 10% out as here).

``sklearn_deep.datasets.fetch_conll2000`` downloads the data into
scikit-learn's data home on first use.
"""

# %%
# Load the data
# -------------
import time

import matplotlib.pyplot as plt
import torch

from sklearn_deep import LSTMTagger
from sklearn_deep.datasets import fetch_conll2000
from sklearn_deep.metrics import (
    chunk_classification_report,
    chunk_f1_score,
    token_accuracy_score,
)

# True: every training sentence and the default network (about 9 minutes).
FULL = False

# One thread: an LSTM this small gains little from a second one, and on a busy
# machine a second thread that waits for a core slows every step many times.
torch.set_num_threads(1)

train, test = fetch_conll2000("train"), fetch_conll2000("test")
# Per-token (word, POS) tuples: the POS column becomes an extra embedded feature.
X_train, y_train = train.features, train.tags
X_test, y_test = test.features, test.tags
if not FULL:
    X_train, y_train = X_train[:1000], y_train[:1000]
    X_test, y_test = X_test[:500], y_test[:500]
print(
    f"{len(X_train)} training and {len(X_test)} test sentences"
    + ("" if FULL else " (a subset: set FULL = True for all)")
)

# %%
# Train
# -----
# The defaults train on every sentence and keep no validation score. Here
# ``early_stopping=True`` holds out 10% of the training sentences, scores them
# after each epoch (the validation curve below) and keeps the best epoch.
if FULL:
    tagger = LSTMTagger(metric="chunk_f1", early_stopping=True, random_state=0)
else:
    tagger = LSTMTagger(
        hidden_size=64,
        char_hidden_size=30,
        metric="chunk_f1",
        early_stopping=True,
        max_iter=5,
        random_state=0,
    )
start = time.perf_counter()
tagger.fit(X_train, y_train)
print(f"fitted {tagger.n_iter_} epochs in {time.perf_counter() - start:.1f} s")

# %%
# Evaluate
# --------
y_pred = tagger.predict(X_test)
print(f"test chunk F1:       {100 * chunk_f1_score(y_test, y_pred):.2f}")
print(f"test token accuracy: {100 * token_accuracy_score(y_test, y_pred):.2f}")
print(chunk_classification_report(y_test, y_pred))

# %%
# Plot the learning curves and the F1 of each chunk type
# ------------------------------------------------------

epochs = range(1, tagger.n_iter_ + 1)
fig, (ax_loss, ax_f1) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_loss.plot(epochs, tagger.loss_curve_, marker="o")
ax_loss.set(xlabel="epoch", ylabel="training loss per token", title="Loss")
ax_f1.plot(epochs, tagger.validation_scores_, marker="o", color="C1")
ax_f1.set(xlabel="epoch", ylabel="chunk F1", title="Validation chunk F1")
fig.tight_layout()

report = chunk_classification_report(y_test, y_pred, output_dict=True)
types = sorted(
    (k for k in report if k not in ("micro avg", "token accuracy")),
    key=lambda k: -report[k]["support"],
)
fig_types, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(types, [100 * report[k]["f1-score"] for k in types])
ax.set(ylabel="test F1 (%)", title="F1 per chunk type (most frequent first)")
fig_types.tight_layout()
