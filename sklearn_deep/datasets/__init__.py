"""Graph and sequence data sets: fetchers (download into the data home), loaders."""

from sklearn_deep.datasets._conll import load_conll, load_conllu
from sklearn_deep.datasets._fetch_conll import fetch_conll2000, fetch_ud_treebank
from sklearn_deep.datasets._fetch_planetoid import fetch_planetoid
from sklearn_deep.datasets._gaussian_mixtures import (
    make_gaussian_grid,
    make_gaussian_ring,
)
from sklearn_deep.datasets._planetoid import load_planetoid

__all__ = [
    "fetch_conll2000",
    "fetch_planetoid",
    "fetch_ud_treebank",
    "load_conll",
    "load_conllu",
    "load_planetoid",
    "make_gaussian_grid",
    "make_gaussian_ring",
]
