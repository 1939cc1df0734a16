"""The exceptions that sklearn_deep raises itself."""

__all__ = ["ModelFormatError", "TrainingMemoryError"]


class ModelFormatError(ValueError):
    """A saved model that :func:`sklearn_deep.load` does not trust or cannot read.

    Raised for every file ``load`` refuses: not a sklearn_deep model file, a
    truncated or corrupted one, an unknown format version, a newer sklearn_deep
    release, an estimator class outside the package's own, or tensors that do
    not match the network (missing, extra, wrong shape or dtype). It subclasses
    ``ValueError`` so that code catching bad input keeps working.
    """


class TrainingMemoryError(MemoryError):
    """Training ran out of memory on its device; the message names the batch size.

    Raised in place of torch's out-of-memory errors (``torch.OutOfMemoryError``
    on CUDA, the CPU allocator's ``RuntimeError``), whose messages name neither
    the estimator's ``batch_size`` nor what to change.
    """
