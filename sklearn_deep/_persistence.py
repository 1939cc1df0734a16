"""Saving and loading fitted estimators without pickle.

``pickle`` and ``joblib`` run code named in the file when loading it: a model
file from an untrusted source is a program. ``save`` writes a safetensors file
instead: the tensors (the network's weights, numeric arrays, the optimiser's
moments) as raw data, and everything else (parameters, fitted attributes such
as ``classes_`` and vocabularies, versions, the estimator's class name) as JSON
in the file's metadata header. ``load`` parses both without executing anything,
builds only estimator classes of this package (an allow-list), and checks the
format version, the versions it was written with, a digest of the content
when the file has one, that the fitted attributes are those the class declares
and agree with each other, and that the tensors are exactly those the network
expects, with their shapes and dtypes: on torch's "meta" device, before any
memory is allocated for the network. What a file may declare is bounded by
its own size. Anything it does not trust raises ``ModelFormatError``; see
``docs/persistence.rst`` for what this does and does not guarantee.

The JSON tree is plain JSON for ``None``, bools, numbers, strings and lists;
every JSON object is a tagged node (``{"__tuple__": [...]}``, ``{"__dict__":
[[key, value], ...]}``, ``{"__tensor__": name}``, ...), so an unknown tag is an
error rather than a guess.
"""

