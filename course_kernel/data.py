"""Offline copies of the course data sets, returned exactly as the official loaders return them.

* ``load_mnist`` / ``load_fashion_mnist`` = ``keras.datasets.{mnist,fashion_mnist}.load_data()``
* ``fetch_california_housing`` = ``sklearn.datasets.fetch_california_housing`` (scikit-learn itself,
  reading the cache ``make data`` built from the verified archive)

These loaders only read. ``make data`` (``autograder.dataset_files``) fetches, verifies and builds the caches
before any notebook runs, so two notebooks graded at once never race to write a file.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

DATA_DIR_VARIABLE = "COURSE_DATA_DIR"
# scikit-learn's own cache layout under the data folder (see autograder.dataset_files.build_caches).
SKLEARN_DATA_HOME = "scikit_learn_data"
IDX_PARTS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class MissingData(FileNotFoundError):
    """A data file is not where it should be; the message names it and the command that fixes it."""


def data_dir() -> Path:
    default = Path(__file__).resolve().parents[1] / "data" / "files"
    return Path(os.environ.get(DATA_DIR_VARIABLE) or default)


def read_idx(file: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format: big-endian header, then uint8 data), gzipped or not."""
    opener = gzip.open if Path(file).suffix == ".gz" else open
    with opener(file, "rb") as stream:
        raw = stream.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{file} is not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{file}: header says {shape} but holds {data.size} values")
    return data.reshape(shape)


def _existing(path: Path) -> Path:
    if not path.is_file():
        raise MissingData(f"data file missing: {path}; run `make data MIRROR=<folder with the data sets>` "
                          "(or `make data` online)")
    return path


def _load_idx_dataset(name: str, root: Path | None):
    folder = Path(root or data_dir()) / name
    x_train, y_train, x_test, y_test = (read_idx(_existing(folder / f"{part}.gz")) for part in IDX_PARTS)
    return (x_train, y_train), (x_test, y_test)


def load_mnist(root: Path | None = None):
    """Same as ``keras.datasets.mnist.load_data()``: ((x_train, y_train), (x_test, y_test)), uint8."""
    return _load_idx_dataset("mnist", root)


def load_fashion_mnist(root: Path | None = None):
    """Same as ``keras.datasets.fashion_mnist.load_data()``."""
    return _load_idx_dataset("fashion-mnist", root)


def california_cache(root: Path | None = None) -> Path:
    """Where scikit-learn's parsed copy of the California-housing archive lives (its own file name)."""
    from sklearn.datasets._base import _pkl_filepath

    return Path(_pkl_filepath(str(Path(root or data_dir()) / SKLEARN_DATA_HOME), "cal_housing.pkz"))


def fetch_california_housing(root: Path | None = None, **kwargs):
    """``sklearn.datasets.fetch_california_housing`` served from the cache ``make data`` built."""
    from sklearn.datasets import fetch_california_housing as sklearn_fetch

    cache = _existing(california_cache(root))
    return sklearn_fetch(data_home=str(cache.parent), download_if_missing=False, **kwargs)
