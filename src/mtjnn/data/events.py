"""Event streams of a dynamic vision sensor (DVS) and their binning into frames.

An event stream is a numpy structured array with tonic's event dtype (``tonic.io.events_struct``):
``x``, ``y`` (int16 pixel column and row, row 0 at the top), ``t`` (int64 timestamp in microseconds),
``p`` (bool polarity: True = ON, a log-intensity increase; False = OFF, a decrease). The real
CIFAR10-DVS reader and the event-camera emulator both return this structure, so one framing
function serves both.

Frames: ``events_to_frames`` counts events in ``n_frames`` equal time bins x 2 polarities x a
``size`` x ``size`` grid; channel 0 holds OFF events and channel 1 ON events (tonic's ``ToFrame``
uses the polarity value as the channel index, the same convention). The spatial grid is the sensor
grid downsampled by ``floor(x * size / width)``, as ``tonic.transforms.Downsample`` followed by
``ToFrame`` does; for a ``size`` that divides the sensor width this is sum-pooling of blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .checks import check_count

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)])
"""tonic's event structure (``tonic.io.events_struct``): x, y (int16 px), t (int64 us), p (bool, True = ON)."""

FRAME_DTYPES = ("float32", "float16")
"""Storage types of frame sets: both hold event counts exactly (float16 up to 2048 per cell, half the memory)."""

POLARITY_CHANNELS = ("OFF", "ON")
"""Frame channel order: index = polarity value (tonic's ``ToFrame`` convention)."""


@dataclass(frozen=True)
class EventFrames:
    """A labelled set of event recordings binned into frames.

    frames: (N, T, 2, S, S) event counts (float32 or float16) per time bin, polarity (0 = OFF, 1 = ON) and pixel;
    labels: (N,) int64 class index into ``classes``; metadata: source, layout, split, framing and
    (for emulated data) ``"emulated": True`` with a description of how the events were made.
    """

    frames: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


def make_events(x: Any, y: Any, t: Any, p: Any) -> np.ndarray:
    """An event stream (tonic's structured dtype) from equal-length x, y (px), t (us), p (1/True = ON).

    The result is sorted by time (stable: simultaneous events keep their order).
    """
    arrays = [np.asarray(a).reshape(-1) for a in (x, y, t, p)]
    n = arrays[0].size
    if any(a.size != n for a in arrays):
        raise ValueError(f"x, y, t, p have lengths {[a.size for a in arrays]}; allowed: equal lengths")
    events = np.empty(n, dtype=EVENT_DTYPE)
    for name, a in zip(("x", "y", "t", "p"), arrays):
        events[name] = a
    return events[np.argsort(events["t"], kind="stable")]


def check_events(events: Any, sensor_size: tuple[int, int]) -> np.ndarray:
    """``events`` if it is a structured array with fields x, y, t, p inside the sensor; ValueError otherwise."""
    names = getattr(getattr(events, "dtype", None), "names", None) or ()
    if not isinstance(events, np.ndarray) or not {"x", "y", "t", "p"} <= set(names):
        raise ValueError(
            f"events has dtype {getattr(events, 'dtype', type(events).__name__)}; "
            f"allowed: a numpy structured array with fields x, y, t, p ({EVENT_DTYPE})"
        )
    width, height = sensor_size
    for name, high in (("x", width), ("y", height)):
        values = events[name]
        if values.size and (values.min() < 0 or values.max() >= high):
            raise ValueError(
                f"events[{name!r}] spans [{values.min()}, {values.max()}]; allowed: [0, {high - 1}] "
                f"for sensor_size = {sensor_size}"
            )
    return events


def bin_index(coord: np.ndarray, extent: int, size: int) -> np.ndarray:
    """Output-grid index ``floor(coord * size / extent)`` of sensor coordinates (tonic's Downsample)."""
    return (coord.astype(np.int64) * size) // extent


def pool_counts(counts: torch.Tensor, size: int) -> torch.Tensor:
    """Sum (..., S, S) per-pixel counts into (..., size, size) bins by ``bin_index`` (tonic's Downsample rule).

    A ``size`` dividing S sums S/size-pixel blocks; any other size uses a 0/1 pooling matrix per axis.
    """
    extent = counts.shape[-1]
    if size == extent:
        return counts
    if extent % size == 0:
        f, lead = extent // size, counts.shape[:-2]
        columns = counts.reshape(*lead, extent, size, f).sum(-1)  # two contiguous reductions: fast on CPU
        return columns.reshape(*lead, size, f, size).sum(-2)
    m = torch.zeros(size, extent, dtype=counts.dtype)
    m[torch.from_numpy(bin_index(np.arange(extent), extent, size)), torch.arange(extent)] = 1.0
    return m @ counts @ m.T


def events_to_frames(
    events: np.ndarray,
    n_frames: int,
    size: int | None = None,
    sensor_size: tuple[int, int] = (128, 128),
    t_start: int | None = None,
    t_end: int | None = None,
) -> np.ndarray:
    """Count events into (n_frames, 2, size, size) float32 frames.

    Args:
        events: an event stream (fields x, y in px, t in us, p; see module docstring).
        n_frames: number of equal time bins T >= 1 spanning [t_start, t_end).
        size: output side in pixels (square grid; the sensor must be square); None = the sensor width.
        sensor_size: (width, height) of the sensor in pixels (CIFAR10-DVS: the DVS128's 128 x 128).
        t_start, t_end: the recording window in us; default the first event and one past the last event.
            An event at time t falls in bin ``(t - t_start) * n_frames // (t_end - t_start)``; events
            outside the window are dropped. With the defaults this is tonic's ``ToFrame(n_time_bins=T)``
            except that tonic's bin width is rounded down to whole microseconds and the last event
            (and any remainder) is dropped; here every event is counted.

    Returns float32 counts, channel 0 = OFF, channel 1 = ON.
    """
    n_frames = check_count("n_frames", n_frames)
    width, height = sensor_size
    size = width if size is None else check_count("size", size)
    if width != height:
        raise ValueError(f"sensor_size = {sensor_size}; allowed: a square sensor (width == height)")
    if size > width:
        raise ValueError(f"size = {size} is out of range; allowed: [1, {width}] (the sensor width)")
    events = check_events(events, sensor_size)
    frames = np.zeros((n_frames, 2, size, size), dtype=np.float32)
    if events.size == 0:
        return frames
    t = events["t"].astype(np.int64)
    t0 = int(t.min()) if t_start is None else int(t_start)
    t1 = int(t.max()) + 1 if t_end is None else int(t_end)
    if t1 <= t0:
        raise ValueError(f"t_end = {t1} us must be > t_start = {t0} us; allowed: a window of positive duration")
    keep = (t >= t0) & (t < t1)
    k = (t[keep] - t0) * n_frames // (t1 - t0)
    p = events["p"][keep].astype(np.int64)
    yy = bin_index(events["y"][keep], height, size)
    xx = bin_index(events["x"][keep], width, size)
    flat = ((k * 2 + p) * size + yy) * size + xx
    frames.reshape(-1)[:] = np.bincount(flat, minlength=frames.size).astype(np.float32)
    return frames
