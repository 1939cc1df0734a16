"""Download data set files into scikit-learn's data home, checked by SHA-256.

The fetchers share this one downloader. Each file of a data set is a
:class:`RemoteFile`: its name in the data set's folder, the SHA-256 of that
file, and the URL it comes from at its canonical public location. A mirror
(the ``base_url`` argument of a fetcher, or the ``SKLEARN_DEEP_DATA_URL``
environment variable) holds the files as the data set's folder does, under
the same names.

A download goes to a temporary file in the destination folder and is renamed
into place only once its checksum matches, so an interrupted, truncated or
corrupted download never leaves a file that a later call would trust.
"""

import gzip
import hashlib
import http.client
import os
import secrets
import shutil
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

from sklearn.datasets import get_data_home

# A mirror holding every data set's folder (``<url>/planetoid/ind.cora.x``...).
DATA_URL_VARIABLE = "SKLEARN_DEEP_DATA_URL"
# Seconds to wait for a server before reporting the network as unreachable.
TIMEOUT = 60
_CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set.

    ``sha256`` is the digest of the file as stored in the data set's folder.
    A canonical ``url`` ending in ``.gz`` is decompressed while it is written,
    and the digest is that of the decompressed bytes. ``git_blob_sha1``
    replaces ``sha256`` for a file whose only published digest is the git
    blob id its canonical repository records.
    """

    name: str
    url: str
    sha256: str | None = None
    git_blob_sha1: str | None = None


def dataset_folder(subfolder, data_home=None):
    """The data set's folder in scikit-learn's data home, created if needed."""
    folder = Path(get_data_home(data_home)) / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def fetch_files(
    files, subfolder, *, data_home=None, download_if_missing=True, base_url=None
):
    """Make sure every file is in the data set's folder; return the folder.

    Files already there are used as they are. Missing ones are downloaded from
    ``base_url`` (a mirror of this data set's folder), else from the mirror
    named by ``SKLEARN_DEEP_DATA_URL``, else from their canonical URLs.
    """
    folder = dataset_folder(subfolder, data_home)
    missing = [file for file in files if not (folder / file.name).is_file()]
    if not missing:
        return folder
    names = ", ".join(file.name for file in missing)
    if not download_if_missing:
        raise OSError(
            f"Data not found and download_if_missing is False: {names} missing "
            f"from {folder}. Copy the files there, or call again with "
            "download_if_missing=True."
        )
    if base_url is not None and not (isinstance(base_url, str) and base_url):
        raise ValueError(f"base_url must be a non-empty URL or None, got {base_url!r}.")
    mirror = base_url
    if mirror is None and os.environ.get(DATA_URL_VARIABLE):
        mirror = f"{os.environ[DATA_URL_VARIABLE].rstrip('/')}/{subfolder}"
    for file in missing:
        url = file.url if mirror is None else f"{mirror.rstrip('/')}/{file.name}"
        _download(file, url, folder, names)
    return folder


def _download(file, url, folder, names):
    destination = folder / file.name
    # In the destination folder, so that the final rename is atomic; opened
    # exclusively under a random name, with the permissions of any new file
    # (mkstemp's would be private, and a data home may be shared).
    temporary = folder / f".{file.name}.{secrets.token_hex(8)}.part"
    try:
        with open(temporary, "xb") as output:
            _copy_url(url, output, folder, names)
        _check_digest(file, temporary, url)
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _copy_url(url, output, folder, names):
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            if url.endswith(".gz"):
                with gzip.GzipFile(fileobj=response) as stream:
                    shutil.copyfileobj(stream, output, _CHUNK)
            else:
                shutil.copyfileobj(response, output, _CHUNK)
            # A dropped connection ends the body early without an error.
            left = getattr(response, "length", None)  # None for file: URLs
            if left:
                raise http.client.IncompleteRead(b"", left)
    except (OSError, EOFError, zlib.error, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        raise OSError(
            f"Could not download {url} ({reason}). Without network access, copy "
            f"the data set's files ({names}) into {folder}, or point "
            f"{DATA_URL_VARIABLE} (or base_url) at a mirror that has them."
        ) from error


def _check_digest(file, path, url):
    if file.git_blob_sha1 is not None:
        digest = hashlib.sha1(f"blob {path.stat().st_size}\0".encode())
        expected = file.git_blob_sha1
    else:
        digest = hashlib.sha256()
        expected = file.sha256
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise OSError(
            f"The file downloaded from {url} is damaged or incomplete (checksum "
            f"{digest.hexdigest()}, expected {expected}); it was not kept. "
            "Try again, or copy a good copy of the file by hand."
        )
