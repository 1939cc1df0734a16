"""Tests of the utilities: devices, seeds, tensors, discovery."""

import numpy as np
import pytest
import torch

from sklearn_deep import (
    GAN,
    Autoencoder,
    CNNClassifier,
    CNNRegressor,
    GCNClassifier,
    LSTMTagger,
    MLPClassifier,
    MLPRegressor,
    TorchClassifier,
    TorchRegressor,
    TransformerTagger,
)
from sklearn_deep.utils import all_estimators
from sklearn_deep.utils._torch import (
    make_generator,
    resolve_device,
    seed_from_random_state,
    to_numpy,
    to_tensor,
)


def test_all_estimators_lists_the_public_estimators():
    assert all_estimators() == [
        ("Autoencoder", Autoencoder),
        ("CNNClassifier", CNNClassifier),
        ("CNNRegressor", CNNRegressor),
        ("GAN", GAN),
        ("GCNClassifier", GCNClassifier),
        ("LSTMTagger", LSTMTagger),
        ("MLPClassifier", MLPClassifier),
        ("MLPRegressor", MLPRegressor),
        ("TorchClassifier", TorchClassifier),
        ("TorchRegressor", TorchRegressor),
        ("TransformerTagger", TransformerTagger),
    ]


def test_resolve_device_auto_and_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("device", ["tpu", "gpu0", "cuda:x", ""])
def test_resolve_device_rejects_unknown_devices(device):
    with pytest.raises(ValueError, match="device"):
        resolve_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_resolve_device_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        resolve_device("cuda")


def test_seed_from_random_state_is_reproducible_for_ints_only():
    assert seed_from_random_state(3) == seed_from_random_state(3)
    assert seed_from_random_state(3) != seed_from_random_state(4)
    seeds = {seed_from_random_state(None) for _ in range(5)}
    assert len(seeds) > 1


def test_make_generator_does_not_touch_the_global_generator():
    before = torch.get_rng_state()
    a = torch.rand(3, generator=make_generator(7))
    b = torch.rand(3, generator=make_generator(7))
    assert torch.equal(a, b)
    assert torch.equal(before, torch.get_rng_state())


def test_to_tensor_round_trip_and_read_only_arrays(recwarn):
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    array.flags.writeable = False
    tensor = to_tensor(array, torch.float32, "cpu")
    assert not [w for w in recwarn if "not writable" in str(w.message)]
    np.testing.assert_array_equal(to_numpy(tensor), array)
