"""Fetch, verify and load the course data sets without the internet.

``make data`` copies each file named in ``data/manifest.json`` from a mirror folder (or
downloads it) into the data folder and checks the SHA-256 of its *decompressed* payload,
so a mirror that recompressed the files still verifies.

The loaders return exactly what the official ones return:

* ``load_mnist`` / ``load_fashion_mnist`` = ``keras.datasets.{mnist,fashion_mnist}.load_data()``
* ``fetch_california_housing`` = ``sklearn.datasets.fetch_california_housing`` (it *is* that
  function, reading a cache seeded from the verified archive).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from . import config


class DataError(RuntimeError):
    """A data file is missing or fails its checksum; the message says which and how to fix it."""


@dataclass(frozen=True)
class DataFile:
    path: str
    sha256: str
    urls: tuple[str, ...]
    member: str | None = None

    @property
    def dataset(self) -> str:
        return self.path.split("/", 1)[0]


FIX = "run `make data MIRROR=<folder with the data sets>` (or `make data` online) to fetch it again"


def manifest(path: Path = config.DATA_MANIFEST) -> list[DataFile]:
    entries = json.loads(Path(path).read_text())["files"]
    return [DataFile(e["path"], e["sha256"], tuple(e["urls"]), e.get("member")) for e in entries]


def payload_sha256(file: Path, member: str | None = None) -> str:
    """SHA-256 of what the file decompresses to (of one *member* for a tar archive)."""
    digest = hashlib.sha256()
    if member is not None:
        with tarfile.open(file, mode="r:*") as archive:
            stream = archive.extractfile(member)
            if stream is None:
                raise DataError(f"{file}: archive member {member} is not a file")
            _hash_stream(digest, stream)
    elif file.suffix == ".gz":
        with gzip.open(file, "rb") as stream:
            _hash_stream(digest, stream)
    else:
        with open(file, "rb") as stream:
            _hash_stream(digest, stream)
    return digest.hexdigest()


def _hash_stream(digest, stream) -> None:
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)


def verify(entry: DataFile, root: Path | None = None) -> Path:
    """Return the verified local path of *entry*, or raise DataError naming the file and the fix."""
    file = Path(root or config.data_dir()) / entry.path
    if not file.is_file():
        raise DataError(f"data file missing: {file}; {FIX}")
    try:
        actual = payload_sha256(file, entry.member)
    except (OSError, EOFError, tarfile.TarError, KeyError) as exc:
        raise DataError(f"data file unreadable: {file} ({exc}); {FIX}") from exc
    if actual != entry.sha256:
        raise DataError(
            f"data file corrupt: {file} decompresses to SHA-256 {actual}, expected {entry.sha256}; {FIX}"
        )
    return file


def fetch(
    mirror: Path | None = None,
    root: Path | None = None,
    entries: Iterable[DataFile] | None = None,
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Fill the data folder from *mirror* (a folder laid out like the manifest) or the official URLs.

    Files already present and valid are kept, so re-running is cheap. Every file is verified;
    the first failure stops with a DataError.
    """
    root = Path(root or config.data_dir())
    fetched = []
    for entry in entries or manifest():
        target = root / entry.path
        try:
            fetched.append(verify(entry, root))
            log(f"ok        {entry.path}")
            continue
        except DataError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        if mirror is not None:
            source = Path(mirror) / entry.path
            if not source.is_file():
                raise DataError(f"{source} not found in the mirror {mirror}; check the MIRROR folder")
            shutil.copyfile(source, partial)
            origin = str(source)
        else:
            origin = _download(entry, partial)
        partial.replace(target)
        fetched.append(verify(entry, root))
        log(f"fetched   {entry.path}  <- {origin}")
    return fetched


def _download(entry: DataFile, destination: Path) -> str:
    errors = []
    for url in entry.urls:
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(destination, "wb") as out:
                shutil.copyfileobj(response, out)
            return url
        except OSError as exc:
            errors.append(f"{url}: {exc}")
    raise DataError(
        f"could not download {entry.path} ({'; '.join(errors)}); "
        "on an offline machine pass a mirror folder: make data MIRROR=<folder>"
    )


def _entry(path: str) -> DataFile:
    for entry in manifest():
        if entry.path == path:
            return entry
    raise KeyError(path)


# --- loaders ----------------------------------------------------------------------------------

def read_idx(file: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format: big-endian header, then uint8 data), gzipped or not."""
    opener = gzip.open if Path(file).suffix == ".gz" else open
    with opener(file, "rb") as stream:
        raw = stream.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{file} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise DataError(f"{file}: header says {shape} but holds {data.size} values")
    return data.reshape(shape)


def _load_idx_dataset(name: str, root: Path | None):
    def part(stem: str) -> np.ndarray:
        return read_idx(verify(_entry(f"{name}/{stem}.gz"), root))

    return (
        (part("train-images-idx3-ubyte"), part("train-labels-idx1-ubyte")),
        (part("t10k-images-idx3-ubyte"), part("t10k-labels-idx1-ubyte")),
    )


def load_mnist(root: Path | None = None):
    """Same as ``keras.datasets.mnist.load_data()``: ((x_train, y_train), (x_test, y_test)), uint8."""
    return _load_idx_dataset("mnist", root)


def load_fashion_mnist(root: Path | None = None):
    """Same as ``keras.datasets.fashion_mnist.load_data()``."""
    return _load_idx_dataset("fashion-mnist", root)


def fetch_california_housing(root: Path | None = None, **kwargs):
    """``sklearn.datasets.fetch_california_housing`` served from the verified local archive.

    scikit-learn caches the parsed archive as ``cal_housing.pkz``; we build that cache the way
    scikit-learn does and then call scikit-learn itself, so every option (``as_frame``,
    ``return_X_y``) behaves exactly as documented.
    """
    import joblib
    from sklearn.datasets import fetch_california_housing as sklearn_fetch
    from sklearn.datasets._base import _pkl_filepath  # scikit-learn's own cache file name

    root = Path(root or config.data_dir())
    entry = _entry("california-housing/cal_housing.tgz")
    data_home = root / "scikit_learn_data"
    cache = Path(_pkl_filepath(str(data_home), "cal_housing.pkz"))
    if not cache.is_file():
        archive = verify(entry, root)
        with tarfile.open(archive, mode="r:gz") as tar:
            table = np.loadtxt(tar.extractfile(entry.member), delimiter=",")
        # scikit-learn's column order: the target last, longitude/latitude moved to the end.
        table = table[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]]
        data_home.mkdir(parents=True, exist_ok=True)
        joblib.dump(table, cache, compress=6)
    return sklearn_fetch(data_home=str(data_home), download_if_missing=False, **kwargs)
