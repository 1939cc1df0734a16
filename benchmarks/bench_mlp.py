"""Benchmark: speed and accuracy of MLP trainers on the same data.

Compares ``sklearn_deep.MLPClassifier`` with three "anchors" and a floor:

* ``sklearn_deep``   -- ``sklearn_deep.MLPClassifier`` (ours, PyTorch on CPU);
* ``sklearn``        -- ``sklearn.neural_network.MLPClassifier`` (pure NumPy);
* ``skorch_default`` -- ``skorch.NeuralNetClassifier`` with its default
  ``torch.utils.data.DataLoader`` path (per-sample indexing + collation);
* ``skorch_tensor``  -- the same skorch net, but with a tiny iterator that
  slices in-memory tensors by a random permutation. The gap between the two
  skorch rows is the cost of the DataLoader path; the gap between this row and
  ``bare`` is the cost of skorch's training loop, history and callbacks;
* ``bare``           -- a minimal hand-written PyTorch loop over in-memory
  tensors (plain Adam, no weight decay). It is the floor the others are
  compared against;
* ``bare_glorot``    -- the same loop with scikit-learn's Glorot-uniform
  weights and zero biases instead of torch's default initialisation, so that
  accuracies can be compared at equal initialisation.

Every trainer fits the same network -- 100 inputs, one hidden layer of 256 ReLU
units, 10-way softmax output with cross-entropy -- with Adam (lr=1e-3,
betas=(0.9, 0.999), eps=1e-8), reshuffling every epoch, no early stopping.
The L2 penalty ``alpha=1e-4`` is used where the trainer has one (it is the
default of both MLPClassifiers); the skorch nets and the bare loop use plain
Adam without weight decay.

Measurement rules
-----------------
* One thread everywhere: ``torch.set_num_threads(1)`` and
  ``threadpoolctl.threadpool_limits(1)`` (BLAS/OpenMP used by NumPy/sklearn).
* Seconds per epoch = wall time of ``fit`` / number of epochs actually run.
* Trainers are run interleaved in one process, round-robin, for ``--repeats``
  rounds, so that slow phases of a noisy machine hit all trainers alike. The
  table reports the median seconds per epoch over the rounds, its ratio to the
  bare loop's median at the same batch size, and the mean (and spread) of the
  test accuracy over the rounds; round ``r`` trains every trainer from seed
  ``r - 1`` (weights and batch order), on the same data.
* Before the timed rounds every trainer does one untimed warm-up fit on a small
  subset (one epoch), so that one-off costs (lazy imports, first kernel calls)
  are not charged to whichever trainer happens to run first.

Usage
-----
Full run (all trainers, batch sizes 256 and 32, 20 epochs, 3 rounds)::

    python benchmarks/bench_mlp.py

Quick smoke run::

    python benchmarks/bench_mlp.py --n-samples 6000 --epochs 2 --repeats 1

Smoke test of a few seconds (the test suite runs it; its figures mean nothing):
3000 samples, 2 epochs, 1 round, batch size 256; a trainer that fails makes the
script exit with status 1 instead of being skipped::

    python benchmarks/bench_mlp.py --quick

Anchors only, one batch size::

    python benchmarks/bench_mlp.py --trainers sklearn,skorch_default,\
skorch_tensor,bare --batch-sizes 256
"""

from __future__ import annotations

import argparse
import functools
import gc
import math
import platform
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sklearn
import skorch
import torch
import torch.nn.functional as F
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits
from torch import nn

# --------------------------------------------------------------------------
# Problem and model definition (shared by all trainers)
# --------------------------------------------------------------------------
N_FEATURES = 100
N_INFORMATIVE = 40
N_CLASSES = 10
HIDDEN = 256
LEARNING_RATE = 1e-3
# Adam's betas=(0.9, 0.999) and eps=1e-8 are the defaults of torch.optim.Adam,
# sklearn and sklearn_deep, so they are not passed explicitly anywhere.
SEED = 0
# Fraction of the samples held out for testing: 10k of the default 60k.
TEST_FRACTION = 1 / 6
# Size of the subset used for the untimed warm-up fits.
WARMUP_SAMPLES = 2048

# Targets for sklearn_deep: maximum ratio of its median s/epoch to the bare
# loop's, per batch size, and the accuracy tolerance against the anchors.
RATIO_TARGETS = {256: 1.1, 32: 1.2}
ACCURACY_TOLERANCE = 0.005

