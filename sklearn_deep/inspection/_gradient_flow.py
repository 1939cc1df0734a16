"""Per-layer gradient norms per epoch, to see gradients vanish or explode."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.utils._sklearn_compat import check_matplotlib_support


class GradientFlowDisplay:
    """The gradient norm of each layer's weights per epoch, on a log scale.

    In a deep network of saturating units (``activation="logistic"``) the
    gradients of the first layers are orders of magnitude smaller than those of
    the last ones and the first layers barely learn: the vanishing-gradient
    problem. With ReLU units and Glorot initialisation the curves stay close.
    Create it with :meth:`from_estimator`.

    Parameters
    ----------
    gradient_norms : array-like of shape (n_epochs, n_layers)
        The mean gradient norm of each layer's weights in each epoch, input
        layer first (an estimator's ``gradient_norms_``).

    layer_names : list of str or None, default=None
        The legend's name of each layer; "layer 1", "layer 2", ... when None.

    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    Attributes
    ----------
    epochs : ndarray of shape (n_epochs,)
        The epoch numbers, from 1.

    lines_ : list of matplotlib Line2D
        One curve per layer, input layer first.

    ax_ : matplotlib Axes
        The axes drawn on.

    figure_ : matplotlib Figure
        The figure holding the axes.

    See Also
    --------
    TrainingHistoryDisplay : Training loss and validation score per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_deep import MLPClassifier
    >>> from sklearn_deep.inspection import GradientFlowDisplay
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16, 16), max_iter=5,
    ...                     random_state=0).fit(X, y)
    >>> display = GradientFlowDisplay.from_estimator(clf)
    >>> len(display.lines_)
    3
    """

    def __init__(self, gradient_norms, layer_names=None, *, estimator_name=None):
        self.gradient_norms = np.asarray(gradient_norms, dtype=float)
        if self.gradient_norms.ndim != 2:
            raise ValueError(
                "gradient_norms must be 2-D, (n_epochs, n_layers); got shape "
                f"{self.gradient_norms.shape}."
            )
        n_layers = self.gradient_norms.shape[1]
        if layer_names is None:
            layer_names = [f"layer {i + 1}" for i in range(n_layers)]
        if len(layer_names) != n_layers:
            raise ValueError(
                f"layer_names has {len(layer_names)} names for {n_layers} layers."
            )
        self.layer_names = list(layer_names)
        self.estimator_name = estimator_name
        self.epochs = np.arange(1, self.gradient_norms.shape[0] + 1)

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **kwargs):
        """Draw the gradient norms of a fitted estimator with ``gradient_norms_``.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with a ``gradient_norms_`` attribute, such as
            :class:`~sklearn_deep.MLPClassifier`,
            :class:`~sklearn_deep.MLPRegressor` or
            :class:`~sklearn_deep.Autoencoder`.

        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        **kwargs : dict
            Keyword arguments passed to every ``ax.plot`` call.

        Returns
        -------
        display : GradientFlowDisplay
            The display, with the curves drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        norms = getattr(estimator, "gradient_norms_", None)
        if norms is None:
            raise ValueError(
                f"{type(estimator).__name__} does not record gradient_norms_; "
                "GradientFlowDisplay needs an estimator that does, such as "
                "any estimator of sklearn_deep."
            )
        norms = np.asarray(norms, dtype=float)
        if norms.ndim != 2 or norms.shape[0] == 0:
            raise ValueError(
                f"{type(estimator).__name__}.gradient_norms_ holds no epoch "
                "(e.g. solver='lbfgs' records one row per iteration; was it "
                "fitted for at least one epoch?)."
            )
        n_layers = norms.shape[1]
        names = [f"layer {i + 1}" for i in range(n_layers)]
        names[0] += " (input)"
        names[-1] = f"layer {n_layers} (output)" if n_layers > 1 else names[-1]
        display = cls(norms, names, estimator_name=type(estimator).__name__)
        return display.plot(ax=ax, **kwargs)

    def plot(self, *, ax=None, **kwargs):
        """Draw one curve per layer on a logarithmic y axis.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.

        **kwargs : dict
            Keyword arguments passed to every ``ax.plot`` call.

        Returns
        -------
        display : GradientFlowDisplay
            This display, with the curves drawn.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        if ax is None:
            # Constrained layout makes room for the legend beside the axes.
            _, ax = plt.subplots(layout="constrained")
        self.lines_ = [
            ax.plot(self.epochs, self.gradient_norms[:, i], label=name, **kwargs)[0]
            for i, name in enumerate(self.layer_names)
        ]
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs
        ax.set_ylabel("mean gradient norm of the weights")
        # Outside the axes, on the right: inside, "best" still lands on a curve
        # when they fill the plot (the output layer's, top right, often).
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
        if self.estimator_name is not None:
            ax.set_title(f"Gradient flow of {self.estimator_name}")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
