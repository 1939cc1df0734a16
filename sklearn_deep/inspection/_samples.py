"""A generative model's samples against the data, at chosen epochs of training.

``SampleSnapshots`` is a scikit-learn callback (``set_callbacks``): at the end
of each chosen epoch the fit hands it a copy of the estimator as that epoch
left it, and it keeps that copy's samples. ``SamplesDisplay`` draws them, one
panel per epoch, over the training data: mode collapse shows as samples that
gather on a few of the data's clusters, or hop from one to the next.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_array

from sklearn_deep.utils._sklearn_compat import check_matplotlib_support


class SampleSnapshots:
    """A callback that keeps samples of the model at chosen epochs of its fit.

    Give it to the estimator with ``set_callbacks`` (scikit-learn 1.9 or
    later) before ``fit``; the training engine calls it after every epoch.
    The samples are drawn with a fixed seed, so that successive panels differ
    only by training.

    Parameters
    ----------
    epochs : array-like of int
        The (1-based) epochs after which to draw samples.
    n_samples : int, default=500
        Samples per snapshot.
    random_state : int, default=0
        Seed of every snapshot's samples.

    Attributes
    ----------
    samples_ : dict of int to ndarray of shape (n_samples, n_features)
        The samples drawn after each chosen epoch that ran, by epoch.
    """

    def __init__(self, epochs, n_samples=500, random_state=0):
        self.epochs = epochs
        self.n_samples = n_samples
        self.random_state = random_state
        self.samples_ = {}

    def setup(self, estimator, context):
        # Checked before training starts, not at the first snapshot.
        self._epochs = set(_checked_epochs(self.epochs))
        if not isinstance(self.n_samples, Integral) or self.n_samples < 1:
            raise ValueError(
                f"n_samples must be a positive int, got {self.n_samples!r}."
            )
        self.samples_ = {}

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kwargs):
        if context.task_name != "epoch" or fitted_estimator is None:
            return False
        epoch = context.task_id + 1
        if epoch in self._epochs:
            self.samples_[epoch] = fitted_estimator.sample(
                self.n_samples, random_state=self.random_state
            )
        return False


class SamplesDisplay:
    """Samples of a generative model over its training data, one panel per epoch.

    Create it with :meth:`from_estimator`, which fits the model and keeps its
    samples at the chosen epochs, or :meth:`from_snapshots` after a fit with a
    :class:`SampleSnapshots` callback. The first two features are drawn.

    Parameters
    ----------
    samples : dict of int to array-like of shape (n_samples, n_features)
        The samples, by epoch.
    X : array-like of shape (n_rows, n_features)
        The training data, drawn in grey under each panel's samples.
    estimator_name : str or None, default=None
        Name of the estimator, used in the title.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One panel per epoch, in order.
    sample_collections_ : list of matplotlib PathCollection
        The samples' scatter of each panel.
    figure_ : matplotlib Figure
        The figure holding the panels.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_deep import GAN
    >>> from sklearn_deep.datasets import make_gaussian_ring
    >>> from sklearn_deep.inspection import SamplesDisplay
    >>> X, _ = make_gaussian_ring(400, random_state=0)
    >>> gan = GAN(max_iter=4, random_state=0)
    >>> display = SamplesDisplay.from_estimator(gan, X, epochs=[2, 4], n_samples=50)
    >>> sorted(display.samples), len(display.axes_)
    ([2, 4], 2)
    """

    def __init__(self, samples, X, *, estimator_name=None):
        self.samples = {int(epoch): np.asarray(s) for epoch, s in samples.items()}
        self.X = X
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        epochs,
        n_samples=500,
        random_state=0,
        ax=None,
    ):
        """Fit ``estimator`` on ``X`` (and ``y``) and draw its samples at ``epochs``.

        The estimator is fitted with a :class:`SampleSnapshots` callback,
        which replaces the callbacks set on it before.

        Parameters
        ----------
        estimator : estimator with ``sample``
            An unfitted (or to be refitted) generative model of sklearn_deep,
            such as :class:`~sklearn_deep.GAN`.
        X : array-like of shape (n_rows, n_features)
            The training data.
        y : array-like of shape (n_rows,), default=None
            Labels, for a conditional model.
        epochs : array-like of int
            The (1-based) epochs after which to draw samples.
        n_samples : int, default=500
            Samples per panel.
        random_state : int, default=0
            Seed of every panel's samples.
        ax : array-like of matplotlib Axes, default=None
            One axes per epoch; a new figure is made when None.

        Returns
        -------
        display : SamplesDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        if not hasattr(estimator, "set_callbacks"):
            raise ValueError(
                "SamplesDisplay.from_estimator needs scikit-learn's callbacks "
                "(scikit-learn 1.9 or later): fit with a SampleSnapshots "
                "callback and use from_snapshots."
            )
        epochs = _checked_epochs(epochs)
        _check_two_features(check_array(X))
        snapshots = SampleSnapshots(epochs, n_samples, random_state)
        estimator.set_callbacks(snapshots)
        estimator.fit(X) if y is None else estimator.fit(X, y)
        return cls.from_snapshots(
            snapshots, X, estimator_name=type(estimator).__name__, ax=ax
        )

    @classmethod
    def from_snapshots(cls, snapshots, X, *, estimator_name=None, ax=None):
        """Draw the samples a :class:`SampleSnapshots` callback kept.

        Parameters
        ----------
        snapshots : SampleSnapshots
            The callback, after the fit it watched.
        X : array-like of shape (n_rows, n_features)
            The training data.
        estimator_name : str, default=None
            Name of the estimator, for the title.
        ax : array-like of matplotlib Axes, default=None
            One axes per snapshot; a new figure is made when None.

        Returns
        -------
        display : SamplesDisplay
            The display, drawn.
        """
        if not snapshots.samples_:
            raise ValueError(
                "The callback kept no samples: none of its epochs ran, or the "
                "estimator was not fitted with it."
            )
        display = cls(snapshots.samples_, X, estimator_name=estimator_name)
        return display.plot(ax=ax)

    def plot(self, ax=None):
        """Draw the panels.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            One axes per epoch; a new figure is made when None.

        Returns
        -------
        display : SamplesDisplay
            The display, drawn.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        X = check_array(self.X)
        epochs = sorted(self.samples)
        if not epochs:
            raise ValueError("There are no samples to draw: samples is empty.")
        _check_two_features(X)
        if ax is None:
            figure, ax = plt.subplots(
                1, len(epochs), figsize=(3 * len(epochs), 3.2), squeeze=False
            )
            ax = ax[0]
        axes = np.asarray(ax, dtype=object).ravel()
        if len(axes) != len(epochs):
            raise ValueError(f"ax must hold {len(epochs)} axes, got {len(axes)}.")
        self.sample_collections_ = []
        for axis, epoch in zip(axes, epochs, strict=True):
            samples = self.samples[epoch]
            axis.scatter(X[:, 0], X[:, 1], s=4, c="0.75", label="data")
            self.sample_collections_.append(
                axis.scatter(
                    samples[:, 0],
                    samples[:, 1],
                    s=4,
                    c="C3",
                    alpha=0.6,
                    label="samples",
                )
            )
            axis.set_title(f"epoch {epoch}")
            axis.set_aspect("equal", adjustable="datalim")
        axes[0].legend(loc="upper right", fontsize="small", markerscale=3)
        self.axes_ = axes
        self.figure_ = axes[0].figure
        if self.estimator_name is not None:
            self.figure_.suptitle(f"{self.estimator_name} samples during training")
        return self


def _checked_epochs(epochs):
    epochs = np.asarray(epochs).ravel()
    if not len(epochs) or not all(
        isinstance(e, Integral) and not isinstance(e, bool) and e >= 1
        for e in epochs.tolist()
    ):
        raise ValueError(f"epochs must be positive ints, got {epochs.tolist()}.")
    return sorted(set(epochs.tolist()))


def _check_two_features(X):
    if X.shape[1] < 2:
        raise ValueError(
            f"SamplesDisplay draws the first two features; X has {X.shape[1]}."
        )
