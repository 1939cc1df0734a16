"""save/load without pickle, its refusals, and pickling that maps to the CPU."""

import json
import os
import pickle
import struct
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

import sklearn_deep
from sklearn_deep import (
    Autoencoder,
    GCNClassifier,
    MLPClassifier,
    MLPRegressor,
    ModelFormatError,
    load,
    save,
)
from sklearn_deep.utils import _pickling

RNG = np.random.RandomState(0)
X = RNG.randn(40, 5)
Y_LABELS = np.array(["cat", "dog", "emu"])[RNG.randint(0, 3, 40)]
NODES = np.arange(12)
ADJACENCY = sp.random(30, 30, density=0.2, random_state=0)
ADJACENCY = ((ADJACENCY + ADJACENCY.T) > 0).astype(float)
FAST = dict(max_iter=3, random_state=0, device="cpu")


def _fitted(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kind == "classifier":
            return MLPClassifier((6,), **FAST).fit(X, Y_LABELS)
        if kind == "classifier-float64-es":
            return MLPClassifier(
                (6,), dtype="float64", early_stopping=True, solver="sgd", **FAST
            ).fit(X, Y_LABELS)
        if kind == "multilabel":
            return MLPClassifier((6,), **FAST).fit(X, (X[:, :3] > 0).astype(int))
        if kind == "regressor":
            return MLPRegressor(
                hidden_layer_sizes=(6,), batch_norm=True, solver="lbfgs", **FAST
            ).fit(X, X[:, :2])
        if kind == "autoencoder":
            return Autoencoder(2, (6,), tied_weights=True, **FAST).fit(X)
        if kind == "sparse-input":
            return MLPRegressor(hidden_layer_sizes=(6,), **FAST).fit(
                sp.csr_matrix(X), X[:, 0]
            )
        if kind == "init":
            ae = Autoencoder(3, (6,), **FAST).fit(X)
            return MLPClassifier((6, 3, 4), init=ae, **FAST).fit(X, Y_LABELS)
        if kind == "gcn":
            features = RNG.rand(30, 4)
            return GCNClassifier(ADJACENCY, features, **FAST).fit(NODES, NODES % 3)
        if kind == "gcn-featureless":
            return GCNClassifier(ADJACENCY.toarray(), **FAST).fit(NODES, NODES % 2)
    raise AssertionError(kind)


KINDS = [
    "classifier",
    "classifier-float64-es",
    "multilabel",
    "regressor",
    "autoencoder",
    "sparse-input",
    "init",
    "gcn",
    "gcn-featureless",
]


def _outputs(estimator):
    if isinstance(estimator, GCNClassifier):
        return [estimator.predict_proba(np.arange(30)), estimator.predict(NODES)]
    if isinstance(estimator, Autoencoder):
        return [estimator.transform(X), estimator.inverse_transform(X[:, :2])]
    outputs = [estimator.predict(X)]
    if hasattr(estimator, "predict_proba"):
        outputs.append(estimator.predict_proba(X))
    return outputs


def _assert_same_outputs(a, b):
    for left, right in zip(_outputs(a), _outputs(b), strict=True):
        np.testing.assert_array_equal(left, right)


@pytest.fixture(scope="module")
def saved_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "clf.safetensors"
    save(_fitted("classifier"), path)
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_save_load_predicts_exactly_the_same(kind, tmp_path):
    estimator = _fitted(kind)
    path = tmp_path / "model.safetensors"
    save(estimator, path)
    loaded = load(path)
    assert type(loaded) is type(estimator)
    assert (
        loaded.get_params(deep=False).keys() == estimator.get_params(deep=False).keys()
    )
    _assert_same_outputs(estimator, loaded)
    for name in ("classes_", "n_features_in_", "n_iter_", "loss_curve_"):
        if hasattr(estimator, name):
            np.testing.assert_array_equal(
                getattr(loaded, name), getattr(estimator, name)
            )
    assert list(loaded.history_) == list(estimator.history_)


def test_loaded_model_continues_training_like_the_original(tmp_path):
    # The optimiser's moments are saved too, so warm start goes on identically.
    estimator = _fitted("classifier")
    save(estimator, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.set_params(warm_start=True).fit(X, Y_LABELS)
        loaded.set_params(warm_start=True).fit(X, Y_LABELS)
    _assert_same_outputs(estimator, loaded)


def test_metadata_records_versions_and_class(saved_file):
    data = saved_file.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(json.loads(data[8 : 8 + n])["__metadata__"]["sklearn_deep"])
    assert metadata["format_version"] == 1
    assert metadata["estimator"]["class"] == "MLPClassifier"
    assert set(metadata["versions"]) == {"sklearn_deep", "torch", "sklearn"}


def test_save_refuses_what_it_cannot_store_safely(tmp_path):
    with pytest.raises(ValueError, match="not fitted"):
        save(MLPClassifier(), tmp_path / "m")
    estimator = _fitted("classifier")
    estimator.scoring = lambda est, X, y: 0.0
    with pytest.raises(TypeError, match="without pickle"):
        save(estimator, tmp_path / "m")
    with pytest.raises(TypeError, match="estimators of sklearn_deep"):
        save(torch.nn.Linear(2, 2), tmp_path / "m")


# --------------------------------------------------------------- refusals
def _rewrite(path, edit, tmp_path):
    """A copy of the model file at ``path`` with its JSON metadata edited."""
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    metadata = json.loads(header["__metadata__"]["sklearn_deep"])
    edit(metadata)
    header["__metadata__"]["sklearn_deep"] = json.dumps(metadata)
    new_header = json.dumps(header).encode()
    new_header += b" " * (-len(new_header) % 8)
    out = tmp_path / "edited.safetensors"
    out.write_bytes(struct.pack("<Q", len(new_header)) + new_header + data[8 + n :])
    return out


def _set(*keys, value):
    def edit(metadata):
        node = metadata
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set("estimator", "class", value="os.system"), "not an estimator of"),
        (_set("estimator", "class", value="Pipeline"), "not an estimator of"),
        (_set("format_version", value=2), "format version"),
        (_set("format", value="other"), "not a sklearn_deep model"),
        (_set("versions", "sklearn_deep", value="99.0.0"), "newer"),
        (
            _set("estimator", "attributes", "classes_", value={"__pickle__": "x"}),
            "Unknown value type",
        ),
        (_set("estimator", "attributes", "predict", value=1), "Invalid attribute"),
        (_set("estimator", "params", "evil", value=1), "parameters"),
        (_set("estimator", "module", "keys", value=["layers.0.weight"]), "do not fit"),
        (
            _set(
                "estimator",
                "attributes",
                "n_iter_",
                value={"__dataclass__": ["Popen", {}]},
            ),
            "Unknown state",
        ),
        (
            _set(
                "estimator",
                "attributes",
                "n_iter_",
                value={"__tensor__": "module.missing"},
            ),
            "lacks the tensor",
        ),
    ],
)
def test_load_refuses_untrusted_metadata(saved_file, tmp_path, edit, message):
    path = _rewrite(saved_file, edit, tmp_path)
    with pytest.raises(ModelFormatError, match=message):
        load(path)


