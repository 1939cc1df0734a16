"""Benchmark: serving with onnxruntime against predict and predict_proba.

A ``Pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(128, 64)))`` is
fitted on the handwritten digits (float32) and exported whole with
``sklearn_deep.to_onnx(..., zipmap=False)``. The same fitted pipeline then
predicts through three paths:

* ``onnxruntime``   -- ``InferenceSession.run``: labels and probabilities in
  one call, the way a service without PyTorch or scikit-learn serves it;
* ``predict_proba`` -- the pipeline's ``predict_proba``;
* ``predict``       -- the pipeline's ``predict``.

Two workloads: the latency of one row (what a request-per-row service sees)
and the throughput on 10,000 rows (a batch job).

Measurement rules
-----------------
* One thread everywhere: ``torch.set_num_threads(1)``, threadpoolctl's limit
  for numpy, and ``intra_op_num_threads=1`` / ``inter_op_num_threads=1`` for
  onnxruntime.
* The paths run interleaved, round-robin, for ``--repeats`` rounds; a round
  times ``--calls`` single-row calls (each one timed) and 3 calls on 10,000
  rows per path. The table gives the median over all the timed calls of a
  path, and the ratio of each path's median to onnxruntime's (above 1:
  onnxruntime is faster). Every path is called a few times untimed first.
* The row (or rows) of each call are held-out images, the same for every
  path; the first line says how far onnxruntime's probabilities are from
  ``predict_proba``'s and whether the labels agree.

Usage
-----
::

    python benchmarks/bench_onnx.py             # 5 rounds of 300 calls
    python benchmarks/bench_onnx.py --quick     # a few seconds (tests)

``--quick`` fits 3 epochs and runs 1 round of 30 calls and 1,000 rows: it
checks that the script runs, its figures mean nothing.
"""

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import onnxruntime
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import sklearn_deep
from sklearn_deep import MLPClassifier

SEED = 0
N_BATCH_ROWS = 10_000


def _session(model):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )


def _timed(call, rows):
    start = time.perf_counter()
    call(rows)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--batch-rows", type=int, default=N_BATCH_ROWS)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few seconds (tests)"
    )
    if parser.parse_known_args(argv)[0].quick:  # explicit options still win
        parser.set_defaults(epochs=3, repeats=1, calls=30, batch_rows=1000)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float32)
    X_train, X_test, y_train, _ = train_test_split(X, y, random_state=SEED)
    pipeline = make_pipeline(
        StandardScaler(),
        MLPClassifier((128, 64), max_iter=args.epochs, random_state=SEED, device="cpu"),
    ).fit(X_train, y_train)
    session = _session(sklearn_deep.to_onnx(pipeline, X_test[:1], zipmap=False))
    input_name = session.get_inputs()[0].name

    paths = {
        "onnxruntime": lambda rows: session.run(None, {input_name: rows}),
        "predict_proba": pipeline.predict_proba,
        "predict": pipeline.predict,
    }
    labels, proba = paths["onnxruntime"](X_test)
    gap = float(np.abs(proba - pipeline.predict_proba(X_test)).max())
    same_labels = bool(np.array_equal(labels, pipeline.predict(X_test)))
    batch = np.resize(X_test, (args.batch_rows, X_test.shape[1]))

    single = {name: [] for name in paths}
    batched = {name: [] for name in paths}
    with threadpool_limits(1):
        for call in paths.values():  # untimed warm-up
            for i in range(5):
                call(X_test[i : i + 1])
            call(batch)
        for _ in range(args.repeats):
            for name, call in paths.items():
                for i in range(args.calls):
                    row = X_test[i % len(X_test) : i % len(X_test) + 1]
                    single[name].append(_timed(call, row))
            for name, call in paths.items():
                for _ in range(3):
                    batched[name].append(_timed(call, batch))

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, onnxruntime {onnxruntime.__version__}, "
        f"{platform.processor() or 'cpu'}, 1 thread, {args.epochs} epochs, "
        f"{args.repeats} rounds"
    )
    print(
        f"onnxruntime vs predict_proba on {len(X_test)} held-out rows: max abs "
        f"difference {gap:.1e}, labels {'equal' if same_labels else 'DIFFER'}"
    )
    print()
    print("| workload | path | median | ratio to onnxruntime |")
    print("|---|---|---:|---:|")
    anchor = statistics.median(single["onnxruntime"])
    for name in paths:
        median = statistics.median(single[name])
        print(
            f"| 1 row, latency | {name} | {1e6 * median:.0f} us | "
            f"{median / anchor:.1f} |"
        )
    anchor = statistics.median(batched["onnxruntime"])
    for name in paths:
        median = statistics.median(batched[name])
        print(
            f"| {args.batch_rows} rows, throughput | {name} | "
            f"{args.batch_rows / median:,.0f} rows/s | {median / anchor:.1f} |"
        )


if __name__ == "__main__":
    main()
