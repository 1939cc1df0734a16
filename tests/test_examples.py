"""The example scripts run from start to end, and the plot_* ones save figures.

They run in their fast mode (``SKLEARN_DEEP_EXAMPLES_FAST=1``, which examples
may read to do less work) in a temporary working directory, headless.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SHARED = ROOT.parent / "shared" / "datasets"
# Examples that read data from the shared folder beside the repository, and
# stop early (without figures) when it is missing.
NEEDS_DATA = {
    "plot_gcn_cora.py": SHARED / "planetoid" / "ind.cora.graph",
    "plot_tagger_conll2000.py": SHARED / "conll2000" / "train.txt",
}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, tmp_path):
    data = NEEDS_DATA.get(script.name)
    if data is not None and not data.is_file():
        pytest.skip(f"{script.name} needs {data}, which is not there")
    pytest.importorskip("matplotlib")
    env = {**os.environ, "MPLBACKEND": "Agg", "SKLEARN_DEEP_EXAMPLES_FAST": "1"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"
    if script.name.startswith("plot_"):
        figures = sorted(p.name for p in tmp_path.glob("*.png"))
        assert figures, f"{script.name} saved no PNG figure in its working directory"
