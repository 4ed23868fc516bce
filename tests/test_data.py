"""Data: manifest, checksum verification, fetching from a mirror, and loaders equal to the official ones."""

import gzip
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from course_kernel import data as kernel_data

from autograder import dataset_files


def _small_entry():
    return next(e for e in dataset_files.manifest() if e.path == "mnist/t10k-labels-idx1-ubyte.gz")


def test_manifest_covers_the_three_data_sets():
    datasets = {e.dataset for e in dataset_files.manifest()}
    assert datasets == {"mnist", "fashion-mnist", "california-housing"}
    assert all(len(e.sha256) == 64 and e.urls for e in dataset_files.manifest())


def test_every_file_verifies(data_root):
    for entry in dataset_files.manifest():
        assert dataset_files.verify(entry, data_root) == data_root / entry.path


def test_missing_file_is_named_with_the_fix(tmp_path):
    with pytest.raises(dataset_files.DataError, match=r"missing: .*t10k-labels.*make data"):
        dataset_files.verify(_small_entry(), tmp_path)


def test_damaged_compressed_bytes_are_refused_not_crashed_on(tmp_path, data_root):
    # Bytes overwritten inside the deflate stream: zlib itself fails (found from a fresh clone, where the
    # demo then ended in a traceback instead of naming the file).
    entry = _small_entry()
    original = (data_root / entry.path).read_bytes()
    (tmp_path / "mnist").mkdir()
    (tmp_path / entry.path).write_bytes(original[:100] + bytes(len(original) - 100))
    with pytest.raises(dataset_files.DataError, match=r"unreadable: .*t10k-labels-idx1-ubyte.gz.*make data"):
        dataset_files.verify(entry, tmp_path)


def test_corrupt_file_is_refused(tmp_path, data_root):
    entry = _small_entry()
    payload = bytearray(gzip.decompress((data_root / entry.path).read_bytes()))
    payload[-1] ^= 0xFF  # one label changed
    (tmp_path / "mnist").mkdir()
    (tmp_path / entry.path).write_bytes(gzip.compress(bytes(payload)))
    with pytest.raises(dataset_files.DataError, match=r"corrupt: .*t10k-labels-idx1-ubyte.gz.*make data"):
        dataset_files.verify(entry, tmp_path)


def test_truncated_gzip_is_refused(tmp_path, data_root):
    entry = _small_entry()
    (tmp_path / "mnist").mkdir()
    (tmp_path / entry.path).write_bytes((data_root / entry.path).read_bytes()[:100])
    with pytest.raises(dataset_files.DataError, match="unreadable"):
        dataset_files.verify(entry, tmp_path)


def test_recompressed_copy_verifies(tmp_path, data_root):
    # Mirrors may recompress: only the decompressed payload counts.
    entry = _small_entry()
    (tmp_path / "mnist").mkdir()
    (tmp_path / entry.path).write_bytes(gzip.compress(gzip.decompress((data_root / entry.path).read_bytes()), 1))
    dataset_files.verify(entry, tmp_path)


def test_fetch_from_mirror_copies_and_verifies(tmp_path, data_root):
    target = tmp_path / "files"
    logged = []
    fetched = dataset_files.fetch(mirror=data_root, root=target, entries=[_small_entry()], log=logged.append)
    assert fetched == [target / _small_entry().path] and "fetched" in logged[0]
    dataset_files.fetch(mirror=data_root, root=target, entries=[_small_entry()], log=logged.append)
    assert logged[1].startswith("ok"), "a valid file is kept, not copied again"


def test_fetch_refuses_a_corrupt_mirror(tmp_path, data_root):
    entry = _small_entry()
    mirror = tmp_path / "mirror"
    (mirror / "mnist").mkdir(parents=True)
    (mirror / entry.path).write_bytes(gzip.compress(b"\x00\x00\x08\x01" + b"\x00" * 8))
    with pytest.raises(dataset_files.DataError, match="corrupt"):
        dataset_files.fetch(mirror=mirror, root=tmp_path / "files", entries=[entry], log=lambda m: None)
    with pytest.raises(dataset_files.DataError, match="not found in the mirror"):
        dataset_files.fetch(mirror=tmp_path / "empty", root=tmp_path / "files", entries=[entry], log=lambda m: None)


