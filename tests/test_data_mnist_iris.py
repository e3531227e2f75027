"""Data loaders: the packaged Iris file, MNIST IDX files (gz or raw) from --data-dir / MTJNN_DATA, clear errors."""

from __future__ import annotations

import gzip
import hashlib
import os

import numpy as np
import pytest

from mtjnn.data.iris import load_iris
from mtjnn.data.mnist import FILES, load_mnist, read_idx
from mtjnn.data.paths import packaged_file


def test_iris_is_fishers_150_flowers() -> None:
    data = load_iris()
    assert data.x.shape == (150, 4) and data.x.dtype == np.float64
    assert np.bincount(data.y).tolist() == [50, 50, 50]
    assert data.x.mean(0).round(2).tolist() == [5.84, 3.06, 3.76, 1.2]
    digest = hashlib.sha256(packaged_file("iris.csv").read_bytes()).hexdigest()
    assert digest == "b6b8efc86732bc48c9fbddba53e2c191fd4f263c0ee98e2b1b7d3543e8d2121d"  # iris_PROVENANCE.md
    assert packaged_file("iris_PROVENANCE.md").exists()


def test_iris_matches_scikit_learns_copy() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_iris()
    data = load_iris()
    assert np.array_equal(data.x, ref.data) and np.array_equal(data.y, ref.target)


def _write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(np.uint8).tobytes()
    (gzip.open(path, "wb") if compress else open(path, "wb")).write(payload)


@pytest.mark.parametrize("compress", [True, False])
def test_idx_reader_gz_and_raw(tmp_path, compress: bool) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (7, 28, 28)), rng.integers(0, 10, 7), rng.integers(0, 256, (3, 28, 28)), rng.integers(0, 10, 3)]
    for name, array in zip(FILES, arrays):
        _write_idx(folder / (name + (".gz" if compress else "")), array, compress)
    data = load_mnist(tmp_path)
    assert data.x_train.shape == (7, 28, 28) and data.y_test.shape == (3,)
    assert np.array_equal(data.x_train, arrays[0]) and np.array_equal(data.y_test, arrays[3])
    assert load_mnist(folder).x_test.shape == (3, 28, 28)  # the folder itself may be given


def test_malformed_idx_is_rejected(tmp_path) -> None:
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 1]) + np.array([10], dtype=">u4").tobytes() + bytes(3))
    with pytest.raises(ValueError, match="implies 18"):
        read_idx(path)
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX file"):
        read_idx(path)


def test_missing_mnist_names_the_expected_files(tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)
    monkeypatch.delenv("MTJNN_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="MTJNN_DATA"):
        load_mnist()


@pytest.mark.skipif(not os.environ.get("MTJNN_DATA"), reason="MTJNN_DATA not set (CI sets it to ../shared/data)")
def test_real_mnist_counts() -> None:
    data = load_mnist()
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert np.bincount(data.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert data.x_train.max() == 255


def _write_mnist_folder(root, compress: bool = True):
    folder = root / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, (20, 28, 28)), rng.integers(0, 10, 20), rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5)]
    for name, array in zip(FILES, arrays):
        _write_idx(folder / (name + (".gz" if compress else "")), array, compress)
    return folder


def test_truncated_gz_names_the_file_the_content_and_the_remedy(tmp_path) -> None:
    folder = _write_mnist_folder(tmp_path)
    path = folder / "train-images-idx3-ubyte.gz"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError) as err:
        load_mnist(tmp_path)
    message = str(err.value)
    assert str(path) in message and "truncated gzip stream" in message
    assert "expected 20 images of 28x28 pixels (15696 bytes after decompression" in message
    assert "copy the file again" in message
    path.write_bytes(whole[:6])  # not even the IDX header survived
    with pytest.raises(ValueError, match="truncated gzip stream.*expected an unsigned-byte IDX file.*copy the file again"):
        read_idx(path)


def test_corrupt_gz_and_short_raw_idx_are_value_errors(tmp_path) -> None:
    folder = _write_mnist_folder(tmp_path)
    path = folder / "t10k-labels-idx1-ubyte.gz"
    damaged = bytearray(path.read_bytes())
    damaged[-8] ^= 0xFF  # the CRC-32 of the trailer no longer matches the data
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte\.gz: corrupt gzip stream.*incorrect data check.*expected .*copy the file again"):
        read_idx(path)
    raw = tmp_path / "train-labels-idx1-ubyte"
    raw.write_bytes(bytes([0, 0, 0x08, 1]) + np.array([10], dtype=">u4").tobytes() + bytes(3))
    with pytest.raises(ValueError, match="implies 18; expected 10 labels.*copy the file again"):
        read_idx(raw)


def test_gzip_members_and_empty_file(tmp_path) -> None:
    from mtjnn.data.paths import read_gzip

    path = tmp_path / "two.gz"
    path.write_bytes(gzip.compress(b"abc") + gzip.compress(b"def"))
    assert read_gzip(path, "six letters") == b"abcdef"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="empty file.*expected six letters"):
        read_gzip(path, "six letters")


def test_cli_run_mnist_with_a_truncated_file_exits_with_the_message(tmp_path) -> None:
    from typer.testing import CliRunner

    from mtjnn.cli import app

    folder = _write_mnist_folder(tmp_path / "data")
    path = folder / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-10])
    result = CliRunner().invoke(app, ["run", "mnist", "--data-dir", str(tmp_path / "data"), "--epochs", "1",
                                      "--out", str(tmp_path / "out")], env={"COLUMNS": "4000"})  # one line per message
    assert result.exit_code != 0
    assert "Aborted" not in result.output
    shown = " ".join((result.output + str(result.exception)).replace("\u2502", " ").split())  # without the box
    assert "t10k-images-idx3-ubyte.gz" in shown and "truncated gzip stream" in shown and "copy the file again" in shown