import dataclasses
import hashlib
import json
import math
import os
import re
import stat
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
# A string array may be declared this many characters wide whatever its
# values (numpy keeps the width of the labels' dtype); wider, it must be as
# wide as its longest value, so that a file cannot declare gigabytes of padding.
_STRING_WIDTH_SLACK = 64
# The bytes of all the string arrays of a file: at most this many, or 8 per
# byte of its JSON header.
_STRING_BYTES_FLOOR = 16 * 2**20
# Tag of the digest of a file's content stored in its metadata.
_DIGEST_ALGORITHM = "sha256"
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


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
    >>> clf = clf.fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.safetensors")
    >>> save(clf, path)
    >>> bool((load(path).predict(X) == clf.predict(X)).all())
    True
    """
    check_network = getattr(estimator, "_check_network_unchanged", None)
    if check_network is not None:
        check_network()
    tensors = {}
    payload = _Encoder(tensors).estimator(estimator, prefix="")
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "estimator": payload,
        "digest": _digest(payload, tensors),
    }
    text = json.dumps(metadata, allow_nan=True, separators=(",", ":"))
    data = _save_tensors(tensors, metadata={_METADATA_KEY: text})
    Path(path).write_bytes(data)


def load(path, *, verify=True, trusted_modules=()):
    """Load an estimator saved by :func:`sklearn_deep.save`, on the CPU.

    Nothing in the file is executed: it is parsed as tensors and JSON, and only
    estimator classes of sklearn_deep are built, with only the fitted
    attributes their class declares. Everything the file declares is checked
    before memory is allocated for it: a file cannot make ``load`` build a
    network, a graph or strings larger than what it holds. See
    :ref:`persistence` for what this guarantees and what it does not.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save``: a regular file (not a directory, a device
        or a pipe), read whole into memory.
    verify : bool or str, default=True
        The integrity check. True checks the digest of the content that
        ``save`` stores in the file, when it has one (files of sklearn_deep
        0.1.0 have none): it finds corruption, but not a deliberate change,
        since whoever changes the file can recompute it. A string is the
        SHA-256 of the whole file (64 hexadecimal digits, as ``sha256sum`` or
        ``hashlib.file_digest`` give) obtained from a source you trust, for
        instance computed where the file was saved and published beside it:
        the file must match it exactly, which no change to it can survive.
        False checks nothing.
    trusted_modules : sequence of classes or str, default=()
        The network classes (``torch.nn.Module`` subclasses) that a
        :class:`TorchClassifier` or :class:`TorchRegressor` in the file may
        be built from, as the classes themselves or as their import paths
        ``"package.module.ClassName"``. The file names its network class by
        its path only; ``load`` builds it only if it is listed here (a class
        given is used as is; a path is imported, which runs that module's
        code, the code you named and not the file's). Listing a class means
        trusting its constructor and ``forward`` with the file's arguments
        and weights, checked by shape as for every network.

    Returns
    -------
    estimator : estimator of sklearn_deep
        The fitted estimator; its predictions equal the saved one's. Parameters
        that the class gained after the file was written take their defaults.

    Raises
    ------
    ModelFormatError
        If the file is not a sklearn_deep model, is truncated or corrupted, does
        not match its digest or ``verify``, has another format version, comes
        from a newer sklearn_deep, names a class outside the package, sets
        attributes the class does not declare or that contradict each other,
        declares more than it holds, or its tensors do not fit the network;
        also if ``path`` is not a path, or names a directory or anything but a
        regular file.
    FileNotFoundError
        If there is no file at ``path``.
    """
    trusted = _trusted_classes(trusted_modules)
    if not (verify is True or verify is False or _is_hex_digest(verify)):
        raise ValueError(
            "verify must be True, False or the file's SHA-256 digest (64 "
            f"hexadecimal digits), got {verify!r}."
        )
    data = _read_file(path)
    if isinstance(verify, str):
        actual = hashlib.sha256(data).hexdigest()
        if actual != verify.lower():
            raise ModelFormatError(
                f"{path} has the SHA-256 digest {actual}, not the expected "
                f"{verify.lower()}: it is not the file that was saved, or it was "
                "changed since. Refusing to load it."
            )
    try:
        metadata = _read_metadata(data)
        tensors = _load_tensors(data)
    except ModelFormatError:
        raise
    except Exception as exc:
        raise ModelFormatError(
            f"{path} is not a readable sklearn_deep model file: {exc}"
        ) from exc
    (header_length,) = struct.unpack("<Q", data[:8])
    n_bytes = len(data)
    del data
    if verify is True and "digest" in metadata:
        _check_digest(metadata, tensors, path)
    try:
        return _decode_file(metadata, tensors, n_bytes, header_length, trusted)
    except ModelFormatError:
        raise
    except Exception as exc:
        # Anything else a decoded value trips over (a wrong type deep in the
        # tree, a parameter the class rejects) means a file we did not write.
        raise ModelFormatError(
            f"{path} holds a model that cannot be rebuilt: {type(exc).__name__}: {exc}"
        ) from exc


def _is_hex_digest(value):
    return isinstance(value, str) and _HEX_DIGEST.fullmatch(value) is not None


def _read_file(path):
    """The bytes of the regular file at ``path``, read without blocking.

    A directory, a device (``/dev/zero`` never ends), a pipe (reading one
    waits for a writer) or a socket is refused before anything is read: the
    file is opened without blocking and checked on its descriptor, so that it
    cannot be swapped in between. At most its size is read.
    """
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise ModelFormatError(
            "load takes the path of a model file (a str or path-like), got "
            f"{type(path).__name__}."
        )
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError as exc:
        raise FileNotFoundError(
            exc.errno, "No sklearn_deep model file at this path", os.fsdecode(path)
        ) from exc
    except IsADirectoryError as exc:
        raise ModelFormatError(f"{path} is a directory, not a model file.") from exc
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"Cannot open the model file {path}: {exc}") from exc
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise ModelFormatError(f"{path} is a directory, not a model file.")
        if not stat.S_ISREG(info.st_mode):
            raise ModelFormatError(
                f"{path} is not a regular file (a device, a pipe or a socket): "
                "load reads model files only."
            )
        # Buffered: its read(n) goes on until n bytes or the end, whereas one
        # system call returns at most about 2 GB.
        file = open(descriptor, "rb")  # noqa: SIM115 (closed below)
    except BaseException as exc:
        os.close(descriptor)
        if isinstance(exc, OSError):
            raise ModelFormatError(f"Cannot read the model file {path}: {exc}") from exc
        raise
    size = info.st_size
    with file:
        try:
            data = file.read(size + 1)
        except OSError as exc:
            raise ModelFormatError(f"Cannot read the model file {path}: {exc}") from exc
    if len(data) != size:
        raise ModelFormatError(
            f"{path} changed size while it was read (or is not a plain file)."
        )
    return data


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
def _looks_like_pickle(data):
    """Whether ``data`` starts as pickle (protocol 2 and later) or joblib does.

    A pickle opens with the PROTO opcode and its protocol number; joblib's
    compressed files open with zlib's or gzip's magic bytes. Asked only of a
    file that is not a safetensors file, whose first bytes (its header's
    length) may look like either.
    """
    head = bytes(data[:2])
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return True
    # zlib's header byte then its check byte (a multiple of 31 together), gzip.
    zlib = len(head) == 2 and head[0] == 0x78 and int.from_bytes(head) % 31 == 0
    return zlib or head == b"\x1f\x8b"


def _read_metadata(data):
    """The JSON metadata of a safetensors file, validated before parsing."""
    not_safetensors = len(data) < 8 or struct.unpack("<Q", data[:8])[0] > min(
        len(data) - 8, _MAX_HEADER_BYTES
    )
    # Say what the file is when it is a common mistake.
    if not_safetensors and _looks_like_pickle(data):
        raise ModelFormatError(
            "This is a pickle (or joblib) file, not a file written by "
            "sklearn_deep.save. Files of pickle or joblib are never loaded "
            "by sklearn_deep.load: open them with pickle.load or "
            "joblib.load, and only if you trust their source."
        )
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


def _digest(estimator, tensors):
    """The digest node of a file's content: its estimator's JSON and tensors.

    The JSON is hashed in a canonical form (sorted keys) and each tensor by its
    name, dtype, shape and little-endian bytes, so that ``load`` recomputes it
    from what it parsed.
    """
    digest = hashlib.sha256(b"sklearn_deep model\0")

    def add(part):
        digest.update(struct.pack("<Q", len(part)))
        digest.update(part)

    add(json.dumps(estimator, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(tensors):
        array = np.asarray(tensors[name])
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        add(json.dumps([name, array.dtype.str, list(array.shape)]).encode())
        add(array.reshape(-1).view(np.uint8).data)
    return {_DIGEST_ALGORITHM: digest.hexdigest()}


def _check_digest(metadata, tensors, path):
    stored = metadata["digest"]
    if _digest(metadata.get("estimator"), tensors) != stored:
        raise ModelFormatError(
            f"The content of {path} does not match the digest stored in it: "
            "the file was corrupted or edited after save. Pass verify=False to "
            "load it anyway, if you trust it."
        )


def _decode_file(metadata, tensors, n_bytes, header_length, trusted=None):
    decoder = _Decoder(
        tensors,
        n_bytes=n_bytes,
        string_budget=max(_STRING_BYTES_FLOOR, 8 * header_length),
        trusted_modules=trusted or {},
    )
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
        # The fitted attributes the class declares, the only ones load
        # restores; anything else (scikit-learn's callbacks) is not the model.
        restorable = type(estimator)._restorable_attributes()
        attributes = {
            key: value
            for key, value in vars(estimator).items()
            if key in restorable and key not in params
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
                dtype = value.dtype
                if dtype.kind == "U":
                    # load refuses a width beyond the slack and the longest
                    # value: store what it accepts (the values are the same).
                    longest = max((len(v) for v in items), default=0)
                    if dtype.itemsize // 4 > max(longest, _STRING_WIDTH_SLACK):
                        dtype = np.dtype(f"<U{max(longest, 1)}")
                return {"__array__": [dtype.str, list(value.shape), items]}
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
        if isinstance(value, type) and issubclass(value, torch.nn.Module):
            return {"__module_class__": _class_path(value)}
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

    def __init__(self, tensors, *, n_bytes, string_budget, trusted_modules=None):
        self.tensors = tensors
        self.used = set()
        # The size of the file, which bounds what it may declare, and the
        # bytes its string arrays may still take.
        self.n_bytes = n_bytes
        self.string_budget = string_budget
        # {import path: class or None (import it)} the user allows.
        self.trusted_modules = trusted_modules or {}

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
        # Only the fitted attributes the class declares: never a dunder that
        # numpy, copy or scikit-learn would call, a method or a parameter.
        restorable = cls._restorable_attributes()
        for key in attributes:
            if key not in restorable or key in expected or hasattr(cls, key):
                raise ModelFormatError(
                    f"Invalid attribute name {str(key)[:80]!r} in the file: "
                    f"{name} restores only its fitted attributes "
                    f"({sorted(restorable)})."
                )
        estimator = cls(**{k: self.value(v) for k, v in params.items()})
        for key, value in attributes.items():
            setattr(estimator, key, self.value(value))
        module_node = node.get("module")
        prefix = module_node.get("prefix") if isinstance(module_node, dict) else None
        if not isinstance(prefix, str):
            raise ModelFormatError(f"The file lacks the weights of the {name}.")
        n_weights = sum(key.startswith(f"{prefix}module.") for key in self.tensors)
        # Parameters and fitted attributes against each other and against
        # the file's size, then the network's shapes against the file's
        # tensors, before anything of the declared size is allocated.
        try:
            estimator._check_fitted_state(n_weights=n_weights, n_bytes=self.n_bytes)
            skeleton = estimator._shape_module()
        except Exception as exc:
            raise ModelFormatError(
                f"The {name} in the file does not hang together: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._check_network(skeleton, module_node, name)
        module = estimator._rebuild_module()
        self._load_module(module, module_node, name)
        estimator.module_ = module.eval()
        return estimator

    def _check_network(self, skeleton, node, name):
        """The file's tensors against a network built on the meta device."""
        self._check_keys(skeleton.state_dict(), node, name)
        declared = 0
        for key, target in skeleton.state_dict().items():
            array = self.tensors.get(f"{node['prefix']}module.{key}")
            if array is None:
                raise ModelFormatError(f"The file lacks the weight {key!r}.")
            dtype = _NUMPY_TO_TORCH.get(array.dtype)
            if tuple(array.shape) != tuple(target.shape) or dtype != target.dtype:
                raise ModelFormatError(
                    f"The weight {key!r} of the {name} has shape "
                    f"{tuple(array.shape)} and dtype {array.dtype}; the network its "
                    f"parameters describe expects {tuple(target.shape)} and "
                    f"{target.dtype}."
                )
        for tensor in (*skeleton.parameters(), *skeleton.buffers()):
            declared += tensor.numel() * tensor.element_size()
        if declared > self.n_bytes:
            raise ModelFormatError(
                f"The {name} in the file declares a network of {declared} bytes "
                f"in a file of {self.n_bytes}."
            )

    @staticmethod
    def _check_keys(expected, node, name):
        keys = node.get("keys")
        if not isinstance(keys, list) or sorted(expected) != keys:
            got = keys if isinstance(keys, list) else []
            missing = sorted(set(expected) - set(got))
            extra = sorted(set(got) - set(expected))
            raise ModelFormatError(
                f"The weights of the {name} do not fit its network: missing "
                f"{missing[:5]}, unexpected {extra[:5]}."
            )

    def _load_module(self, module, node, name):
        expected = module.state_dict()
        self._check_keys(expected, node, name)
        prefix = node["prefix"]
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
        if math.prod(shape) != len(items):
            raise ModelFormatError("An array in the file has the wrong size.")
        values = [self.value(v) for v in items]
        if dtype.kind == "O":
            array = np.empty(len(values), dtype=object)
            array[:] = values
        else:
            if not all(isinstance(v, str) for v in values):
                raise ModelFormatError("A string array in the file holds non-strings.")
            # numpy pads every string to the dtype's width: a few labels of
            # a declared width of millions would take gigabytes.
            longest = max((len(v) for v in values), default=0)
            width = dtype.itemsize // 4
            if width > max(longest, _STRING_WIDTH_SLACK):
                raise ModelFormatError(
                    f"A string array in the file is declared {width} characters "
                    f"wide, wider than its longest value ({longest})."
                )
            self.string_budget -= dtype.itemsize * len(values)
            if self.string_budget < 0:
                raise ModelFormatError(
                    "The string arrays of the file take more memory than its "
                    "header can describe."
                )
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


# The numpy dtypes of the tensors a network may hold, as torch's.
_NUMPY_TO_TORCH = {
    np.dtype(name): getattr(torch, name)
    for name in ("float16", "float32", "float64", "int8", "int16", "int32", "int64")
} | {np.dtype(np.uint8): torch.uint8, np.dtype(np.bool_): torch.bool}


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
    "__module_class__": lambda self, path: _trusted_class(self.trusted_modules, path),
}


