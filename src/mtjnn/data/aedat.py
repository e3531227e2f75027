"""Reading DVS128 recordings in jAER's AEDAT 2.0 format (the published CIFAR10-DVS files).

Format (jAER, "AER-DAT2.0"): ASCII header lines that each start with ``#`` (the first is
``#!AER-DAT2.0``, lines end in CR LF), then one 8-byte record per event: a big-endian uint32
address and a big-endian uint32 timestamp in microseconds. DVS128 address bits (jAER's Tmpdiff128 /
DVS128 extractor): bit 0 = raw polarity (0 = ON, 1 = OFF), bits 1-7 = column ``a``, bits 8-14 = row
``b``; bit 15 marks special (external-input) events, which carry no pixel and are dropped.

The event records are read with tonic's reader ``tonic.io.get_aer_events_from_file``. The header is
parsed here, because it is also the check: tonic's ``read_aedat_header_from_file`` (1.7.0) returns an
offset one byte short for a file that ends after its header and fails with an UnboundLocalError when
the version line is missing. tonic's ``tonic.io.read_dvs_128`` is not used: in tonic 1.7.0 it unpacks
the header reader's three return values into two and fails on every file. Pixel
coordinates follow SpikingJelly's CIFAR10-DVS decoding, which shows the images upright:
``x = 127 - b``, ``y = 127 - a``, ``p = 1 - bit 0`` (True = ON). (tonic's read_dvs_128 would give
``x = b``, ``y = a``, ``p = bit 0``: the same picture rotated by 180 degrees with OFF as 1.)

Before tonic reads the body, the file is checked: a missing or foreign header, a body that is not a
whole number of 8-byte records (a truncated file), no events, or addresses wider than 16 bits give a
ValueError naming the file and what is wrong.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tonic.io

from .events import make_events

DVS128_SIZE = 128
MAGIC = b"#!AER-DAT"
RECORD_BYTES = 8  # uint32 address + uint32 timestamp


def _parse_header(path: Path) -> tuple[float, int]:
    """(AEDAT version, byte offset of the first event); ValueError if the file does not start like AEDAT 2.0."""
    with open(path, "rb") as f:
        first = f.readline(64)
        if not first.startswith(MAGIC):
            raise ValueError(
                f"{path}: not an AEDAT file (starts with {first[:16]!r}); allowed: a jAER AEDAT 2.0 file "
                f"whose first line is '#!AER-DAT2.0'"
            )
        text = first[len(MAGIC) :].strip().decode("ascii", errors="replace")
        try:
            version = float(text)
        except ValueError:
            raise ValueError(f"{path}: unreadable AEDAT version {text!r}; allowed: 2.x (AEDAT 2.0)") from None
        if not 2.0 <= version < 3.0:
            raise ValueError(f"{path}: AEDAT version {version}; allowed: 2.x (the format of the published CIFAR10-DVS)")
        if not first.endswith(b"\n"):
            f.readline()  # the rest of a long first line
        data_start = f.tell()
        while f.read(1) == b"#":  # further header lines
            f.readline()
            data_start = f.tell()
    return version, data_start


def read_dvs128_aedat(path: str | Path) -> np.ndarray:
    """Events of one DVS128 AEDAT 2.0 recording as tonic's structured array (x, y px; t us; p True = ON).

    Raises FileNotFoundError if ``path`` does not exist and ValueError (naming the file) for a foreign
    or unreadable header, a truncated body, an empty recording or out-of-format addresses.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"event file {path} does not exist; expected a DVS128 AEDAT 2.0 file")
    version, data_start = _parse_header(path)
    body = path.stat().st_size - data_start
    if body % RECORD_BYTES:
        raise ValueError(
            f"{path}: truncated or corrupt: {body} bytes of events after the {data_start}-byte header is not a "
            f"multiple of {RECORD_BYTES} (uint32 address + uint32 timestamp per event); "
            f"the last {body % RECORD_BYTES} bytes are a partial event"
        )
    if body == 0:
        raise ValueError(f"{path}: the header ({data_start} bytes) is followed by no events; allowed: >= 1 event")
    raw = tonic.io.get_aer_events_from_file(str(path), version, data_start)
    address = raw["address"].astype(np.int64)
    t = raw["timeStamp"].astype(np.int64)
    if address.max() >= 1 << 16:
        bad = int(np.flatnonzero(address >= 1 << 16)[0])
        raise ValueError(
            f"{path}: corrupt: event {bad} has address {address[bad]:#x}; allowed: DVS128 addresses < 0x10000 "
            "(bit 0 polarity, bits 1-7 and 8-14 pixel, bit 15 special)"
        )
    pixel = (address & 0x8000) == 0
    address, t = address[pixel], t[pixel]
    a = (address >> 1) & 0x7F
    b = (address >> 8) & 0x7F
    on = (address & 1) == 0
    return make_events(DVS128_SIZE - 1 - b, DVS128_SIZE - 1 - a, t, on)