def test_load_refuses_wrong_shapes_dtypes_and_extra_tensors(saved_file, tmp_path):
    from safetensors.numpy import load as load_tensors
    from safetensors.numpy import save as save_tensors

    data = saved_file.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    metadata = json.loads(data[8 : 8 + n])["__metadata__"]
    tensors = load_tensors(data)
    key = next(k for k in tensors if k.startswith("module.") and "weight" in k)
    for change, message in [
        ({key: tensors[key][:, :-1]}, "shape"),
        ({key: tensors[key].astype(np.float64)}, "dtype"),
        ({"module.extra": np.zeros(3, np.float32)}, "does not use"),
    ]:
        path = tmp_path / "bad.safetensors"
        path.write_bytes(save_tensors({**tensors, **change}, metadata=metadata))
        with pytest.raises(ModelFormatError, match=message):
            load(path)


def test_load_refuses_a_pickle(tmp_path):
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFormatError):
        load(path)
    joblib.dump(_fitted("classifier"), path)
    with pytest.raises(ModelFormatError):
        load(path)
    assert not (tmp_path / "pwned").exists()


def test_load_refuses_a_huge_header_length(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes(struct.pack("<Q", 2**62) + b"{}")
    with pytest.raises(ModelFormatError, match="truncated"):
        load(path)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzed_files_raise_only_model_format_error(saved_file, tmp_path, data):
    original = saved_file.read_bytes()
    how = data.draw(st.sampled_from(["truncate", "flip", "splice", "random"]))
    if how == "truncate":
        corrupted = original[: data.draw(st.integers(0, len(original) - 1))]
    elif how == "flip":
        position = data.draw(st.integers(0, len(original) - 1))
        byte = data.draw(st.integers(0, 255))
        corrupted = original[:position] + bytes([byte]) + original[position + 1 :]
    elif how == "splice":
        position = data.draw(st.integers(0, len(original)))
        junk = data.draw(st.binary(max_size=64))
        corrupted = original[:position] + junk + original[position:]
    else:
        corrupted = data.draw(st.binary(max_size=256))
    path = tmp_path / "fuzzed.safetensors"
    path.write_bytes(corrupted)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load(path)
    except ModelFormatError:
        pass  # the one exception load may raise


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(st.text(max_size=6), children, max_size=3)
        ),
        max_leaves=10,
    )
)
def test_fuzzed_json_trees_raise_only_model_format_error(value, tmp_path_factory):
    from safetensors.numpy import save as save_tensors

    from sklearn_deep._persistence import _versions

    path = tmp_path_factory.mktemp("json") / "tree.safetensors"
    for estimator in ({"class": "MLPClassifier", "params": value}, value):
        metadata = {
            "format": "sklearn_deep",
            "format_version": 1,
            "versions": _versions(),
            "estimator": estimator,
        }
        text = json.dumps(metadata)
        path.write_bytes(save_tensors({}, metadata={"sklearn_deep": text}))
        with pytest.raises(ModelFormatError):
            load(path)


