"""Mode coverage of samples from a mixture with known centres (PacGAN, VEEGAN).

The three scores of the mode-collapse experiments of VEEGAN (Srivastava et
al., 2017) and PacGAN (Lin et al., 2018), with PacGAN's definitions: each
sample is assigned to its nearest centre; it is *high-quality* when it lies
within ``threshold`` (3) standard deviations of that centre; a mode is
*captured* when at least one high-quality sample is assigned to it; and the
*reverse KL divergence* is ``KL(p || uniform)`` for ``p`` the histogram of the
high-quality samples over the modes.
"""

from collections import namedtuple
from numbers import Real

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils import check_array

from sklearn_deep.utils._sklearn_compat import Interval, validate_params

ModeCoverage = namedtuple(
    "ModeCoverage", ["n_modes", "high_quality_fraction", "reverse_kl"]
)
ModeCoverage.__doc__ = """The mode coverage of samples (see ``mode_coverage``).

n_modes : int
    Number of modes captured: with at least one high-quality sample.
high_quality_fraction : float
    Fraction of the samples within ``threshold`` standard deviations of their
    nearest centre.
reverse_kl : float
    ``sum_k p_k log(p_k * n_centers)``, ``p`` the modes' shares of the
    high-quality samples; 0 when they are spread evenly, ``log(n_centers)``
    when all sit on one mode; ``inf`` when no sample is high-quality.
"""


@validate_params(
    {
        "samples": ["array-like"],
        "centers": ["array-like"],
        "std": [Interval(Real, 0, None, closed="neither")],
        "threshold": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def mode_coverage(samples, centers, std, *, threshold=3.0):
    """How well samples cover the modes of a mixture of isotropic Gaussians.

    Parameters
    ----------
    samples : array-like of shape (n_samples, n_features)
        The samples to score (a generator's).
    centers : array-like of shape (n_centers, n_features)
        The mixture's centres, e.g. from
        :func:`~sklearn_deep.datasets.make_gaussian_ring` with
        ``return_centers=True``.
    std : float
        The Gaussians' standard deviation.
    threshold : float, default=3.0
        Distance from the nearest centre, in standard deviations, within which
        a sample is high-quality.

    Returns
    -------
    coverage : ModeCoverage
        ``(n_modes, high_quality_fraction, reverse_kl)``: see
        :class:`ModeCoverage`. A sample near no centre (beyond ``threshold``
        standard deviations of the nearest) counts against the high-quality
        fraction and is left out of the mode histogram, so it neither captures
        a mode nor moves the reverse KL divergence, as in PacGAN.

    Examples
    --------
    >>> from sklearn_deep.datasets import make_gaussian_ring
    >>> from sklearn_deep.metrics import mode_coverage
    >>> X, _, centers = make_gaussian_ring(2500, random_state=0, return_centers=True)
    >>> coverage = mode_coverage(X, centers, std=0.01)
    >>> int(coverage.n_modes), bool(coverage.high_quality_fraction > 0.98)
    (8, True)
    >>> mode_coverage(X[:10] * 0 + centers[0], centers, std=0.01).n_modes
    1
    """
    samples = check_array(samples, dtype=np.float64)
    centers = check_array(centers, dtype=np.float64)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples have {samples.shape[1]} features but centers have "
            f"{centers.shape[1]}."
        )
    distances = cdist(samples, centers)
    nearest = distances.argmin(axis=1)
    high_quality = distances[np.arange(len(samples)), nearest] < threshold * std
    counts = np.bincount(nearest[high_quality], minlength=len(centers))
    n_high_quality = counts.sum()
    if n_high_quality == 0:
        reverse_kl = np.inf
    else:
        shares = counts[counts > 0] / n_high_quality
        reverse_kl = float(np.sum(shares * np.log(shares * len(centers))))
    return ModeCoverage(
        int(np.count_nonzero(counts)),
        float(n_high_quality / len(samples)),
        reverse_kl,
    )
