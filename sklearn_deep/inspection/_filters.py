"""The first convolution layer's learned filters, one small panel each."""

import math

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_deep.utils._sklearn_compat import check_matplotlib_support


class FilterDisplay:
    """The learned filters of a convolutional network's first layer.

    The first layer looks at the input itself, so its filters show what the
    network learned to detect: edges, bumps and slopes of a signal, strokes of
    an image. Each filter is drawn in its own panel: a curve per input channel
    for signals, a grey-scale image (of its first input channel) for images,
    in the spirit of scikit-learn's "Visualization of MLP weights on MNIST".
    Create it with :meth:`from_estimator`.

    Parameters
    ----------
    filters : ndarray of shape (n_filters, channels, width) or \
(n_filters, channels, height, width)
        The filters (an estimator's ``filters_[0]``).

    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One panel per filter drawn (the unused panels of the grid hidden).

    figure_ : matplotlib Figure
        The figure holding the panels.

    See Also
    --------
    GradientFlowDisplay : Per-layer gradient norms per epoch.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_deep import CNNClassifier
    >>> from sklearn_deep.inspection import FilterDisplay
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(40, 16)), np.arange(40) % 2
    >>> clf = CNNClassifier(filters=(6,), max_iter=2, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> display = FilterDisplay.from_estimator(clf)
    >>> len(display.axes_)
    6
    """

    def __init__(self, filters, *, estimator_name=None):
        self.filters = np.asarray(filters, dtype=float)
        if self.filters.ndim not in (3, 4):
            raise ValueError(
                "filters must be 3-D (n_filters, channels, width) or 4-D "
                "(n_filters, channels, height, width); got shape "
                f"{self.filters.shape}."
            )
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, max_filters=32, n_cols=8, figsize=None):
        """Draw the first layer's filters of a fitted convolutional estimator.

        Parameters
        ----------
        estimator : fitted estimator
            An estimator with a ``filters_`` attribute, such as
            :class:`~sklearn_deep.CNNClassifier` or
            :class:`~sklearn_deep.CNNRegressor`.

        max_filters : int, default=32
            Draw at most this many filters (the first ones).

        n_cols : int, default=8
            Panels per row.

        figsize : tuple of float or None, default=None
            The figure's size; about one inch per panel when None.

        Returns
        -------
        display : FilterDisplay
            The display, with the filters drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        filters = getattr(estimator, "filters_", None)
        if not filters:
            raise ValueError(
                f"{type(estimator).__name__} has no filters_; FilterDisplay needs "
                "a convolutional estimator such as CNNClassifier."
            )
        display = cls(filters[0][:max_filters], estimator_name=type(estimator).__name__)
        return display.plot(n_cols=n_cols, figsize=figsize)

    def plot(self, *, n_cols=8, figsize=None):
        """Draw each filter in a panel of a grid of ``n_cols`` columns.

        Parameters
        ----------
        n_cols : int, default=8
            Panels per row.

        figsize : tuple of float or None, default=None
            The figure's size; about one inch per panel when None.

        Returns
        -------
        display : FilterDisplay
            This display, with the filters drawn.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        n_filters = self.filters.shape[0]
        n_cols = max(1, min(n_cols, n_filters))
        n_rows = math.ceil(n_filters / n_cols)
        if figsize is None:
            figsize = (1.2 * n_cols, 1.2 * n_rows + 0.5)
        figure, axes = plt.subplots(n_rows, n_cols, figsize=figsize, squeeze=False)
        axes = axes.ravel()
        # One colour scale for all images, so that their weights compare.
        bound = float(np.abs(self.filters).max()) or 1.0
        for i, ax in enumerate(axes):
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= n_filters:
                ax.set_visible(False)
                continue
            weights = self.filters[i]
            if weights.ndim == 2:  # (channels, width): one curve per channel
                for channel in weights:
                    ax.plot(channel, marker=".")
                ax.axhline(0.0, color="grey", linewidth=0.5)
                ax.set_ylim(-bound * 1.05, bound * 1.05)
            else:
                ax.imshow(weights[0], cmap="gray", vmin=-bound, vmax=bound)
        title = "First-layer filters"
        if self.estimator_name is not None:
            title += f" of {self.estimator_name}"
        figure.suptitle(title)
        self.axes_ = axes[:n_filters]
        self.figure_ = figure
        return self