# ---------------------------------------------------------------- pickling
@pytest.mark.parametrize("kind", ["classifier", "autoencoder", "init", "gcn"])
def test_pickle_and_joblib_round_trip(kind, tmp_path):
    estimator = _fitted(kind)
    _assert_same_outputs(estimator, pickle.loads(pickle.dumps(estimator)))
    joblib.dump(estimator, tmp_path / "m.joblib")
    _assert_same_outputs(estimator, joblib.load(tmp_path / "m.joblib"))


@pytest.mark.parametrize("kind", ["classifier", "gcn"])
def test_pickling_moves_device_tensors_to_the_cpu(kind, monkeypatch):
    # No GPU here: make every tensor look off-host, so pickling takes the path
    # that copies the network and the optimiser state to the CPU.
    estimator = _fitted(kind)
    moved = []
    real_cpu = torch.Tensor.cpu

    def on_device(tensor):
        return False

    def counting_cpu(tensor, *args, **kwargs):
        moved.append(tensor.shape)
        return real_cpu(tensor, *args, **kwargs)

    monkeypatch.setattr(_pickling, "_on_host", on_device)
    monkeypatch.setattr(torch.Tensor, "cpu", counting_cpu)
    state = estimator.__getstate__()
    assert state["module_"] is not estimator.module_  # a host copy, not the live one
    n_tensors = len(list(estimator.module_.parameters())) + len(
        list(estimator.module_.buffers())
    )
    assert len(moved) >= n_tensors
    monkeypatch.undo()
    restored = pickle.loads(pickle.dumps(estimator))
    _assert_same_outputs(estimator, restored)
    copy = pickle.loads(pickle.dumps(state["module_"]))
    original = estimator.module_.state_dict().values()
    for a, b in zip(copy.state_dict().values(), original, strict=True):
        assert a.device.type == "cpu"
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_module_to_cpu_keeps_a_host_module_as_is():
    module = torch.nn.Linear(2, 2)
    assert _pickling.module_to_cpu(module) is module


