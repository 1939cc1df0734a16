"""Mixtures of Gaussians on a ring and on a grid: the mode-collapse benchmarks.

The 2-D ring (8 modes on a circle of radius 1, standard deviation 0.01) and
2-D grid (25 modes on a 5 x 5 grid of spacing 2, standard deviation 0.05) of
VEEGAN (Srivastava et al., 2017) and PacGAN (Lin et al., 2018): every row comes
from one mode chosen uniformly at random, so a generator that covers the
distribution must hit every mode equally often. ``mode_coverage`` in
``sklearn_deep.metrics`` scores samples against the centres these return.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from sklearn_deep.utils._sklearn_compat import Interval, validate_params

# The parameters both mixtures take, besides their layout's.
_MIXTURE_CONSTRAINTS = {
    "n_samples": [Interval(Integral, 1, None, closed="left")],
    "std": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
    "return_centers": ["boolean"],
}


def _mixture(centers, n_samples, std, random_state, return_centers):
    rng = check_random_state(random_state)
    modes = rng.randint(len(centers), size=n_samples)
    X = centers[modes] + std * rng.standard_normal((n_samples, centers.shape[1]))
    return (X, modes, centers) if return_centers else (X, modes)


@validate_params(
    {
        **_MIXTURE_CONSTRAINTS,
        "n_modes": [Interval(Integral, 1, None, closed="left")],
        "radius": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_ring(
    n_samples,
    n_modes=8,
    radius=1.0,
    std=0.01,
    *,
    random_state=None,
    return_centers=False,
):
    """Draw rows from Gaussians placed evenly on a circle.

    Parameters
    ----------
    n_samples : int
        Number of rows.
    n_modes : int, default=8
        Number of Gaussians, centred at angles ``2 pi k / n_modes``.
    radius : float, default=1.0
        Radius of the circle.
    std : float, default=0.01
        Standard deviation of each Gaussian (isotropic).
    random_state : int, RandomState instance or None, default=None
        Seeds the modes and the noise; pass an int for reproducible output.
    return_centers : bool, default=False
        Whether to return the centres too.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The rows.
    y : ndarray of shape (n_samples,)
        The mode of each row, uniform at random over the modes.
    centers : ndarray of shape (n_modes, 2)
        The centres; only when ``return_centers`` is True.

    Examples
    --------
    >>> from sklearn_deep.datasets import make_gaussian_ring
    >>> X, y, centers = make_gaussian_ring(100, random_state=0, return_centers=True)
    >>> X.shape, centers.shape
    ((100, 2), (8, 2))
    """
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centers = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    return _mixture(centers, n_samples, std, random_state, return_centers)


@validate_params(
    {
        **_MIXTURE_CONSTRAINTS,
        "side": [Interval(Integral, 1, None, closed="left")],
        "spacing": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def make_gaussian_grid(
    n_samples,
    side=5,
    spacing=2.0,
    std=0.05,
    *,
    random_state=None,
    return_centers=False,
):
    """Draw rows from Gaussians placed on a square grid centred on the origin.

    Parameters
    ----------
    n_samples : int
        Number of rows.
    side : int, default=5
        Modes per side: ``side ** 2`` Gaussians.
    spacing : float, default=2.0
        Distance between neighbouring centres; the default grid spans
        ``[-4, 4]`` on each axis.
    std : float, default=0.05
        Standard deviation of each Gaussian (isotropic).
    random_state : int, RandomState instance or None, default=None
        Seeds the modes and the noise; pass an int for reproducible output.
    return_centers : bool, default=False
        Whether to return the centres too.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The rows.
    y : ndarray of shape (n_samples,)
        The mode of each row, uniform at random over the modes.
    centers : ndarray of shape (side ** 2, 2)
        The centres, row by row of the grid; only when ``return_centers`` is
        True.

    Examples
    --------
    >>> from sklearn_deep.datasets import make_gaussian_grid
    >>> X, y, centers = make_gaussian_grid(100, random_state=0, return_centers=True)
    >>> centers.min(), centers.max(), len(centers)
    (np.float64(-4.0), np.float64(4.0), 25)
    """
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    centers = np.array([(x, y) for x in ticks for y in ticks], dtype=float)
    return _mixture(centers, n_samples, std, random_state, return_centers)
