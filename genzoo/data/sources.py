"""Where the IDX datasets are found, how they are downloaded, and the checksums that vouch for them.

Search order: the ``data_dir`` argument (``--data-dir``), ``$GENZOO_DATA_DIR``, the user cache
(:func:`cache_dir`), then system folders such as the one Debian's ``dataset-fashion-mnist`` installs.
A folder D holds a file as ``D/<dataset>/<file>[.gz]`` or ``D/<file>[.gz]``. Failing all of these,
the files are downloaded into the cache. Every file is checked against the SHA-256 of its
decompressed content, so a gzip header that differs from the canonical download does not matter.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from genzoo.data.idx import decompress, parse_idx, read_idx_and_sha256
from genzoo.errors import GenzooError

# SHA-256 of the decompressed IDX files, as published with the canonical downloads
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}

# canonical mirrors, tried in order; each serves <file>.gz
MIRRORS = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

SYSTEM_DIRS = (Path("/usr/share/datasets"),)
DEBIAN_PACKAGES = {"fashion-mnist": "dataset-fashion-mnist"}
DOWNLOAD_TIMEOUT_S = 60


def cache_dir() -> Path:
    """``$GENZOO_CACHE_DIR``, else ``$XDG_CACHE_HOME/genzoo``, else ``~/.cache/genzoo``."""
    if os.environ.get("GENZOO_CACHE_DIR"):
        return Path(os.environ["GENZOO_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "genzoo"


def search_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """The folders searched for datasets, in order; a named folder that does not exist is an error."""
    dirs = []
    if data_dir is not None:
        if not Path(data_dir).expanduser().is_dir():
            raise GenzooError(f"data directory {data_dir} does not exist: check the --data-dir path")
        dirs.append(Path(data_dir).expanduser())
    if os.environ.get("GENZOO_DATA_DIR"):
        env_dir = Path(os.environ["GENZOO_DATA_DIR"]).expanduser()
        if not env_dir.is_dir():
            raise GenzooError(f"GENZOO_DATA_DIR={env_dir} does not exist: fix or unset it")
        dirs.append(env_dir)
    return dirs + [cache_dir(), *SYSTEM_DIRS]


def find_file(directory: Path, dataset: str, name: str) -> Path | None:
    """``directory/<dataset>/<name>[.gz]`` or ``directory/<name>[.gz]``, whichever exists first."""
    for folder in (directory / dataset, directory):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    return None


def find_local(dataset: str, data_dir: str | Path | None = None) -> Path | None:
    """The first search folder that holds every file of ``dataset``, unverified; None if none does."""
    for directory in search_dirs(data_dir):
        if all(find_file(directory, dataset, name) for name in CHECKSUMS[dataset]):
            return directory
    return None


def read_dataset_files(dataset: str, data_dir: str | Path | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Every IDX file of ``dataset`` as an array, verified, downloading what is missing into the cache.

    Returns the arrays by file name and their provenance: ``{"directory": ..., "files": {name: sha256}}``.
    """
    directory = find_local(dataset, data_dir) or cache_dir()
    arrays = {}
    for name in CHECKSUMS[dataset]:
        path = find_file(directory, dataset, name)
        arrays[name] = _read_verified(path, dataset, name) if path else _download(dataset, name)
    return arrays, {"directory": str(directory), "files": dict(CHECKSUMS[dataset])}


def _read_verified(path: Path, dataset: str, name: str) -> np.ndarray:
    array, sha256 = read_idx_and_sha256(path)
    if sha256 != CHECKSUMS[dataset][name]:
        owners = [other for other, files in CHECKSUMS.items() if files.get(name) == sha256]
        if owners:
            raise GenzooError(f"{path} is {owners[0]}'s {name}, not {dataset}'s: keep each dataset in its "
                              f"own folder, <dir>/{dataset}/ and <dir>/{owners[0]}/")
        raise GenzooError(f"{path} is corrupted or truncated (sha256 mismatch): delete or replace it and run "
                          "again (a deleted file is downloaded afresh)")
    return array


def _download(dataset: str, name: str) -> np.ndarray:
    """Fetch ``<name>.gz`` from the first mirror that serves it intact, and keep it in the cache."""
    reasons = []
    for mirror in MIRRORS[dataset]:
        url = f"{mirror}{name}.gz"
        host = urlsplit(url).netloc
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                raw = response.read()
        except (OSError, http.client.HTTPException, ValueError) as err:
            reasons.append(f"{host}: {_brief(err)}")
            continue
        try:
            content = decompress(raw, url)
        except GenzooError:
            reasons.append(f"{host}: truncated gzip")
            continue
        if hashlib.sha256(content).hexdigest() != CHECKSUMS[dataset][name]:
            reasons.append(f"{host}: sha256 mismatch")
            continue
        _store(raw, cache_dir() / dataset / f"{name}.gz")
        return parse_idx(content, url)
    raise GenzooError(_not_found_message(dataset, name, "; ".join(reasons)))


def _store(raw: bytes, path: Path) -> None:
    """Write through a temporary file and rename, so an interrupted run leaves no partial file."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as file:
            tmp = Path(file.name)
            file.write(raw)
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        raise GenzooError(f"cannot save the download to {path}: {err.strerror}; set GENZOO_CACHE_DIR "
                          "to a writable folder") from None


def _brief(err: Exception) -> str:
    reason = err.reason if isinstance(err, urllib.error.URLError) and not isinstance(
        err, urllib.error.HTTPError) else err
    return " ".join(str(reason).split()) or type(err).__name__


def _not_found_message(dataset: str, name: str, reasons: str) -> str:
    where = (f"pass --data-dir DIR or set GENZOO_DATA_DIR=DIR to a folder holding {name}[.gz] and the other "
             f"IDX files (in DIR or DIR/{dataset}), or put them in {cache_dir() / dataset}")
    if dataset in DEBIAN_PACKAGES:
        where += f", or install the Debian package {DEBIAN_PACKAGES[dataset]}"
    return f"{dataset} is not on this machine and its download failed ({reasons}): {where}"
