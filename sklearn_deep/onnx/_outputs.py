"""What each fitted estimator outputs, read from its public fitted attributes.

The shape calculators and the converters agree through these helpers on the
kind of classification target, the class labels and their ONNX type.
"""

import numpy as np


def classifier_kind(model):
    """The target the classifier was fitted on: binary, multiclass, multilabel.

    A softmax output is multiclass; one logistic output is binary, several
    independent ones multilabel. A classifier without ``out_activation_``
    (``CNNClassifier``) always ends in a softmax.
    """
    if getattr(model, "out_activation_", "softmax") == "softmax":
        return "multiclass"
    return "binary" if model.n_outputs_ == 1 else "multilabel"


def regression_activation(model):
    """The regressor's output activation: "identity", or "exp" (Poisson loss).

    A regressor without ``out_activation_`` (``CNNRegressor``) has none.
    """
    return getattr(model, "out_activation_", "identity")


def label_classes(model, options):
    """The labels the graph outputs: ``classes_``, or 0..n-1 with ``nocl``.

    Numeric labels become int64, as skl2onnx does for scikit-learn's
    classifiers (ONNX's label outputs are int64 or string); float labels are
    whole numbers, as scikit-learn's classifiers accept no others.
    """
    classes = np.asarray(model.classes_)
    if options.get("nocl", False):
        return np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "biuf":
        return classes.astype(np.int64)
    return np.array([str(label) for label in classes], dtype=object)


def labels_are_strings(classes):
    """Whether ``label_classes`` gave strings (else int64)."""
    return classes.dtype == object
