"""MNIST from the standard IDX files (gzip-compressed or raw), from ``--data-dir`` or ``$MTJNN_DATA``.

Looks for ``<data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` (or the folder itself).
Nothing is downloaded; missing files give an error that names them. IDX: big-endian magic
(0x0803 images, 0x0801 labels), one uint32 per dimension, then uint8 data (LeCun et al. 1998).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import dataset_dir

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class MNIST:
    """x_*: (N, 28, 28) uint8 (0 = background, 255 = ink); y_*: (N,) int64 digits 0-9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    folder: str


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX array (gzip if the name ends in .gz); ValueError on a malformed header or size."""
    path = Path(path)
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {raw[:4].hex()}; expected 000008xx)")
    ndim = raw[3]
    dims = np.frombuffer(raw, ">u4", count=ndim, offset=4).astype(np.int64)
    expected = 4 + 4 * ndim + int(np.prod(dims))
    if len(raw) != expected:
        raise ValueError(f"{path}: {len(raw)} bytes but the header {dims.tolist()} implies {expected}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_mnist(data_dir: str | Path | None = None) -> MNIST:
    """The 60k/10k MNIST sets; ``data_dir`` overrides ``$MTJNN_DATA``. FileNotFoundError names the files."""
    errors = []
    for suffix in (".gz", ""):
        names = [f + suffix for f in FILES]
        try:
            folder = dataset_dir("mnist", names, data_dir)
            break
        except FileNotFoundError as exc:
            errors.append(str(exc))
    else:
        raise FileNotFoundError(f"{errors[0]} (the same names without .gz are accepted too)")
    arrays = [read_idx(folder / name) for name in names]
    x_train, y_train, x_test, y_test = arrays
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.ndim != 1 or x.shape[0] != y.shape[0]:
            raise ValueError(f"MNIST {split}: images {x.shape} and labels {y.shape} do not match (N, 28, 28) / (N,)")
    return MNIST(x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64), str(folder))
