"""Benchmark: a user's network trained by TorchClassifier, skorch and a bare loop.

The network is ``bench_mlp.MLPModule`` (100 inputs, 256 ReLU units, 10
logits), on the problem of ``bench_mlp.py`` (60k samples of
``make_classification``, 10 classes, standardised, 10k held out). Trainers:

* ``torch_classifier`` -- ``sklearn_deep.TorchClassifier(MLPModule)``: the
  module class, its shapes filled in from the data, trained by our engine;
* ``skorch``           -- ``skorch.NeuralNetClassifier(MLPModule, ...)`` with
  its defaults (a ``DataLoader``), the way a skorch user writes it;
* ``bare``             -- the minimal PyTorch loop of ``bench_mlp.py`` over
  in-memory tensors, the floor.

All use Adam (lr=1e-3), cross-entropy, shuffling each epoch, no validation
split, no weight decay (``alpha=0`` for ours: the others have no penalty),
torch's default initialisation of the layers, one thread. Trainers run
interleaved, round-robin, for ``--repeats`` rounds after an untimed warm-up;
the table gives the median seconds per epoch, its ratio to the bare loop's
median at the same batch size, and the mean test accuracy.

Usage::

    python benchmarks/bench_custom_module.py                 # 20 epochs, 3 rounds
    python benchmarks/bench_custom_module.py --quick         # smoke test
"""

import argparse
import statistics
import sys
import warnings

import numpy as np
import torch
from bench_mlp import (
    HIDDEN,
    LEARNING_RATE,
    RATIO_TARGETS,
    WARMUP_SAMPLES,
    Data,
    FitResult,
    MLPModule,
    accuracy,
    fit_skorch,
    load_data,
    make_skorch_net,
    run_bare,
    timed,
)
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits


def run_torch_classifier(data, batch_size, epochs, seed):
    from sklearn_deep import TorchClassifier

    clf = TorchClassifier(
        MLPModule,
        module_params={"hidden": HIDDEN},
        alpha=0.0,
        learning_rate_init=LEARNING_RATE,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=seed,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _, seconds = timed(lambda: clf.fit(data.X_train, data.y_train))
    return FitResult(
        seconds, int(clf.n_iter_), accuracy(data.y_test, clf.predict(data.X_test))
    )


def run_skorch(data, batch_size, epochs, seed):
    return fit_skorch(make_skorch_net(batch_size, epochs), data, seed)


TRAINERS = {
    "torch_classifier": run_torch_classifier,
    "skorch": run_skorch,
    "bare": run_bare,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=60000)
    parser.add_argument("--batch-sizes", default="256,32")
    parser.add_argument("--quick", action="store_true", help="smoke test")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats, args.n_samples, args.batch_sizes = 2, 1, 3000, "256"
    args.batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    with threadpool_limits(1):
        data = load_data(args.n_samples)
        warm = Data(
            data.X_train[:WARMUP_SAMPLES],
            data.X_test,
            data.y_train[:WARMUP_SAMPLES],
            data.y_test,
        )
        for trainer in TRAINERS.values():
            trainer(warm, 256, 1, 0)
        results = {(b, name): [] for b in args.batch_sizes for name in TRAINERS}
        for round_ in range(args.repeats):
            for batch_size in args.batch_sizes:
                for name, trainer in TRAINERS.items():
                    result = trainer(data, batch_size, args.epochs, round_)
                    results[batch_size, name].append(result)
    print(
        f"{args.n_samples} samples, {args.epochs} epochs, {args.repeats} "
        f"interleaved rounds, 1 thread, torch {torch.__version__}\n"
    )
    print("| batch | trainer | s/epoch (median) | ratio to bare | test accuracy |")
    print("|---:|---|---:|---:|---:|")
    failed = False
    for batch_size in args.batch_sizes:
        bare = statistics.median(
            r.seconds_per_epoch for r in results[batch_size, "bare"]
        )
        summary = {}
        for name in TRAINERS:
            runs = results[batch_size, name]
            median = statistics.median(r.seconds_per_epoch for r in runs)
            acc = float(np.mean([r.accuracy for r in runs]))
            summary[name] = (median / bare, acc)
            print(
                f"| {batch_size} | {name} | {median:.4f} | {median / bare:.2f} "
                f"| {acc:.4f} |"
            )
        ratio, acc = summary["torch_classifier"]
        skorch_ratio, skorch_acc = summary["skorch"]
        target = RATIO_TARGETS.get(batch_size)
        verdict = (
            f"batch {batch_size}: target <= {target}x bare "
            f"({'met' if ratio <= target else 'MISSED'}); "
            f"{skorch_ratio / ratio:.2f}x faster than skorch; accuracy "
            f"{acc - skorch_acc:+.4f} vs skorch, "
            f"{acc - summary['bare'][1]:+.4f} vs bare"
        )
        print(verdict)
        failed |= target is not None and ratio > target
    if args.quick:
        print("\n(--quick: a smoke test; its figures and verdicts mean nothing.)")
        return 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
