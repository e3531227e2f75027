"""Where large data sets live: ``--data-dir`` if given, else the ``MTJNN_DATA`` environment variable.

Nothing is downloaded at run time; a missing file gives an error that names every expected path, and a
truncated or corrupt file a ValueError that names it, says what was expected and how to repair it.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Callable

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


REMEDY = "copy the file again from its source (e.g. from shared/data); nothing is downloaded at run time"


def corrupt_file_error(path: str | Path, problem: str, expected: str) -> ValueError:
    """The error for a truncated or corrupt data file: names the file, the problem, what was expected and the remedy."""
    return ValueError(f"{path}: {problem}; expected {expected}. The file is truncated or corrupt: {REMEDY}")


GZIP_CHUNK = 1 << 16
"""Compressed bytes fed to zlib per call by ``read_gzip``."""


def read_gzip(path: str | Path, expected: str | Callable[[bytes], str]) -> bytes:
    """All decompressed bytes of a gzip file (one or more members).

    A truncated or corrupt stream gives ``corrupt_file_error`` (a ValueError), never gzip's EOFError, which
    command-line frameworks take for a user abort. ``expected`` describes the content; a callable gets the
    bytes decompressed before the stream broke (e.g. to read a header from them).
    """
    path = Path(path)
    raw = path.read_bytes()
    chunks: list[bytes] = []
    problem = ""
    while raw:
        stream = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # a gzip member
        try:
            for i in range(0, len(raw), GZIP_CHUNK):  # in pieces, so that the bytes before a broken part are kept
                chunks.append(stream.decompress(raw[i : i + GZIP_CHUNK]))
                if stream.eof:
                    break
        except zlib.error as err:
            problem = f"corrupt gzip stream ({err})"
            break
        if not stream.eof:
            problem = "truncated gzip stream (the file ends before the end-of-stream marker)"
            break
        raw = stream.unused_data.lstrip(b"\0")  # trailing zero padding after the last member is allowed
    data = b"".join(chunks)
    if not chunks and not problem:
        problem = "empty file"
    if problem:
        what = expected(data) if callable(expected) else expected
        raise corrupt_file_error(path, f"{problem} after {len(data)} decompressed bytes", what)
    return data
