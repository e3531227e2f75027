"""MNIST from the standard IDX files (gzip-compressed or raw), from ``--data-dir`` or ``$MTJNN_DATA``.

Looks for ``<data_dir>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` (or the folder itself).
Nothing is downloaded; missing files give an error that names them, a truncated or corrupt file a ValueError
that names it, the images or labels its header promises and the remedy (copy it again). IDX: big-endian magic
(0x0803 images, 0x0801 labels), one uint32 per dimension, then uint8 data (LeCun et al. 1998).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paths import corrupt_file_error, dataset_dir, read_gzip

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class MNIST:
    """x_*: (N, 28, 28) uint8 (0 = background, 255 = ink); y_*: (N,) int64 digits 0-9."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    folder: str


def _idx_dims(raw: bytes) -> list[int] | None:
    """The dimensions in an IDX header, or None if ``raw`` is too short to hold it."""
    if len(raw) < 4 or len(raw) < 4 + 4 * raw[3]:
        return None
    return np.frombuffer(raw, ">u4", count=raw[3], offset=4).astype(np.int64).tolist()


def _idx_content(raw: bytes) -> str:
    """What an IDX file with the header at the start of ``raw`` must hold, in words (for error messages)."""
    dims = _idx_dims(raw)
    if dims is None:
        return "an unsigned-byte IDX file (magic 000008xx, one uint32 per dimension, then the data)"
    n_bytes = 4 + 4 * len(dims) + int(np.prod(dims))
    if len(dims) == 3:
        what = f"{dims[0]} images of {dims[1]}x{dims[2]} pixels"
    elif len(dims) == 1:
        what = f"{dims[0]} labels"
    else:
        what = f"an array of shape {dims}"
    return f"{what} ({n_bytes} bytes after decompression, as its header says)"


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX array (gzip if the name ends in .gz).

    ValueError naming the file, what it should hold and the remedy for a malformed header, a truncated or
    corrupt gzip stream, or a size that does not match the header.
    """
    path = Path(path)
    raw = read_gzip(path, _idx_content) if path.suffix == ".gz" else path.read_bytes()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file (magic {raw[:4].hex()}; expected 000008xx)")
    dims = _idx_dims(raw)
    expected = 4 + 4 * raw[3] + (int(np.prod(dims)) if dims is not None else 0)
    if dims is None or len(raw) != expected:
        raise corrupt_file_error(path, f"{len(raw)} bytes but the header {dims} implies {expected}", _idx_content(raw))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * len(dims)).reshape(dims)


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
