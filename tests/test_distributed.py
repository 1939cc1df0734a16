"""Data-parallel fitting with torch.distributed: two CPU ranks over gloo."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch.distributed as dist

WORKER = Path(__file__).with_name("distributed_fit.py")

pytestmark = pytest.mark.skipif(
    not dist.is_available() or not dist.is_gloo_available(),
    reason="this torch build has no torch.distributed with the gloo backend",
)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(command, out):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [*command, str(WORKER), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Saved results of a two-rank torchrun fit and of a single-process fit."""
    out = tmp_path_factory.mktemp("distributed")
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes=1",
        "--nproc-per-node=2",
        "--master-addr=127.0.0.1",
        f"--master-port={_free_port()}",
    ]
    _run(torchrun, out)
    _run([sys.executable], out)
    return {path.stem: dict(np.load(path)) for path in out.glob("*.npz")}


@pytest.mark.parametrize("fit", ["seeded", "unseeded"])
def test_ranks_end_with_identical_weights(runs, fit):
    rank0, rank1 = runs[f"rank0-{fit}"], runs[f"rank1-{fit}"]
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        np.testing.assert_array_equal(rank0[key], rank1[key], err_msg=key)


def test_early_stopping_agrees_across_ranks(runs):
    # Validation scores are agreed on before each decision, so both ranks
    # stop after the same epoch (checked above as n_iter) and early enough.
    assert runs["rank0-seeded"]["n_iter"] == runs["rank1-seeded"]["n_iter"]
    assert runs["rank0-seeded"]["n_iter"] < 40


def test_fit_matches_the_single_process_fit(runs):
    # Each rank trains on half of every global batch and the gradients are
    # averaged: the same updates as one process, up to float rounding (the
    # weights agree within about 3e-7), so early stopping stops alike.
    single, parallel = runs["single-seeded"], runs["rank0-seeded"]
    assert float(single["accuracy"]) > 0.7
    assert int(parallel["n_iter"]) == int(single["n_iter"])
    weights = sorted(key for key in single if key.startswith("arr_"))
    assert weights and sorted(key for key in parallel if key.startswith("arr_")) == (
        weights
    )
    for key in weights:
        np.testing.assert_allclose(
            parallel[key], single[key], rtol=0, atol=1e-5, err_msg=key
        )
