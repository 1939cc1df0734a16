"""GPU training: each family on a GPU against a bare loop there and one CPU thread.

Tables (medians of interleaved repeats; seconds of the fits themselves, with
the device synchronised before each clock reading):

- ``mlp``: the ``bench_mlp.py`` problem (60,000 x 100, 10 classes, one hidden
  layer of 256, Adam 1e-3): seconds an epoch of ``MLPClassifier`` on the
  device against a bare PyTorch loop over tensors on the same device, at
  batch 256 and 32 (target: at most 1.1x), with each ``precision``.
- ``tagger``: ``LSTMTagger`` on CoNLL-2000 with its defaults on the device
  against one CPU thread: seconds an epoch (target: at least 5x faster) and
  test chunk F1 (target: within 0.2 of the CPU's: 94.39 and 94.13 with
  ``random_state`` 0 and 1 on the development machine's CPU, or
  ``--cpu-full`` here); then each ``precision`` and the tree CRF for
  ``--short-epochs`` epochs, at equal epochs.
- ``gcn``: ``GCNClassifier`` on Cora and CiteSeer: milliseconds an epoch
  against a bare sparse PyTorch GCN on the same device (target: at most
  1.2x), and test accuracy on the device and on the CPU.
- ``cnn``: ``CNNClassifier`` on MNIST-1D: seconds an epoch and test accuracy
  on the device and on one CPU thread.

Run on a machine with a GPU::

    python benchmarks/bench_gpu.py                  # everything, on cuda
    python benchmarks/bench_gpu.py --only tagger --cpu-full

``--quick`` is a smoke run of every table on small data, on the CPU where
there is no GPU (the test suite runs it); its figures mean nothing.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_gcn  # noqa: E402
import bench_mlp  # noqa: E402
import bench_tagger  # noqa: E402

from sklearn_deep import CNNClassifier, GCNClassifier, LSTMTagger, MLPClassifier  # noqa: E402
from sklearn_deep.datasets import load_planetoid  # noqa: E402
from sklearn_deep.nn._tagger import LinearChainCRF  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PRECISIONS = ("fp32", "bf16", "fp16")


# ------------------------------------------------------------------ helpers
def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fit, device):
    """``fit()``'s result and its seconds, the device idle at both ends."""
    synchronize(device)
    start = time.perf_counter()
    out = fit()
    synchronize(device)
    return out, time.perf_counter() - start


def median(values):
    return statistics.median(values) if values else float("nan")


def supported_precisions(device):
    from sklearn_deep._training._precision import precision_supported

    return [p for p in PRECISIONS if precision_supported(p, device)]


def print_header(args, device):
    print(f"# bench_gpu: {' '.join(sys.argv[1:]) or '(defaults)'}")
    print(f"# torch {torch.__version__}, CUDA {torch.version.cuda}, ", end="")
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        print(
            f"device {props.name} ({props.total_memory / 2**30:.0f} GiB), "
            f"cuDNN {torch.backends.cudnn.version()}"
        )
    else:
        print(f"device {device} (smoke run: figures mean nothing)")
    print(f"# CPU rows: one torch thread; repeats={args.repeats}", flush=True)


def table(title, header, rows):
    print(f"\n## {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---:" if i else "---" for i in range(len(header))) + "|")
    for row in rows:
        print("| " + " | ".join(_cell(value) for value in row) + " |")
    sys.stdout.flush()


