"""The documentation builds without a warning (examples not run).

Broken cross-references, bad docstrings and missing pages fail here rather
than on the documentation site. The gallery is rendered with
``plot_gallery=False``, so the examples are not executed (tests/test_examples.py
runs them), and the build happens in a temporary copy of docs/ and examples/,
with the checkout first on ``PYTHONPATH`` so that it documents this code, not
an installed copy.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]

pytest.importorskip("sphinx", reason="the docs test needs sphinx")
pytest.importorskip("numpydoc", reason="the docs test needs numpydoc")
pytest.importorskip("sphinx_gallery", reason="the docs test needs sphinx-gallery")
pytest.importorskip("matplotlib", reason="the docs test needs matplotlib")
pytest.importorskip("pydata_sphinx_theme", reason="the docs test needs the theme")


def test_docs_build_without_warnings(tmp_path):
    shutil.copytree(
        ROOT / "docs",
        tmp_path / "docs",
        ignore=shutil.ignore_patterns("_build", "generated", "auto_examples"),
    )
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-q",
            "-D",
            "plot_gallery=0",
            str(tmp_path / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
            ),
        },
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    html = tmp_path / "html"
    for page in [
        "index.html",
        "api.html",
        "textbook.html",
        "migrating.html",
        "scaling.html",
        "auto_examples/index.html",
        "generated/sklearn_deep.inspection.TrainingHistoryDisplay.html",
        "generated/sklearn_deep.datasets.fetch_planetoid.html",
    ]:
        assert (html / page).is_file(), page
    landing = (html / "index.html").read_text(encoding="utf-8")
    assert "pydata" in landing  # the theme that shows code lines whole
    assert "©. |" not in landing and "the sklearn_deep developers" in landing
    assert "sklearn_deep.GCNClassifier.html" in landing  # the estimator table
    assert "sphx-glr-thumbcontainer" in landing  # the gallery thumbnails
