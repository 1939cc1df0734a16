"""Mixed precision (``precision``): bf16 on the CPU, fp16's fallback and scaler."""

import warnings

import numpy as np
import pytest
import torch

from sklearn_deep import LSTMTagger, MLPClassifier, MLPRegressor
from sklearn_deep._training import _precision
from sklearn_deep._training._precision import (
    MixedPrecision,
    effective_precision,
    precision_supported,
    to_full_precision,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _blobs(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 8))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return X, y


def _mlp(**params):
    defaults = dict(hidden_layer_sizes=(32,), max_iter=30, random_state=0, device="cpu")
    return MLPClassifier(**{**defaults, **params})


def test_bf16_on_the_cpu_trains_in_bfloat16_and_learns_as_fp32_does():
    X, y = _blobs()
    full = _mlp().fit(X, y)
    mixed = _mlp(precision="bf16").fit(X, y)
    # The products ran in bfloat16 (8 bits of mantissa): the losses differ...
    assert mixed.loss_curve_ != full.loss_curve_
    # ... by little, and what is learned is the same.
    np.testing.assert_allclose(mixed.loss_curve_, full.loss_curve_, rtol=0.05)
    assert abs(mixed.score(X, y) - full.score(X, y)) < 0.03
    # The weights stay float32, and prediction runs in full precision.
    assert all(p.dtype == torch.float32 for p in mixed.module_.parameters())
    assert mixed.predict_proba(X).dtype == full.predict_proba(X).dtype


def test_fp16_where_unsupported_warns_and_trains_exactly_as_fp32():
    X, y = _blobs()
    with pytest.warns(UserWarning, match="precision='fp16' is not supported"):
        fallback = _mlp(precision="fp16").fit(X, y)
    full = _mlp().fit(X, y)
    assert fallback.loss_curve_ == full.loss_curve_


def test_lbfgs_ignores_precision_without_a_warning():
    X, y = _blobs()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        mixed = _mlp(solver="lbfgs", precision="fp16").fit(X, y)
    full = _mlp(solver="lbfgs").fit(X, y)
    np.testing.assert_array_equal(mixed.predict_proba(X), full.predict_proba(X))


def test_an_unknown_precision_is_refused_by_name():
    X, y = _blobs(50)
    with pytest.raises(ValueError, match="'precision' parameter"):
        _mlp(precision="fp8").fit(X, y)


def test_the_fp16_path_scales_the_loss_and_learns(monkeypatch):
    # float16 runs on CUDA only; torch's CPU autocast and GradScaler run it
    # too, which exercises the scaling path on a machine without a GPU.
    monkeypatch.setattr(_precision, "precision_supported", lambda p, d: True)
    X, y = _blobs()
    scaled = []
    original = MixedPrecision.scale

    def spy(self, loss):
        out = original(self, loss)
        scaled.append(float(out.detach()) / float(loss.detach()))
        return out

    monkeypatch.setattr(MixedPrecision, "scale", spy)
    mixed = _mlp(precision="fp16").fit(X, y)
    full = _mlp().fit(X, y)
    # GradScaler's initial scale is 2**16.
    assert scaled[0] == pytest.approx(2.0**16, rel=1e-3)
    assert abs(mixed.score(X, y) - full.score(X, y)) < 0.05


def test_bf16_tagger_keeps_the_crf_in_float32():
    X = [["a", "x", "b"], ["b", "x"], ["a", "x", "x"]] * 10
    y = [["A", "X", "B"], ["B", "Y"], ["A", "X", "X"]] * 10
    tagger = LSTMTagger(
        embedding_dim=8,
        hidden_size=8,
        char_features=None,
        batch_size=4,
        learning_rate_init=0.02,
        max_iter=15,
        random_state=0,
        device="cpu",
        precision="bf16",
    ).fit(X, y)
    assert tagger.score(X, y) == 1.0
    assert all(p.dtype == torch.float32 for p in tagger.module_.parameters())


def test_float64_networks_are_left_in_float64():
    # Autocast lowers float32 operations only: a float64 network trains as
    # without it.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(100, 3)), rng.normal(size=100)
    params = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0, device="cpu")
    full = MLPRegressor(dtype="float64", **params).fit(X, y)
    mixed = MLPRegressor(dtype="float64", precision="bf16", **params).fit(X, y)
    np.testing.assert_allclose(mixed.loss_curve_, full.loss_curve_, rtol=1e-12)


def test_support_and_helpers():
    cpu = torch.device("cpu")
    assert precision_supported("fp32", cpu)
    assert precision_supported("bf16", cpu)
    assert not precision_supported("fp16", cpu)
    assert not precision_supported("bf16", torch.device("meta"))
    assert effective_precision("bf16", cpu) == "bf16"
    half = torch.ones(2, dtype=torch.bfloat16)
    ids = torch.ones(2, dtype=torch.long)
    out = to_full_precision((half, [half, ids]))
    assert out[0].dtype == torch.float32 and out[1][0].dtype == torch.float32
    assert out[1][1].dtype == torch.long
    assert not MixedPrecision("fp32", cpu).enabled
