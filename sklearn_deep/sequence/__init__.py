"""Estimators for sequences: one label per token of each sentence."""

from sklearn_deep.sequence._tagger import LSTMTagger
from sklearn_deep.sequence._transformer import TransformerTagger

__all__ = ["LSTMTagger", "TransformerTagger"]
