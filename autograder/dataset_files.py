"""Fetch and verify the course data sets without the internet, and build the caches they need.

``make data`` copies each file named in ``data/manifest.json`` from a mirror folder (or
downloads it) into the data folder and checks the SHA-256 of its *decompressed* payload,
so a mirror that recompressed the files still verifies. It then builds scikit-learn's cache of
the California-housing archive, atomically, so that no grading kernel ever writes data.

Before anyone is graded, ``require_data`` checks every file the assignments load (and the cache
built from them) and stops with the missing file and the command that fixes it. The loaders the
notebooks call live in ``course_kernel.data``; they only read.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from course_kernel import data as course_data

from autograder import config


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
    except (OSError, EOFError, zlib.error, tarfile.TarError, KeyError) as exc:  # damaged compression
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



# --- caches -------------------------------------------------------------------------------------

CALIFORNIA_ARCHIVE = "california-housing/cal_housing.tgz"


def _cache_stamp(cache: Path) -> Path:
    return cache.with_name(cache.name + ".sha256")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        _hash_stream(digest, stream)
    return digest.hexdigest()


def _atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same folder, then rename: readers see all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        write(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def verify_california_cache(root: Path | None = None) -> Path:
    """The cache, if it was built from the verified archive and is intact; DataError otherwise."""
    cache = course_data.california_cache(root)
    stamp = _cache_stamp(cache)
    if not cache.is_file() or not stamp.is_file():
        raise DataError(f"data cache missing: {cache}; {FIX}")
    expected = json.loads(stamp.read_text())
    if expected.get("source") != _entry(CALIFORNIA_ARCHIVE).sha256 or expected.get("sha256") != _file_sha256(cache):
        raise DataError(f"data cache corrupt: {cache}; {FIX}")
    return cache


def build_california_cache(root: Path | None = None, log: Callable[[str], None] = print) -> Path:
    """scikit-learn's ``cal_housing.pkz``, parsed from the verified archive the way scikit-learn does."""
    import joblib

    try:
        return verify_california_cache(root)
    except DataError:
        pass
    entry = _entry(CALIFORNIA_ARCHIVE)
    archive = verify(entry, root)
    with tarfile.open(archive, mode="r:gz") as tar:
        table = np.loadtxt(tar.extractfile(entry.member), delimiter=",")
    # scikit-learn's column order: the target last, longitude/latitude moved to the end.
    table = table[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]]
    cache = course_data.california_cache(root)
    _atomic_write(cache, lambda path: joblib.dump(table, path, compress=6))
    stamp = json.dumps({"source": entry.sha256, "sha256": _file_sha256(cache)})
    _atomic_write(_cache_stamp(cache), lambda path: path.write_text(stamp))
    log(f"built     {cache.relative_to(Path(root or config.data_dir()))}")
    return cache


def build_caches(root: Path | None = None, log: Callable[[str], None] = print) -> None:
    build_california_cache(root, log)


# --- before grading -----------------------------------------------------------------------------

def require_data(datasets: Iterable[str], root: Path | None = None) -> list[Path]:
    """Every file of *datasets* present and verified (and caches built), or DataError naming the first
    that is not and the command that fixes it. Called before any notebook is graded."""
    wanted = set(datasets)
    unknown = wanted - {entry.dataset for entry in manifest()}
    if unknown:
        raise DataError(f"no data set named {', '.join(sorted(unknown))} in {config.DATA_MANIFEST}")
    files = [verify(entry, root) for entry in manifest() if entry.dataset in wanted]
    if "california-housing" in wanted:
        # Built here, once, before any kernel starts: two kernels must never race to write it.
        files.append(build_california_cache(root, log=lambda message: None))
    return files
