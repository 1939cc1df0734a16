"""Hooks that set up the process state a fit needs and give it back after.

``ThreadBudget`` is the one thread policy of every estimator: torch trains (and
the estimator predicts) with at most ``n_threads`` intra-op threads, never more
than a limit already in force (a joblib or Dask worker's, threadpoolctl's), and
the caller's setting comes back afterwards. Measured on a 2-core machine: a
2-thread torch fit beside another busy process ran 10-200x slower than a
1-thread one, while ``GridSearchCV(n_jobs=2)`` over 1-thread workers ran in
0.62x the time of ``n_jobs=1`` (see benchmarks/RESULTS.md).

torch's global generator is not process state a fit touches: every random
number of a fit comes from the run's own generators (see ``_engine.py``).
"""

import torch

from sklearn_deep._training._hooks import Hook


class ThreadBudget(Hook):
    """Train with at most ``n_threads`` torch threads; None changes nothing.

    Also a context manager, for the estimators' predictions.
    """

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.before = None

    def on_train_begin(self, run):
        if self.n_threads is not None:
            self.before = torch.get_num_threads()
            torch.set_num_threads(min(self.n_threads, self.before))

    def on_train_end(self, run, error):
        if self.before is not None:
            torch.set_num_threads(self.before)
            self.before = None

    def __enter__(self):
        self.on_train_begin(None)
        return self

    def __exit__(self, *exc_info):
        self.on_train_end(None, None)
