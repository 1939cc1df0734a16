"""Metrics for sequence labelling (token accuracy and conlleval's chunk scores)
and for generative models (mode coverage)."""

from sklearn_deep.metrics._modes import ModeCoverage, mode_coverage
from sklearn_deep.metrics._sequence import (
    chunk_classification_report,
    chunk_f1_score,
    chunk_precision_recall_fscore_support,
    chunk_precision_score,
    chunk_recall_score,
    extract_chunks,
    token_accuracy_score,
)

__all__ = [
    "ModeCoverage",
    "chunk_classification_report",
    "chunk_f1_score",
    "chunk_precision_recall_fscore_support",
    "chunk_precision_score",
    "chunk_recall_score",
    "extract_chunks",
    "mode_coverage",
    "token_accuracy_score",
]
