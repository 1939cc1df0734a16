"""Loaders for standard graph and sequence data sets, from local files only."""

from sklearn_deep.datasets._conll import load_conll, load_conllu
from sklearn_deep.datasets._planetoid import load_planetoid

__all__ = ["load_conll", "load_conllu", "load_planetoid"]
