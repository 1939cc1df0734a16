"""The training loss and validation score of each epoch, best epoch marked."""

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.utils._sklearn_compat import check_matplotlib_support


class TrainingHistoryDisplay:
    """Training loss and validation score per epoch, with the best epoch marked.

    The loss is drawn on the left axis and, when the estimator was fitted with
    ``early_stopping=True``, the validation score on a second axis on the
    right, with a vertical line at the epoch whose weights early stopping
    restored. Create it with :meth:`from_estimator`; build it directly only to
    draw curves kept from elsewhere.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The training loss of each epoch.

    validation_scores : array-like of shape (n_scored_epochs,) or None, \
default=None
        The validation score of the last ``n_scored_epochs`` epochs, or None.

    best_epoch : int or None, default=None
        The (1-based) epoch whose weights were restored, or None.

    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    score_name : str or None, default=None
        Name of the validation metric (``"accuracy"``, ``"R²"``, a scorer's
        name), shown on the validation axis and in the legend; "score" when
        None. :meth:`from_estimator` finds it from the estimator.

    Attributes
    ----------
    epochs : ndarray of shape (n_epochs,)
        The epoch numbers, from 1.

    loss_line_ : matplotlib Line2D
        The training-loss curve.

    validation_line_ : matplotlib Line2D or None
        The validation-score curve, or None without validation scores.

    best_line_ : matplotlib Line2D or None
        The vertical line at the best epoch, or None.

    ax_ : matplotlib Axes
        The axes of the loss.

    validation_ax_ : matplotlib Axes or None
        The twin axes of the validation score, or None.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    GradientFlowDisplay : Per-layer gradient norms per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_deep import MLPClassifier
    >>> from sklearn_deep.inspection import TrainingHistoryDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), early_stopping=True,
    ...                     max_iter=30, random_state=0).fit(X, y)
    >>> display = TrainingHistoryDisplay.from_estimator(clf)
    >>> len(display.loss_line_.get_xdata()) == clf.n_iter_
    True
    >>> display.best_epoch <= clf.n_iter_
    True
    >>> display.validation_ax_.get_ylabel()
    'validation accuracy'
    """

    def __init__(
        self,
        loss_curve,
        validation_scores=None,
        best_epoch=None,
        *,
        estimator_name=None,
        score_name=None,
    ):
        self.loss_curve = np.asarray(loss_curve, dtype=float)
        self.validation_scores = (
            None
            if validation_scores is None
            else np.asarray(validation_scores, dtype=float)
        )
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name
        self.score_name = score_name
        self.epochs = np.arange(1, len(self.loss_curve) + 1)

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, loss_kwargs=None, validation_kwargs=None
    ):
        """Draw the training history of a fitted estimator.

        Works for every estimator with ``loss_curve_`` (and, with early
        stopping, ``validation_scores_``): all the networks of sklearn_deep, and
        :class:`sklearn.neural_network.MLPClassifier` /
        :class:`~sklearn.neural_network.MLPRegressor` too.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with a ``loss_curve_`` attribute.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        loss_kwargs : dict, default=None
            Keyword arguments for the loss curve's ``ax.plot``.

        validation_kwargs : dict, default=None
            Keyword arguments for the validation curve's ``ax.plot``.

        Returns
        -------
        display : TrainingHistoryDisplay
            The display, with the curves drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_: it was fitted "
                "without an epoch loop (e.g. solver='lbfgs' in scikit-learn), "
                "or it is not a neural network."
            )
        scores = getattr(estimator, "validation_scores_", None)
        best_epoch = None if scores is None else _best_epoch(estimator, scores)
        display = cls(
            estimator.loss_curve_,
            scores,
            best_epoch,
            estimator_name=type(estimator).__name__,
            score_name=validation_score_name(estimator),
        )
        return display.plot(
            ax=ax, loss_kwargs=loss_kwargs, validation_kwargs=validation_kwargs
        )

    def plot(self, *, ax=None, loss_kwargs=None, validation_kwargs=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        loss_kwargs : dict, default=None
            Keyword arguments for the loss curve's ``ax.plot``.

        validation_kwargs : dict, default=None
            Keyword arguments for the validation curve's ``ax.plot``.

        Returns
        -------
        display : TrainingHistoryDisplay
            This display, with the curves drawn.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            _, ax = plt.subplots()
        (self.loss_line_,) = ax.plot(
            self.epochs,
            self.loss_curve,
            **{"color": "C0", "label": "training loss", **(loss_kwargs or {})},
        )
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
        ax.set_ylabel("training loss")
        handles = [self.loss_line_]
        self.validation_line_ = self.validation_ax_ = self.best_line_ = None
        if self.validation_scores is not None:
            self.validation_ax_ = ax.twinx()
            n = len(self.validation_scores)
            (self.validation_line_,) = self.validation_ax_.plot(
                self.epochs[len(self.epochs) - n :],
                self.validation_scores,
                **{
                    "color": "C1",
                    "label": f"validation {self.score_name or 'score'}",
                    **(validation_kwargs or {}),
                },
            )
            self.validation_ax_.set_ylabel(f"validation {self.score_name or 'score'}")
            handles.append(self.validation_line_)
        if self.best_epoch is not None:
            self.best_line_ = ax.axvline(
                self.best_epoch,
                color="C2",
                linestyle="--",
                label=f"best epoch ({self.best_epoch}, restored)",
            )
            handles.append(self.best_line_)
        # Losses fall and scores rise: the middle of the right side stays free.
        ax.legend(handles=handles, loc="center right")
        if self.estimator_name is not None:
            ax.set_title(f"Training history of {self.estimator_name}")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


def _best_epoch(estimator, scores):
    """The 1-based epoch whose weights early stopping restored."""
    history = getattr(estimator, "history_", None)
    if history is not None and len(history):
        best = [
            row["epoch"] for row in history if row.get("best") and "valid_score" in row
        ]
        if best:
            return int(best[-1])
    if not len(scores):
        return None
    # Without a history (scikit-learn's MLPs): the best of the scored epochs,
    # which are the last ones.
    n_epochs = len(estimator.loss_curve_)
    return int(n_epochs - len(scores) + np.argmax(scores) + 1)


def validation_score_name(estimator):
    """The name of the metric behind ``validation_scores_``, or None if unknown.

    The estimator's ``scoring`` when it names one, its ``metric`` (the taggers),
    else what its ``score`` method computes.
    """
    scoring = getattr(estimator, "scoring", None)
    if isinstance(scoring, str):
        return scoring
    if scoring is not None:
        # A scorer made by make_scorer keeps its metric; a plain callable its name.
        function = getattr(scoring, "_score_func", scoring)
        return getattr(function, "__name__", None)
    metric = getattr(estimator, "metric", None)
    if isinstance(metric, str):
        return metric
    if is_classifier(estimator):
        return "accuracy"
    if is_regressor(estimator):
        return "R²"
    return None
