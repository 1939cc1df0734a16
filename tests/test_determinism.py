"""The same random_state gives bit-identical weights, even across processes."""

import hashlib
import subprocess
import sys

import numpy as np

from sklearn_deep import MLPClassifier

_FIT = """
import hashlib, sys, warnings
import numpy as np
from sklearn_deep import MLPClassifier, save
warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
X = rng.randn(200, 8)
y = (X[:, 0] + X[:, 1] > 0).astype(int)
clf = MLPClassifier((16,), max_iter=5, random_state={seed}, device="cpu", dropout=0.1)
clf.fit(X, y)
save(clf, sys.argv[1])
"""


def _weights(path):
    from safetensors.numpy import load_file

    tensors = load_file(str(path))
    names = sorted(name for name in tensors if name.startswith("module."))
    # Without any network tensor the digest would be that of nothing, equal
    # for any two fits.
    assert names, f"no network tensor (module.*) in {sorted(tensors)}"
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + tensors[name].tobytes())
    return digest.hexdigest()


def _fit_in_subprocess(seed, path):
    subprocess.run(
        [sys.executable, "-c", _FIT.format(seed=seed), str(path)],
        check=True,
        timeout=300,
    )
    return _weights(path)


def test_same_random_state_same_weights_across_processes(tmp_path):
    first = _fit_in_subprocess(0, tmp_path / "a.safetensors")
    second = _fit_in_subprocess(0, tmp_path / "b.safetensors")
    assert first == second


def test_random_state_none_differs_between_fits():
    rng = np.random.RandomState(0)
    X, y = rng.randn(50, 4), rng.randint(0, 2, 50)
    params = dict(hidden_layer_sizes=(8,), max_iter=2, device="cpu")
    fits = [MLPClassifier(**params).fit(X, y) for _ in range(2)]
    weights = [f.coefs_[0] for f in fits]
    assert not np.array_equal(*weights)
