"""The data set fetchers download, check and cache files, offline.

No test reaches the internet: each serves files from a local HTTP server on
127.0.0.1 (the shared data folder beside the checkout, or a small tree the
test writes) and points the fetchers at it.
"""

import functools
import gzip
import http.server
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from sklearn_deep.datasets import (
    _fetch_conll,
    fetch_conll2000,
    fetch_planetoid,
    fetch_ud_treebank,
)

SHARED = Path(__file__).parents[2] / "shared" / "datasets"


def _needs(*relative):
    for name in relative:
        if not (SHARED / name).is_file():
            pytest.skip(f"{SHARED / name} is not there (shared data folder)")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder quietly, counting requests; can cut files short."""

    truncate_to = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        if self.truncate_to is None:
            return super().do_GET()
        # Announce the whole file, send the first bytes, then hang up: what a
        # dropped connection looks like to the client.
        body = (Path(self.directory) / self.path.lstrip("/")).read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: self.truncate_to])
        self.close_connection = True


@pytest.fixture
def serve():
    """``serve(folder)`` -> the URL of an HTTP server on 127.0.0.1 for folder."""
    servers = []

    def start(folder, truncate_to=None):
        handler = type("Handler", (_Handler,), {"truncate_to": truncate_to})
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        server.requests = []
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_mirror(monkeypatch):
    monkeypatch.delenv("SKLEARN_DEEP_DATA_URL", raising=False)


def _left_in(folder):
    return sorted(path.name for path in folder.iterdir())


def test_fetch_planetoid_downloads_checks_and_caches(serve, tmp_path):
    _needs("planetoid/ind.cora.graph")
    url, server = serve(SHARED / "planetoid")
    data = fetch_planetoid("Cora", data_home=tmp_path, base_url=url)
    assert data.features.shape == (2708, 1433)
    assert data.adjacency.shape == (2708, 2708)
    assert (len(data.train_index), len(data.test_index)) == (140, 1000)
    assert len(server.requests) == 8
    # Only the eight files, no temporary leftovers.
    assert _left_in(tmp_path / "planetoid") == sorted(
        f"ind.cora.{part}"
        for part in ("x", "y", "tx", "ty", "allx", "ally", "graph", "test.index")
    )
    again = fetch_planetoid("cora", data_home=tmp_path, download_if_missing=False)
    assert len(server.requests) == 8  # read from the cache
    assert (again.target == data.target).all()


def test_environment_variable_names_a_mirror_of_all_data_sets(
    serve, tmp_path, monkeypatch
):
    _needs("conll2000/test.txt", "ud_english_ewt/en_ewt-ud-dev.conllu")
    url, server = serve(SHARED)
    monkeypatch.setenv("SKLEARN_DEEP_DATA_URL", url + "/")
    chunks = fetch_conll2000("test", data_home=tmp_path)
    assert len(chunks.words) == 2012  # the shared task's test sentences
    assert sum(map(len, chunks.words)) == 47377
    ud = fetch_ud_treebank("en_ewt", "dev", data_home=tmp_path)
    assert len(ud.words) == 2001
    assert len({tag for tags in ud.tags for tag in tags}) == 17  # UPOS
    assert server.requests == [
        "/conll2000/test.txt",
        "/ud_english_ewt/en_ewt-ud-dev.conllu",
    ]


def test_gzipped_canonical_file_is_decompressed_and_checked(
    serve, tmp_path, monkeypatch
):
    _needs("conll2000/test.txt")
    remote = tmp_path / "remote"
    remote.mkdir()
    (remote / "test.txt.gz").write_bytes(
        gzip.compress((SHARED / "conll2000" / "test.txt").read_bytes())
    )
    url, _ = serve(remote)
    monkeypatch.setattr(_fetch_conll, "CONLL2000_URL", url)
    data = fetch_conll2000("test", data_home=tmp_path / "home")
    assert len(data.words) == 2012
    stored = tmp_path / "home" / "conll2000" / "test.txt"
    assert stored.read_bytes() == (SHARED / "conll2000" / "test.txt").read_bytes()


def test_checksum_mismatch_keeps_nothing(serve, tmp_path):
    _needs("planetoid/ind.cora.graph")
    remote = tmp_path / "remote"
    shutil.copytree(SHARED / "planetoid", remote)
    os.chmod(remote / "ind.cora.tx", 0o644)
    (remote / "ind.cora.tx").write_bytes(b"not the Cora test features")
    url, _ = serve(remote)
    home = tmp_path / "home"
    with pytest.raises(OSError, match=r"ind\.cora\.tx is damaged|checksum"):
        fetch_planetoid("cora", data_home=home, base_url=url)
    assert "ind.cora.tx" not in _left_in(home / "planetoid")
    assert not [name for name in _left_in(home / "planetoid") if name[0] == "."]


def test_truncated_download_keeps_nothing(serve, tmp_path):
    _needs("conll2000/test.txt")
    url, _ = serve(SHARED / "conll2000", truncate_to=1000)
    with pytest.raises(OSError, match="Could not download .*test.txt"):
        fetch_conll2000("test", data_home=tmp_path, base_url=url)
    assert _left_in(tmp_path / "conll2000") == []


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_offline_message_names_url_and_folder(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(OSError) as error:
        fetch_ud_treebank("en_ewt", "test", data_home=tmp_path, base_url=url)
    message = str(error.value)
    assert f"{url}/en_ewt-ud-test.conllu" in message
    assert str(tmp_path / "ud_english_ewt") in message
    assert _left_in(tmp_path / "ud_english_ewt") == []


def test_download_if_missing_false_names_the_missing_files(tmp_path):
    _needs("planetoid/ind.pubmed.graph")
    shutil.copytree(SHARED / "planetoid", tmp_path / "planetoid")
    # The shared copy of PubMed lacks ind.pubmed.allx.
    with pytest.raises(OSError, match=r"ind\.pubmed\.allx missing from .*planetoid"):
        fetch_planetoid("pubmed", data_home=tmp_path, download_if_missing=False)


def test_git_blob_digest_is_checked(serve, tmp_path, monkeypatch):
    # A file checked by the git blob id its repository records: the id of
    # ind.cora.x in the Planetoid authors' repository.
    _needs("planetoid/ind.cora.graph")
    from sklearn_deep.datasets import _fetch_planetoid

    monkeypatch.setattr(_fetch_planetoid, "_SHA256", {})
    monkeypatch.setattr(
        _fetch_planetoid,
        "_GIT_BLOB_SHA1",
        {"ind.cora.x": "c4a91d008245403e7f26aa616b437191509793c0"},
    )
    remote = tmp_path / "remote"
    remote.mkdir()
    shutil.copy(SHARED / "planetoid" / "ind.cora.x", remote / "ind.cora.x")
    url, _ = serve(remote)
    home = tmp_path / "home" / "planetoid"
    home.mkdir(parents=True)
    for part in ("y", "tx", "ty", "allx", "ally", "graph", "test.index"):
        shutil.copy(SHARED / "planetoid" / f"ind.cora.{part}", home)
    data = fetch_planetoid("cora", data_home=tmp_path / "home", base_url=url)
    assert data.features.shape == (2708, 1433)
    (remote / "ind.cora.x").write_bytes(b"x" * 10)
    (home / "ind.cora.x").unlink()
    with pytest.raises(OSError, match="checksum"):
        fetch_planetoid("cora", data_home=tmp_path / "home", base_url=url)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: fetch_planetoid("reddit"), "Unknown Planetoid dataset 'reddit'"),
        (lambda: fetch_conll2000("dev"), "subset must be one of"),
        (lambda: fetch_ud_treebank("fr_gsd"), "Unknown treebank 'fr_gsd'"),
        (lambda: fetch_ud_treebank("en_ewt", "valid"), "subset must be one of"),
        (lambda: fetch_conll2000(["train"]), "subset must be one of"),
        (lambda: fetch_ud_treebank(["en_ewt"]), "Unknown treebank"),
        (lambda: fetch_conll2000("test", base_url=""), "base_url must be"),
        (lambda: fetch_conll2000("test", base_url=5), "base_url must be"),
    ],
)
def test_bad_arguments_raise_before_any_download(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_downloaded_files_get_the_permissions_of_any_new_file(serve, tmp_path):
    _needs("conll2000/test.txt")
    url, _ = serve(SHARED / "conll2000")
    umask = os.umask(0o022)
    try:
        fetch_conll2000("test", data_home=tmp_path, base_url=url)
    finally:
        os.umask(umask)
    # Readable by others (a shared data home), not mkstemp's private 0o600.
    assert (tmp_path / "conll2000" / "test.txt").stat().st_mode & 0o777 == 0o644
