"""scikit-learn's callbacks (``sklearn.callback``), told about every epoch.

scikit-learn 1.9 added callbacks that an estimator accepts through
``set_callbacks``: a fit is a task, and an iterative estimator reports each of
its iterations as a subtask, passing the callbacks a ready-to-predict copy of
itself. Here the iterations are the engine's epochs: ``EpochCallbacks`` opens
the fit's task, one subtask per epoch, and tells the engine to stop when a
callback asks for it. With a scikit-learn without ``sklearn.callback`` the
mixin adds nothing and ``EpochCallbacks.start`` returns None, so estimators
train as before.
"""

from sklearn_deep._training._hooks import Hook

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9: no callbacks.

    class CallbackSupportMixin:
        """Stand-in for ``sklearn.callback.CallbackSupportMixin``: no callbacks."""


class EpochCallbacks(Hook):
    """Report a fit and its epochs to the estimator's scikit-learn callbacks.

    Parameters
    ----------
    estimator : estimator
        The estimator being fitted; it must have ``_init_callback_context``.
    context : sklearn.callback.CallbackContext
        The root context of the fit.
    X, y, metadata : object
        The data passed to the callbacks' hooks (``metadata`` holds e.g.
        ``sample_weight``).
    """

    def __init__(self, estimator, context, X, y, metadata):
        self.estimator = estimator
        self.context = context
        self.X, self.y, self.metadata = X, y, metadata
        self._epoch = None

    @classmethod
    def start(cls, estimator, X, y, *, max_epochs, metadata=None):
        """Open the fit's task; None when scikit-learn has no callbacks.

        ``max_epochs`` bounds the number of epoch subtasks of this fit.
        """
        if not hasattr(estimator, "_init_callback_context"):
            return None
        context = estimator._init_callback_context(max_subtasks=max_epochs)
        context.call_on_fit_task_begin(estimator=estimator, X=X, y=y, metadata=metadata)
        return cls(estimator, context, X, y, metadata)

    def on_epoch_begin(self, run):
        self.epoch_begin(run.module)

    def on_epoch_end(self, run):
        if self.epoch_end(run.module):
            run.state.interrupted = True
            run.stop = True

    def on_train_end(self, run, error):
        self.close_epoch()

    def epoch_begin(self, module):
        """Open the task of the next epoch."""
        self._epoch = self.context.subcontext(task_name="epoch")
        self._epoch.call_on_fit_task_begin(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=lambda: {"module_": module},
        )

    def epoch_end(self, module):
        """Close the epoch's task; return True if a callback asks to stop.

        Callbacks that take ``fitted_estimator`` get a shallow copy of the
        estimator holding the network as it is after this epoch.
        """
        epoch, self._epoch = self._epoch, None
        return epoch.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=lambda: {"module_": module},
        )

    def close_epoch(self):
        """Close an epoch that ended early (divergence, Ctrl-C, an error).

        Its task ends without data, so that every begin has its end.
        """
        if self._epoch is not None:
            epoch, self._epoch = self._epoch, None
            epoch.call_on_fit_task_end(estimator=self.estimator)

    def close(self):
        """Close the fit's task, once the estimator holds its fitted state."""
        self.context.call_on_fit_task_end(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes={},
        )
