"""Saving and loading fitted estimators without pickle.

``pickle`` and ``joblib`` run code named in the file when loading it: a model
file from an untrusted source is a program. ``save`` writes a safetensors file
instead: the tensors (the network's weights, numeric arrays, the optimiser's
moments) as raw data, and everything else (parameters, fitted attributes such
as ``classes_`` and vocabularies, versions, the estimator's class name) as JSON
in the file's metadata header. ``load`` parses both without executing anything,
builds only estimator classes of this package (an allow-list), and checks the
format version, the versions it was written with, and that the tensors are
exactly those the network expects, with their shapes and dtypes. Anything it
does not trust raises ``ModelFormatError``.

The JSON tree is plain JSON for ``None``, bools, numbers, strings and lists;
every JSON object is a tagged node (``{"__tuple__": [...]}``, ``{"__dict__":
[[key, value], ...]}``, ``{"__tensor__": name}``, ...), so an unknown tag is an
error rather than a guess.
"""

import dataclasses
import json
import struct
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
import sklearn
import torch
from safetensors.numpy import load as _load_tensors
from safetensors.numpy import save as _save_tensors
from skorch.history import History

from sklearn_deep.exceptions import ModelFormatError

FORMAT_NAME = "sklearn_deep"
FORMAT_VERSION = 1
# The metadata key of the safetensors header that holds our JSON.
_METADATA_KEY = "sklearn_deep"
# A header larger than this is not one we wrote (the JSON of a large tagger's
# vocabularies is a few MB); refusing early bounds the memory a hostile length
# field can make us allocate.
_MAX_HEADER_BYTES = 256 * 2**20
# numpy kinds stored as tensors; strings and objects go to the JSON.
_TENSOR_KINDS = "biuf"
_JSON_ARRAY_KINDS = "UO"
_TORCH_DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64", "int64", "int32")
_SPARSE_FORMATS = ("csr", "csc", "coo")


def _allowed_classes():
    """The estimator classes ``load`` may build: the package's own, by name."""
    from sklearn_deep.utils.discovery import all_estimators

    return dict(all_estimators())


def save(estimator, path):
    """Save a fitted estimator to ``path`` without pickle.

    The file is a safetensors file: the weights and numeric arrays as tensors,
    the parameters and the other fitted attributes as JSON in its header. Load
    it with :func:`sklearn_deep.load`, which never runs code from the file.

    Parameters
    ----------
    estimator : estimator of sklearn_deep
        A fitted estimator. An ``init`` autoencoder of an MLP is saved with it.
        Parameters that are functions (e.g. a callable ``scoring``) cannot be
        saved without pickle and raise ``TypeError``.
    path : str or path-like
        Where to write the file (conventionally ``*.safetensors``).

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklearn_deep import MLPClassifier, save, load
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1]
    >>> clf = MLPClassifier((4,), max_iter=5, random_state=0, device="cpu")
    >>> clf = clf.fit(X, y)  # doctest: +SKIP
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> save(clf, path)  # doctest: +SKIP
    >>> (load(path).predict(X) == clf.predict(X)).all()  # doctest: +SKIP
    True
    """
    tensors = {}
    payload = _Encoder(tensors).estimator(estimator, prefix="")
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": payload,
    }
    text = json.dumps(metadata, allow_nan=True, separators=(",", ":"))
    data = _save_tensors(tensors, metadata={_METADATA_KEY: text})
    Path(path).write_bytes(data)


