"""Estimators for sequences: one label per token of each sentence."""

from sklearn_deep.sequence._tagger import LSTMTagger

__all__ = ["LSTMTagger"]
