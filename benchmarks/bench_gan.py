"""Benchmark: mode coverage, sample quality and fit time of the GAN sampler.

Three parts, each printing a Markdown table:

1. **Mode coverage** on PacGAN's 2-D ring (8 modes, std 0.01) and 2-D grid
   (25 modes, std 0.05): ``GAN()`` with its defaults (``pac=2``) and the same
   with ``pac=1`` (a plain GAN, the anchor), fitted on 10,000 points drawn
   with each seed, scored on 2,500 samples by
   :func:`sklearn_deep.metrics.mode_coverage` (modes captured, share of
   high-quality samples, reverse KL of the mode histogram from uniform). The
   table gives the mean over the seeds and each fit's wall and CPU seconds
   (mean). Fits run interleaved: seed by seed, ring then grid, defaults then
   ``pac=1``; a line per fit is printed as it ends.
2. **Speed**: seconds per 1,000 updates of ``GAN`` against a bare PyTorch loop
   of the same recipe (same networks, batches of 256 packs of 2, non-saturating
   loss, Adam, moving average of the generator), both for the same number of
   updates, interleaved, median over rounds.
3. **Conditional digits** (``load_digits`` scaled to [0, 1], 75/25 split): a
   conditional ``GAN`` fitted on the training digits, against
   ``GaussianMixture`` and ``KernelDensity`` (scikit-learn's "Kernel Density
   Estimation" example: PCA to 15 dimensions, bandwidth by grid search) fitted
   per class. For 1,000 samples per model (100 per class): the share that an
   ``SVC`` trained on the real training digits labels with the class they were
   drawn for; a classifier two-sample test (a ``RandomForestClassifier``
   telling real test digits from as many samples, 5-fold cross-validated
   accuracy: 0.5 means indistinguishable; real training digits give its
   floor), every model's rows first put on the digits' 17 grey levels; and the
   mean Euclidean distance
   from a sample to its nearest training digit (beside the test digits' own),
   so that copying the training set does not pass for quality.

Measurement rules: one thread (``torch.set_num_threads(1)``, threadpoolctl);
wall and CPU (``time.process_time``) seconds per fit.

Usage
-----
::

    python benchmarks/bench_gan.py                      # 10 seeds, 3 anchors
    python benchmarks/bench_gan.py --seeds 2 --anchor-seeds 1   # a check run
    python benchmarks/bench_gan.py --parts digits       # one part only
    python benchmarks/bench_gan.py --quick              # a few seconds (tests)

``--quick`` runs every part on tiny data for a few epochs: it checks that the
script runs, its figures mean nothing.
"""

import argparse
import copy
import platform
import statistics
import time

import numpy as np
import sklearn
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.neighbors import KernelDensity, NearestNeighbors
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

from sklearn_deep import GAN
from sklearn_deep.datasets import make_gaussian_grid, make_gaussian_ring
from sklearn_deep.metrics import mode_coverage

DATASETS = {
    "2D-ring": (make_gaussian_ring, 0.01),
    "2D-grid": (make_gaussian_grid, 0.05),
}
N_SAMPLES = 2500


