"""What changes on a GPU: automatic batch sizes, their learning rate, prediction blocks.

The rules are decided from the device's type alone, so they are tested here
with ``torch.device("cuda")`` values, without a GPU; ``bench_gpu.py`` measures
what they buy on one.
"""

import numpy as np
import pytest
import torch

from sklearn_deep import (
    Autoencoder,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
    TransformerTagger,
)
from sklearn_deep._training._schedules import batch_scaled_learning_rate

CPU, CUDA = torch.device("cpu"), torch.device("cuda")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class _Corpus:
    """What ``_config_overrides`` reads of a fit's data: sentences of 24 tokens."""

    def __init__(self, n_samples, length=24):
        self.n_samples = n_samples
        self.extra = {"words": [["w"] * length] * n_samples}


def test_batch_scaled_learning_rate_is_linear_for_sgd_and_square_root_else():
    assert batch_scaled_learning_rate(0.01, "sgd", 4) == pytest.approx(0.04)
    for solver in ("adam", "rmsprop", "adagrad"):
        assert batch_scaled_learning_rate(0.01, solver, 4) == pytest.approx(0.02)
    assert batch_scaled_learning_rate(0.01, "adam", 1) == 0.01


@pytest.mark.parametrize(
    "cls, cpu_batch, gpu_batch", [(LSTMTagger, 16, 64), (TransformerTagger, 32, 128)]
)
def test_auto_batches_of_the_taggers_grow_on_cuda_with_the_learning_rate(
    cls, cpu_batch, gpu_batch
):
    tagger = cls()
    corpus = _Corpus(9000)
    on_cpu = tagger._config_overrides(corpus, 9000, CPU)
    on_gpu = tagger._config_overrides(corpus, 9000, CUDA)
    assert on_cpu == {"batch_size": cpu_batch, "learning_rate_init": 0.002}
    assert on_gpu["batch_size"] == gpu_batch
    assert on_gpu["learning_rate_init"] == pytest.approx(0.004)
    sgd = cls(solver="sgd", learning_rate_init=0.01)._config_overrides(
        corpus, 9000, CUDA
    )
    assert sgd["learning_rate_init"] == pytest.approx(0.04)


def test_an_explicit_batch_size_keeps_its_learning_rate_on_cuda():
    overrides = LSTMTagger(batch_size=16)._config_overrides(_Corpus(9000), 9000, CUDA)
    assert overrides == {"batch_size": 16}


def test_a_small_corpus_grows_its_batches_only_as_far_as_ten_an_epoch():
    # "auto" keeps at least 10 batches an epoch: 150 sentences make batches of
    # 15 on either device, and the learning rate is left alone.
    tagger = LSTMTagger()
    corpus = _Corpus(150)
    assert tagger._config_overrides(corpus, 150, CUDA) == {
        "batch_size": 15,
        "learning_rate_init": 0.002,
    }
    corpus = _Corpus(450)
    on_gpu = tagger._config_overrides(corpus, 450, CUDA)
    assert on_gpu["batch_size"] == 45
    assert on_gpu["learning_rate_init"] == pytest.approx(0.002 * (45 / 16) ** 0.5)


def test_transformer_auto_batches_hold_about_768_tokens():
    tagger = TransformerTagger()
    for length, sentences in ((24, 32), (16, 48), (48, 16)):
        overrides = tagger._config_overrides(_Corpus(9000, length), 9000, CPU)
        assert overrides["batch_size"] == sentences
    # The LSTM's stay 16 sentences whatever their length.
    assert LSTMTagger()._config_overrides(_Corpus(9000, 48), 9000, CPU) == {
        "batch_size": 16,
        "learning_rate_init": 0.002,
    }


def test_tabular_auto_batches_stay_scikit_learns_on_cuda():
    # The MLPs are drop-in replacements: "auto" is min(200, n_samples) on any
    # device.
    est = MLPClassifier()
    assert est._config_overrides(_Corpus(10_000), 10_000, CUDA) == {"batch_size": 200}


@pytest.mark.parametrize(
    "est, cpu, gpu",
    [
        (MLPClassifier(), 256, 8192),
        (Autoencoder(), 256, 8192),
        (LSTMTagger(), 128, 512),
        (TransformerTagger(), 128, 512),
        (MLPRegressor(prediction_block_size=1000), 1000, 1000),
    ],
)
def test_prediction_blocks_by_device(est, cpu, gpu):
    assert est._prediction_block(CPU) == cpu
    assert est._prediction_block(CUDA) == gpu


def test_any_prediction_block_size_predicts_the_same():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    y = (X[:, 0] > 0).astype(int)
    est = MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=20, random_state=0, device="cpu"
    ).fit(X, y)
    reference = est.predict_proba(X)
    for size in (1, 7, 300, 1000):
        est.set_params(prediction_block_size=size)
        np.testing.assert_allclose(est.predict_proba(X), reference, rtol=1e-5)


def test_any_tagger_prediction_block_predicts_the_same():
    X = [["a", "x", "b"], ["b", "x"], ["a", "x", "x", "b"]] * 10
    y = [["A", "X", "B"], ["B", "Y"], ["A", "X", "X", "B"]] * 10
    tagger = LSTMTagger(
        embedding_dim=8,
        hidden_size=8,
        char_features=None,
        max_iter=5,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    reference = tagger.predict_proba(X)
    tagger.set_params(prediction_block_size=1)
    for a, b in zip(tagger.predict_proba(X), reference, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("size", [0, 2**20 + 1, 2.5])
def test_a_bad_prediction_block_size_is_refused_by_name(size):
    # Bounded above too: a block is allocated whole, and a loaded file's
    # parameters are untrusted.
    X, y = np.eye(4), [0, 1, 0, 1]
    with pytest.raises(ValueError, match="'prediction_block_size' parameter"):
        MLPClassifier(prediction_block_size=size, max_iter=1).fit(X, y)
