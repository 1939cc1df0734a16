"""``to_onnx``: export a fitted estimator or pipeline in one call."""

import skl2onnx
from sklearn.base import BaseEstimator, is_classifier
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.base import DeepEstimator
from sklearn_deep.onnx._refusals import refuse
from sklearn_deep.onnx._registration import REFUSED


def _estimators_in(estimator):
    """``estimator`` and every estimator nested in it (pipeline steps...)."""
    found = [estimator]
    if isinstance(estimator, BaseEstimator):
        found += [
            value
            for value in estimator.get_params(deep=True).values()
            if isinstance(value, BaseEstimator)
        ]
    return found


def to_onnx(estimator, X_sample, *, target_opset=None, **options):
    """Export a fitted estimator or pipeline to an ONNX model.

    A thin wrapper of :func:`skl2onnx.to_onnx` that registers the converters
    of sklearn_deep's estimators first and applies ``options`` to every
    classifier in ``estimator``. A :class:`~sklearn.pipeline.Pipeline` or
    :class:`~sklearn.compose.ColumnTransformer` may hold sklearn_deep's
    estimators next to scikit-learn's. The model runs with ``onnxruntime``
    alone, without PyTorch or scikit-learn; see :ref:`deploying`.

    Parameters
    ----------
    estimator : estimator or Pipeline
        Fitted. Exportable: :class:`~sklearn_deep.MLPClassifier`,
        :class:`~sklearn_deep.MLPRegressor`, :class:`~sklearn_deep.Autoencoder`
        (its ``transform``), ``CNNClassifier`` and ``CNNRegressor`` (fitted
        with ``dtype="float32"``), and what skl2onnx converts.
    X_sample : ndarray or DataFrame
        A few rows of input (``X[:1]``): they set the graph's input name,
        type and width. float32 rows give a float graph input and outputs,
        float64 rows double ones; the networks compute in their own dtype.
    target_opset : int, default=None
        The ONNX opset to target; None means skl2onnx's latest tested one.
    **options
        Converter options for every classifier inside ``estimator``, as
        skl2onnx names them: ``zipmap`` (True: probabilities as a list of
        dicts, False: as a matrix), ``nocl`` (labels 0..n-1 instead of
        ``classes_``), ``output_class_labels``.

    Returns
    -------
    model : onnx.ModelProto
        The ONNX model; ``model.SerializeToString()`` is the file's content.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If one of sklearn_deep's estimators in ``estimator`` is not fitted.
    NotImplementedError
        For estimators that are no fixed graph of their input rows
        (:class:`~sklearn_deep.GCNClassifier`, :class:`~sklearn_deep.LSTMTagger`,
        ``TorchClassifier`` and ``TorchRegressor``) and for float64
        convolutional networks: save those with :func:`sklearn_deep.save`.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_deep import MLPClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, y)
    >>> onx = to_onnx(clf, X[:1], zipmap=False)
    >>> session = onnxruntime.InferenceSession(onx.SerializeToString())
    >>> labels, proba = session.run(None, {"X": X[:3]})
    >>> bool((labels == clf.predict(X[:3])).all())
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X[:3]), atol=1e-5))
    True
    """
    estimators = _estimators_in(estimator)
    # Checked before skl2onnx starts, whose errors would not name the step.
    for step in estimators:
        if isinstance(step, tuple(REFUSED)):
            refuse(step)
    # get_params lists the templates of fitted containers (a ColumnTransformer's
    # transformers, whose fitted clones are elsewhere): only the top level is
    # checked here; skl2onnx's shape calculators check every fitted step.
    if isinstance(estimator, DeepEstimator):
        check_is_fitted(estimator)
    classifiers = [e for e in estimators if is_classifier(e)]
    per_model = {id(e): dict(options) for e in classifiers} if options else None
    return skl2onnx.to_onnx(
        estimator, X_sample, options=per_model, target_opset=target_opset
    )
