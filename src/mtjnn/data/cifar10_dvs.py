"""CIFAR10-DVS (Li et al. 2017) from a user's local copy in its published layout; nothing downloads.

Published layout (figshare "CIFAR10-DVS", doi 10.6084/m9.figshare.4724671; one zip per class): one
folder per class, ``<class>/cifar10_<class>_<n>.aedat``, n = 0..999, each a jAER AEDAT 2.0 recording
of a DVS128 (128 x 128 pixels) watching a CIFAR-10 image move on an LCD monitor (see ``aedat.py``).
Looked for under ``<data_dir or $MTJNN_DATA>/`` in ``cifar10_dvs/``, ``CIFAR10DVS/`` (the folder name
tonic uses), ``cifar10-dvs/``, or the folder itself.

tonic's ``tonic.datasets.CIFAR10DVS`` (tonic 1.7.0) expects a different copy: its own zip
``CIFAR10DVS.zip`` (figshare file 38023437, the recordings re-encoded as AEDAT 4 ``*.aedat4``) under
``<save_to>/CIFAR10DVS/`` and downloads it when that zip is absent; it is therefore not used here.
Class folders holding ``*.aedat4`` files are read with ``tonic.io.read_aedat4`` (which needs the
optional ``aedat`` package); ``*.aedat`` files with ``read_dvs128_aedat``.

Split: the set has no official split. ``split="train"``/``"test"`` is the deterministic 9:1 split
per class by file number used by TEBN (Duan et al. 2022) and SpikingJelly's CIFAR10DVSTEBNSplit:
the lowest 10 % of numbers (0-99 of 1000) are the test set, the rest the training set.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..validation import check_choice
from .aedat import DVS128_SIZE, read_dvs128_aedat
from .checks import check_count
from .events import FRAME_DTYPES, EventFrames, events_to_frames, make_events
from .paths import ENV_VAR

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
FOLDER_NAMES = ("cifar10_dvs", "CIFAR10DVS", "cifar10-dvs")
SPLITS = ("train", "test", "all")
TEST_FRACTION = 0.1
SUFFIXES = (".aedat", ".aedat4")
_NUMBER = re.compile(r"(\d+)\.aedat4?$")


def _has_classes(folder: Path) -> bool:
    return all((folder / c).is_dir() for c in CLASSES)


def find_cifar10_dvs(data_dir: str | Path | None = None) -> Path:
    """The folder holding the ten class folders; FileNotFoundError describing the expected layout."""
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    expected = f"class folders {list(CLASSES)} holding cifar10_<class>_<n>.aedat (AEDAT 2.0, DVS128)"
    if root is None:
        raise FileNotFoundError(
            f"CIFAR10-DVS needs a data folder: pass --data-dir or set {ENV_VAR}; expected {expected} in "
            f"<folder>/{FOLDER_NAMES[0]}/ (nothing is downloaded at run time)"
        )
    candidates = [Path(root) / name for name in FOLDER_NAMES] + [Path(root)]
    for folder in candidates:
        if _has_classes(folder):
            return folder
    raise FileNotFoundError(f"CIFAR10-DVS not found: none of {[str(c) for c in candidates]} has {expected}")


def _file_number(path: Path) -> int:
    match = _NUMBER.search(path.name)
    if match is None:
        raise ValueError(f"{path}: no recording number in the name; allowed: cifar10_<class>_<n>.aedat")
    return int(match.group(1))


def list_recordings(folder: str | Path, split: str = "all") -> list[tuple[Path, int]]:
    """(file, class index) of every recording of ``split`` in ``folder``, class by class, by file number.

    ``split``: "train" (the upper 90 % of numbers per class), "test" (the lowest 10 %) or "all".
    """
    check_choice("split", split, SPLITS)
    folder = Path(folder)
    out = []
    for label, name in enumerate(CLASSES):
        files = sorted((f for f in (folder / name).iterdir() if f.suffix in SUFFIXES), key=_file_number)
        if not files:
            raise FileNotFoundError(f"{folder / name}: no recordings; expected cifar10_{name}_<n>.aedat files")
        n_test = math.ceil(TEST_FRACTION * len(files) - 1e-9)
        chosen = {"train": files[n_test:], "test": files[:n_test], "all": files}[split]
        out.extend((f, label) for f in chosen)
    return out


def read_recording(path: str | Path) -> np.ndarray:
    """Events of one CIFAR10-DVS file (``.aedat``: AEDAT 2.0; ``.aedat4``: via tonic and ``aedat``)."""
    path = Path(path)
    if path.suffix == ".aedat4":
        import tonic.io

        try:
            raw = tonic.io.read_aedat4(str(path))
        except ImportError as err:
            raise ImportError(f"{path}: AEDAT 4 files need the 'aedat' package (pip install aedat): {err}") from None
        t, x, y, p = (raw[name] for name in raw.dtype.names[:4])  # aedat's fields t, x, y, on (tonic renames them so)
        return make_events(x, y, t, p)
    return read_dvs128_aedat(path)


def load_cifar10_dvs(
    split: str = "train",
    n_frames: int = 16,
    size: int = 64,
    data_dir: str | Path | None = None,
    per_class: int | None = None,
    progress: bool = False,
    dtype: str = "float32",
) -> EventFrames:
    """CIFAR10-DVS recordings of ``split`` binned into frames.

    Args:
        split: "train" (900 per class), "test" (100 per class) or "all".
        n_frames: T >= 1 equal time bins over each recording (its first to last event).
        size: output frame side in pixels, 1..128 (the paper recipe: 64); events are pooled
            ``floor(x * size / 128)``.
        data_dir: the data folder (see ``find_cifar10_dvs``); None = ``$MTJNN_DATA``.
        per_class: keep only the first ``per_class`` recordings of each class (quick runs); None = all.
        progress: show a tqdm bar over the files.
        dtype: "float32" or "float16" (exact for counts up to 2048; the full set at T = 16, 64 x 64 is
            5.2 GB in float32).

    Returns ``EventFrames`` with frames (N, T, 2, size, size) event counts (0 = OFF, 1 = ON).
    """
    check_choice("split", split, SPLITS)
    check_choice("dtype", dtype, FRAME_DTYPES)
    n_frames = check_count("n_frames", n_frames)
    size = check_count("size", size)
    if size > DVS128_SIZE:
        raise ValueError(f"size = {size} is out of range; allowed: [1, {DVS128_SIZE}] (the DVS128 sensor)")
    folder = find_cifar10_dvs(data_dir)
    items = list_recordings(folder, split)
    if per_class is not None:
        per_class = check_count("per_class", per_class)
        items = [it for c in range(len(CLASSES)) for it in [i for i in items if i[1] == c][:per_class]]
    if progress:
        from tqdm import tqdm

        items = tqdm(items, desc=f"CIFAR10-DVS {split}", unit="file")
    frames = np.zeros((len(items), n_frames, 2, size, size), dtype=dtype)
    labels = np.zeros(len(items), dtype=np.int64)
    n_events = 0
    for i, (path, label) in enumerate(items):
        events = read_recording(path)
        n_events += events.size
        frames[i] = events_to_frames(events, n_frames, size, (DVS128_SIZE, DVS128_SIZE))
        labels[i] = label
    metadata: dict[str, Any] = {
        "dataset": "CIFAR10-DVS",
        "emulated": False,
        "source": "Li et al. (2017), Front. Neurosci. 11:309; local copy in the published layout",
        "folder": str(folder),
        "layout": "<class>/cifar10_<class>_<n>.aedat (jAER AEDAT 2.0, DVS128 128x128)",
        "split": split,
        "split_rule": "per class, lowest 10 % of file numbers = test, rest = train (TEBN / SpikingJelly)",
        "per_class": per_class,
        "n_frames": n_frames,
        "size": size,
        "framing": "T equal time bins from first to last event; counts per polarity; floor(x*size/128) pooling",
        "mean_events_per_recording": n_events / max(len(labels), 1),
    }
    return EventFrames(frames, labels, CLASSES, metadata)