def load(path):
    """Load an estimator saved by :func:`sklearn_deep.save`, on the CPU.

    Nothing in the file is executed: it is parsed as tensors and JSON, and only
    estimator classes of sklearn_deep are built.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save``.

    Returns
    -------
    estimator : estimator of sklearn_deep
        The fitted estimator; its predictions equal the saved one's. Parameters
        that the class gained after the file was written take their defaults.

    Raises
    ------
    ModelFormatError
        If the file is not a sklearn_deep model, is truncated or corrupted, has
        another format version, comes from a newer sklearn_deep, names a class
        outside the package, or its tensors do not fit the network.
    """
    data = Path(path).read_bytes()
    try:
        metadata = _read_metadata(data)
        tensors = _load_tensors(data)
    except ModelFormatError:
        raise
    except Exception as exc:
        raise ModelFormatError(
            f"{path} is not a readable sklearn_deep model file: {exc}"
        ) from exc
    try:
        return _decode_file(metadata, tensors)
    except ModelFormatError:
        raise
    except Exception as exc:
        # Anything else a decoded value trips over (a wrong type deep in the
        # tree, a parameter the class rejects) means a file we did not write.
        raise ModelFormatError(
            f"{path} holds a model that cannot be rebuilt: {type(exc).__name__}: {exc}"
        ) from exc


# ----------------------------------------------------------------- versions
def _versions():
    import sklearn_deep

    return {
        "sklearn_deep": sklearn_deep.__version__,
        "torch": torch.__version__,
        "sklearn": sklearn.__version__,
    }


def _release(version):
    """``(major, minor)`` of a version string, for comparing releases."""
    parts = str(version).split("+")[0].split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError) as exc:
        raise ModelFormatError(f"Unreadable version {version!r} in the file.") from exc


def _check_versions(versions):
    if not isinstance(versions, dict):
        raise ModelFormatError("The file's versions are missing.")
    current = _versions()
    saved = versions.get("sklearn_deep")
    if _release(saved) > _release(current["sklearn_deep"]):
        raise ModelFormatError(
            f"The model was saved by sklearn_deep {saved}, newer than this "
            f"{current['sklearn_deep']}; upgrade sklearn_deep to load it."
        )
    for name in ("torch", "sklearn"):
        if versions.get(name) != current[name]:
            warnings.warn(
                f"The model was saved with {name} {versions.get(name)} and is "
                f"loaded with {current[name]}; predictions may differ slightly.",
                UserWarning,
                stacklevel=4,
            )


# ------------------------------------------------------------------ reading
def _read_metadata(data):
    """The JSON metadata of a safetensors file, validated before parsing."""
    if len(data) < 8:
        raise ModelFormatError("The file is too short to be a model file.")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > min(len(data) - 8, _MAX_HEADER_BYTES):
        raise ModelFormatError(
            f"The file's header claims {header_length} bytes but the file has "
            f"{len(data)}: it is truncated or not a model file."
        )
    header = json.loads(data[8 : 8 + header_length].decode("utf-8"))
    if not isinstance(header, dict):
        raise ModelFormatError("The file's header is not a safetensors header.")
    extra = header.get("__metadata__")
    if not isinstance(extra, dict) or _METADATA_KEY not in extra:
        raise ModelFormatError(
            "The file is not a sklearn_deep model file (no sklearn_deep metadata). "
            "Files of pickle or joblib are never loaded by sklearn_deep.load."
        )
    metadata = json.loads(extra[_METADATA_KEY])
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
        raise ModelFormatError("The file is not a sklearn_deep model file.")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"Unsupported model format version {metadata.get('format_version')!r}; "
            f"this sklearn_deep reads version {FORMAT_VERSION}."
        )
    _check_versions(metadata.get("versions"))
    return metadata


def _decode_file(metadata, tensors):
    decoder = _Decoder(tensors)
    estimator = decoder.estimator(metadata.get("estimator"))
    unused = sorted(set(tensors) - decoder.used)
    if unused:
        raise ModelFormatError(
            f"The file holds tensors that the model does not use: {unused[:5]}."
        )
    return estimator


