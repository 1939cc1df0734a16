"""Run an example script the way the test suite does.

    python tests/run_example.py examples/plot_x.py [--fast]

The examples hold the lesson only; what a test run needs besides is done here:

- matplotlib draws off-screen (``Agg``), and once the script has ended every
  figure still open is saved as ``<script>_<n>.png`` in the working
  directory, where the test looks for them;
- with ``--fast``, every sklearn_deep estimator trains for at most
  ``FAST_MAX_ITER`` epochs: ``DeepEstimator._fit`` is wrapped, in this
  process only, to lower ``max_iter`` for the length of each fit (the
  estimator's parameters read as the script set them before and after), and
  joblib's workers are threads of this process, so the cap reaches the fits of
  a ``GridSearchCV(n_jobs=2)`` too.

The docs build runs the examples through sphinx-gallery instead, which
captures the figures itself and trains in full.
"""

import argparse
import functools
import os
import runpy
import sys
from pathlib import Path

FAST_MAX_ITER = 3


def cap_training(max_iter):
    """Make every sklearn_deep fit in this process stop after ``max_iter`` epochs."""
    from sklearn_deep.base import DeepEstimator

    fit = DeepEstimator._fit

    @functools.wraps(fit)
    def capped_fit(self, *args, **kwargs):
        wanted = getattr(self, "max_iter", None)
        if wanted is None or wanted <= max_iter:
            return fit(self, *args, **kwargs)
        self.max_iter = max_iter
        try:
            return fit(self, *args, **kwargs)
        finally:
            self.max_iter = wanted

    DeepEstimator._fit = capped_fit


def save_open_figures(stem):
    """Save every open matplotlib figure as ``<stem>_<n>.png``; return the names."""
    if "matplotlib.pyplot" not in sys.modules:
        return []
    import matplotlib.pyplot as plt

    names = []
    for number in plt.get_fignums():
        name = f"{stem}_{number}.png"
        plt.figure(number).savefig(name, dpi=80)
        names.append(name)
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("script", type=Path)
    parser.add_argument("--fast", action="store_true", help="cap training epochs")
    args = parser.parse_args(argv)
    os.environ["MPLBACKEND"] = "Agg"
    if args.fast:
        cap_training(FAST_MAX_ITER)
    sys.argv = [str(args.script)]
    # The script's folder first on the path, as `python script.py` would have it.
    sys.path.insert(0, str(args.script.resolve().parent))
    if args.fast:
        import joblib

        with joblib.parallel_config(backend="threading"):
            runpy.run_path(str(args.script), run_name="__main__")
    else:
        runpy.run_path(str(args.script), run_name="__main__")
    saved = save_open_figures(args.script.stem)
    if saved:
        print(f"saved {', '.join(saved)}")


if __name__ == "__main__":
    main()
