"""The event-camera emulator: polarity at a moving edge, threshold scaling, seeds, fast path = event path,
the *emulated* label, and errors for bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mtjnn.data.dvs_emulator import DVSEmulator, emulate_dataset, emulate_events, emulate_frames
from mtjnn.data.events import EVENT_DTYPE, events_to_frames

SMALL = DVSEmulator(sensor_size=64, n_steps=12, step_us=10_000)


def _cifar_like(n: int, seed: int = 0) -> np.ndarray:
    """Smooth random 32 x 32 RGB images (blobs), so that edges and gradients exist at several scales."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (n, 8, 8, 3))
    return np.clip(np.repeat(np.repeat(coarse, 4, axis=1), 4, axis=2), 0, 255).astype(np.uint8)


def _sweep(n_images: int, config: DVSEmulator, dx: float) -> np.ndarray:
    """Offsets moving every image right by ``dx`` pixels at constant speed."""
    offsets = np.zeros((n_images, config.n_steps + 1, 2), dtype=np.float32)
    offsets[:, :, 0] = np.linspace(0.0, dx, config.n_steps + 1)
    return offsets


def test_moving_bright_bar_gives_on_at_its_leading_edge_and_off_at_its_trailing_edge() -> None:
    config = DVSEmulator(sensor_size=128, image_fraction=0.75, n_steps=12, threshold_mismatch=0.0, background=0.1)
    image = np.full((1, 32, 32, 3), 40, dtype=np.uint8)
    image[:, :, 12:20] = 230  # bright vertical bar: sensor columns 16 + 3 * [12, 20) = [52, 76)
    events = emulate_events(image, config, offsets=_sweep(1, config, 6.0))[0]
    # away from the image border (sensor rows and columns 16..112)
    inside = (events["y"] >= 30) & (events["y"] < 98) & (events["x"] >= 30) & (events["x"] < 100)
    on, off = events[inside & events["p"]], events[inside & ~events["p"]]
    assert on.size > 100 and off.size > 100
    assert on["x"].min() >= 75 and on["x"].max() <= 82  # bright bar advances over dark pixels: ON
    assert off["x"].min() >= 51 and off["x"].max() <= 58  # dark background returns behind it: OFF
    assert abs(on.size - off.size) < 0.2 * on.size  # same contrast at both edges
    left = emulate_events(image, config, offsets=_sweep(1, config, -6.0))[0]
    moved = left[(left["y"] >= 30) & (left["y"] < 98) & (left["x"] >= 30) & (left["x"] < 100)]
    assert moved[moved["p"]]["x"].max() <= 52 and moved[~moved["p"]]["x"].min() >= 69  # mirrored


def test_event_count_scales_inversely_with_the_threshold() -> None:
    images = _cifar_like(4)
    thresholds = (0.1, 0.2, 0.4)
    counts = [sum(e.size for e in emulate_events(images, DVSEmulator(sensor_size=64, threshold=c), 3)) for c in thresholds]
    assert counts[0] > counts[1] > counts[2] > 0
    assert 1.6 < counts[0] / counts[1] < 2.4 and 1.6 < counts[1] / counts[2] < 2.6


def test_seeded_determinism_and_what_the_seeds_control() -> None:
    images = _cifar_like(3, seed=1)
    config = DVSEmulator(sensor_size=48, n_steps=10, motion="saccade", noise_rate_hz=5.0, threshold_mismatch=0.05)
    a, b = emulate_events(images, config, 7), emulate_events(images, config, 7)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, emulate_events(images, config, 8)))  # motion, noise
    other_sensor = dataclasses.replace(config, sensor_seed=1)
    assert not all(np.array_equal(x, y) for x, y in zip(a, emulate_events(images, other_sensor, 7)))
    assert a[0].dtype == EVENT_DTYPE and np.all(np.diff(a[0]["t"]) >= 0)
    assert a[0]["t"].max() < config.duration_us and a[0]["x"].max() < 48
    gen = torch.Generator().manual_seed(7)
    assert torch.equal(emulate_frames(images, 5, 16, config, gen), emulate_frames(images, 5, 16, config, 7))