# Trainer keys (as accepted by --trainers) and their display names, in the
# order in which they are run within a round and listed in the table.
TRAINER_NAMES = {
    "sklearn_deep": "sklearn_deep",
    "sklearn": "sklearn",
    "skorch_default": "skorch default",
    "skorch_tensor": "skorch + tensor iterator",
    "bare": "bare torch",
    "bare_glorot": "bare torch, Glorot init",
}


@dataclass
class Data:
    """Standardised float32 train/test split (and int64 labels)."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


@dataclass
class FitResult:
    """Outcome of one timed fit."""

    seconds: float  # wall time of the fit call
    epochs: int  # epochs actually run
    accuracy: float  # test accuracy (measured outside the timed region)

    @property
    def seconds_per_epoch(self) -> float:
        return self.seconds / self.epochs


def load_data(n_samples: int) -> Data:
    """Generate the classification problem, split it and standardise it."""
    X, y = make_classification(
        n_samples=n_samples,
        n_features=N_FEATURES,
        n_informative=N_INFORMATIVE,
        n_classes=N_CLASSES,
        random_state=SEED,
    )
    # 10000 test samples at the default n_samples=60000; proportionally fewer
    # for smaller (smoke-test) problems.
    test_size = round(n_samples * TEST_FRACTION)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=SEED
    )
    scaler = StandardScaler().fit(X_train)
    return Data(
        X_train=scaler.transform(X_train).astype(np.float32),
        X_test=scaler.transform(X_test).astype(np.float32),
        y_train=y_train.astype(np.int64),
        y_test=y_test.astype(np.int64),
    )


def accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


class MLPModule(nn.Module):
    """Linear(n_features, hidden) - ReLU - Linear(hidden, n_classes).

    Returns logits; the loss (``CrossEntropyLoss`` / ``F.cross_entropy``)
    applies the log-softmax.
    """

    def __init__(
        self,
        n_features: int = N_FEATURES,
        hidden: int = HIDDEN,
        n_classes: int = N_CLASSES,
    ):
        super().__init__()
        self.hidden = nn.Linear(n_features, hidden)
        self.output = nn.Linear(hidden, n_classes)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.output(F.relu(self.hidden(X)))


# --------------------------------------------------------------------------
# Tensor iterator for skorch
# --------------------------------------------------------------------------
class TensorIterator:
    """Drop-in replacement for ``DataLoader`` in skorch's iterator slots.

    skorch calls ``iterator(dataset, batch_size=..., shuffle=..., ...)`` and
    iterates over the result, expecting ``(X_batch, y_batch)`` pairs. This
    class converts ``dataset.X`` / ``dataset.y`` of skorch's ``Dataset`` to
    tensors once (zero-copy for contiguous NumPy arrays) and yields slices
    selected by a random permutation -- no per-sample ``__getitem__`` and no
    collation.
    """

    def __init__(self, dataset, batch_size: int, shuffle: bool = False, **kwargs):
        self.X = torch.as_tensor(dataset.X)
        self.y = None if dataset.y is None else torch.as_tensor(dataset.y)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self) -> int:
        return math.ceil(len(self.X) / self.batch_size)

    def __iter__(self):
        n = len(self.X)
        order = torch.randperm(n) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            # skorch's unpack_data needs a pair; y is None when predicting.
            yield self.X[idx], (None if self.y is None else self.y[idx])


# --------------------------------------------------------------------------
# Trainers: each fits on data.X_train for ``epochs`` epochs with batch size
# ``batch_size`` and returns a FitResult. Only the fit call is timed.
# --------------------------------------------------------------------------
def timed(fit: Callable[[], object]) -> tuple[object, float]:
    """Return ``fit()``'s result and its wall time in seconds.

    Garbage is collected beforehand so that a collection triggered by the
    previous trainer's leftovers is not charged to this one.
    """
    gc.collect()
    start = time.perf_counter()
    out = fit()
    return out, time.perf_counter() - start


def mlp_params(batch_size: int, epochs: int, seed: int) -> dict:
    """Parameters shared by the sklearn and sklearn_deep MLPClassifiers.

    ``alpha`` (L2 penalty) is left at its default of 1e-4 in both. ``tol=0``
    and ``n_iter_no_change > max_iter`` make sure all epochs are run.
    """
    return dict(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="adam",
        learning_rate_init=LEARNING_RATE,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )


def fit_mlp_classifier(est, data: Data) -> FitResult:
    """Fit an MLPClassifier-like estimator (sklearn or sklearn_deep)."""
    with warnings.catch_warnings():
        # max_iter is reached on purpose: silence the ConvergenceWarning.
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        _, seconds = timed(lambda: est.fit(data.X_train, data.y_train))
    return FitResult(
        seconds=seconds,
        epochs=int(est.n_iter_),
        accuracy=accuracy(data.y_test, est.predict(data.X_test)),
    )


def run_sklearn_deep(data: Data, batch_size: int, epochs: int, seed: int) -> FitResult:
    from sklearn_deep import MLPClassifier

    est = MLPClassifier(**mlp_params(batch_size, epochs, seed), device="cpu")
    return fit_mlp_classifier(est, data)


def run_sklearn(data: Data, batch_size: int, epochs: int, seed: int) -> FitResult:
    est = SklearnMLPClassifier(**mlp_params(batch_size, epochs, seed))
    return fit_mlp_classifier(est, data)


def make_skorch_net(batch_size: int, epochs: int, **kwargs):
    """skorch net with defaults except for what the benchmark fixes."""
    return skorch.NeuralNetClassifier(
        MLPModule,
        module__n_features=N_FEATURES,
        module__hidden=HIDDEN,
        module__n_classes=N_CLASSES,
        # The module returns logits; with CrossEntropyLoss skorch's
        # predict_proba applies a softmax ("auto" predict_nonlinearity) and
        # predict takes the argmax.
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LEARNING_RATE,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,  # no internal validation split
        iterator_train__shuffle=True,
        verbose=0,
        device="cpu",
        **kwargs,
    )


def fit_skorch(net, data: Data, seed: int) -> FitResult:
    torch.manual_seed(seed)  # weight init and DataLoader/iterator shuffling
    _, seconds = timed(lambda: net.fit(data.X_train, data.y_train))
    return FitResult(
        seconds=seconds,
        epochs=len(net.history),
        accuracy=accuracy(data.y_test, net.predict(data.X_test)),
    )


def run_skorch_default(
    data: Data, batch_size: int, epochs: int, seed: int
) -> FitResult:
    return fit_skorch(make_skorch_net(batch_size, epochs), data, seed)


def run_skorch_tensor(data: Data, batch_size: int, epochs: int, seed: int) -> FitResult:
    net = make_skorch_net(
        batch_size,
        epochs,
        iterator_train=TensorIterator,
        iterator_valid=TensorIterator,
    )
    return fit_skorch(net, data, seed)


def train_bare(
    data: Data,
    batch_size: int,
    epochs: int,
    seed: int,
    glorot: bool = False,
    device: str | torch.device = "cpu",
) -> nn.Module:
    """The bare loop itself: Adam over minibatches of tensors on ``device``."""
    torch.manual_seed(seed)
    g = torch.Generator(device=device).manual_seed(seed)
    X = torch.as_tensor(data.X_train, device=device)
    y = torch.as_tensor(data.y_train, device=device)
    model = MLPModule(X.shape[1], HIDDEN, N_CLASSES)
    if glorot:
        for layer in (model.hidden, model.output):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    n = X.shape[0]
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=g, device=device)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def run_bare(
    data: Data, batch_size: int, epochs: int, seed: int, glorot: bool = False
) -> FitResult:
    """Minimal PyTorch training loop over in-memory tensors (the floor).

    With ``glorot=True`` the weights start Glorot-uniform and the biases at zero,
    as in scikit-learn and sklearn_deep, instead of torch's default
    initialisation: the two bare rows separate what the initialisation does to
    accuracy from what the training loop does.
    """

    model, seconds = timed(
        lambda: train_bare(data, batch_size, epochs, seed, glorot=glorot)
    )
    model.eval()
    with torch.no_grad():
        y_pred = model(torch.from_numpy(data.X_test)).argmax(dim=1).numpy()
    return FitResult(seconds, epochs, accuracy(data.y_test, y_pred))


TRAINERS: dict[str, Callable[[Data, int, int, int], FitResult]] = {
    "sklearn_deep": run_sklearn_deep,
    "sklearn": run_sklearn,
    "skorch_default": run_skorch_default,
    "skorch_tensor": run_skorch_tensor,
    "bare": run_bare,
    "bare_glorot": functools.partial(run_bare, glorot=True),
}


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=20, help="epochs per fit")
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved rounds (median taken)"
    )
    parser.add_argument(
        "--batch-sizes", type=int, nargs="+", default=[256, 32], help="batch sizes"
    )
    parser.add_argument(
        "--trainers",
        default=",".join(TRAINERS),
        help="comma-separated subset of: " + ", ".join(TRAINERS),
    )
    parser.add_argument(
        "--n-samples",
        type=int,
        default=60000,
        help="total samples (1/6 of them held out for testing)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 3000 samples, 2 epochs, 1 round, batch 256; "
        "a failing trainer fails the run",
    )
    if parser.parse_known_args(argv)[0].quick:  # explicit options still win
        parser.set_defaults(n_samples=3000, epochs=2, repeats=1, batch_sizes=[256])
    args = parser.parse_args(argv)
    args.trainers = [t.strip() for t in args.trainers.split(",") if t.strip()]
    unknown = [t for t in args.trainers if t not in TRAINERS]
    if unknown:
        parser.error(f"unknown trainer(s) {unknown}; choose from {list(TRAINERS)}")
    # Keep the canonical order (round-robin order and table order).
    args.trainers = [t for t in TRAINERS if t in args.trainers]
    if args.epochs < 1 or args.repeats < 1 or args.n_samples < 12:
        parser.error("--epochs and --repeats must be >= 1, --n-samples >= 12")
    return args


def check_sklearn_deep() -> str | None:
    """Return sklearn_deep's version, or None (with a message) if unusable."""
    try:
        import sklearn_deep
        from sklearn_deep import MLPClassifier  # noqa: F401
    except Exception as exc:  # ImportError, or a broken package in progress
        print(
            f"NOTE: cannot import sklearn_deep.MLPClassifier ({exc!r}); "
            "skipping the sklearn_deep trainer. Install the package with "
            "`pip install -e .` (or set PYTHONPATH=.) in the repository root."
        )
        return None
    return getattr(sklearn_deep, "__version__", "unknown")


