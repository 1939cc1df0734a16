"""Export fitted estimators and whole pipelines to ONNX.

Importing this package registers converters for sklearn_deep's estimators
with `skl2onnx <https://onnx.ai/sklearn-onnx/>`_, so that
``skl2onnx.to_onnx(pipeline, X[:1])`` converts a pipeline that holds them
next to scikit-learn's; :func:`to_onnx` does the same in one call. The
exported model runs with ``onnxruntime`` alone. It needs the ``onnx`` extra:
``pip install "sklearn_deep[onnx]"``.
"""

try:
    import onnx  # noqa: F401
    import skl2onnx  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        "Exporting to ONNX needs skl2onnx and onnx (and onnxruntime to run the "
        'result): pip install "sklearn_deep[onnx]".'
    ) from exc

from sklearn_deep.onnx._export import to_onnx
from sklearn_deep.onnx._registration import register_converters

register_converters()

__all__ = ["register_converters", "to_onnx"]