def test_read_idx_roundtrip_and_rejects_bad_headers(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / "x-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in images.shape)
                                   + images.tobytes()))
    assert np.array_equal(kernel_data.read_idx(path), images)
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01" + b"abcd")  # float IDX: not what MNIST uses
    with pytest.raises(ValueError):
        kernel_data.read_idx(bad)


def test_mnist_matches_keras_facts(data_root):
    (x_train, y_train), (x_test, y_test) = kernel_data.load_mnist(data_root)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == y_train.dtype == np.uint8
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert x_train.max() == 255 and x_train.min() == 0


def test_fashion_mnist_equals_keras_loader(data_root, tmp_path):
    (x_train, y_train), (x_test, y_test) = kernel_data.load_fashion_mnist(data_root)
    assert np.bincount(y_train).tolist() == [6000] * 10 and np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[0] == 9 and x_train.dtype == np.uint8
    # Keras' own loader, served from a cache seeded with the same verified files. Keras reads
    # KERAS_HOME once, at import, so it runs in a fresh interpreter.
    shutil.copytree(data_root / "fashion-mnist", tmp_path / "keras" / "datasets" / "fashion-mnist")
    out = tmp_path / "keras.npz"
    code = ("import numpy as np; from keras.datasets import fashion_mnist; "
            "(a, b), (c, d) = fashion_mnist.load_data(); np.savez(r'%s', a=a, b=b, c=c, d=d)" % out)
    env = {**os.environ, "KERAS_HOME": str(tmp_path / "keras"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    keras_arrays = np.load(out)
    for ours, name in [(x_train, "a"), (y_train, "b"), (x_test, "c"), (y_test, "d")]:
        theirs = keras_arrays[name]
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape and np.array_equal(ours, theirs)


def test_california_housing_is_sklearns(data_root, tmp_path):
    root = tmp_path / "files"
    shutil.copytree(data_root / "california-housing", root / "california-housing")
    with pytest.raises(kernel_data.MissingData, match="make data"):  # the loader never writes the cache
        kernel_data.fetch_california_housing(root)
    dataset_files.build_california_cache(root, log=lambda message: None)
    bunch = kernel_data.fetch_california_housing(root)
    assert bunch.data.shape == (20640, 8) and bunch.target.shape == (20640,)
    assert bunch.feature_names == ["MedInc", "HouseAge", "AveRooms", "AveBedrms", "Population", "AveOccup",
                                   "Latitude", "Longitude"]
    assert np.allclose(bunch.data[0], [8.3252, 41, 6.984127, 1.02381, 322, 2.555556, 37.88, -122.23], atol=1e-5)
    assert bunch.target[0] == pytest.approx(4.526)
    X, y = kernel_data.fetch_california_housing(root, return_X_y=True)
    assert np.array_equal(X, bunch.data) and np.array_equal(y, bunch.target)
    assert kernel_data.fetch_california_housing(root, as_frame=True).frame.shape == (20640, 9)


def test_the_california_cache_is_verified_and_rebuilt_when_damaged(data_root, tmp_path):
    root = tmp_path / "files"
    shutil.copytree(data_root / "california-housing", root / "california-housing")
    with pytest.raises(dataset_files.DataError, match="cache missing"):
        dataset_files.verify_california_cache(root)
    cache = dataset_files.require_data(["california-housing"], root)[-1]
    assert dataset_files.verify_california_cache(root) == cache and not list(cache.parent.glob(".*part"))
    cache.write_bytes(cache.read_bytes()[:-10])  # half-written, or tampered with
    with pytest.raises(dataset_files.DataError, match="cache corrupt"):
        dataset_files.verify_california_cache(root)
    dataset_files.require_data(["california-housing"], root)
    assert dataset_files.verify_california_cache(root) == cache


def test_california_housing_refuses_a_corrupt_archive(tmp_path):
    (tmp_path / "california-housing").mkdir()
    (tmp_path / "california-housing" / "cal_housing.tgz").write_bytes(b"not a tarball")
    with pytest.raises(dataset_files.DataError, match="cal_housing.tgz"):
        dataset_files.build_california_cache(tmp_path, log=lambda message: None)