def print_header(args: argparse.Namespace, deep_version: str | None) -> None:
    print("# MLP trainer benchmark\n")
    print(f"- python {platform.python_version()}, {platform.platform()}")
    print(
        f"- torch {torch.__version__}, sklearn {sklearn.__version__}, "
        f"skorch {skorch.__version__}, numpy {np.__version__}, "
        f"sklearn_deep {deep_version or 'not available'}"
    )
    print(f"- torch.get_num_threads() = {torch.get_num_threads()}")
    print(
        f"- n_samples={args.n_samples}, epochs={args.epochs}, "
        f"repeats={args.repeats}, batch sizes={args.batch_sizes}, "
        f"trainers={','.join(args.trainers)}\n",
        flush=True,  # before the per-run progress lines on stderr
    )


def run_all(args: argparse.Namespace, data: Data) -> dict:
    """Warm up, then run the timed rounds; return results[(batch, trainer)]."""
    trainers = list(args.trainers)
    failed: set[str] = set()

    def attempt(name: str, d: Data, batch_size: int, epochs: int, seed: int = SEED):
        """Run one fit; a crashing trainer is reported and dropped."""
        try:
            return TRAINERS[name](d, batch_size, epochs, seed)
        except Exception:
            print(f"NOTE: trainer {name!r} failed and is skipped:", file=sys.stderr)
            traceback.print_exc()
            failed.add(name)
            return None

    # Untimed warm-up: one epoch on a small subset, per trainer and batch size.
    n_warm = min(WARMUP_SAMPLES, len(data.X_train))
    warm = Data(data.X_train[:n_warm], data.X_test, data.y_train[:n_warm], data.y_test)
    for batch_size in args.batch_sizes:
        for name in trainers:
            if name not in failed:
                attempt(name, warm, batch_size, 1)

    # Timed rounds, round-robin: every round runs every trainer once per batch
    # size before the next round starts.
    results: dict[tuple[int, str], list[FitResult]] = {}
    for round_ in range(1, args.repeats + 1):
        for batch_size in args.batch_sizes:
            for name in trainers:
                if name in failed:
                    continue
                # Each round trains from its own seed (initial weights, batch
                # order), so that accuracies are compared over seeds, not one draw.
                res = attempt(name, data, batch_size, args.epochs, SEED + round_ - 1)
                if res is None:
                    continue
                results.setdefault((batch_size, name), []).append(res)
                print(
                    f"  round {round_}/{args.repeats}  batch {batch_size:>4}  "
                    f"{name:<15} {res.seconds_per_epoch:8.4f} s/epoch  "
                    f"acc {res.accuracy:.4f}",
                    file=sys.stderr,
                    flush=True,
                )
    # Drop trainers that failed in a later round (their results are partial).
    return {k: v for k, v in results.items() if k[1] not in failed}