@pytest.mark.parametrize("size", [16, 24, 64])
def test_fast_frames_equal_framed_events(size: int) -> None:
    images = _cifar_like(5, seed=2)
    config = DVSEmulator(sensor_size=64, n_steps=12, noise_rate_hz=20.0, motion="saccade")
    fast = emulate_frames(images, 5, size, config, 11).numpy()
    events = emulate_events(images, config, 11)
    slow = np.stack([events_to_frames(e, 5, size, (64, 64), t_start=0, t_end=config.duration_us) for e in events])
    assert fast.shape == (5, 5, 2, size, size) and np.array_equal(fast, slow)


def test_noise_alone_matches_its_poisson_rate() -> None:
    config = DVSEmulator(sensor_size=32, n_steps=10, step_us=100_000, noise_rate_hz=2.0, amplitude_px=0.0)
    blank = np.full((4, 32, 32, 3), 128, dtype=np.uint8)
    frames = emulate_frames(blank, 2, None, config, 0)
    expected = 4 * 2 * 32 * 32 * 2.0 * config.duration_us * 1e-6  # images x polarities x pixels x rate x time
    assert abs(frames.sum().item() - expected) < 4 * expected**0.5


def test_emulated_dataset_is_labelled_emulated() -> None:
    images = _cifar_like(6)
    data = emulate_dataset(
        images, np.arange(6) % 3, ("a", "b", "c"), n_frames=4, size=16, config=SMALL, seed=5, batch_size=4,
        source_metadata={"dataset": "CIFAR-10"},
    )
    assert data.metadata["emulated"] is True and "EMULATED" in data.metadata["description"]
    assert data.metadata["emulator"]["sensor_size"] == 64 and data.metadata["source_images"]["dataset"] == "CIFAR-10"
    assert data.frames.shape == (6, 4, 2, 16, 16) and data.frames.dtype == np.float32
    again = emulate_dataset(images, np.arange(6) % 3, ("a", "b", "c"), 4, 16, SMALL, seed=5, batch_size=4)
    assert np.array_equal(data.frames, again.frames)
    half = emulate_dataset(images, np.arange(6) % 3, ("a", "b", "c"), 4, 16, SMALL, seed=5, batch_size=4, dtype="float16")
    assert half.frames.dtype == np.float16 and np.array_equal(half.frames.astype(np.float32), data.frames)
    with pytest.raises(ValueError, match=r"dtype = 'int8' is not allowed; allowed: 'float32', 'float16'"):
        emulate_dataset(images, np.arange(6) % 3, ("a", "b", "c"), 4, 16, SMALL, dtype="int8")


def test_bad_input_names_the_parameter_and_the_allowed_values() -> None:
    images = _cifar_like(2)
    with pytest.raises(ValueError, match=r"n_frames = 0 is out of range; allowed: integers >= 1"):
        emulate_frames(images, 0, 16, SMALL)
    with pytest.raises(ValueError, match=r"n_frames = 13 > config.n_steps = 12"):
        emulate_frames(images, 13, 16, SMALL)
    with pytest.raises(ValueError, match=r"images has dtype float64; allowed: uint8"):
        emulate_frames(images.astype(float), 4, 16, SMALL)
    with pytest.raises(ValueError, match=r"images has shape \(2, 32, 32\); allowed: \(N, H, W, 3\)"):
        emulate_events(images[..., 0], SMALL)
    with pytest.raises(ValueError, match=r"motion = 'zigzag' is not allowed; allowed: 'circle', 'saccade'"):
        DVSEmulator(motion="zigzag")
    with pytest.raises(ValueError, match=r"threshold = 0.0 is out of range; allowed: \(0, inf\]"):
        DVSEmulator(threshold=0.0)
    with pytest.raises(ValueError, match=r"offsets has shape \(2, 5, 2\); allowed: \(2, 13, 2\)"):
        emulate_events(images, SMALL, offsets=np.zeros((2, 5, 2)))
    with pytest.raises(ValueError, match=r"size = 65 is out of range; allowed: \[1, 64\]"):
        emulate_frames(images, 4, 65, SMALL)
