"""Estimators that cannot be exported, and why: a clear error at parse time.

skl2onnx calls an estimator's parser first; these parsers raise at once, so
that converting a pipeline that holds one of them says what to do instead of
skl2onnx's generic "unable to find a shape calculator".
"""

_SAVE_INSTEAD = (
    "Save it with sklearn_deep.save (and load it with sklearn_deep.load) to "
    "serve it from Python."
)

# Why each estimator is not a fixed graph of its rows.
REASONS = {
    "GCNClassifier": (
        "it is transductive: X holds indices of nodes of the graph the "
        "estimator holds, and every prediction passes messages over that whole "
        "graph (its adjacency and every node's features), not over a row of "
        "features"
    ),
    "TorchClassifier": (
        "its network's forward is your own Python code, which the exporter "
        "does not translate into operators; the network itself (module_) can "
        "go through torch.onnx.export, followed by the softmax or sigmoid of "
        "predict_proba"
    ),
    "TorchRegressor": (
        "its network's forward is your own Python code, which the exporter "
        "does not translate into operators; the network itself (module_) can "
        "go through torch.onnx.export"
    ),
    "LSTMTagger": (
        "it tags sentences of any length through vocabulary lookups of "
        "strings and a recurrence over the tokens, which the exporter does "
        "not express as a fixed graph of array operators"
    ),
    "GAN": (
        "it has no predict or transform of rows: its samples are drawn from "
        "random noise by sample(); its generator network (module_.generator) "
        "can go through torch.onnx.export, followed by the map back to X's "
        "units, samples * scale_ + mean_"
    ),
    "TransformerTagger": (
        "it tags sentences of any length through vocabulary lookups of "
        "strings, which the exporter does not express as array operators"
    ),
}


def refuse(model):
    """Raise ``NotImplementedError`` saying why ``model`` cannot be exported."""
    name = next(c.__name__ for c in type(model).__mro__ if c.__name__ in REASONS)
    reason = REASONS[name]
    raise NotImplementedError(
        f"{type(model).__name__} cannot be exported to ONNX: {reason}. " + _SAVE_INSTEAD
    )


def refusing_parser(scope, model, inputs, custom_parsers=None):
    """The skl2onnx parser of an estimator that cannot be exported: it refuses."""
    refuse(model)


# skl2onnx checks the signatures of what it registers. Neither is called: the
# parser raises first.
def refused_shapes(operator):  # pragma: no cover
    """The shape calculator of an estimator whose parser refuses."""
    raise NotImplementedError(f"{operator.type} cannot be exported to ONNX.")


def refused_converter(scope, operator, container):  # pragma: no cover
    """The converter of an estimator whose parser refuses."""
    raise NotImplementedError(f"{operator.type} cannot be exported to ONNX.")