# ----------------------------------------------------------------- encoding
class _Encoder:
    """Turns an estimator's state into a JSON tree plus named tensors."""

    def __init__(self, tensors):
        self.tensors = tensors

    def estimator(self, estimator, prefix):
        classes = _allowed_classes()
        name = type(estimator).__name__
        if classes.get(name) is not type(estimator):
            raise TypeError(
                f"save handles the estimators of sklearn_deep only, got {name}."
            )
        if not hasattr(estimator, "module_"):
            raise ValueError(f"This {name} is not fitted yet: call fit before save.")
        params = estimator.get_params(deep=False)
        attributes = {
            key: value
            for key, value in vars(estimator).items()
            if key not in params and key != "module_"
        }
        state_dict = estimator.module_.state_dict()
        for key, tensor in state_dict.items():
            self._add(f"{prefix}module.{key}", tensor)
        return {
            "class": name,
            "params": {
                k: self.value(v, f"{prefix}params.{k}") for k, v in params.items()
            },
            "attributes": {
                k: self.value(v, f"{prefix}attributes.{k}")
                for k, v in attributes.items()
            },
            "module": {"prefix": prefix, "keys": sorted(state_dict)},
        }

    def _add(self, name, array):
        if isinstance(array, torch.Tensor):
            array = array.detach().cpu().numpy()
        # A copy: safetensors refuses tensors that share memory (tied weights).
        self.tensors[name] = np.array(array, copy=True, order="C")
        return name

    def value(self, value, name):
        """The JSON tree of ``value``; tensors it holds are named after ``name``."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            if value.dtype.kind not in _TENSOR_KINDS:
                return self.value(value.item(), name)
            return {"__scalar__": [value.dtype.str, value.item()]}
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, torch.Tensor):
            return {"__torch__": self._add(name, value)}
        if isinstance(value, np.ndarray):
            if value.dtype.kind in _TENSOR_KINDS:
                return {"__tensor__": self._add(name, value)}
            if value.dtype.kind in _JSON_ARRAY_KINDS:
                items = [self.value(v, f"{name}.{i}") for i, v in enumerate(value.flat)]
                return {"__array__": [value.dtype.str, list(value.shape), items]}
        if sp.issparse(value):
            return self._sparse(value, name)
        if isinstance(value, History):
            return {"__history__": self.value(list(value), name)}
        if type(value) is list:
            return [self.value(v, f"{name}.{i}") for i, v in enumerate(value)]
        if type(value) is tuple:
            return {
                "__tuple__": [self.value(v, f"{name}.{i}") for i, v in enumerate(value)]
            }
        if isinstance(value, dict):
            return {
                "__dict__": [
                    [self.value(k, f"{name}.k{i}"), self.value(v, f"{name}.v{i}")]
                    for i, (k, v) in enumerate(value.items())
                ]
            }
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, torch.dtype):
            return {"__torch_dtype__": str(value).removeprefix("torch.")}
        if isinstance(value, np.random.RandomState):
            return {"__random_state__": self.value(value.get_state(), name)}
        if dataclasses.is_dataclass(value) and type(value) in _dataclasses():
            fields = {
                f.name: self.value(getattr(value, f.name), f"{name}.{f.name}")
                for f in dataclasses.fields(value)
            }
            return {"__dataclass__": [type(value).__name__, fields]}
        if type(value).__name__ in _allowed_classes():
            return {"__estimator__": self.estimator(value, prefix=f"{name}/")}
        frozen = _frozen_estimator_class()
        if frozen is not None and type(value) is frozen:
            return {"__frozen__": self.value(value.estimator, name)}
        raise TypeError(
            f"Cannot save {name.split('/')[-1]} of type {type(value).__name__} "
            "without pickle. Set it to a plain value (e.g. a scorer name instead "
            "of a function), or use pickle/joblib for trusted storage."
        )

    def _sparse(self, matrix, name):
        fmt = matrix.format if matrix.format in _SPARSE_FORMATS else "csr"
        matrix = matrix.asformat(fmt)
        if fmt == "coo":
            parts = {"row": matrix.row, "col": matrix.col, "data": matrix.data}
        else:
            parts = {
                "data": matrix.data,
                "indices": matrix.indices,
                "indptr": matrix.indptr,
            }
        return {
            "__sparse__": {
                "format": fmt,
                "array": isinstance(matrix, sp.sparray),
                "shape": list(matrix.shape),
                **{k: self._add(f"{name}.{k}", v) for k, v in parts.items()},
            }
        }


def _dataclasses():
    """The dataclasses of the package that fitted estimators hold, by name."""
    from sklearn_deep._training._state import TrainingState

    return {TrainingState: "TrainingState"}


def _frozen_estimator_class():
    try:
        from sklearn.frozen import FrozenEstimator
    except ImportError:  # scikit-learn < 1.6
        return None
    return FrozenEstimator


# ----------------------------------------------------------------- decoding
class _Decoder:
    """Builds values from the JSON tree, taking tensors by name exactly once."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.used = set()

    def _take(self, name):
        if not isinstance(name, str) or name not in self.tensors:
            raise ModelFormatError(f"The file lacks the tensor {name!r}.")
        if name in self.used:
            raise ModelFormatError(f"The tensor {name!r} is referenced twice.")
        self.used.add(name)
        return self.tensors[name]

    def estimator(self, node):
        if not isinstance(node, dict):
            raise ModelFormatError("The file describes no estimator.")
        name = node.get("class")
        classes = _allowed_classes()
        if not isinstance(name, str) or name not in classes:
            raise ModelFormatError(
                f"The file names the class {name!r}, which is not an estimator of "
                f"sklearn_deep ({sorted(classes)}); refusing to build it."
            )
        cls = classes[name]
        params, attributes = node.get("params"), node.get("attributes")
        if not isinstance(params, dict) or not isinstance(attributes, dict):
            raise ModelFormatError(f"The {name} in the file lacks params.")
        expected = set(cls().get_params(deep=False))
        # A parameter added to the class after the file was written takes its
        # default; one the class does not know is a file we did not write.
        unknown = sorted(set(params) - expected)
        if unknown:
            raise ModelFormatError(
                f"The {name} in the file has parameters {unknown} that {name} "
                f"does not take (it takes {sorted(expected)})."
            )
        estimator = cls(**{k: self.value(v) for k, v in params.items()})
        for key, value in attributes.items():
            # A fitted attribute never shadows anything of the class (methods,
            # properties) nor a parameter.
            if not key.isidentifier() or key in expected or hasattr(cls, key):
                raise ModelFormatError(f"Invalid attribute name {key!r} in the file.")
            setattr(estimator, key, self.value(value))
        module = estimator._rebuild_module()
        self._load_module(module, node.get("module"), name)
        estimator.module_ = module.eval()
        return estimator

    def _load_module(self, module, node, name):
        expected = module.state_dict()
        if not isinstance(node, dict) or not isinstance(node.get("prefix"), str):
            raise ModelFormatError(f"The file lacks the weights of the {name}.")
        prefix, keys = node["prefix"], node.get("keys")
        if not isinstance(keys, list) or sorted(expected) != keys:
            got = keys if isinstance(keys, list) else []
            missing = sorted(set(expected) - set(got))
            extra = sorted(set(got) - set(expected))
            raise ModelFormatError(
                f"The weights of the {name} do not fit its network: missing "
                f"{missing[:5]}, unexpected {extra[:5]}."
            )
        state = {}
        for key, target in expected.items():
            array = self._take(f"{prefix}module.{key}")
            tensor = torch.from_numpy(np.array(array, copy=True))
            if tensor.shape != target.shape or tensor.dtype != target.dtype:
                raise ModelFormatError(
                    f"The weight {key!r} of the {name} has shape "
                    f"{tuple(tensor.shape)} and dtype {tensor.dtype}; its network "
                    f"expects {tuple(target.shape)} and {target.dtype}."
                )
            state[key] = tensor
        module.load_state_dict(state, strict=True)

    def value(self, node):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if not isinstance(node, dict) or len(node) != 1:
            raise ModelFormatError(f"Unexpected value in the file: {str(node)[:80]}.")
        ((tag, content),) = node.items()
        handler = _TAGS.get(tag)
        if handler is None:
            raise ModelFormatError(f"Unknown value type {tag!r} in the file.")
        return handler(self, content)

    def _scalar(self, content):
        dtype, value = content
        dtype = _checked_dtype(dtype, _TENSOR_KINDS)
        if not isinstance(value, (bool, int, float)):
            raise ModelFormatError("A numpy scalar in the file is not a number.")
        return dtype.type(value)

    def _array(self, content):
        dtype, shape, items = content
        dtype = _checked_dtype(dtype, _JSON_ARRAY_KINDS)
        shape = tuple(_checked_int(n) for n in shape)
        if int(np.prod(shape)) != len(items):
            raise ModelFormatError("An array in the file has the wrong size.")
        values = [self.value(v) for v in items]
        if dtype.kind == "O":
            array = np.empty(len(values), dtype=object)
            array[:] = values
        else:
            if not all(isinstance(v, str) for v in values):
                raise ModelFormatError("A string array in the file holds non-strings.")
            array = np.array(values, dtype=dtype)
        return array.reshape(shape)

    def _sparse(self, content):
        fmt = content["format"]
        if fmt not in _SPARSE_FORMATS:
            raise ModelFormatError(f"Unknown sparse format {fmt!r} in the file.")
        shape = tuple(_checked_int(n) for n in content["shape"])
        if fmt == "coo":
            parts = (
                self._take(content["data"]),
                (self._take(content["row"]), self._take(content["col"])),
            )
        else:
            parts = (
                self._take(content["data"]),
                self._take(content["indices"]),
                self._take(content["indptr"]),
            )
        container = {
            ("csr", False): sp.csr_matrix,
            ("csc", False): sp.csc_matrix,
            ("coo", False): sp.coo_matrix,
            ("csr", True): sp.csr_array,
            ("csc", True): sp.csc_array,
            ("coo", True): sp.coo_array,
        }[fmt, bool(content["array"])]
        matrix = container(parts, shape=shape)
        if fmt != "coo":
            matrix.check_format(full_check=True)
        return matrix

    def _dataclass(self, content):
        name, fields = content
        classes = {v: k for k, v in _dataclasses().items()}
        if name not in classes or not isinstance(fields, dict):
            raise ModelFormatError(f"Unknown state {name!r} in the file.")
        cls = classes[name]
        known = {f.name for f in dataclasses.fields(cls)}
        if set(fields) - known:
            raise ModelFormatError(f"Unknown fields of {name} in the file.")
        return cls(**{k: self.value(v) for k, v in fields.items()})

    def _random_state(self, content):
        random_state = np.random.RandomState()
        random_state.set_state(tuple(self.value(content)))
        return random_state

    def _dict(self, content):
        return {self.value(k): self.value(v) for k, v in content}

    def _torch_dtype(self, content):
        if content not in _TORCH_DTYPE_NAMES:
            raise ModelFormatError(f"Unknown torch dtype {content!r} in the file.")
        return getattr(torch, content)

    def _frozen(self, content):
        frozen = _frozen_estimator_class()
        if frozen is None:
            raise ModelFormatError("FrozenEstimator needs scikit-learn >= 1.6.")
        return frozen(self.value(content))


