"""Fits in several threads at once: each gives its serial result.

Every random number of a fit (initial weights, batch order, dropout masks,
word dropout, input noise) comes from the fit's own generators, never from
torch's global one, which the process's threads share: two fits running at
once (joblib's threading backend, a web service) must equal their serial runs
bit for bit, leave the caller's global generator as it was, and leave the
stream of another thread's ``torch.rand`` alone.
"""

import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

_RNG = np.random.RandomState(0)
X = _RNG.normal(size=(120, 6))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REG = X[:, 0] - 2 * X[:, 2] + 0.1 * _RNG.normal(size=120)


def _graph(n_per_block=20, seed=0):
    rng = np.random.RandomState(seed)
    labels = np.repeat([0, 1], n_per_block)
    same = labels[:, None] == labels[None, :]
    upper = np.triu(rng.rand(len(labels), len(labels)) < np.where(same, 0.3, 0.05), 1)
    adjacency = sp.csr_matrix((upper | upper.T).astype(np.float64))
    return adjacency, rng.rand(len(labels), 8), labels


ADJACENCY, NODE_FEATURES, NODE_LABELS = _graph()
NODES = np.arange(0, 40, 2)

WORD_TAGS = {"the": "DET", "a": "DET", "dog": "NOUN", "cat": "NOUN", "runs": "VERB"}
_WORDS = [
    [str(w) for w in _RNG.choice(list(WORD_TAGS), size=_RNG.randint(1, 7))]
    for _ in range(30)
]
_TAGS = [[WORD_TAGS[w] for w in sentence] for sentence in _WORDS]

# Each estimator with everything that draws random numbers switched on, and
# one torch thread (so that a fit runs the same kernels in any thread).
CASES = {
    "MLPClassifier": (
        lambda seed: MLPClassifier(
            (16,), dropout=0.3, batch_size=16, max_iter=6, random_state=seed
        ),
        (X, Y_CLASS),
    ),
    "MLPRegressor": (
        lambda seed: MLPRegressor(
            hidden_layer_sizes=(16,),
            dropout=0.3,
            batch_size=16,
            max_iter=6,
            random_state=seed,
        ),
        (X, Y_REG),
    ),
    "Autoencoder": (
        lambda seed: Autoencoder(
            hidden_layer_sizes=(8,),
            n_components=2,
            noise=0.3,
            dropout=0.2,
            batch_size=16,
            max_iter=6,
            random_state=seed,
        ),
        (X,),
    ),
    "Autoencoder-masking": (
        lambda seed: Autoencoder(
            hidden_layer_sizes=(8,),
            n_components=2,
            noise=0.3,
            noise_type="masking",
            batch_size=16,
            max_iter=6,
            random_state=seed,
        ),
        (X,),
    ),
    "GCNClassifier": (
        lambda seed: GCNClassifier(
            ADJACENCY, NODE_FEATURES, dropout=0.5, max_iter=15, random_state=seed
        ),
        (NODES, NODE_LABELS[NODES]),
    ),
    "LSTMTagger": (
        lambda seed: LSTMTagger(
            embedding_dim=8,
            hidden_size=8,
            char_features="cnn",
            char_embedding_dim=4,
            char_hidden_size=4,
            dropout=0.3,
            word_dropout=0.2,
            batch_size=8,
            max_iter=4,
            early_stopping=False,
            random_state=seed,
        ),
        (_WORDS, _TAGS),
    ),
}


def _make(name, seed):
    make, _ = CASES[name]
    return make(seed).set_params(device="cpu", n_threads=1)


def _weights(estimator):
    return [p.detach().clone() for p in estimator.module_.state_dict().values()]


def _fit(name, seed):
    _, data = CASES[name]
    return _weights(_make(name, seed).fit(*data))


def _fit_at_once(jobs):
    """Run the zero-argument callables ``jobs`` in threads started together."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(i):
        try:
            barrier.wait()
            results[i] = jobs[i]()
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def _assert_same_weights(a, b, what):
    assert len(a) == len(b), what
    for x, y in zip(a, b, strict=True):
        assert torch.equal(x, y), what


@pytest.mark.parametrize("name", sorted(CASES))
def test_fits_in_two_threads_equal_their_serial_fits(name):
    serial = {seed: _fit(name, seed) for seed in (0, 1)}
    torch.manual_seed(123)
    global_state = torch.get_rng_state()
    for trial in range(3):
        # Two fits of the same seed and two of different seeds, at once.
        seeds = (0, 0) if trial == 0 else (0, 1)
        results = _fit_at_once([lambda s=s: _fit(name, s) for s in seeds])
        for seed, result in zip(seeds, results, strict=True):
            _assert_same_weights(
                result, serial[seed], f"{name}, seed {seed}, trial {trial}"
            )
    assert torch.equal(torch.get_rng_state(), global_state), (
        "the fits changed torch's global generator"
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_fit_draws_nothing_from_the_global_generator(name):
    torch.manual_seed(7)
    before = torch.get_rng_state()
    _make(name, 0).fit(*CASES[name][1])
    assert torch.equal(torch.get_rng_state(), before)


def test_a_background_fit_leaves_the_main_threads_stream_alone():
    torch.manual_seed(0)
    expected = torch.rand(1_000_000)
    torch.manual_seed(0)
    done = threading.Event()

    def fit():
        try:
            for _ in range(3):
                _fit("MLPClassifier", 0)
                _fit("LSTMTagger", 0)
        finally:
            done.set()

    thread = threading.Thread(target=fit)
    thread.start()
    draws = []
    while not done.is_set() or not draws:
        draws.append(torch.rand(50))
        time.sleep(0.002)
    thread.join()
    drawn = torch.cat(draws)
    assert len(drawn) <= len(expected), "the test drew past its expected stream"
    assert torch.equal(drawn, expected[: len(drawn)])
