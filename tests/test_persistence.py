"""save/load without pickle, its refusals, and pickling that maps to the CPU."""

import io
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
    GAN,
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
        if kind.startswith("gan"):
            gan = GAN(4, (6,), (5, 3), pac=2, batch_size=8, **FAST)
            if kind == "gan-conditional":
                return gan.fit(X.astype(np.float32), Y_LABELS)
            return gan.fit(X)
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
    "gan",
    "gan-conditional",
]


def _outputs(estimator):
    if isinstance(estimator, GAN):
        labels = None if not hasattr(estimator, "classes_") else Y_LABELS[:10]
        return [estimator.sample(10, random_state=0, y=labels), [estimator.score(X)]]
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
    """A copy of the model file at ``path`` with its JSON metadata edited.

    Its stored digest is recomputed, as an attacker would (``_edit_file``).
    """
    return _edit_file(path, tmp_path, edit)


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
    from safetensors.numpy import load_file

    tensors = load_file(str(saved_file))
    key = next(k for k in tensors if k.startswith("module.") and "weight" in k)
    for change, message in [
        ({key: tensors[key][:, :-1]}, "shape"),
        ({key: tensors[key].astype(np.float64)}, "dtype"),
        ({"module.extra": np.zeros(3, np.float32)}, "does not use"),
    ]:
        path = _edit_file(
            saved_file, tmp_path, change_tensors=lambda t, c=change: t.update(c)
        )
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
    sentences = [["The", "dog", "ran"], ["a", "cat", "sat", "down"]] * 3
    tagger = _fitted_tagger(early_stopping=False)
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


# ------------------------------------------------ hostile files: helpers
def _edit_file(path, tmp_path, edit=None, change_tensors=None, name="edited"):
    """A copy of the model file at ``path``, its JSON and tensors edited.

    A digest stored in the file is recomputed, as an attacker would: these
    files test what ``load`` checks besides the digest.
    """
    from safetensors.numpy import load as load_tensors
    from safetensors.numpy import save as save_tensors

    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    extra = json.loads(data[8 : 8 + n])["__metadata__"]
    metadata = json.loads(extra["sklearn_deep"])
    tensors = load_tensors(data)
    if edit is not None:
        edit(metadata)
    if change_tensors is not None:
        change_tensors(tensors)
    if "digest" in metadata:
        from sklearn_deep._persistence import _digest

        metadata["digest"] = _digest(metadata["estimator"], tensors)
    extra = {**extra, "sklearn_deep": json.dumps(metadata)}
    out = tmp_path / f"{name}.safetensors"
    out.write_bytes(save_tensors(tensors, metadata=extra))
    return out


def _edits(*edits):
    def edit(metadata):
        for one in edits:
            one(metadata)

    return edit


