"""Benchmark: peak memory of fitting MLPClassifier on a large float64 X.

The user's X (1,000,000 x 100 float64, 800 MB) is converted once to the float32
the network computes in (400 MB); the training tensors share that copy's memory.
Each measurement runs in a fresh subprocess, reading the peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after building X, importing
torch and a tiny warm-up fit (the baseline), then after one epoch of the real fit.

Target: ``peak - baseline`` stays within one float32 copy of X (400 MB) plus
the model and per-batch overhead; X itself is counted in the baseline.

Usage::

    python benchmarks/bench_memory.py                    # 1,000,000 x 100
    python benchmarks/bench_memory.py --rows 200000
    python benchmarks/bench_memory.py --quick            # 20,000 x 100 (tests)

``--quick`` is a smoke test (the test suite runs it): 20,000 rows, both fits
at once in two subprocesses; at a few MiB the ratios are only indicative
(``tests/test_memory.py`` checks the claim at 200,000 rows).
"""

import argparse
import json
import subprocess
import sys

_CHILD = """
import json, resource, sys, warnings
import numpy as np
from sklearn_deep import MLPClassifier

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

rows, cols, early = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, cols))
y = (X[:, 0] > 0).astype(np.int64)
warnings.simplefilter("ignore")
params = dict(hidden_layer_sizes=(32,), max_iter=1, random_state=0, device="cpu")
MLPClassifier(**params).fit(X[:500].copy(), y[:500])
baseline = peak_mb()
MLPClassifier(**params, early_stopping=early).fit(X, y)
print(json.dumps({"baseline_mb": baseline, "peak_mb": peak_mb(),
                  "x_mb": X.nbytes / 2**20}))
"""


def start(rows, cols, early_stopping):
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(rows), str(cols), str(int(early_stopping))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def result(child):
    out, err = child.communicate()
    if child.returncode:
        print(err, file=sys.stderr)
        raise subprocess.CalledProcessError(child.returncode, child.args, out, err)
    return json.loads(out.strip().splitlines()[-1])


def measure(rows, cols, early_stopping):
    return result(start(rows, cols, early_stopping))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 20,000 rows by default"
    )
    if parser.parse_known_args()[0].quick:  # explicit options still win
        parser.set_defaults(rows=20_000)
    args = parser.parse_args()
    float32_mb = args.rows * args.cols * 4 / 2**20
    print(
        f"X: {args.rows} x {args.cols} float64 = {2 * float32_mb:.0f} MiB; "
        f"one float32 copy = {float32_mb:.0f} MiB"
    )
    print(
        "| early_stopping | baseline (MiB) | peak (MiB) | peak - baseline (MiB) "
        "| extra / float32 copy |"
    )
    print("|---|---:|---:|---:|---:|")
    if args.quick:  # both fits at once: their peaks are per process
        children = [start(args.rows, args.cols, early) for early in (False, True)]
        results = iter([result(child) for child in children])
    for early in (False, True):
        r = next(results) if args.quick else measure(args.rows, args.cols, early)
        extra = r["peak_mb"] - r["baseline_mb"]
        print(
            f"| {early} | {r['baseline_mb']:.0f} | {r['peak_mb']:.0f} | "
            f"{extra:.0f} | {extra / float32_mb:.2f}x |"
        )


if __name__ == "__main__":
    main()
