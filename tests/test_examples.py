"""The example scripts run from start to end, and the plot_* ones draw figures.

Each runs in a subprocess through ``tests/run_example.py --fast`` (headless,
training capped at a few epochs, every open figure saved as PNG afterwards) in
a temporary working directory; the selected examples run side by side
(``_subprocess_pool.py``), each test checking its own. The data set fetchers
read a data home made of links to the shared data folder beside the checkout,
and their download URL points at a closed local port, so nothing is fetched
from the internet. The checkout comes first on ``PYTHONPATH``: the examples
run this code, not an installed copy.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from _subprocess_pool import run_side_by_side, selected_parameters

ROOT = Path(__file__).parents[1]
RUNNER = Path(__file__).with_name("run_example.py")
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
SHARED = ROOT.parent / "shared" / "datasets"
# Examples that fetch a data set, and the file they need from the shared folder.
NEEDS_DATA = {
    "plot_gcn_cora.py": SHARED / "planetoid" / "ind.cora.graph",
    "plot_tagger_conll2000.py": SHARED / "conll2000" / "train.txt",
    "plot_transformer_tagger.py": SHARED / "conll2000" / "train.txt",
    "plot_cnn_mnist1d.py": SHARED / "mnist1d" / "mnist1d.npz",
}


@pytest.fixture(scope="module")
def data_home(tmp_path_factory):
    """scikit-learn's data home, its data set folders linked to the shared ones."""
    home = tmp_path_factory.mktemp("scikit_learn_data")
    if SHARED.is_dir():
        for folder in SHARED.iterdir():
            if folder.is_dir():
                (home / folder.name).symlink_to(folder, target_is_directory=True)
    return home


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _checkout_first():
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def _has_data(script):
    data = NEEDS_DATA.get(script.name)
    return data is None or data.is_file()


@pytest.fixture(scope="module")
def example_runs(request, tmp_path_factory, data_home):
    """Every selected example, started side by side: script to (future, folder)."""
    scripts = selected_parameters(
        request.session, "test_examples.py", "test_example_runs", "script"
    )
    env = {
        **_checkout_first(),
        "SCIKIT_LEARN_DATA": str(data_home),
        "SKLEARN_DEEP_DATA_URL": f"http://127.0.0.1:{_closed_port()}",
    }
    folders = {script: tmp_path_factory.mktemp(script.stem) for script in scripts}
    futures = run_side_by_side(
        {
            script: dict(
                args=[sys.executable, str(RUNNER), str(script), "--fast"],
                cwd=folders[script],
                env=env,
                timeout=300,
            )
            for script in scripts
            if _has_data(script)
        }
    )
    return {script: (futures[script], folders[script]) for script in futures}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, request):
    if not _has_data(script):
        pytest.skip(
            f"{script.name} needs {NEEDS_DATA[script.name]}, which is not there"
        )
    pytest.importorskip("matplotlib")
    future, folder = request.getfixturevalue("example_runs")[script]
    result = future.result()
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example printed nothing"
    if script.name.startswith("plot_"):
        figures = sorted(p.name for p in folder.glob("*.png"))
        assert figures, f"{script.name} left no matplotlib figure open to save"


def test_runner_caps_training_and_saves_figures(tmp_path):
    pytest.importorskip("matplotlib")
    script = tmp_path / "plot_tiny.py"
    script.write_text(
        "import matplotlib.pyplot as plt\n"
        "from sklearn.datasets import make_classification\n"
        "from sklearn_deep import MLPClassifier\n"
        "X, y = make_classification(n_samples=60, random_state=0)\n"
        "clf = MLPClassifier(max_iter=50, random_state=0).fit(X, y)\n"
        "print(clf.n_iter_, clf.max_iter)\n"
        "plt.plot(clf.loss_curve_)\n"
        "plt.figure()\n"
    )
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(script), "--fast"],
        cwd=tmp_path,
        env=_checkout_first(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    n_iter, max_iter = result.stdout.split("\n")[0].split()
    # Trained 3 epochs, but the parameter reads as the script set it.
    assert (int(n_iter), int(max_iter)) == (3, 50)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "plot_tiny_1.png",
        "plot_tiny_2.png",
    ]