def summarise(results: dict) -> dict:
    """Median s/epoch and mean accuracy over rounds per (batch size, trainer)."""
    return {
        key: {
            "median": statistics.median(r.seconds_per_epoch for r in runs),
            "accuracy": statistics.mean(r.accuracy for r in runs),
            "accuracy_std": statistics.pstdev(r.accuracy for r in runs),
        }
        for key, runs in results.items()
    }


def print_table(args: argparse.Namespace, summary: dict) -> None:
    print(
        "| batch | trainer | s/epoch (median) | ratio to bare "
        "| test accuracy (mean +- std over rounds) |"
    )
    print("|---:|---|---:|---:|---:|")
    for batch_size in args.batch_sizes:
        bare = summary.get((batch_size, "bare"))
        for name in args.trainers:
            row = summary.get((batch_size, name))
            if row is None:
                continue
            ratio = f"{row['median'] / bare['median']:.2f}x" if bare else "n/a"
            print(
                f"| {batch_size} | {TRAINER_NAMES[name]} | {row['median']:.4f} "
                f"| {ratio} | {row['accuracy']:.4f} +- {row['accuracy_std']:.4f} |"
            )
    print()


def print_targets(args: argparse.Namespace, summary: dict) -> None:
    """PASS/FAIL lines for sklearn_deep's targets, from the measured medians."""
    print("## Targets for sklearn_deep\n")

    def line(batch_size: int, text: str, ok: bool | None, detail: str) -> None:
        verdict = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
        print(f"- {verdict}: batch {batch_size}: {text} ({detail})")

    for batch_size in args.batch_sizes:
        ours = summary.get((batch_size, "sklearn_deep"))
        bare = summary.get((batch_size, "bare"))
        limit = RATIO_TARGETS.get(batch_size)

        # 1. Overhead over the bare loop.
        if limit is not None:
            text = f"sklearn_deep <= {limit:.1f}x bare"
            if ours and bare:
                ratio = ours["median"] / bare["median"]
                line(batch_size, text, ratio <= limit, f"measured {ratio:.2f}x")
            else:
                line(batch_size, text, None, "sklearn_deep or bare not run")

        # 2. Faster than the sklearn and skorch-default anchors.
        for anchor in ("sklearn", "skorch_default"):
            other = summary.get((batch_size, anchor))
            text = f"sklearn_deep faster than {TRAINER_NAMES[anchor]}"
            if ours and other:
                detail = (
                    f"{ours['median']:.4f} vs {other['median']:.4f} s/epoch, "
                    f"speed-up {other['median'] / ours['median']:.2f}x"
                )
                line(batch_size, text, ours["median"] < other["median"], detail)
            else:
                line(batch_size, text, None, f"sklearn_deep or {anchor} not run")

        # 3. Accuracy not worse than the weaker of the two anchors.
        text = (
            "accuracy of sklearn_deep >= min(sklearn, skorch default) "
            f"- {ACCURACY_TOLERANCE}"
        )
        anchors = [summary.get((batch_size, a)) for a in ("sklearn", "skorch_default")]
        if ours and all(anchors):
            floor = min(a["accuracy"] for a in anchors) - ACCURACY_TOLERANCE
            detail = f"{ours['accuracy']:.4f} vs threshold {floor:.4f}"
            line(batch_size, text, ours["accuracy"] >= floor, detail)
        else:
            line(batch_size, text, None, "sklearn_deep, sklearn or skorch not run")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # One thread for everything: torch's intra-op pool here, BLAS/OpenMP pools
    # (used by NumPy/sklearn, and by torch's OpenMP) via threadpoolctl below.
    torch.set_num_threads(1)
    with threadpool_limits(limits=1):
        deep_version = "not requested"
        if "sklearn_deep" in args.trainers:
            deep_version = check_sklearn_deep()
            if deep_version is None:
                args.trainers.remove("sklearn_deep")
        print_header(args, deep_version)
        if not args.trainers:
            print("No trainer left to run.")
            return 1 if args.quick else 0
        data = load_data(args.n_samples)
        results = run_all(args, data)
        summary = summarise(results)
        print_table(args, summary)
        print_targets(args, summary)
    if args.quick:
        print("\n(--quick: a smoke test; its figures and verdicts mean nothing.)")
        missing = [
            name
            for name in args.trainers
            for batch_size in args.batch_sizes
            if (batch_size, name) not in summary
        ]
        if missing:
            print(f"FAILED trainers (see above): {sorted(set(missing))}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
