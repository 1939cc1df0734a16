"""Every benchmark script still runs: its ``--quick`` smoke test, once.

The speed and accuracy figures are the benchmarks' business
(``benchmarks/RESULTS.md``); a timed test on a shared machine would only be
noise. These tests run each script in a subprocess with ``--quick`` (tiny data,
one round, a few epochs; anchors that are not installed are skipped by the
script itself) and check that it exits with status 0 and prints its table, so
that a benchmark broken by a change of the package is noticed.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest
import torch.distributed as dist
from _subprocess_pool import run_side_by_side, selected_parameters

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SHARED = ROOT.parent / "shared" / "datasets"

# script -> (data folders it needs under ../shared/datasets, lines its output
# must contain: the table's header and separator, and the rows of the trainers
# that are always installed).
SCRIPTS = {
    "bench_autoencoder.py": (
        [],
        [
            "| k | method | test MSE | MSE / PCA |",
            "| ---: | --- |",
            "| 2 | sklearn_deep |",
            "| 16 | sklearn MLPRegressor |",
        ],
    ),
    "bench_cnn.py": (
        ["mnist1d"],
        [
            "| model | mean test accuracy |",
            "| CNNClassifier (defaults) |",
            "| sklearn SVC(gamma=0.001) |",
            "| trainer | CPU s/epoch (median) | ratio to bare |",
            "| CNNClassifier |",
            "| bare PyTorch loop |",
            "| skorch NeuralNetClassifier |",
        ],
    ),
    "bench_custom_module.py": (
        [],
        [
            "| batch | trainer | s/epoch (median) |",
            "|---:|---|",
            "| 256 | torch_classifier |",
            "| 256 | skorch |",
            "| 256 | bare |",
        ],
    ),
    "bench_gan.py": (
        [],
        [
            "| data | model | seeds | modes (mean) |",
            "| 2D-ring | GAN() (pac=2) |",
            "| 2D-grid | GAN(pac=1) |",
            "| trainer | CPU s / 1,000 updates | ratio to bare |",
            "| bare PyTorch loop |",
            "| GAN (conditional) |",
            "| KernelDensity per class (PCA 15) |",
        ],
    ),
    "bench_gcn.py": (
        ["planetoid"],
        [
            "| trainer | test accuracy (%) |",
            "| --- | --- |",
            "| sklearn_deep |",
            "| bare |",
            "| bare_our_net |",
        ],
    ),
    "bench_gpu.py": (
        ["conll2000", "planetoid", "mnist1d"],
        [
            "| batch | ours s/epoch | bare s/epoch | ours/bare | target <= 1.1 |",
            "| batch | precision | s/epoch | test accuracy |",
            "| 256 | bf16 |",
            "| device | precision | batch | epochs | s/epoch | test chunk F1 |",
            "| cpu, 1 thread | fp32 |",
            "| cora |",
            "| citeseer |",
            "| device | precision | epochs | s/epoch | test accuracy |",
        ],
    ),
    "bench_memory.py": (
        [],
        [
            "| early_stopping | baseline (MiB) |",
            "|---|---:|",
            "| False |",
            "| True |",
        ],
    ),
    "bench_mlp.py": (
        [],
        [
            "| batch | trainer | s/epoch (median) |",
            "|---:|---|",
            "| 256 | sklearn_deep |",
            "| 256 | skorch default |",
            "| 256 | bare torch |",
        ],
    ),
    "bench_onnx.py": (
        [],
        [
            "| workload | path | median | ratio to onnxruntime |",
            "|---|---|---:|---:|",
            "| 1 row, latency | onnxruntime |",
            "| 1 row, latency | predict_proba |",
            "rows, throughput | onnxruntime |",
        ],
    ),
    "bench_scale.py": (
        [],
        ["| path | workers / ranks |", "|---|---:|"]
        # Each path runs where what it needs is installed.
        + (
            ["| GridSearchCV, 24 fits | 1 dask worker(s) |", "equals serial |"]
            if importlib.util.find_spec("distributed")
            else []
        )
        + (
            ["| DDP fit, 2 epochs | 1 rank(s) |"]
            if dist.is_available() and dist.is_gloo_available()
            else []
        ),
    ),
    "bench_tagger.py": (
        ["conll2000", "ud_english_ewt"],
        [
            "| task | trainer | chunk F1 |",
            "| conll | ours |",
            "| conll | bare |",
            "| ewt | ours |",
            "| task | epochs | ours tokens/CPU s | bare | ours/bare |",
            "| conll | transformer |",
            "| task | epochs | batch | transformer tokens/CPU s | bare |",
        ],
    ),
    "bench_threads.py": (
        [],
        [
            "| what | setting | wall s (median) |",
            "|---|---|",
            "| n_jobs=2 |",
            "best",
            "equal |",
            "| n_threads=2 |",
        ],
    ),
}


def _missing_data(script):
    return [f for f in SCRIPTS[script][0] if not (SHARED / f).is_dir()]


@pytest.fixture(scope="module")
def quick_runs(request):
    """Every selected script's ``--quick`` run, started side by side.

    One torch thread each (``_subprocess_pool``): a smoke test measures
    nothing, and two threads on cores that other work shares run 10-30x
    slower (RESULTS.md, thread policy).
    """
    scripts = selected_parameters(
        request.session,
        "test_benchmarks.py",
        "test_quick_run_prints_its_table",
        "script",
    )
    # The scripts import the package from this tree, whether installed or not.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path}
    return run_side_by_side(
        {
            script: dict(
                args=[sys.executable, str(BENCHMARKS / script), "--quick"],
                cwd=ROOT,
                env=env,
                timeout=300,
            )
            for script in scripts
            if not _missing_data(script)
        }
    )


def test_every_script_is_covered():
    assert sorted(p.name for p in BENCHMARKS.glob("bench_*.py")) == sorted(SCRIPTS)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_quick_run_prints_its_table(script, request):
    missing = _missing_data(script)
    if missing:
        pytest.skip(f"../shared/datasets/{', '.join(missing)} absent: no data")
    result = request.getfixturevalue("quick_runs")[script].result()
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr[-5000:]}"
    assert result.returncode == 0, report
    for line in SCRIPTS[script][1]:
        assert line in result.stdout, f"{line!r} not printed\n{report}"
