"""Benchmark: CNNClassifier's accuracy and speed against its anchors.

Three tables, everything on one thread (``torch.set_num_threads(1)`` and
``threadpoolctl.threadpool_limits(1)``):

* **MNIST-1D** (``../shared/datasets/mnist1d/``, 4,000 train / 1,000 test):
  ``CNNClassifier`` with its defaults over ``--seeds`` seeds (test accuracy,
  seconds per fit), beside scikit-learn's ``MLPClassifier((100, 100))`` and
  ``LogisticRegression`` on the same data, and the CNN on the data with its
  positions shuffled. Published (Greydanus & Kobak, 2024): CNN 94%, MLP 68%,
  logistic regression 32%, human about 96%.
* **Digits** (``load_digits``, 8x8 images, ``input_shape=(1, 8, 8)``): the mean
  test accuracy over ``--seeds`` stratified 70/30 splits of
  ``CNNClassifier(filters=(32, 64), kernel_size=3, max_shift=1)``, of
  scikit-learn's ``MLPClassifier`` and of ``SVC(gamma=0.001)``.
* **Speed**: seconds per epoch of the same network (the defaults' three
  64-filter convolutions with batch norm, random shifts and global pooling,
  built by ``sklearn_deep.nn.ConvolutionalNetwork``) on the same MNIST-1D
  batches of 200, trained by ``CNNClassifier``, by a bare PyTorch loop (Adam
  with the same L2 penalty, the same per-epoch learning rate) and by skorch's
  ``NeuralNetClassifier`` with its default DataLoader. The trainers run
  interleaved, round-robin, for ``--repeats`` rounds after one untimed warm-up
  fit each; the table gives the median over rounds and its ratio to the bare
  loop's median.

Usage::

    python benchmarks/bench_cnn.py            # everything (about 10 minutes)
    python benchmarks/bench_cnn.py --quick    # smoke run; figures mean nothing
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from sklearn_deep import CNNClassifier
from sklearn_deep.nn import ConvolutionalNetwork, build_uninitialized

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist1d"
BATCH_SIZE = 200


def load_mnist1d(name="mnist1d"):
    data = np.load(DATA / f"{name}.npz")
    return data["X_train"], data["y_train"], data["X_test"], data["y_test"]


def timed(fit):
    """``fit()``, and the seconds it took: wall-clock and this process's CPU.

    On one thread the CPU seconds are what the fit costs; the wall-clock
    seconds also count the time the process waited for a core on a shared
    machine.
    """
    start, cpu = time.perf_counter(), time.process_time()
    result = fit()
    CPU_SECONDS.append(time.process_time() - cpu)
    return result, time.perf_counter() - start


# The CPU seconds of every timed fit, in order.
CPU_SECONDS = []


# ------------------------------------------------------------------ MNIST-1D
def mnist1d_table(seeds, max_iter, n_train):
    X, y, X_test, y_test = load_mnist1d()
    X, y = X[:n_train], y[:n_train]
    rows = []
    scores, seconds, cpu = [], [], []
    for seed in range(seeds):
        cnn = CNNClassifier(random_state=seed, device="cpu", max_iter=max_iter)
        _, s = timed(lambda cnn=cnn: cnn.fit(X, y))
        scores.append(cnn.score(X_test, y_test))
        seconds.append(s)
        cpu.append(CPU_SECONDS[-1])
        print(
            f"  CNN seed {seed}: {scores[-1]:.4f} in {s:.1f} s "
            f"({cpu[-1]:.1f} s of CPU)",
            flush=True,
        )
    rows.append(("CNNClassifier (defaults)", scores, seconds, cpu))
    Xs, ys, Xs_test, ys_test = load_mnist1d("mnist1d_shuffled")
    cnn = CNNClassifier(random_state=0, device="cpu", max_iter=max_iter)
    _, s = timed(lambda: cnn.fit(Xs[:n_train], ys[:n_train]))
    rows.append(
        (
            "CNNClassifier, shuffled data",
            [cnn.score(Xs_test, ys_test)],
            [s],
            CPU_SECONDS[-1:],
        )
    )
    scaler = StandardScaler().fit(X)
    mlp = SkMLPClassifier((100, 100), max_iter=200 if max_iter > 5 else 5)
    mlp.set_params(random_state=0)
    _, s = timed(lambda: mlp.fit(scaler.transform(X), y))
    rows.append(
        (
            "sklearn MLPClassifier((100, 100))",
            [mlp.score(scaler.transform(X_test), y_test)],
            [s],
            CPU_SECONDS[-1:],
        )
    )
    logistic = LogisticRegression(max_iter=1000)
    _, s = timed(lambda: logistic.fit(scaler.transform(X), y))
    rows.append(
        (
            "sklearn LogisticRegression",
            [logistic.score(scaler.transform(X_test), y_test)],
            [s],
            CPU_SECONDS[-1:],
        )
    )
    print_accuracy_table(
        "MNIST-1D (test accuracy; median seconds per fit, CPU and wall-clock)", rows
    )
    print(
        f"CNNClassifier CPU seconds per fit: median {statistics.median(cpu):.1f}, "
        f"max {max(cpu):.1f}"
    )


# -------------------------------------------------------------------- digits
def digits_table(seeds, max_iter):
    X, y = load_digits(return_X_y=True)
    splits = StratifiedShuffleSplit(seeds, test_size=0.3, random_state=0)
    trainers = {
        "CNNClassifier(filters=(32, 64), kernel_size=3, max_shift=1)": lambda seed: (
            CNNClassifier(
                input_shape=(1, 8, 8),
                filters=(32, 64),
                kernel_size=3,
                max_shift=1,
                max_iter=max_iter,
                random_state=seed,
                device="cpu",
            ),
            16.0,
        ),
        "sklearn MLPClassifier()": lambda seed: (
            SkMLPClassifier(max_iter=max(max_iter, 5) * 10, random_state=seed),
            16.0,
        ),
        "sklearn SVC(gamma=0.001)": lambda seed: (SVC(gamma=0.001), 1.0),
    }
    results = {name: ([], [], []) for name in trainers}
    for seed, (train, test) in enumerate(splits.split(X, y)):
        for name, make in trainers.items():
            estimator, scale = make(seed)
            X_train, y_train = X[train] / scale, y[train]
            _, s = timed(lambda e=estimator, X_=X_train, y_=y_train: e.fit(X_, y_))
            results[name][0].append(estimator.score(X[test] / scale, y[test]))
            results[name][1].append(s)
            results[name][2].append(CPU_SECONDS[-1])
    rows = [(name, *results[name]) for name in trainers]
    print_accuracy_table(
        f"Digits ({seeds} stratified 70/30 splits; test accuracy; median "
        "seconds per fit, CPU and wall-clock)",
        rows,
    )


def print_accuracy_table(title, rows):
    print(f"\n{title}")
    print("| model | mean test accuracy | min | max | CPU s/fit | wall s/fit |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, scores, seconds, cpu in rows:
        print(
            f"| {name} | {np.mean(scores):.4f} | {min(scores):.4f} | "
            f"{max(scores):.4f} | {statistics.median(cpu):.1f} | "
            f"{statistics.median(seconds):.1f} |"
        )


# --------------------------------------------------------------------- speed
NETWORK = dict(input_shape=(1, 40), filters=(64, 64, 64), n_outputs=10)
NETWORK_KWARGS = dict(max_shift=4)


def make_network(seed):
    net = build_uninitialized(
        ConvolutionalNetwork,
        NETWORK["input_shape"],
        NETWORK["filters"],
        NETWORK["n_outputs"],
        **NETWORK_KWARGS,
    )
    net.reset_parameters(torch.Generator().manual_seed(seed))
    return net


def run_ours(X, y, epochs, seed):
    cnn = CNNClassifier(
        max_iter=epochs, batch_size=BATCH_SIZE, random_state=seed, device="cpu"
    )
    return timed(lambda: cnn.fit(X, y))[1]


def run_bare(X, y, epochs, seed, lr=0.01, alpha=1e-4):
    """The floor: the same network, batches and penalty in a hand-written loop."""
    net = make_network(seed)
    generator = torch.Generator().manual_seed(seed)
    for module in net.modules():
        if hasattr(module, "generator"):
            module.generator = generator
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y, dtype=torch.long)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    weights = [p for p in net.parameters() if p.dim() >= 2]

    def fit():
        net.train()
        for epoch in range(epochs):
            for group in optimizer.param_groups:
                t = epoch / epochs
                group["lr"] = (1 - t) * lr + t * lr / 100
            order = torch.randperm(len(X_t), generator=generator)
            for start in range(0, len(X_t), BATCH_SIZE):
                rows = order[start : start + BATCH_SIZE]
                loss = torch.nn.functional.cross_entropy(net(X_t[rows]), y_t[rows])
                optimizer.zero_grad()
                loss.backward()
                for w in weights:
                    w.grad.add_(w.detach(), alpha=alpha / len(rows))
                optimizer.step()

    return timed(fit)[1]


def run_skorch(X, y, epochs, seed):
    from skorch import NeuralNetClassifier

    torch_state = torch.random.get_rng_state()
    net = NeuralNetClassifier(
        make_network(seed),
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.01,
        optimizer__weight_decay=1e-4 / BATCH_SIZE,
        batch_size=BATCH_SIZE,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
        device="cpu",
    )
    try:
        return timed(lambda: net.fit(X, y.astype(np.int64)))[1]
    finally:
        # skorch shuffles from torch's global generator: give it back.
        torch.random.set_rng_state(torch_state)


TRAINERS = {
    "CNNClassifier": run_ours,
    "bare PyTorch loop": run_bare,
    "skorch NeuralNetClassifier": run_skorch,
}


def speed_table(repeats, epochs, n_train):
    X, y, _, _ = load_mnist1d()
    X, y = X[:n_train], y[:n_train]
    for run in TRAINERS.values():  # warm-up: lazy imports, first kernels
        run(X[:400], y[:400], 1, 0)
    wall = {name: [] for name in TRAINERS}
    cpu = {name: [] for name in TRAINERS}
    for round_ in range(repeats):
        for name, run in TRAINERS.items():
            wall[name].append(run(X, y, epochs, round_) / epochs)
            cpu[name].append(CPU_SECONDS[-1] / epochs)
    print(
        f"\nSpeed: seconds per epoch, {n_train} MNIST-1D samples, batch "
        f"{BATCH_SIZE}, {epochs} epochs a fit, median of {repeats} interleaved "
        "rounds; CPU seconds of the process (one thread), and wall-clock seconds"
    )
    print(
        "| trainer | CPU s/epoch (median) | ratio to bare | min | max | "
        "wall s/epoch (median) | ratio to bare |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    bare_cpu = statistics.median(cpu["bare PyTorch loop"])
    bare_wall = statistics.median(wall["bare PyTorch loop"])
    for name in TRAINERS:
        median_cpu = statistics.median(cpu[name])
        median_wall = statistics.median(wall[name])
        print(
            f"| {name} | {median_cpu:.4f} | {median_cpu / bare_cpu:.2f}x | "
            f"{min(cpu[name]):.4f} | {max(cpu[name]):.4f} | {median_wall:.4f} | "
            f"{median_wall / bare_wall:.2f}x |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--speed-epochs", type=int, default=3)
    parser.add_argument("--only", choices=["mnist1d", "digits", "speed"], default=None)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    if not (DATA / "mnist1d.npz").is_file():
        print(f"MNIST-1D is not in {DATA}; nothing to benchmark.")
        return 0
    if args.quick:
        seeds, max_iter, n_train, repeats, epochs = 1, 1, 400, 1, 1
    else:
        seeds, max_iter, n_train = args.seeds, None, 4000
        repeats, epochs = args.repeats, args.speed_epochs
    print(f"torch {torch.__version__}, one thread")
    with threadpool_limits(1):
        if args.only in (None, "mnist1d"):
            mnist1d_table(seeds, max_iter or 60, n_train)
        if args.only in (None, "digits"):
            digits_table(seeds, max_iter or 60)
        if args.only in (None, "speed"):
            speed_table(repeats, epochs, n_train)
    return 0


if __name__ == "__main__":
    sys.exit(main())