def _checked_dtype(dtype, kinds):
    if not isinstance(dtype, str) or len(dtype) > 8:
        raise ModelFormatError(f"Invalid dtype {str(dtype)[:20]!r} in the file.")
    dtype = np.dtype(dtype)
    if dtype.kind not in kinds or dtype.fields is not None or dtype.subdtype:
        raise ModelFormatError(f"Unexpected dtype {dtype} in the file.")
    return dtype


def _checked_int(value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ModelFormatError(f"Invalid size {value!r} in the file.")
    return value


_TAGS = {
    "__scalar__": _Decoder._scalar,
    "__tensor__": lambda self, name: np.array(self._take(name), copy=True),
    "__torch__": lambda self, name: torch.from_numpy(
        np.array(self._take(name), copy=True)
    ),
    "__array__": _Decoder._array,
    "__sparse__": _Decoder._sparse,
    "__history__": lambda self, rows: History(self.value(rows)),
    "__tuple__": lambda self, items: tuple(self.value(v) for v in items),
    "__dict__": _Decoder._dict,
    "__device__": lambda self, text: torch.device(text),
    "__torch_dtype__": _Decoder._torch_dtype,
    "__random_state__": _Decoder._random_state,
    "__dataclass__": _Decoder._dataclass,
    "__estimator__": lambda self, node: self.estimator(node),
    "__frozen__": _Decoder._frozen,
}
