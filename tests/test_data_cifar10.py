"""CIFAR-10 loaders (project npz and the standard python pickle folder), subsets, validation split,
normalization statistics and batched augmentation."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from mtjnn.data.cifar10 import (
    CLASSES,
    PICKLE_FILES,
    channel_stats,
    first_per_class,
    load_cifar10,
    load_cifar10_splits,
    read_pickle_batch,
    stratified_split,
)
from mtjnn.data.image_transforms import random_crop_flip, to_tensor

REAL = pytest.mark.skipif(not os.environ.get("MTJNN_DATA"), reason="MTJNN_DATA not set (CI sets it to ../shared/data)")


def _images(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


def _write_pickle_folder(folder, rng: np.random.Generator, per_batch: int = 4) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A tiny cifar-10-batches-py in the original encoding: py2-style bytes keys, channel-planar rows."""
    folder.mkdir(parents=True)
    written = {}
    for name in PICKLE_FILES["train"] + PICKLE_FILES["test"]:
        images, labels = _images(rng, per_batch), rng.integers(0, 10, per_batch).tolist()
        rows = images.transpose(0, 3, 1, 2).reshape(per_batch, 3072)  # R plane, G plane, B plane
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": rows, b"filenames": [b"x.png"] * per_batch}
        raw = pickle.dumps(batch, protocol=2)
        old_numpy = raw.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")  # the name numpy 1 wrote
        (folder / name).write_bytes(old_numpy)
        written[name] = (images, np.array(labels))
    meta = {b"label_names": [c.encode() for c in CLASSES], b"num_cases_per_batch": per_batch, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def test_pickle_folder_is_read_pixel_exact(tmp_path) -> None:
    written = _write_pickle_folder(tmp_path / "cifar-10-batches-py", np.random.default_rng(0))
    train = load_cifar10("train", tmp_path)  # auto: no npz here, so the python folder
    assert train.metadata["source"] == "pickle" and train.metadata["sorted_by_class"] is False
    expected = np.concatenate([written[n][0] for n in PICKLE_FILES["train"]])
    assert train.images.shape == (20, 32, 32, 3) and np.array_equal(train.images, expected)
    assert np.array_equal(train.labels, np.concatenate([written[n][1] for n in PICKLE_FILES["train"]]))
    test = load_cifar10("test", tmp_path / "cifar-10-batches-py", source="pickle")  # the folder itself
    assert np.array_equal(test.images, written["test_batch"][0]) and test.classes == CLASSES


def test_pickle_reader_refuses_code(tmp_path) -> None:
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(ValueError, match="data_batch_1.*not allowed"):
        read_pickle_batch(path)


def _write_npz_folder(root, rng: np.random.Generator, per_class: int) -> None:
    folder = root / "cifar10"
    folder.mkdir()
    for split in ("train", "test"):
        labels = np.repeat(np.arange(10, dtype=np.uint8), per_class)  # rows sorted by class, as shipped
        np.savez(folder / f"cifar10_{split}.npz", images=_images(rng, labels.size), labels=labels, classes=np.array(CLASSES))


def test_npz_subset_split_and_metadata(tmp_path) -> None:
    _write_npz_folder(tmp_path, np.random.default_rng(1), per_class=12)
    data = load_cifar10("train", tmp_path, per_class=5)
    assert data.images.shape == (50, 32, 32, 3) and np.bincount(data.labels).tolist() == [5] * 10
    assert data.metadata["source"] == "npz" and data.metadata["sorted_by_class"] is True
    assert "JPEG" in data.metadata["provenance"] and data.metadata["per_class"] == 5
    full = load_cifar10("train", tmp_path)
    assert np.array_equal(data.images[5:10], full.images[12:17])  # the first 5 of class 1
    splits = load_cifar10_splits(tmp_path, per_class=10, val_fraction=0.2, seed=3)
    assert np.bincount(splits.val.labels).tolist() == [2] * 10 and np.bincount(splits.train.labels).tolist() == [8] * 10
    assert splits.test.images.shape[0] == 120
    assert np.allclose(splits.mean, splits.train.images.reshape(-1, 3).mean(0) / 255)
    again = load_cifar10_splits(tmp_path, per_class=10, val_fraction=0.2, seed=3)
    assert np.array_equal(again.val.images, splits.val.images)


def test_stratified_split_is_deterministic_disjoint_and_stratified() -> None:
    labels = np.repeat(np.arange(10), 50)
    tr, va = stratified_split(labels, 0.1, seed=7)
    assert np.array_equal(tr, stratified_split(labels, 0.1, seed=7)[0])
    assert not np.array_equal(va, stratified_split(labels, 0.1, seed=8)[1])
    assert np.intersect1d(tr, va).size == 0 and tr.size + va.size == 500
    assert np.bincount(labels[va]).tolist() == [5] * 10
    with pytest.raises(ValueError, match="val_fraction"):
        stratified_split(labels, 1.5)
    with pytest.raises(ValueError, match="per_class = 51"):
        first_per_class(labels, 51)


def test_channel_stats_are_exact() -> None:
    images = _images(np.random.default_rng(2), 40)
    mean, std = channel_stats(images)
    x = images.reshape(-1, 3) / 255.0
    assert np.allclose(mean, x.mean(0), atol=1e-12) and np.allclose(std, x.std(0), atol=1e-12)


def test_missing_and_bad_arguments_name_what_is_wrong(tmp_path, monkeypatch) -> None:
    with pytest.raises(FileNotFoundError, match=r"cifar10_train\.npz.*data_batch_1.*batches\.meta"):
        load_cifar10("train", tmp_path)
    monkeypatch.delenv("MTJNN_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="MTJNN_DATA"):
        load_cifar10("test")
    with pytest.raises(ValueError, match=r"split = 'validation'.*'train', 'test'"):
        load_cifar10("validation", tmp_path)
    with pytest.raises(ValueError, match=r"source = 'jpeg'.*'npz', 'pickle'"):
        load_cifar10("train", tmp_path, source="jpeg")


def test_to_tensor_normalizes_and_rejects_bad_images() -> None:
    images = _images(np.random.default_rng(3), 6)
    mean, std = channel_stats(images)
    x = to_tensor(images, mean, std)
    assert x.shape == (6, 3, 32, 32) and x.dtype == torch.float32
    assert torch.allclose(x.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(x.std((0, 2, 3), correction=0), torch.ones(3), atol=1e-4)
    with pytest.raises(ValueError, match="images has dtype float32; allowed: uint8"):
        to_tensor(images.astype(np.float32))
    with pytest.raises(ValueError, match=r"images has shape \(6, 32, 32\); allowed: \(N, H, W, 3\)"):
        to_tensor(images[..., 0])


def test_random_crop_flip_is_a_padded_window_or_its_mirror() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randint(1, 256, (64, 3, 8, 8), dtype=torch.uint8)
    out = random_crop_flip(x, padding=2, generator=gen)
    assert out.shape == x.shape and out.dtype == torch.uint8
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    flips = 0
    for b in range(64):
        windows = [padded[b, :, dy : dy + 8, dx : dx + 8] for dy in range(5) for dx in range(5)]
        plain = any(torch.equal(out[b], w) for w in windows)
        mirrored = any(torch.equal(out[b], w.flip(-1)) for w in windows)
        assert plain or mirrored
        flips += mirrored and not plain
    assert 16 <= flips <= 48  # about half are mirrored
    again = random_crop_flip(x, padding=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    frames = torch.rand(4, 5, 2, 16, 16)  # event frames: same crop for every time step and polarity
    f = random_crop_flip(frames, padding=0, generator=gen)
    assert all(torch.equal(f[b], frames[b]) or torch.equal(f[b], frames[b].flip(-1)) for b in range(4))
    with pytest.raises(ValueError, match="padding"):
        random_crop_flip(x, padding=-1)


@REAL
def test_real_cifar10_npz() -> None:
    test = load_cifar10("test", per_class=10)
    assert test.images.shape == (100, 32, 32, 3) and np.bincount(test.labels).tolist() == [10] * 10
    train = load_cifar10("train")
    assert train.images.shape == (50000, 32, 32, 3) and np.bincount(train.labels).tolist() == [5000] * 10
    mean, _ = channel_stats(train.images)
    assert np.allclose(mean * 255, [125.27, 122.93, 113.86], atol=0.01)  # SOURCE.md


@pytest.mark.parametrize("compressed", [False, True])
def test_truncated_npz_and_pickle_name_the_file_and_the_remedy(tmp_path, compressed: bool) -> None:
    folder = tmp_path / "cifar10"
    folder.mkdir()
    labels = np.repeat(np.arange(10, dtype=np.uint8), 2)
    save = np.savez_compressed if compressed else np.savez
    for split in ("train", "test"):
        save(folder / f"cifar10_{split}.npz", images=_images(np.random.default_rng(0), 20), labels=labels, classes=np.array(CLASSES))
    path = folder / "cifar10_train.npz"
    path.write_bytes(path.read_bytes()[:-200])  # the zip directory at the end is lost
    with pytest.raises(ValueError, match=r"cifar10_train\.npz: unreadable npz.*expected an npz archive.*copy the file again"):
        load_cifar10("train", tmp_path)
    written = _write_pickle_folder(tmp_path / "cifar-10-batches-py", np.random.default_rng(0))
    assert written
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:100])  # pickle ends early: EOFError inside
    with pytest.raises(ValueError, match=r"data_batch_2: unreadable pickle \(.*expected a CIFAR-10 python batch.*copy the file again"):
        read_pickle_batch(batch)
