"""Tests of the Planetoid loader: file assembly, the CiteSeer quirk, safety."""

import collections
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from sklearn_deep.datasets import load_planetoid

PLANETOID = Path(__file__).parents[2] / "shared" / "datasets" / "planetoid"


def _shared(name):
    if not (PLANETOID / f"ind.{name}.graph").is_file():
        pytest.skip(f"Planetoid data not found in {PLANETOID} (shared data folder)")
    return load_planetoid(name, PLANETOID)


def _write_planetoid(folder, name="toy"):
    """A 10-node toy dataset in the Planetoid layout, with a hole in the test ids.

    Nodes 0-1 train, 2-5 other known nodes, test ids 9, 6, 8 (in that file
    order); node 7 lies in the test range but has no row (CiteSeer's quirk).
    """
    n_features, n_classes = 4, 2

    def one_hot(labels):
        return np.eye(n_classes, dtype=np.int32)[labels]

    allx = sp.csr_matrix(np.arange(6 * n_features, dtype=np.float32).reshape(6, -1))
    tx = sp.csr_matrix(np.full((3, n_features), 100.0, dtype=np.float32))
    tx[0, 0], tx[1, 0], tx[2, 0] = 9, 6, 8  # mark each test row with its node id
    parts = {
        "x": allx[:2],
        "y": one_hot([0, 1]),
        "allx": allx,
        "ally": one_hot([0, 1, 0, 1, 0, 1]),
        "tx": tx,
        "ty": one_hot([1, 0, 1]),
        "graph": collections.defaultdict(
            list,
            {
                0: [1, 1, 0],  # a duplicate and a self-loop
                1: [0, 2],
                2: [1],
                3: [],
                4: [5],
                5: [4],
                6: [7],
                7: [6],
                8: [9],
                9: [8],
            },
        ),
    }
    for part, value in parts.items():
        with open(folder / f"ind.{name}.{part}", "wb") as file:
            pickle.dump(value, file, protocol=2)
    (folder / f"ind.{name}.test.index").write_text("9\n6\n8\n")


@pytest.fixture
def toy(tmp_path):
    # The loader checks the name; let the toy files pass as "cora".
    _write_planetoid(tmp_path, name="cora")
    return tmp_path


def test_toy_files_are_assembled_like_the_reference_code(toy):
    data = load_planetoid("cora", toy)
    assert data.features.shape == (10, 4) and sp.isspmatrix_csr(data.features)
    # Test rows move from file order to their node ids; node 7 has no row.
    np.testing.assert_array_equal(
        data.features[[6, 8, 9], 0].toarray().ravel(), [6, 8, 9]
    )
    assert data.features[7].nnz == 0
    np.testing.assert_array_equal(data.target, [0, 1, 0, 1, 0, 1, 0, -1, 1, 1])
    np.testing.assert_array_equal(data.train_index, [0, 1])
    np.testing.assert_array_equal(data.test_index, [6, 8, 9])
    adjacency = data.adjacency.toarray()
    np.testing.assert_array_equal(adjacency, adjacency.T)
    assert adjacency.diagonal().sum() == 0 and set(np.unique(adjacency)) == {0, 1}
    assert adjacency[0, 1] == 1 and adjacency[6, 7] == 1 and adjacency[3].sum() == 0


def test_hostile_pickle_is_refused(toy):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("touch " + str(toy / "pwned"),))

    with open(toy / "ind.cora.graph", "wb") as file:
        pickle.dump(Exploit(), file, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="Refusing to load"):
        load_planetoid("cora", toy)
    assert not (toy / "pwned").exists()


def test_missing_file_is_named(toy):
    (toy / "ind.cora.ally").unlink()
    with pytest.raises(FileNotFoundError, match=r"ind\.cora\.ally"):
        load_planetoid("cora", toy)


def test_bad_name_and_folder():
    with pytest.raises(ValueError, match="Unknown Planetoid dataset"):
        load_planetoid("pubmedx", ".")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_planetoid("cora", "/nonexistent/planetoid")


def test_cora_matches_the_published_counts():
    data = _shared("cora")
    assert data.features.shape == (2708, 1433)
    assert data.adjacency.nnz == 10556  # 5278 undirected edges
    assert (data.adjacency != data.adjacency.T).nnz == 0
    assert (len(data.train_index), len(data.val_index), len(data.test_index)) == (
        140,
        500,
        1000,
    )
    np.testing.assert_array_equal(
        np.bincount(data.target[data.test_index]), [130, 91, 144, 319, 149, 103, 64]
    )
    np.testing.assert_array_equal(np.bincount(data.target[data.train_index]), [20] * 7)


def test_citeseer_nodes_without_rows_belong_to_no_split():
    data = _shared("citeseer")
    assert data.features.shape == (3327, 3703)
    assert data.adjacency.nnz == 9104 and data.adjacency.diagonal().sum() == 0
    unlabelled = np.flatnonzero(data.target == -1)
    assert len(unlabelled) == 15
    assert data.features[unlabelled].nnz == 0
    split = np.concatenate([data.train_index, data.val_index, data.test_index])
    assert not np.isin(unlabelled, split).any()
    np.testing.assert_array_equal(
        np.bincount(data.target[data.test_index]), [77, 182, 181, 231, 169, 160]
    )


def test_pubmed_without_allx_fails_naming_the_file():
    if not (PLANETOID / "ind.pubmed.graph").is_file():
        pytest.skip(f"Planetoid data not found in {PLANETOID} (shared data folder)")
    if (PLANETOID / "ind.pubmed.allx").is_file():
        pytest.skip("this copy of the data has ind.pubmed.allx")
    with pytest.raises(FileNotFoundError, match=r"ind\.pubmed\.allx"):
        load_planetoid("pubmed", PLANETOID)
