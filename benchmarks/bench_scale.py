"""Benchmark: scaling out from 1 to 2 workers or ranks on one machine.

Two paths, each measured with 1 and with 2 workers, interleaved over
``--repeats`` rounds (medians reported):

* ``search`` -- ``GridSearchCV`` over an ``MLPClassifier`` on the digits
  (8 candidates x 3 folds = 24 fits) under ``joblib.parallel_backend("dask")`` on
  a ``LocalCluster`` of N single-threaded worker processes on the loopback
  interface, against the serial search in this process. The best parameters and
  scores must equal the serial search's.
* ``ddp`` -- one ``MLPClassifier`` fit (50k x 40, 5 classes, 20 epochs,
  batch 256) as N ranks of a ``torch.distributed`` gloo group started by
  ``torch.distributed.run``, one thread per rank; wall time of the fit on rank 0
  and its test accuracy.

Usage::

    python benchmarks/bench_scale.py            # both paths, 3 rounds
    python benchmarks/bench_scale.py --paths ddp --repeats 5
    python benchmarks/bench_scale.py --quick    # a smoke test (tests)

``--quick`` is a smoke test (the test suite runs it; its figures mean nothing):
one round, the search with 5 epochs per fit serially and on 1 Dask worker, the
data-parallel fit of 2 epochs on 3,000 rows as 1 rank: every step of both paths
runs, the 2-worker and 2-rank runs are left out.
"""

import argparse
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

SEARCH_GRID = {
    "hidden_layer_sizes": [(32,), (64,)],
    "alpha": [1e-4, 1e-2],
    "learning_rate_init": [1e-3, 1e-2],
}


# Quick mode (a smoke test): what is left out or made smaller.
QUICK = {"search_workers": (0, 1), "ddp_ranks": (1,), "max_iter": 5, "rows": 3000}
FULL = {"search_workers": (0, 1, 2), "ddp_ranks": (1, 2), "max_iter": 100}


# ------------------------------------------------------------------- search
def search_digits(n_workers, max_iter=100):
    """Wall time and results of the digits grid search on n workers (0: serial)."""
    import joblib
    from sklearn.datasets import load_digits
    from sklearn.model_selection import GridSearchCV

    from sklearn_deep import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    estimator = MLPClassifier(max_iter=max_iter, random_state=0, device="cpu")
    search = GridSearchCV(estimator, SEARCH_GRID, cv=3, n_jobs=max(1, n_workers))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if n_workers == 0:
            start = time.perf_counter()
            search.fit(X, y)
            seconds = time.perf_counter() - start
        else:
            import distributed

            with (
                distributed.LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                ) as cluster,
                distributed.Client(cluster) as client,
            ):
                # Workers import torch and the package once, before timing.
                client.run(lambda: __import__("sklearn_deep"))
                start = time.perf_counter()
                with joblib.parallel_backend("dask"):
                    search.fit(X, y)
                seconds = time.perf_counter() - start
    return seconds, search.best_params_, search.cv_results_["mean_test_score"]


# ---------------------------------------------------------------------- ddp
def ddp_worker(out, quick=False):
    """One rank of the data-parallel fit (run by torch.distributed.run)."""
    import torch
    import torch.distributed as dist
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    from sklearn_deep import MLPClassifier

    torch.set_num_threads(1)
    dist.init_process_group("gloo")
    X, y = make_classification(
        n_samples=QUICK["rows"] if quick else 60000,
        n_features=40,
        n_informative=20,
        n_classes=5,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X).astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=1 / 6, random_state=0
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(256,),
        batch_size=256,
        max_iter=2 if quick else 20,
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
        device="cpu",
    )
    dist.barrier()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if dist.get_rank() == 0:
        result = {"seconds": seconds, "accuracy": clf.score(X_test, y_test)}
        Path(out).write_text(json.dumps(result))
    dist.destroy_process_group()


def ddp_fit(n_ranks, quick=False):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nnodes=1",
            f"--nproc-per-node={n_ranks}",
            "--master-addr=127.0.0.1",
            f"--master-port={port}",
            __file__,
            "--ddp-worker",
            str(out),
            *(["--quick"] if quick else []),
        ]
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        subprocess.run(command, env=env, check=True, capture_output=True)
        result = json.loads(out.read_text())
    return result["seconds"], result["accuracy"]


# ------------------------------------------------------------------- driver
def _gloo_available():
    import torch.distributed as dist

    return dist.is_available() and dist.is_gloo_available()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--paths", nargs="+", default=["search", "ddp"])
    parser.add_argument("--ddp-worker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a smoke test (tests)")
    if parser.parse_known_args()[0].quick:  # explicit options still win
        parser.set_defaults(repeats=1)
    args = parser.parse_args()
    if args.ddp_worker:
        ddp_worker(args.ddp_worker, args.quick)
        return
    plan = QUICK if args.quick else FULL
    if "search" in args.paths and importlib.util.find_spec("distributed") is None:
        print("# distributed is not installed (the dask extra): no search path")
        args.paths = [path for path in args.paths if path != "search"]
    if "ddp" in args.paths and not _gloo_available():
        print("# this torch has no torch.distributed with gloo: no ddp path")
        args.paths = [path for path in args.paths if path != "ddp"]

    import torch

    torch.set_num_threads(1)
    print(f"# Scaling benchmark ({os.cpu_count()} CPUs, {args.repeats} rounds)\n")
    times, results = {}, {}
    for round_ in range(args.repeats):
        if "search" in args.paths:
            for n in plan["search_workers"]:
                seconds, best, scores = search_digits(n, plan["max_iter"])
                times.setdefault(("search", n), []).append(seconds)
                results[("search", n)] = (best, scores)
                print(f"  round {round_ + 1} search workers={n}: {seconds:.1f} s")
        if "ddp" in args.paths:
            for n in plan["ddp_ranks"]:
                seconds, accuracy = ddp_fit(n, args.quick)
                times.setdefault(("ddp", n), []).append(seconds)
                results[("ddp", n)] = accuracy
                print(
                    f"  round {round_ + 1} ddp ranks={n}: {seconds:.1f} s, "
                    f"accuracy {accuracy:.4f}"
                )

    print("\n| path | workers / ranks | wall s (median) | speed-up | result |")
    print("|---|---:|---:|---:|---|")
    if "search" in args.paths:
        serial = statistics.median(times[("search", 0)])
        best0, scores0 = results[("search", 0)]
        for n in plan["search_workers"]:
            median = statistics.median(times[("search", n)])
            best, scores = results[("search", n)]
            same = best == best0 and np.allclose(scores, scores0, rtol=1e-5)
            label = "serial (no cluster)" if n == 0 else f"{n} dask worker(s)"
            print(
                f"| GridSearchCV, 24 fits | {label} | {median:.1f} "
                f"| {serial / median:.2f}x | best {max(scores):.4f}, "
                f"{'equals' if same else 'DIFFERS FROM'} serial |"
            )
    if "ddp" in args.paths:
        one = statistics.median(times[("ddp", plan["ddp_ranks"][0])])
        epochs = 2 if args.quick else 20
        for n in plan["ddp_ranks"]:
            median = statistics.median(times[("ddp", n)])
            print(
                f"| DDP fit, {epochs} epochs | {n} rank(s) | {median:.1f} "
                f"| {one / median:.2f}x | test accuracy {results[('ddp', n)]:.4f} |"
            )
    if args.quick:
        print("\n(--quick: a smoke test; its figures mean nothing.)")


if __name__ == "__main__":
    main()
