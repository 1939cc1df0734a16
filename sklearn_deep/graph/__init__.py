"""Estimators for the nodes of a graph."""

from sklearn_deep.graph._gcn import GCNClassifier

__all__ = ["GCNClassifier"]
