"""Benchmark: the thread policy, under joblib's workers and beside other work.

Two measurements, interleaved over ``--repeats`` rounds (medians reported):

* ``search`` -- ``GridSearchCV(MLPClassifier(...), grid, cv=3)`` over the
  digits with ``n_jobs=1`` and ``n_jobs=2`` (loky workers, which limit each
  worker's threads so that they never oversubscribe the cores); the ratio of
  wall times, ``n_jobs=2`` over ``n_jobs=1``, below 1 means the parallel search
  pays. Both must find the same best parameters and scores.
* ``busy`` -- one ``MLPClassifier`` fit while another process keeps one core
  busy, with ``n_threads=1`` against ``n_threads=2``: what an unlimited torch
  costs beside other work outside joblib.

Usage::

    python benchmarks/bench_threads.py               # both, 3 rounds
    python benchmarks/bench_threads.py --parts search --repeats 5
    python benchmarks/bench_threads.py --quick       # a smoke run (tests)
"""

import argparse
import multiprocessing
import statistics
import time
import warnings

import numpy as np

GRID = {"alpha": [1e-4, 1e-3, 1e-2], "learning_rate_init": [1e-3, 3e-3]}


def _digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def search(n_jobs, max_iter):
    """Wall seconds and (best params, best score) of the grid search."""
    from sklearn.model_selection import GridSearchCV

    from sklearn_deep import MLPClassifier

    X, y = _digits()
    estimator = MLPClassifier((64,), max_iter=max_iter, random_state=0, device="cpu")
    grid = GridSearchCV(estimator, GRID, cv=3, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        grid.fit(X, y)
    return time.perf_counter() - start, (grid.best_params_, grid.best_score_)


def _spin(stop_at):
    """Keep one core busy until ``stop_at`` (a wall-clock time)."""
    x = 0
    while time.time() < stop_at:
        x += 1


def busy_fit(n_threads, max_iter):
    """Wall seconds of one fit while another process keeps a core busy."""
    from sklearn_deep import MLPClassifier

    X, y = _digits()
    X = np.tile(X, (4, 1))
    y = np.tile(y, 4)
    spinner = multiprocessing.Process(target=_spin, args=(time.time() + 600,))
    spinner.start()
    try:
        time.sleep(0.2)
        estimator = MLPClassifier(
            (256,), max_iter=max_iter, random_state=0, device="cpu", n_threads=n_threads
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            estimator.fit(X, y)
        return time.perf_counter() - start
    finally:
        spinner.terminate()
        spinner.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="search,busy")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    max_iter = 3 if args.quick else 60
    repeats = 1 if args.quick else args.repeats
    rows = []
    if "search" in parts:
        times = {1: [], 2: []}
        results = {}
        for _ in range(repeats):
            for n_jobs in (1, 2):
                seconds, results[n_jobs] = search(n_jobs, max_iter)
                times[n_jobs].append(seconds)
        same = results[1][0] == results[2][0] and np.isclose(
            results[1][1], results[2][1]
        )
        base = statistics.median(times[1])
        for n_jobs in (1, 2):
            median = statistics.median(times[n_jobs])
            rows.append(
                (
                    f"GridSearchCV, {len(GRID['alpha']) * 2 * 3} fits",
                    f"n_jobs={n_jobs}",
                    median,
                    median / base,
                    f"best {results[n_jobs][1]:.4f}"
                    + (", equal" if n_jobs == 2 and same else ""),
                )
            )
    if "busy" in parts:
        times = {1: [], 2: []}
        for _ in range(repeats):
            for n_threads in (1, 2):
                times[n_threads].append(busy_fit(n_threads, max(2, max_iter // 3)))
        base = statistics.median(times[1])
        for n_threads in (1, 2):
            median = statistics.median(times[n_threads])
            rows.append(
                (
                    "one fit beside a busy core",
                    f"n_threads={n_threads}",
                    median,
                    median / base,
                    "",
                )
            )
    print("| what | setting | wall s (median) | ratio | result |")
    print("|---|---|---:|---:|---|")
    for what, setting, seconds, ratio, result in rows:
        print(f"| {what} | {setting} | {seconds:.2f} | {ratio:.2f}x | {result} |")


if __name__ == "__main__":
    main()