def _timed_fit(estimator, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    estimator.fit(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


# ------------------------------------------------------------ mode coverage
def coverage_part(seeds, anchor_seeds, n_train, max_iter, datasets=tuple(DATASETS)):
    configs = {"GAN() (pac=2)": {}, "GAN(pac=1)": {"pac": 1}}
    results = {(d, c): [] for d in datasets for c in configs}
    for seed in range(seeds):
        for dataset in datasets:
            make, std = DATASETS[dataset]
            X, _, centers = make(n_train, random_state=seed, return_centers=True)
            for config, params in configs.items():
                if params and seed >= anchor_seeds:
                    continue
                gan = GAN(max_iter=max_iter, random_state=seed, n_threads=1, **params)
                wall, cpu = _timed_fit(gan, X)
                samples = gan.sample(N_SAMPLES, random_state=seed)
                coverage = mode_coverage(samples, centers, std)
                results[dataset, config].append((*coverage, wall, cpu))
                print(
                    f"  seed {seed} {dataset} {config}: {coverage.n_modes} modes, "
                    f"{100 * coverage.high_quality_fraction:.1f}% high-quality, "
                    f"reverse KL {coverage.reverse_kl:.4f}, wall {wall:.1f} s, "
                    f"CPU {cpu:.1f} s",
                    flush=True,
                )
    print()
    print(
        "| data | model | seeds | modes (mean) | high-quality % (mean) | "
        "reverse KL (mean) | wall s/fit (mean) | CPU s/fit (mean) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (dataset, config), rows in results.items():
        if not rows:
            continue
        modes, quality, kl, wall, cpu = (
            np.mean(column) for column in zip(*rows, strict=True)
        )
        print(
            f"| {dataset} | {config} | {len(rows)} | {modes:.2f} | "
            f"{100 * quality:.1f} | {kl:.4f} | {wall:.1f} | {cpu:.1f} |"
        )


# -------------------------------------------------------------------- speed
def bare_loop(X, n_updates, seed):
    """The recipe written out in PyTorch: what GAN's defaults do per update."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    data = torch.as_tensor((X - X.mean(0)) / X.std(0), dtype=torch.float32)

    def mlp(n_in, n_out, activation):
        return torch.nn.Sequential(
            torch.nn.Linear(n_in, 128),
            activation(),
            torch.nn.Linear(128, 128),
            activation(),
            torch.nn.Linear(128, n_out),
        )

    G = mlp(16, 2, torch.nn.ReLU)
    D = mlp(4, 1, lambda: torch.nn.LeakyReLU(0.2))
    average = copy.deepcopy(G)
    opt_g = torch.optim.Adam(G.parameters(), 1e-3, betas=(0.5, 0.999), fused=True)
    opt_d = torch.optim.Adam(D.parameters(), 1e-3, betas=(0.5, 0.999), fused=True)
    done = 0
    while done < n_updates:
        order = torch.randperm(len(data), generator=generator)
        for start in range(0, len(data) - 511, 512):
            factor = 1 - done / n_updates
            for opt in (opt_g, opt_d):
                opt.param_groups[0]["lr"] = 1e-3 * factor
            real = data[order[start : start + 512]]
            fake = G(torch.randn(512, 16, generator=generator))
            scores = D(torch.cat([real, fake.detach()]).reshape(512, 4))
            loss_d = F.softplus(-scores[:256]).mean() + F.softplus(scores[256:]).mean()
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = F.softplus(-D(fake.reshape(256, 4))).mean()
            opt_g.zero_grad()
            loss_g.backward(inputs=list(G.parameters()))
            opt_g.step()
            with torch.no_grad():
                for a, p in zip(average.parameters(), G.parameters(), strict=True):
                    a.lerp_(p, 0.001)
            done += 1
            if done == n_updates:
                break


def speed_part(rounds, n_train, n_updates):
    X, _ = make_gaussian_ring(n_train, random_state=0)
    # Epochs of GAN for n_updates: its batches are those of the bare loop
    # (the bare loop drops the last, partial batch of each epoch).
    n_batches = -(-n_train // 512)
    epochs = max(1, n_updates // n_batches)
    updates = epochs * n_batches
    times = {"GAN": [], "bare PyTorch loop": []}
    GAN(max_iter=1, random_state=0, n_threads=1).fit(X[:1024])  # warm-up
    for round_ in range(rounds):
        for name in times:
            cpu = time.process_time()
            if name == "GAN":
                GAN(max_iter=epochs, random_state=round_, n_threads=1).fit(X)
            else:
                bare_loop(X, updates, round_)
            times[name].append((time.process_time() - cpu) / updates * 1000)
    print()
    print(f"{updates} updates on {n_train} points, median of {rounds} rounds:")
    print()
    print("| trainer | CPU s / 1,000 updates | ratio to bare |")
    print("| --- | ---: | ---: |")
    bare = statistics.median(times["bare PyTorch loop"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {median / bare:.2f} |")


# ------------------------------------------------------------------- digits
def _per_class(make_model, X, y, transform=None):
    models = {}
    for label in np.unique(y):
        rows = X[y == label] if transform is None else transform(X[y == label])
        models[label] = make_model().fit(rows)
    return models


def _kde(X, n_bandwidths):
    # scikit-learn's example: PCA to 15 dimensions, then a grid over bandwidths.
    grid = {"bandwidth": np.logspace(-2, 0, n_bandwidths)}
    search = GridSearchCV(KernelDensity(), grid)
    return search.fit(X).best_estimator_


def digits_part(max_iter, per_class, quick):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    labels = np.repeat(np.arange(10), per_class)
    samples, times = {}, {}

    gan = GAN(max_iter=max_iter, random_state=0, n_threads=1)
    times["GAN (conditional)"] = _timed_fit(gan, X_train, y_train)
    samples["GAN (conditional)"] = gan.sample(len(labels), random_state=0, y=labels)

    wall, cpu = time.perf_counter(), time.process_time()
    mixtures = _per_class(
        lambda: GaussianMixture(4 if quick else 10, random_state=0),
        X_train,
        y_train,
    )
    times["GaussianMixture per class"] = (
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )
    samples["GaussianMixture per class"] = np.vstack(
        [mixtures[k].sample(per_class)[0] for k in range(10)]
    )

    wall, cpu = time.perf_counter(), time.process_time()
    pca = PCA(n_components=15, whiten=False).fit(X_train)
    n_bandwidths = 3 if quick else 20
    kdes = {
        k: _kde(pca.transform(X_train[y_train == k]), n_bandwidths) for k in range(10)
    }
    times["KernelDensity per class (PCA 15)"] = (
        time.perf_counter() - wall,
        time.process_time() - cpu,
    )
    samples["KernelDensity per class (PCA 15)"] = np.vstack(
        [
            pca.inverse_transform(kdes[k].sample(per_class, random_state=0))
            for k in range(10)
        ]
    )

    svc = SVC(gamma=0.05 if not quick else "scale").fit(X_train, y_train)
    neighbours = NearestNeighbors(n_neighbors=1).fit(X_train)
    test_distance = float(neighbours.kneighbors(X_test)[0].mean())
    print()
    print(
        f"{len(labels)} samples per model ({per_class} per class); SVC accuracy "
        f"on the test digits {svc.score(X_test, y_test):.3f}; mean distance of a "
        f"test digit to its nearest training digit {test_distance:.3f}:"
    )
    print()
    print(
        "| model | SVC agrees with the class | two-sample test accuracy "
        "(0.5 = indistinguishable) | distance to nearest training digit | "
        "fit wall s | fit CPU s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    # Every model's rows are put on the digits' own grid of 17 grey levels in
    # [0, 1]: otherwise the two-sample test tells them from real digits by
    # their continuous values alone.
    rows = {
        "real test digits": (X_test, y_test),
        "real training digits": (X_train[: len(X_test)], y_train[: len(X_test)]),
        **{
            name: (np.round(np.clip(s, 0, 1) * 16) / 16, labels)
            for name, s in samples.items()
        },
    }
    for name, (drawn, truth) in rows.items():
        agreement = float(np.mean(svc.predict(drawn) == truth))
        two_sample = "-"
        if name != "real test digits":
            n = min(len(X_test), len(drawn))
            data = np.vstack([X_test[:n], drawn[:n]])
            target = np.r_[np.zeros(n), np.ones(n)]
            forest = RandomForestClassifier(100, random_state=0, n_jobs=1)
            two_sample = f"{cross_val_score(forest, data, target, cv=5).mean():.3f}"
        distance = float(neighbours.kneighbors(drawn)[0].mean())
        wall, cpu = times.get(name, (float("nan"),) * 2)
        print(
            f"| {name} | {agreement:.3f} | {two_sample} | {distance:.3f} | "
            f"{wall:.1f} | {cpu:.1f} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--anchor-seeds", type=int, default=3)
    parser.add_argument("--speed-rounds", type=int, default=3)
    parser.add_argument("--digits-epochs", type=int, default=2000)
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["coverage", "speed", "digits"],
        choices=["coverage", "speed", "digits"],
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=list(DATASETS),
        choices=list(DATASETS),
        help="the data sets of the coverage part (one per process runs them "
        "side by side on two cores)",
    )
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"Python {platform.python_version()}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, one thread."
    )
    with threadpool_limits(1):
        if "coverage" in args.parts:
            if args.quick:
                coverage_part(seeds=1, anchor_seeds=1, n_train=600, max_iter=3)
            else:
                coverage_part(
                    args.seeds,
                    args.anchor_seeds,
                    10_000,
                    max_iter=1500,
                    datasets=args.datasets,
                )
        if "speed" in args.parts:
            if args.quick:
                speed_part(rounds=1, n_train=2048, n_updates=8)
            else:
                speed_part(args.speed_rounds, 10_000, n_updates=3000)
        if "digits" in args.parts:
            if args.quick:
                digits_part(max_iter=2, per_class=10, quick=True)
            else:
                digits_part(args.digits_epochs, per_class=100, quick=False)


if __name__ == "__main__":
    main()
