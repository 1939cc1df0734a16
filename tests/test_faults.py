"""Faults during training, for every estimator family.

Divergence, Ctrl-C and running out of memory are simulated by patching the
engine's epoch step or the network's forward; each must end in the documented
outcome (best weights kept with a warning, or a clear error with the estimator
left as it was), and ``max_iter`` must warn ``ConvergenceWarning``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
)
from sklearn_deep import nn as networks
from sklearn_deep._training._steps import FirstOrderStep
from sklearn_deep.exceptions import TrainingMemoryError

RNG = np.random.RandomState(0)
X = RNG.randn(30, 3)
_A = sp.random(15, 15, density=0.3, random_state=0)
ADJACENCY = ((_A + _A.T) > 0).astype(float)
SENTENCES = [["the", "dog", "ran"], ["a", "cat", "sat", "down"], ["it", "ran"]] * 3
TAGS = [["D", "N", "V"], ["D", "N", "V", "P"], ["N", "V"]] * 3
FAST = dict(random_state=0, device="cpu", tol=0.0)

FAMILIES = {
    "MLPClassifier": (
        lambda: MLPClassifier((4,), batch_size=10, **FAST),
        (X, X[:, 0] > 0),
        networks.MultilayerPerceptron,
    ),
    "MLPRegressor": (
        lambda: MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, **FAST),
        (X, X[:, 0]),
        networks.MultilayerPerceptron,
    ),
    "Autoencoder": (
        lambda: Autoencoder(2, (4,), batch_size=10, **FAST),
        (X,),
        networks.AutoencoderNetwork,
    ),
    "GCNClassifier": (
        lambda: GCNClassifier(ADJACENCY, **FAST),
        (np.arange(8), np.arange(8) % 2),
        networks.GraphConvolutionalNetwork,
    ),
    "LSTMTagger": (
        lambda: LSTMTagger(
            embedding_dim=4,
            hidden_size=4,
            char_embedding_dim=4,
            char_hidden_size=4,
            early_stopping=False,
            batch_size=4,
            **FAST,
        ),
        (SENTENCES, TAGS),
        networks.SequenceTagger,
    ),
}
NAMES = sorted(FAMILIES)


def _predictions(estimator):
    if isinstance(estimator, Autoencoder):
        return estimator.transform(X)
    if isinstance(estimator, GCNClassifier):
        return estimator.predict_proba(np.arange(15))
    if isinstance(estimator, LSTMTagger):
        return np.concatenate(estimator.predict_proba(SENTENCES))
    return estimator.predict(X)


def _fit(estimator, data, max_iter):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.set_params(max_iter=max_iter).fit(*data)


def _failing_epoch(monkeypatch, at, fault):
    """Make the engine's ``at``-th epoch (1-based) end in ``fault``."""
    real = FirstOrderStep.epoch
    calls, weights = [], []

    def epoch(step, run):
        calls.append(1)
        if len(calls) < at:
            result = real(step, run)
            weights.append(
                {k: v.detach().clone() for k, v in run.module.state_dict().items()}
            )
            return result
        if fault == "nan":
            real(step, run)
            with torch.no_grad():
                for parameter in run.module.parameters():
                    parameter.fill_(float("nan"))
            return float("nan"), []
        raise KeyboardInterrupt

    monkeypatch.setattr(FirstOrderStep, "epoch", epoch)
    return weights


def _assert_weights(estimator, expected):
    state = estimator.module_.state_dict()
    assert state.keys() == expected.keys()
    for key, value in expected.items():
        torch.testing.assert_close(state[key], value, rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_divergence_keeps_the_best_weights_and_warns(name, monkeypatch):
    make, data, _ = FAMILIES[name]
    weights = _failing_epoch(monkeypatch, at=3, fault="nan")
    with pytest.warns(UserWarning, match="diverged"):
        diverged = _fit(make(), data, max_iter=5)
    assert diverged.n_iter_ == 2
    # The weights of the epoch with the lowest training loss are back.
    _assert_weights(diverged, weights[int(np.argmin(diverged.loss_curve_))])
    assert np.isfinite(_predictions(diverged)).all()


@pytest.mark.parametrize("name", NAMES)
def test_divergence_in_the_first_epoch_raises_and_keeps_the_model(name, monkeypatch):
    make, data, _ = FAMILIES[name]
    fitted = _fit(make(), data, max_iter=2)
    before = _predictions(fitted)
    _failing_epoch(monkeypatch, at=1, fault="nan")
    with pytest.raises(ValueError, match="diverged.*learning_rate_init"):
        _fit(fitted, data, max_iter=5)
    np.testing.assert_array_equal(_predictions(fitted), before)
    with pytest.raises(ValueError, match="diverged"):
        _fit(make(), data, max_iter=5)


@pytest.mark.parametrize("name", NAMES)
def test_ctrl_c_keeps_the_weights_so_far(name, monkeypatch):
    make, data, _ = FAMILIES[name]
    weights = _failing_epoch(monkeypatch, at=3, fault="interrupt")
    with pytest.warns(UserWarning, match="interrupted"):
        interrupted = _fit(make(), data, max_iter=5)
    assert interrupted.n_iter_ == 2
    _assert_weights(interrupted, weights[-1])
    assert np.isfinite(_predictions(interrupted)).all()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "error",
    [
        torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
        RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to "),
    ],
    ids=["cuda", "cpu"],
)
def test_out_of_memory_names_the_batch_size(name, error, monkeypatch):
    make, data, network = FAMILIES[name]
    fitted = _fit(make(), data, max_iter=2)
    before = _predictions(fitted)

    def forward(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(network, "forward", forward)
    with pytest.raises(
        TrainingMemoryError,
        match=r"batch_size=\d+.*device cpu|device cpu.*batch_size=\d+",
    ):
        _fit(fitted, data, max_iter=2)
    with pytest.raises(MemoryError):
        _fit(clone(fitted), data, max_iter=2)
    monkeypatch.undo()
    np.testing.assert_array_equal(_predictions(fitted), before)


def test_other_runtime_errors_pass_through(monkeypatch):
    make, data, network = FAMILIES["MLPClassifier"]

    def forward(self, *args, **kwargs):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(network, "forward", forward)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        _fit(make(), data, max_iter=2)


@pytest.mark.parametrize("name", NAMES)
def test_max_iter_warns_convergence_warning(name):
    make, data, _ = FAMILIES[name]
    # A linear schedule that decays to its end (the tagger's default) is a
    # planned finish; a constant one stopped by max_iter is not.
    estimator = make().set_params(max_iter=1, learning_rate="constant")
    with pytest.warns(ConvergenceWarning, match="Maximum iterations \\(1\\)"):
        estimator.fit(*data)
