"""Metrics for sequence labelling: token accuracy and conlleval's chunk scores."""

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
    "chunk_classification_report",
    "chunk_f1_score",
    "chunk_precision_recall_fscore_support",
    "chunk_precision_score",
    "chunk_recall_score",
    "extract_chunks",
    "token_accuracy_score",
]