def _cell(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def warm_up(device):
    """One small fit of each family on ``device``: CUDA's context, cuDNN's
    kernel choices and the first allocations are then not charged to the
    first timed fit."""
    rng = torch.Generator().manual_seed(0)
    X = torch.randn(64, 40, generator=rng).numpy()
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(max_iter=2, device=str(device)).fit(X, y)
        CNNClassifier(max_iter=2, device=str(device)).fit(X, y)
        sentences = [["a", "b", "c"], ["b", "a"]] * 20
        tags = [["A", "B", "C"], ["B", "A"]] * 20
        LSTMTagger(max_iter=2, device=str(device)).fit(sentences, tags)
    synchronize(device)


# --------------------------------------------------------------------- MLP
def mlp_tables(args, device):
    data = bench_mlp.load_data(2_000 if args.quick else 60_000)
    epochs = 1 if args.quick else args.mlp_epochs
    rows, precision_rows = [], []
    for batch in (256, 32):
        ours, bare = [], []
        for _ in range(args.repeats):  # interleaved
            params = bench_mlp.mlp_params(batch, epochs, seed=0)
            est = MLPClassifier(**params, device=str(device), n_threads=None)
            _, s = timed(lambda est=est: est.fit(data.X_train, data.y_train), device)
            ours.append(s / epochs)
            _, s = timed(
                lambda b=batch: bench_mlp.train_bare(data, b, epochs, 0, device=device),
                device,
            )
            bare.append(s / epochs)
        ratio = median(ours) / median(bare)
        target = "met" if ratio <= 1.1 else "missed"
        rows.append((batch, median(ours), median(bare), ratio, target))
        for precision in supported_precisions(device):
            params = bench_mlp.mlp_params(batch, epochs, seed=0)
            est = MLPClassifier(**params, device=str(device), precision=precision)
            times = []
            for _ in range(args.repeats):
                _, s = timed(
                    lambda est=est: est.fit(data.X_train, data.y_train), device
                )
                times.append(s / epochs)
            score = est.score(data.X_test, data.y_test)
            precision_rows.append((batch, precision, median(times), score))
    table(
        f"MLPClassifier, bench_mlp problem, {epochs} epoch(s) a fit",
        ["batch", "ours s/epoch", "bare s/epoch", "ours/bare", "target <= 1.1"],
        rows,
    )
    table(
        "MLPClassifier by precision",
        ["batch", "precision", "s/epoch", "test accuracy"],
        precision_rows,
    )


# ------------------------------------------------------------------ tagger
def tagger_tables(args, device):
    if not (SHARED / "conll2000").is_dir():
        print("\n# tagger: ../shared/datasets/conll2000 is absent, skipped")
        return
    subset = 300 if args.quick else None
    X, y, X_test, y_test, metric = bench_tagger.load_task(
        "conll", subset, 100 if args.quick else None
    )
    max_iter = 1 if args.quick else None
    rows = []

    def fit(device_name, precision="fp32", n_threads=None, epochs=max_iter):
        params = {} if epochs is None else {"max_iter": epochs}
        tagger = LSTMTagger(
            metric=metric,
            random_state=0,
            device=device_name,
            precision=precision,
            n_threads=n_threads,
            **params,
        )
        _, s = timed(lambda: tagger.fit(X, y), torch.device(device_name))
        f1 = bench_tagger.score(metric, y_test, tagger.predict(X_test))["f1"]
        return tagger, s / tagger.n_iter_, f1

    def row(label, precision, tagger, per_epoch, f1):
        batch = tagger._resolved_batch_size(len(X), torch.device(tagger.device))
        rows.append((label, precision, batch, tagger.n_iter_, per_epoch, 100 * f1))

    # The defaults, fully: the figures the CPU's are compared with.
    row(str(device), "fp32", *fit(str(device)))
    # Each precision, and the CRF's forward algorithm as a tree over all
    # positions (LinearChainCRF.parallel: fewer, larger kernels), for a few
    # epochs, at equal epochs.
    short = 1 if args.quick else args.short_epochs
    for precision in supported_precisions(device):
        row(str(device), precision, *fit(str(device), precision, epochs=short))
    LinearChainCRF.parallel = True
    try:
        row(f"{device}, tree CRF", "fp32", *fit(str(device), epochs=short))
    finally:
        LinearChainCRF.parallel = False
    cpu_epochs = None if args.cpu_full else (1 if args.quick else args.cpu_epochs)
    tagger, per_epoch_cpu, f1_cpu = fit("cpu", n_threads=1, epochs=cpu_epochs)
    row("cpu, 1 thread", "fp32", tagger, per_epoch_cpu, f1_cpu)
    table(
        "LSTMTagger on CoNLL-2000, defaults (batch_size='auto')",
        ["device", "precision", "batch", "epochs", "s/epoch", "test chunk F1"],
        rows,
    )
    speedup = per_epoch_cpu / rows[0][4]
    print(f"\nfp32 epoch speed-up over one CPU thread: {speedup:.2f}x (target >= 5)")


# --------------------------------------------------------------------- GCN
def gcn_tables(args, device):
    rows = []
    for name in ("cora", "citeseer"):
        if not bench_gcn.DATA_HOME.is_dir():
            print(f"\n# gcn: {bench_gcn.DATA_HOME} is absent, skipped")
            return
        data = load_planetoid(name, bench_gcn.DATA_HOME)
        epochs = 5 if args.quick else 200
        ours, bare = [], []
        for _ in range(args.repeats):
            est = _gcn(data, device, max_iter=epochs, early_stopping=False)
            _, s = timed(lambda est=est, d=data: _fit_gcn(est, d), device)
            ours.append(1000 * s / epochs)
            _, s = timed(
                lambda d=data, e=epochs: _bare_gcn_epochs(d, e, device), device
            )
            bare.append(1000 * s / epochs)
        accuracy = {}
        for where in (device, torch.device("cpu")):
            est = _fit_gcn(_gcn(data, where), data)
            accuracy[where.type] = est.score(
                data.test_index, data.target[data.test_index]
            )
        ratio = median(ours) / median(bare)
        rows.append(
            (
                name,
                median(ours),
                median(bare),
                ratio,
                "met" if ratio <= 1.2 else "missed",
                accuracy[device.type],
                accuracy["cpu"],
            )
        )
    table(
        "GCNClassifier, ms an epoch (200 epochs, no early stopping) and accuracy",
        [
            "data",
            "ours ms",
            "bare ms",
            "ours/bare",
            "target <= 1.2",
            f"acc. {device.type}",
            "acc. cpu",
        ],
        rows,
    )


def _gcn(data, device, **params):
    defaults = dict(
        hidden_layer_sizes=(bench_gcn.HIDDEN,),
        dropout=bench_gcn.DROPOUT,
        alpha=bench_gcn.WEIGHT_DECAY,
        learning_rate_init=bench_gcn.LEARNING_RATE,
        max_iter=bench_gcn.MAX_EPOCHS,
        early_stopping=True,
        n_iter_no_change=bench_gcn.WINDOW,
        random_state=0,
        device=str(device),
    )
    return GCNClassifier(data.adjacency, data.features, **{**defaults, **params})


def _fit_gcn(est, data):
    validation = (
        {"X_val": data.val_index, "y_val": data.target[data.val_index]}
        if est.early_stopping
        else {}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(data.train_index, data.target[data.train_index], **validation)


def _bare_gcn_epochs(data, epochs, device):
    """``bench_gcn``'s bare sparse GCN, ``epochs`` epochs on ``device``."""
    generator = torch.Generator().manual_seed(0)
    features = bench_gcn._coo_tensor(bench_gcn._row_normalize(data.features))
    adjacency = bench_gcn._coo_tensor(bench_gcn._normalized_adjacency(data.adjacency))
    n_classes = int(data.target.max()) + 1
    model = bench_gcn.BareGCN(adjacency, features, n_classes, generator)
    model.adjacency = model.adjacency.to(device)
    model.features = model.features.to(device)
    model.to(device)
    optimizer = torch.optim.Adam(
        [
            {"params": model.first_layer(), "weight_decay": bench_gcn.WEIGHT_DECAY},
            {"params": [model.b0, model.w1, model.b1]},
        ],
        lr=bench_gcn.LEARNING_RATE,
    )
    target = torch.as_tensor(data.target, device=device)
    train = torch.as_tensor(data.train_index, device=device)
    model.train()
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = F.cross_entropy(model()[train], target[train])
        loss.backward()
        optimizer.step()
    return model


# --------------------------------------------------------------------- CNN
def cnn_tables(args, device):
    if not (SHARED / "mnist1d").is_dir():
        print("\n# cnn: ../shared/datasets/mnist1d is absent, skipped")
        return
    import bench_cnn

    X, y, X_test, y_test = bench_cnn.load_mnist1d()
    if args.quick:
        X, y = X[:300], y[:300]
    rows = []
    runs = [(str(device), p, None) for p in supported_precisions(device)]
    runs.append(("cpu", "fp32", 1))
    for where, precision, threads in runs:
        est = CNNClassifier(
            random_state=0,
            device=where,
            precision=precision,
            n_threads=threads,
            **({"max_iter": 2} if args.quick else {}),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            _, s = timed(lambda est=est: est.fit(X, y), torch.device(where))
        label = where if threads is None else f"{where}, {threads} thread"
        rows.append(
            (label, precision, est.n_iter_, s / est.n_iter_, est.score(X_test, y_test))
        )
    table(
        "CNNClassifier on MNIST-1D, defaults",
        ["device", "precision", "epochs", "s/epoch", "test accuracy"],
        rows,
    )


# -------------------------------------------------------------------- main
TABLES = {
    "mlp": mlp_tables,
    "tagger": tagger_tables,
    "gcn": gcn_tables,
    "cnn": cnn_tables,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--device", default=None, help='default: "cuda" where there is one'
    )
    parser.add_argument("--only", default=",".join(TABLES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mlp-epochs", type=int, default=3)
    parser.add_argument(
        "--cpu-epochs",
        type=int,
        default=2,
        help="epochs of the one-thread CPU tagger fit timed",
    )
    parser.add_argument(
        "--short-epochs",
        type=int,
        default=5,
        help="epochs of the tagger's precision and tree-CRF rows",
    )
    parser.add_argument(
        "--cpu-full",
        action="store_true",
        help="fit the CPU tagger fully, for its test F1",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run")
    args = parser.parse_args(argv)
    if args.device is None:
        args.device = "cuda" if torch.cuda.is_available() or not args.quick else "cpu"
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("# no CUDA device here: run on a GPU, or --quick for a smoke run")
        return 0
    if args.quick:
        args.repeats = 1
    print_header(args, device)
    warm_up(device)
    for name in args.only.split(","):
        TABLES[name](args, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