# ------------------------------------------ network classes of the user's own
def _class_path(cls):
    """``"package.module.ClassName"``, the only thing a file says of a class."""
    if "<locals>" in cls.__qualname__:
        raise TypeError(
            f"Cannot save the network class {cls.__qualname__}: it is defined "
            "inside a function, where load cannot find it. Define it at the top "
            "level of a module."
        )
    return f"{cls.__module__}.{cls.__qualname__}"


def _trusted_classes(trusted_modules):
    """``{import path: class or None}`` of ``load``'s ``trusted_modules``."""
    if isinstance(trusted_modules, (str, type)):
        trusted_modules = [trusted_modules]
    trusted = {}
    for entry in trusted_modules:
        if isinstance(entry, type) and issubclass(entry, torch.nn.Module):
            trusted[_class_path(entry)] = entry
        elif isinstance(entry, str) and re.fullmatch(r"[\w.]+\.\w+", entry):
            trusted.setdefault(entry, None)
        else:
            raise TypeError(
                "trusted_modules must hold torch.nn.Module subclasses or their "
                f"import paths 'package.module.ClassName', got {entry!r}."
            )
    return trusted


def _trusted_class(trusted, path):
    """The network class the file names by ``path``, if the user trusts it."""
    if not isinstance(path, str):
        raise ModelFormatError("A network class in the file is not a path.")
    if path not in trusted:
        raise ModelFormatError(
            f"The file's model is built from the network class {path!r}, which "
            "load does not run unless you trust it: pass "
            f"trusted_modules=[{path.rpartition('.')[2]}] (the class) or "
            f"trusted_modules=[{path!r}]."
        )
    cls = trusted[path]
    if cls is None:
        import importlib

        # The longest importable prefix holds the class (nested classes too).
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            try:
                cls = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            for attribute in parts[cut:]:
                cls = getattr(cls, attribute, None)
            break
        if not (isinstance(cls, type) and issubclass(cls, torch.nn.Module)):
            raise ModelFormatError(
                f"The trusted network class {path!r} cannot be imported (or is "
                "not a torch.nn.Module subclass)."
            )
    return cls
