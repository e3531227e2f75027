"""Event streams and frames; the CIFAR10-DVS reader on files the test writes in the published format
(jAER AEDAT 2.0, DVS128 addresses); corrupt and truncated files; framing against tonic's ToFrame."""

from __future__ import annotations

import numpy as np
import pytest
import tonic.io
import tonic.transforms

from mtjnn.data.aedat import read_dvs128_aedat
from mtjnn.data.cifar10_dvs import CLASSES, list_recordings, load_cifar10_dvs
from mtjnn.data.events import EVENT_DTYPE, events_to_frames, make_events

HEADER = (
    b"#!AER-DAT2.0\r\n"
    b"# This is a raw AE data file - do not edit\r\n"
    b"# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n"
    b"# Timestamps tick is 1 us\r\n"
    b"# created Mon Feb 20 10:00:00 CST 2017\r\n"
)


def _encode(events: np.ndarray) -> bytes:
    """Events (x, y, t, p) -> jAER DVS128 records, written independently of the reader:
    address = row b << 8 | column a << 1 | raw polarity (0 = ON), with x = 127 - b, y = 127 - a."""
    a = 127 - events["y"].astype(np.uint32)
    b = 127 - events["x"].astype(np.uint32)
    address = (b << 8) | (a << 1) | (~events["p"]).astype(np.uint32)
    records = np.empty(events.size, dtype=[("address", ">u4"), ("t", ">u4")])
    records["address"], records["t"] = address, events["t"]
    return records.tobytes()


def _random_events(rng: np.random.Generator, n: int) -> np.ndarray:
    t = np.sort(rng.integers(0, 1_300_000, n))
    return make_events(rng.integers(0, 128, n), rng.integers(0, 128, n), t, rng.integers(0, 2, n).astype(bool))


def test_event_dtype_is_tonics() -> None:
    assert EVENT_DTYPE == tonic.io.events_struct


def test_aedat_reader_round_trip(tmp_path) -> None:
    rng = np.random.default_rng(0)
    events = _random_events(rng, 400)
    special = np.array([(0x8000, 5)], dtype=[("address", ">u4"), ("t", ">u4")]).tobytes()  # external event
    path = tmp_path / "cifar10_cat_7.aedat"
    path.write_bytes(HEADER + special + _encode(events))
    read = read_dvs128_aedat(path)
    assert read.dtype == tonic.io.events_struct and read.size == 400  # the special event is dropped
    for name in ("x", "y", "t", "p"):
        assert np.array_equal(read[name], events[name]), name


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER + bytes(8 * 30 + 5), r"truncated or corrupt: 245 bytes .* not a multiple of 8"),
        (HEADER, "followed by no events"),
        (b"RIFF\x00\x00" + bytes(64), "not an AEDAT file"),
        (HEADER.replace(b"2.0", b"3.1") + bytes(16), r"AEDAT version 3\.1; allowed: 2\.x"),
        (HEADER + np.array([7, 1, 0x12345678, 2], dtype=">u4").tobytes(), r"corrupt: event 1 has address 0x12345678"),
    ],
    ids=["truncated", "empty", "foreign", "version", "address"],
)
def test_bad_event_files_name_the_file_and_the_fault(tmp_path, content: bytes, message: str) -> None:
    path = tmp_path / "cifar10_dog_3.aedat"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_dvs128_aedat(path)
    assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_dvs128_aedat(tmp_path / "missing.aedat")


def _write_layout(root, rng: np.random.Generator, per_class: int, n_events: int) -> dict:
    written = {}
    for name in CLASSES:
        (root / name).mkdir(parents=True)
        for n in range(per_class):
            events = _random_events(rng, n_events)
            (root / name / f"cifar10_{name}_{n}.aedat").write_bytes(HEADER + _encode(events))
            written[(name, n)] = events
    return written


def test_published_layout_split_and_frames(tmp_path) -> None:
    rng = np.random.default_rng(1)
    written = _write_layout(tmp_path / "CIFAR10DVS", rng, per_class=10, n_events=60)
    test_files = list_recordings(tmp_path / "CIFAR10DVS", "test")
    assert [(p.name, c) for p, c in test_files] == [(f"cifar10_{n}_0.aedat", i) for i, n in enumerate(CLASSES)]
    train_files = list_recordings(tmp_path / "CIFAR10DVS", "train")
    assert len(train_files) == 90 and [p.name for p, _ in train_files[:3]] == [
        "cifar10_airplane_1.aedat", "cifar10_airplane_2.aedat", "cifar10_airplane_3.aedat"
    ]  # by number, not by name ("_10" would sort before "_2")
    data = load_cifar10_dvs("test", n_frames=4, size=32, data_dir=tmp_path)
    assert data.frames.shape == (10, 4, 2, 32, 32) and data.labels.tolist() == list(range(10))
    assert data.metadata["emulated"] is False and data.metadata["split"] == "test"
    expected = events_to_frames(written[("cat", 0)], 4, 32)
    assert np.array_equal(data.frames[3], expected) and expected.sum() == 60
    sub = load_cifar10_dvs("train", n_frames=2, size=16, data_dir=tmp_path, per_class=2)
    assert sub.frames.shape == (20, 2, 2, 16, 16) and np.bincount(sub.labels).tolist() == [2] * 10


def test_missing_cifar10_dvs_lists_the_expected_layout(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match=r"airplane.*truck.*cifar10_<class>_<n>\.aedat"):
        load_cifar10_dvs("train", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"split = 'val'.*'train', 'test', 'all'"):
        load_cifar10_dvs("val", data_dir=tmp_path)
    with pytest.raises(ValueError, match=r"n_frames = 0.*allowed"):
        load_cifar10_dvs("train", n_frames=0, data_dir=tmp_path)


@pytest.mark.parametrize("size", [32, 48, 128])
def test_frames_match_tonic_to_frame(size: int) -> None:
    rng = np.random.default_rng(2)
    n_frames, width = 5, 1000  # bin width in us
    events = _random_events(rng, 3000)
    events["t"] = np.sort(rng.integers(0, n_frames * width, 3000))
    events["t"][-1] = n_frames * width  # tonic: bin = (t_last - t_first) // n_frames, last event left out
    events["t"][0] = 0
    tonic_frames = tonic.transforms.Compose(
        [
            tonic.transforms.Downsample(spatial_factor=size / 128),
            tonic.transforms.ToFrame(sensor_size=(size, size, 2), n_time_bins=n_frames),
        ]
    )(events)
    ours = events_to_frames(events, n_frames, size, t_start=0, t_end=n_frames * width)
    assert np.array_equal(ours, tonic_frames)
    assert events_to_frames(events, n_frames, size).sum() == 3000  # default window keeps every event


def test_framing_rejects_bad_input() -> None:
    events = make_events([1, 2], [3, 4], [0, 10], [True, False])
    with pytest.raises(ValueError, match=r"n_frames = 0 is out of range; allowed: integers >= 1"):
        events_to_frames(events, 0)
    with pytest.raises(ValueError, match="n_frames = 2.5 is not an integer"):
        events_to_frames(events, 2.5)
    with pytest.raises(ValueError, match=r"events\['x'\] spans \[1, 200\]; allowed: \[0, 127\]"):
        events_to_frames(make_events([1, 200], [3, 4], [0, 10], [1, 0]), 2)
    with pytest.raises(ValueError, match=r"size = 256 is out of range; allowed: \[1, 128\]"):
        events_to_frames(events, 2, 256)
    with pytest.raises(ValueError, match="structured array with fields x, y, t, p"):
        events_to_frames(np.zeros((5, 4)), 2)
