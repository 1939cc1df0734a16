"""
Attention or recurrence: TransformerTagger and LSTMTagger on CoNLL-2000
=======================================================================

Train the two taggers of ``sklearn_deep`` side by side on CoNLL-2000 chunking
(words and their given POS tags as input, IOB2 chunk tags as output): the same
token embeddings, character CNN and CRF output, read by a BiLSTM in one and by
two layers of self-attention in the other. Compare their validation F1 against
the seconds spent training, then look at where the transformer's attention
heads look in one test sentence.

Both train on a subset (400 sentences, 10 epochs) so that the example runs
in well under a minute; the scores are therefore below what the full data give
(``benchmarks/RESULTS.md`` has both taggers' defaults on the full corpus).
``sklearn_deep.datasets.fetch_conll2000`` downloads the data into
scikit-learn's data home on first use.
"""

# %%
# Load the data
# -------------
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_deep import LSTMTagger, TransformerTagger
from sklearn_deep.datasets import fetch_conll2000
from sklearn_deep.inspection import AttentionDisplay
from sklearn_deep.metrics import chunk_f1_score

# One thread: batches of a few sentences gain nothing from a second one.
torch.set_num_threads(1)

train, test = fetch_conll2000("train"), fetch_conll2000("test")
X_train, y_train = train.features[:400], train.tags[:400]
X_test, y_test = test.features[:200], test.tags[:200]
print(f"{len(X_train)} training and {len(X_test)} test sentences")

# %%
# Train both taggers
# ------------------
# Everything but the encoder is shared, and so are the training parameters
# here: 10 epochs of a linearly decaying learning rate, 10% of the sentences
# held out to score each epoch. The transformer's defaults add a one-epoch
# learning-rate warm-up and batches of 32 sentences.
common = dict(metric="chunk_f1", max_iter=10, early_stopping=True, random_state=0)
taggers = {
    "LSTMTagger": LSTMTagger(**common),
    "TransformerTagger": TransformerTagger(**common),
}
for name, tagger in taggers.items():
    tagger.fit(X_train, y_train)
    seconds = sum(tagger.history_[:, "dur"])
    f1 = chunk_f1_score(y_test, tagger.predict(X_test))
    print(f"{name:18s} {seconds:5.1f} s of training, test chunk F1 {100 * f1:.2f}")

# %%
# Validation F1 against training time
# -----------------------------------
# Each point is an epoch. At equal seconds the curves show which tagger to
# pick for a time budget.
fig, ax = plt.subplots(figsize=(6, 4))
for name, tagger in taggers.items():
    seconds = np.cumsum(tagger.history_[:, "dur"])
    ax.plot(seconds, 100 * np.array(tagger.validation_scores_), marker="o", label=name)
ax.set(xlabel="training seconds", ylabel="validation chunk F1", title="Learning")
ax.legend()
fig.tight_layout()

# %%
# Where the attention looks
# -------------------------
# One heat map per head of the first layer: row ``i`` is token ``i``'s
# attention over the sentence. The relative-position bias starts each head on
# a neighbourhood of its own width (ALiBi's slopes); after training some heads
# keep a band around the diagonal (a token and its neighbours) while others
# pick out particular words, such as prepositions and determiners, that open
# a chunk.
transformer = taggers["TransformerTagger"]
sentence = X_test[1]
print(" ".join(word for word, _ in sentence))
AttentionDisplay.from_estimator(transformer, sentence, layer=0, n_cols=2)

# %%
# The last layer, whose outputs the CRF scores:
AttentionDisplay.from_estimator(transformer, sentence, layer=-1, n_cols=2)
plt.show()