def test_exports():
    assert {"save", "load", "ModelFormatError"} <= set(sklearn_deep.__all__)
    assert issubclass(ModelFormatError, ValueError)


def test_tagger_save_load_and_pickle(tmp_path):
    from sklearn_deep import LSTMTagger

    sentences = [["The", "dog", "ran"], ["a", "cat", "sat", "down"]] * 3
    tags = [["D", "N", "V"], ["D", "N", "V", "P"]] * 3
    tagger = LSTMTagger(
        embedding_dim=4,
        hidden_size=4,
        char_embedding_dim=4,
        char_hidden_size=4,
        early_stopping=False,
        max_iter=2,
        random_state=0,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tagger.fit(sentences, tags)
    save(tagger, tmp_path / "tagger.safetensors")
    for restored in (
        load(tmp_path / "tagger.safetensors"),
        pickle.loads(pickle.dumps(tagger)),
    ):
        assert restored.predict(sentences) == tagger.predict(sentences)
        for a, b in zip(
            restored.predict_proba(sentences),
            tagger.predict_proba(sentences),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)
        assert restored.vocabulary_ == tagger.vocabulary_


# ------------------------------------------- files of earlier versions
SAVED_0_1_0 = Path(__file__).parent / "data" / "saved_0_1_0"
SENTENCES = [["the", "dog", "ran"], ["a", "cat", "sat", "down"], ["dogs", "run"]] * 2
OUTPUTS_0_1_0 = {
    "mlp_classifier": lambda est, X: est.predict_proba(X),
    "mlp_regressor": lambda est, X: est.predict(X),
    "autoencoder": lambda est, X: est.transform(X),
    "gcn": lambda est, X: est.predict_proba(np.arange(12)),
    "lstm_tagger": lambda est, X: np.concatenate(est.predict_proba(SENTENCES)),
}


# The files pin the on-disk format of 0.1.0: never regenerate them (README.txt).
@pytest.mark.filterwarnings("ignore:The model was saved with:UserWarning")
@pytest.mark.parametrize("name", sorted(OUTPUTS_0_1_0))
def test_files_saved_by_0_1_0_load_and_predict_the_same(name):
    expected = np.load(SAVED_0_1_0 / "expected.npz")
    estimator = load(SAVED_0_1_0 / f"{name}.safetensors")
    output = OUTPUTS_0_1_0[name](estimator, expected["X"])
    np.testing.assert_allclose(output, expected[name], rtol=1e-6, atol=1e-7)


def _drop(*keys):
    def edit(metadata):
        node = metadata
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return edit


def test_load_gives_parameters_missing_from_the_file_their_defaults(
    saved_file, tmp_path
):
    # A newer version may add parameters: a file written before lacks them.
    original = load(saved_file)
    path = _rewrite(saved_file, _drop("estimator", "params", "dropout"), tmp_path)
    loaded = load(path)
    params = loaded.get_params(deep=False)
    assert params["dropout"] == MLPClassifier().get_params()["dropout"]
    del params["dropout"]
    assert params.keys() <= original.get_params(deep=False).keys()
    for key, value in params.items():
        assert repr(value) == repr(original.get_params(deep=False)[key]), key
    _assert_same_outputs(original, loaded)


def test_load_still_refuses_a_parameter_the_class_does_not_take(saved_file, tmp_path):
    def edit(metadata):
        _drop("estimator", "params", "dropout")(metadata)
        _set("estimator", "params", "n_gpus_unknown", value=2)(metadata)

    path = _rewrite(saved_file, edit, tmp_path)
    with pytest.raises(ModelFormatError, match=r"parameters \['n_gpus_unknown'\]"):
        load(path)