def _fitted_tagger(transformer=False, **params):
    from sklearn_deep import LSTMTagger, TransformerTagger

    sentences = [["The", "dog", "ran"], ["a", "cat", "sat", "down"]] * 3
    tags = [["D", "N", "V"], ["D", "N", "V", "P"]] * 3
    if not transformer:
        params["hidden_size"] = 4
    tagger = (TransformerTagger if transformer else LSTMTagger)(
        embedding_dim=4,
        char_embedding_dim=4,
        char_hidden_size=4,
        max_iter=2,
        random_state=0,
        device="cpu",
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return tagger.fit(sentences, tags)


def _fitted_transformer():
    return _fitted_tagger(transformer=True, d_model=4, n_heads=2, dim_feedforward=4)


@pytest.fixture(scope="module")
def saved_files(tmp_path_factory):
    """One saved file per family: an MLP, a tagger, a featureless GCN."""
    folder = tmp_path_factory.mktemp("families")
    files = {}
    for name, estimator in [
        ("classifier", _fitted("classifier")),
        ("tagger", _fitted_tagger()),
        ("transformer", _fitted_transformer()),
        ("gcn-featureless", _fitted("gcn-featureless")),
    ]:
        files[name] = folder / f"{name}.safetensors"
        save(estimator, files[name])
    return files


def _empty_coo_adjacency(n_nodes):
    """Edits making a GCN file's graph an empty COO matrix of ``n_nodes``."""

    def edit(metadata):
        metadata["estimator"]["params"]["adjacency"] = {
            "__sparse__": {
                "format": "coo",
                "array": False,
                "shape": [n_nodes, n_nodes],
                "row": "params.adjacency.row",
                "col": "params.adjacency.col",
                "data": "params.adjacency.data",
            }
        }
        attributes = metadata["estimator"]["attributes"]
        attributes["n_nodes_"] = attributes["n_node_features_"] = n_nodes

    def change_tensors(tensors):
        del tensors["params.adjacency"]
        tensors["params.adjacency.row"] = np.zeros(0, np.int32)
        tensors["params.adjacency.col"] = np.zeros(0, np.int32)
        tensors["params.adjacency.data"] = np.zeros(0, np.float64)

    return edit, change_tensors


def _hostile_files(saved_files, tmp_path):
    """Hostile files: each declares far more than it holds."""
    edits = {
        "mlp-hidden-40000x40000": (
            "classifier",
            _edits(
                _set("estimator", "params", "hidden_layer_sizes", value=[40000, 40000]),
                _set("estimator", "attributes", "n_layers_", value=4),
            ),
            None,
        ),
        "mlp-n-features-1e8": (
            "classifier",
            _set("estimator", "attributes", "n_features_in_", value=10**8),
            None,
        ),
        "mlp-200000-layers": (
            "classifier",
            _set("estimator", "params", "hidden_layer_sizes", value=[1] * 200_000),
            None,
        ),
        "tagger-embedding-5e7": (
            "tagger",
            _set("estimator", "params", "embedding_dim", value=50_000_000),
            None,
        ),
        "tagger-hidden-6000": (
            "tagger",
            _set("estimator", "params", "hidden_size", value=6000),
            None,
        ),
        "transformer-d-model-5e7": (
            "transformer",
            _set("estimator", "params", "d_model", value=50_000_000),
            None,
        ),
        "transformer-1e6-layers": (
            "transformer",
            _set("estimator", "params", "n_layers", value=10**6),
            None,
        ),
        "gcn-empty-3e7-nodes": ("gcn-featureless", *_empty_coo_adjacency(3 * 10**7)),
        "classes-U9999999": (
            "classifier",
            _set(
                "estimator",
                "attributes",
                "classes_",
                value={"__array__": ["U9999999", [20], [str(i) for i in range(20)]]},
            ),
            None,
        ),
        "classes-500000-U64": (
            "classifier",
            _set(
                "estimator",
                "attributes",
                "classes_",
                value={"__array__": ["<U64", [500_000], [""] * 500_000]},
            ),
            None,
        ),
    }
    return {
        name: _edit_file(saved_files[source], tmp_path, edit, change, name=name)
        for name, (source, edit, change) in edits.items()
    }


# Loads files in a fresh process and reports, per file, the outcome, the time
# and the peak resident memory above the memory before the load (Linux: the
# peak is reset before each file). The address space is capped at 2 GiB above
# the baseline, so that a regression fails fast instead of swapping the
# machine; the parent's timeout bounds the time.
_MEASURE_LOADS = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from sklearn_deep import load

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024

warm_up, paths = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for path in warm_up:  # imports and lazy set-up happen here, not measured
    load(path)
limit = status("VmSize:") + 2 * 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
results = {}
for name, path in paths.items():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak resident memory (VmHWM)
    baseline = status("VmRSS:")
    start = time.perf_counter()
    try:
        load(path)
        outcome = "loaded"
    except BaseException as exc:
        outcome = f"{type(exc).__name__}: {exc}"
        cause = exc
        while cause is not None:  # a refusal only because the cap was hit
            if isinstance(cause, MemoryError) or "allocate" in str(cause):
                outcome = "allocation failed at the cap: " + outcome
                break
            cause = cause.__cause__ or cause.__context__
    seconds = time.perf_counter() - start
    peak = status("VmHWM:")
    results[name] = [outcome[:300], seconds, (peak - baseline) / 2**20]
print(json.dumps(results))
"""


def _measure_loads(warm_up, paths, timeout=120):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _MEASURE_LOADS,
            json.dumps([str(p) for p in warm_up]),
            json.dumps({k: str(v) for k, v in paths.items()}),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


_LINUX_PROC = os.path.exists("/proc/self/clear_refs")


# --------------------------------- 1, 2. allocation and string attacks
@pytest.mark.skipif(not _LINUX_PROC, reason="measures memory through Linux /proc")
def test_hostile_files_are_refused_fast_in_little_memory(saved_files, tmp_path):
    # Each file is a few KB that declares a network, a graph or strings of
    # gigabytes: load must refuse it before allocating what it declares.
    hostile = _hostile_files(saved_files, tmp_path)
    results = _measure_loads(list(saved_files.values()), hostile)
    print(json.dumps(results, indent=1))  # the figures, with pytest -s
    for name, (outcome, seconds, megabytes) in results.items():
        assert outcome.startswith("ModelFormatError"), (name, outcome)
        assert seconds < 0.5, (name, seconds, outcome)
        assert megabytes < 50, (name, megabytes, outcome)


def test_string_arrays_wider_than_their_values_are_refused(saved_file, tmp_path):
    for dtype, message in [("U9999999", "wider"), ("<U99999", "wider")]:
        node = {"__array__": [dtype, [3], ["a", "b", "c"]]}
        path = _edit_file(
            saved_file,
            tmp_path,
            _set("estimator", "attributes", "classes_", value=node),
        )
        with pytest.raises(ModelFormatError, match=message):
            load(path)


def test_string_arrays_keep_a_modest_width(tmp_path):
    # A label array may be declared wider than its labels (np.unique keeps
    # y's dtype): such a file still round trips.
    y = np.array(["cat", "dog", "emu"], dtype="<U20")[RNG.randint(0, 3, 40)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = MLPClassifier((6,), **FAST).fit(X, y)
    save(estimator, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


def _fuzzed_size_edits(seed, n):
    """``n`` random edits that blow up one size the network is built from."""
    rng = np.random.RandomState(seed)
    edits = {}
    for i in range(n):
        huge = int(rng.choice([10**5, 10**6, 10**7, 10**8, 2**31, 10**12]))
        which = rng.randint(6)
        if which == 0:
            width = [int(rng.randint(1, 8)), huge][rng.randint(2) :]
            edit = _edits(  # n_layers_ kept consistent: only the shapes tell
                _set("estimator", "params", "hidden_layer_sizes", value=width),
                _set("estimator", "attributes", "n_layers_", value=len(width) + 2),
            )
            source = "classifier"
        elif which == 1:
            edit = _set("estimator", "attributes", "n_features_in_", value=huge)
            source = "classifier"
        elif which == 2:
            edit = _set("estimator", "attributes", "n_outputs_", value=huge)
            source = "classifier"
        elif which == 3:
            key = ["embedding_dim", "hidden_size", "char_embedding_dim"][i % 3]
            edit = _set("estimator", "params", key, value=huge)
            source = "tagger"
        elif which == 4:
            edit = _set("estimator", "params", "num_layers", value=min(huge, 10**6))
            source = "tagger"
        else:
            edit = _set(
                "estimator",
                "params",
                "hidden_layer_sizes",
                value={"__tuple__": [huge]},
            )
            source = "gcn-featureless"
        edits[f"fuzz-{i}"] = (source, edit)
    return edits


@pytest.mark.skipif(not _LINUX_PROC, reason="measures memory through Linux /proc")
def test_fuzzed_sizes_are_refused_fast_in_little_memory(saved_files, tmp_path):
    paths = {
        name: _edit_file(saved_files[source], tmp_path, edit, name=name)
        for name, (source, edit) in _fuzzed_size_edits(0, 24).items()
    }
    results = _measure_loads(list(saved_files.values()), paths)
    for name, (outcome, seconds, megabytes) in results.items():
        assert outcome.startswith("ModelFormatError"), (name, outcome)
        assert seconds < 0.5, (name, seconds, outcome)
        assert megabytes < 50, (name, megabytes, outcome)


def test_gcn_graph_larger_than_the_file_is_refused_before_building(tmp_path):
    # A graph of many nodes and no edge costs nothing to declare but memory
    # linear in its nodes to normalise: bounded by what the file holds.
    path = tmp_path / "gcn.safetensors"
    save(_fitted("gcn-featureless"), path)
    edit, change = _empty_coo_adjacency(10**6)
    with pytest.raises(ModelFormatError, match="more nodes than a file"):
        load(_edit_file(path, tmp_path, edit, change))


# ------------------------------------------------- 3. what a path may be
def test_load_refuses_what_is_not_a_regular_file(tmp_path):
    with pytest.raises(ModelFormatError, match="directory"):
        load(tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ModelFormatError, match="not a regular file"):
            load("/dev/zero")
    for argument in (None, 3, io.BytesIO(b"model"), ["model.safetensors"]):
        with pytest.raises(ModelFormatError, match="path of a model file"):
            load(argument)


def test_load_of_a_missing_file_names_it(tmp_path):
    missing = tmp_path / "nowhere.safetensors"
    with pytest.raises(FileNotFoundError, match="nowhere.safetensors"):
        load(missing)
    with pytest.raises(FileNotFoundError):
        load(str(missing))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_load_of_a_fifo_does_not_block(tmp_path):
    # Reading a FIFO waits for a writer, forever: load must refuse it without
    # opening it for a blocking read. In a subprocess, so that a regression
    # fails on the timeout instead of hanging the suite.
    import subprocess
    import sys

    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    code = (
        "import sys\n"
        "from sklearn_deep import ModelFormatError, load\n"
        "try:\n"
        "    load(sys.argv[1])\n"
        "except ModelFormatError as exc:\n"
        "    print('refused:', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(fifo)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused:" in result.stdout and "not a regular file" in result.stdout


# --------------------------------------- 4. attributes a class declares
@pytest.mark.parametrize(
    "attribute", ["__sklearn_is_fitted__", "__deepcopy__", "__array__", "coef_"]
)
def test_load_sets_only_the_fitted_attributes_the_class_declares(
    saved_file, tmp_path, attribute
):
    path = _rewrite(
        saved_file, _set("estimator", "attributes", attribute, value="x"), tmp_path
    )
    with pytest.raises(ModelFormatError, match="restores only its fitted attributes"):
        load(path)


@pytest.mark.parametrize("kind", KINDS)
def test_declared_attributes_are_those_fit_sets(kind):
    # What save writes and load restores: every fitted attribute of a fit,
    # nothing a fit does not set.
    estimator = _fitted(kind)
    fitted = set(vars(estimator)) - set(estimator.get_params(deep=False))
    assert fitted - {"module_"} <= type(estimator)._restorable_attributes()


def test_declared_attributes_include_those_of_files_saved_by_0_1_0():
    for path in sorted(SAVED_0_1_0.glob("*.safetensors")):
        data = path.read_bytes()
        (n,) = struct.unpack("<Q", data[:8])
        extra = json.loads(data[8 : 8 + n])["__metadata__"]
        node = json.loads(extra["sklearn_deep"])["estimator"]
        cls = dict(sklearn_deep.utils.discovery.all_estimators())[node["class"]]
        assert set(node["attributes"]) <= cls._restorable_attributes(), path.name


@pytest.mark.parametrize("kind", [*KINDS, "tagger", "transformer"])
def test_shape_module_matches_the_network_without_memory(kind):
    fitted_taggers = {"tagger": _fitted_tagger, "transformer": _fitted_transformer}
    estimator = fitted_taggers.get(kind, lambda: _fitted(kind))()
    skeleton = estimator._shape_module()
    real = estimator.module_.state_dict()
    shapes = {k: (tuple(v.shape), v.dtype) for k, v in real.items()}
    assert {
        k: (tuple(v.shape), v.dtype) for k, v in skeleton.state_dict().items()
    } == shapes
    assert all(t.device.type == "meta" for t in skeleton.state_dict().values())


def _classes_edit(classes, **attributes):
    def edit(metadata):
        node = metadata["estimator"]["attributes"]
        node["classes_"] = {"__array__": ["<U3", [len(classes)], list(classes)]}
        node.update(attributes)

    return edit


@pytest.mark.parametrize(
    "classes, attributes, message",
    [
        (["a"], {"_target_type": "binary", "n_outputs_": 1}, "at least 2"),
        (
            ["a", "b", "c"],
            {"_target_type": "binary", "n_outputs_": 1, "out_activation_": "logistic"},
            "binary model has 2 classes",
        ),
        (["a", "b"], {}, "multiclass model of 2 classes has n_outputs_=2"),
        (["a", "b", "c", "d"], {}, "n_outputs_=4"),
        (["a", "a", "b"], {}, "distinct"),
        (["a", "b", "c"], {"_target_type": "ordinal"}, "Unknown target type"),
        (["a", "b", "c"], {"out_activation_": "logistic"}, "out_activation_"),
        (["a", "b", "c"], {"n_layers_": 7}, "n_layers_"),
        (["a", "b", "c"], {"n_features_in_": 0}, "n_features_in_"),
    ],
)
def test_load_refuses_fitted_attributes_that_contradict_the_network(
    saved_file, tmp_path, classes, attributes, message
):
    # The saved classifier is multiclass with 3 classes and 3 outputs.
    path = _rewrite(saved_file, _classes_edit(classes, **attributes), tmp_path)
    with pytest.raises(ModelFormatError, match=message):
        load(path)


def test_binary_classifier_file_with_three_classes_is_refused(tmp_path):
    y = np.array(["no", "yes"])[(X[:, 0] > 0).astype(int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = MLPClassifier((6,), **FAST).fit(X, y)
    save(estimator, tmp_path / "binary.safetensors")
    for classes in (["no"], ["maybe", "no", "yes"]):
        path = _rewrite(
            tmp_path / "binary.safetensors", _classes_edit(classes), tmp_path
        )
        with pytest.raises(ModelFormatError):
            load(path)


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("vocabulary_", {"__dict__": [["dog", 2], ["cat", 10**9]]}, "vocabulary_"),
        ("char_vocabulary_", {"__dict__": [["a", -1]]}, "char_vocabulary_"),
        ("_token_format", {"__tuple__": ["tuple", 2]}, "features"),
        ("_token_format", "str", "Invalid token format"),
        ("feature_vocabularies_", [{"__dict__": []}], "feature_vocabularies_"),
    ],
)
def test_load_refuses_an_inconsistent_tagger(
    saved_files, tmp_path, key, value, message
):
    path = _edit_file(
        saved_files["tagger"],
        tmp_path,
        _set("estimator", "attributes", key, value=value),
    )
    with pytest.raises(ModelFormatError, match=message):
        load(path)


def test_load_refuses_an_inconsistent_graph(saved_files, tmp_path):
    for attribute, value in [("n_nodes_", 31), ("n_node_features_", 29)]:
        path = _edit_file(
            saved_files["gcn-featureless"],
            tmp_path,
            _set("estimator", "attributes", attribute, value=value),
        )
        with pytest.raises(ModelFormatError, match=attribute):
            load(path)


# ----------------------------------------------- the optional integrity check
def _sha256(path):
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tampered_weights(saved_file, tmp_path, recompute):
    """The classifier with NaN weights; its stored digest recomputed or not."""
    from safetensors.numpy import load_file
    from safetensors.numpy import save as save_tensors

    def poison(tensors):
        key = next(k for k in tensors if k.startswith("module.") and "weight" in k)
        tensors[key] = np.full_like(tensors[key], np.nan)

    if recompute:
        return _edit_file(saved_file, tmp_path, change_tensors=poison, name="nan")
    tensors = load_file(str(saved_file))
    poison(tensors)
    data = saved_file.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    extra = json.loads(data[8 : 8 + n])["__metadata__"]
    path = tmp_path / "nan-stale-digest.safetensors"
    path.write_bytes(save_tensors(tensors, metadata=extra))
    return path


def test_stored_digest_finds_changes_made_without_recomputing_it(saved_file, tmp_path):
    path = _tampered_weights(saved_file, tmp_path, recompute=False)
    with pytest.raises(ModelFormatError, match="does not match the digest"):
        load(path)
    assert np.isnan(load(path, verify=False).predict_proba(X)).all()


def test_expected_sha256_finds_any_change(saved_file, tmp_path):
    # An attacker recomputes the stored digest; only a digest from a trusted
    # source tells that the weights (NaN) or the labels (swapped) changed.
    expected = _sha256(saved_file)
    assert load(saved_file, verify=expected).classes_.tolist() == ["cat", "dog", "emu"]
    assert load(saved_file, verify=expected.upper()) is not None
    swapped = _rewrite(
        saved_file,
        _set(
            "estimator",
            "attributes",
            "classes_",
            value={"__array__": ["<U3", [3], ["dog", "cat", "emu"]]},
        ),
        tmp_path,
    )
    for tampered in (_tampered_weights(saved_file, tmp_path, recompute=True), swapped):
        load(tampered)  # consistent: nothing else can tell
        with pytest.raises(ModelFormatError, match="not the expected"):
            load(tampered, verify=expected)


def test_files_saved_by_0_1_0_have_no_digest_and_verify_by_sha256():
    path = SAVED_0_1_0 / "mlp_classifier.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        load(path, verify=True)
        load(path, verify=_sha256(path))
        with pytest.raises(ModelFormatError, match="not the expected"):
            load(path, verify="0" * 64)


@pytest.mark.parametrize("verify", ["yes", "abc", 1, None, "g" * 64])
def test_verify_takes_a_bool_or_a_sha256(saved_file, verify):
    with pytest.raises(ValueError, match="verify must be"):
        load(saved_file, verify=verify)


def test_save_refuses_a_network_parameter_changed_since_fit(tmp_path):
    """A parameter that shapes the network, set after fit, would load as
    another model: save says so rather than write the file."""
    X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]
    clf = MLPClassifier((4,), max_iter=2, random_state=0, device="cpu").fit(X, y)
    clf.set_params(max_iter=3)
    sklearn_deep.save(clf, tmp_path / "fine.safetensors")
    clf.set_params(activation="tanh")
    with pytest.raises(ValueError, match="changed since it was fitted"):
        sklearn_deep.save(clf, tmp_path / "other.safetensors")


@pytest.mark.parametrize(
    "edit",
    [
        {"d_model": 2**24, "n_heads": 2**24},
        {"n_layers": 5000},
    ],
)
def test_transformer_sizes_beyond_the_file_are_refused_at_once(
    saved_files, tmp_path, edit
):
    def enlarge(metadata):
        metadata["estimator"]["params"].update(edit)

    crafted = _rewrite(saved_files["transformer"], enlarge, tmp_path)
    with pytest.raises(ModelFormatError, match="file"):
        load(crafted)


def test_save_refuses_a_head_count_changed_since_fit(tmp_path):
    """n_heads changes no tensor's shape, yet another model."""
    tagger = _fitted_transformer()
    tagger.set_params(n_heads=4)
    with pytest.raises(ValueError, match="changed since it was fitted"):
        save(tagger, tmp_path / "other.safetensors")
