"""Benchmark: reconstruction error and fit time of autoencoders against PCA.

On the handwritten digits (pixels scaled to [0, 1], 1347 training and 450 test
images), for code sizes k = 2, 8 and 16, it compares:

* ``PCA``                     -- ``sklearn.decomposition.PCA``, the linear optimum;
* ``sklearn_deep``            -- ``sklearn_deep.Autoencoder``, encoder 64-128-k,
  mirrored decoder, ReLU hidden layers and a linear code (its default);
* ``sklearn_deep, ReLU code`` -- the same with ``code_activation="relu"``: the very
  network of the next row;
* ``sklearn MLPRegressor``    -- ``sklearn.neural_network.MLPRegressor`` fitted on
  ``(X, X)`` with ``hidden_layer_sizes=(128, k, 128)``: the usual way to get an
  autoencoder out of scikit-learn. It applies one activation to every hidden
  layer, so its code is ReLU too, and it has no ``transform``: the code would
  need the weights by hand; here only its reconstruction (``predict``) counts.

The networks train with the same settings: Adam, learning rate 0.01, batches of
200, L2 penalty 1e-4, a fixed number of epochs (``tol=0`` and no early stop, so
that every trainer runs all of them and the times compare), the same seed.

Measurement rules
-----------------
* One thread everywhere: ``torch.set_num_threads(1)`` and
  ``threadpoolctl.threadpool_limits(1)``.
* Trainers run interleaved, round-robin over code sizes and trainers, for
  ``--repeats`` rounds; the table gives the median fit time over the rounds.
  Every trainer first does one untimed fit on a small subset (warm-up).
* Reconstruction error: mean squared error per pixel on the test images,
  ``mean((X_test - reconstruct(X_test)) ** 2)``, of the last round (the fits
  are seeded, so every round gives the same error).

Usage
-----
::

    python benchmarks/bench_autoencoder.py                # k = 2, 8, 16, 3 rounds
    python benchmarks/bench_autoencoder.py --repeats 1 --epochs 10   # smoke run
    python benchmarks/bench_autoencoder.py --quick        # a few seconds (tests)

``--quick`` runs 1 round of 3 epochs on 300 training and 100 test images: it
checks that the script runs, its figures mean nothing.
"""

import argparse
import platform
import statistics
import time
import warnings

import numpy as np
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from threadpoolctl import threadpool_limits

from sklearn_deep import Autoencoder

HIDDEN = 128
LEARNING_RATE = 0.01
ALPHA = 1e-4
SEED = 0


def _pca(k, epochs):
    return PCA(n_components=k, random_state=SEED)


def _ours(code_activation):
    def make(k, epochs):
        return Autoencoder(
            n_components=k,
            hidden_layer_sizes=(HIDDEN,),
            code_activation=code_activation,
            alpha=ALPHA,
            learning_rate_init=LEARNING_RATE,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs,
            random_state=SEED,
            device="cpu",
        )

    return make


def _sklearn(k, epochs):
    return SklearnMLPRegressor(
        hidden_layer_sizes=(HIDDEN, k, HIDDEN),
        alpha=ALPHA,
        learning_rate_init=LEARNING_RATE,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        random_state=SEED,
    )


TRAINERS = {
    "PCA": _pca,
    "sklearn_deep": _ours("identity"),
    "sklearn_deep, ReLU code": _ours("relu"),
    "sklearn MLPRegressor": _sklearn,
}


def _fit(model, X):
    if isinstance(model, SklearnMLPRegressor):
        return model.fit(X, X)
    return model.fit(X)


def _reconstruct(model, X):
    if isinstance(model, SklearnMLPRegressor):
        return model.predict(X)
    return model.inverse_transform(model.transform(X))


def _epochs(model):
    return getattr(model, "n_iter_", None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="2,8,16", help="code sizes, comma-separated")
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few seconds (tests)"
    )
    if parser.parse_known_args(argv)[0].quick:  # explicit options still win
        parser.set_defaults(epochs=3, repeats=1)
    args = parser.parse_args(argv)
    ks = [int(k) for k in args.ks.split(",")]

    torch.set_num_threads(1)
    warnings.simplefilter("ignore", ConvergenceWarning)
    X, _ = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=SEED)
    if args.quick:
        X_train, X_test = X_train[:300], X_test[:100]

    times = {(k, name): [] for k in ks for name in TRAINERS}
    errors, epochs = {}, {}
    with threadpool_limits(1):
        for make in TRAINERS.values():  # untimed warm-up
            _fit(make(ks[0], 1), X_train[:256])
        for _ in range(args.repeats):
            for k in ks:
                for name, make in TRAINERS.items():
                    model = make(k, args.epochs)
                    start = time.perf_counter()
                    _fit(model, X_train)
                    times[k, name].append(time.perf_counter() - start)
                    reconstruction = _reconstruct(model, X_test)
                    errors[k, name] = float(np.mean((reconstruction - X_test) ** 2))
                    epochs[k, name] = _epochs(model)

    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, {platform.processor() or 'cpu'}, "
        f"1 thread, {args.epochs} epochs, {args.repeats} rounds"
    )
    print()
    print(
        "| k | method | test MSE | MSE / PCA | fit s (median) | epochs | ms / epoch |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for k in ks:
        for name in TRAINERS:
            seconds = statistics.median(times[k, name])
            n_epochs = epochs[k, name]
            per_epoch = f"{1000 * seconds / n_epochs:.1f}" if n_epochs else "-"
            print(
                f"| {k} | {name} | {errors[k, name]:.4f} | "
                f"{errors[k, name] / errors[k, 'PCA']:.2f} | {seconds:.3f} | "
                f"{n_epochs or '-'} | {per_epoch} |"
            )


if __name__ == "__main__":
    main()
