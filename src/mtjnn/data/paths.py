"""Where large data sets live: ``--data-dir`` if given, else the ``MTJNN_DATA`` environment variable.

Nothing is downloaded at run time; a missing file gives an error that names every expected path.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "MTJNN_DATA"


def dataset_dir(name: str, files: list[str], data_dir: str | Path | None = None) -> Path:
    """The folder ``<data_dir or $MTJNN_DATA>/<name>`` holding all ``files``; FileNotFoundError otherwise."""
    root = data_dir if data_dir is not None else os.environ.get(ENV_VAR)
    if root is None:
        raise FileNotFoundError(
            f"data set {name!r} needs a data folder: pass --data-dir or set {ENV_VAR}; "
            f"expected files {files} under <folder>/{name}/ (nothing is downloaded at run time)"
        )
    folder = Path(root) / name
    if not folder.is_dir() and all((Path(root) / f).exists() for f in files):
        folder = Path(root)  # the folder itself was given
    missing = [str(folder / f) for f in files if not (folder / f).exists()]
    if missing:
        raise FileNotFoundError(f"data set {name!r}: missing {missing}; expected standard-format files {files} in {folder}")
    return folder


def packaged_file(filename: str) -> Path:
    """Path of a small data file shipped inside the package (``mtjnn/data/files``)."""
    path = Path(__file__).parent / "files" / filename
    if not path.exists():
        raise FileNotFoundError(f"packaged data file {filename!r} not found at {path}; reinstall mtjnn")
    return path
