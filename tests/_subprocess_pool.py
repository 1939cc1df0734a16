"""Run the suite's example and benchmark subprocesses side by side.

Each example and each benchmark's smoke run is a fresh Python process whose
imports (torch, scikit-learn) take seconds and whose work is small: one after
another, they left a core idle for minutes of the suite. A test module's
fixture starts every run its selected tests need at once, on as many workers
as there are cores (at most two), each with one torch thread so that two runs
never compete for a core; each test then checks its own run.
"""

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor


def selected_parameters(session, module, function, name):
    """Values of the parameter ``name`` of the selected tests ``module::function``."""
    return [
        item.callspec.params[name]
        for item in session.items
        if item.path.name == module
        and getattr(item, "originalname", None) == function
        and hasattr(item, "callspec")
    ]


def run_side_by_side(runs):
    """Start ``runs`` (key to ``subprocess.run`` keywords); key to its future.

    A run's ``env`` gets ``OMP_NUM_THREADS=1``. Futures give the
    ``CompletedProcess`` (or raise the run's error, e.g. a timeout).
    """
    workers = max(1, min(2, os.cpu_count() or 1))
    pool = ThreadPoolExecutor(workers)
    futures = {}
    for key, keywords in runs.items():
        env = {**keywords.pop("env", os.environ), "OMP_NUM_THREADS": "1"}
        futures[key] = pool.submit(
            subprocess.run, **keywords, env=env, capture_output=True, text=True
        )
    pool.shutdown(wait=False)
    return futures
