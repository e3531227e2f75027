"""An event-camera emulator: CIFAR-10 images moving on a virtual screen, seen by a DVS128-like sensor.

EMULATED DATA. The real CIFAR10-DVS (Li et al. 2017) was recorded by showing CIFAR-10 images, upscaled,
on an LCD monitor and moving them in a repeated closed-loop smooth path in front of a DVS128 camera.
That set cannot be fetched here, so this module imitates the recording: everything it returns is
*emulated* and says so (``EMULATED_NOTE``; ``"emulated": True`` in every metadata dict).

Model (per recording; all times in microseconds, intensities relative):

1. Screen: the image's luma (0.299 R + 0.587 G + 0.114 B, pixel / 255) is shown with luminance
   ``luma ** gamma`` (a monitor's transfer curve) as a square of side ``image_fraction * sensor_size``
   sensor pixels, centred, on a uniform background of value ``background`` (same units). The sensor
   samples this luminance bilinearly (standing in for the monitor's upscaling and the lens).
2. Motion: the image is translated by ``offset(t)``, sampled at ``n_steps + 1`` render instants
   ``step_us`` apart: "circle" = a smooth closed loop of radius ``amplitude_px`` (random start phase and
   direction per recording), "saccade" = straight moves around a triangle of circumradius
   ``amplitude_px`` (random orientation), each repeated ``n_cycles`` times in the recording.
3. Pixels: each pixel holds a reference log intensity ``ref`` (set by the first render). After each
   render the log intensity ``L = log(luminance + dark_level)`` is compared with it:
   ``n_on = floor((L - ref) / C_on)`` ON events if L rose, ``n_off = floor((ref - L) / C_off)`` OFF events
   if it fell, and ``ref`` moves by the thresholds crossed (reset per pixel after each event). The
   thresholds are ``threshold * (1 + threshold_mismatch * N(0, 1))`` per pixel and polarity, a fixed
   pattern drawn from ``sensor_seed`` (the same sensor for every recording).
4. Noise: background-activity events, Poisson with ``noise_rate_hz`` per pixel and polarity, added to
   the counts (they do not move the reference).

Events of render step k (k = 1..n_steps) carry the timestamp ``(k - 1) * step_us``, so a recording spans
``[0, n_steps * step_us)``. ``emulate_events`` returns them as tonic-style event streams (the structure the
real reader returns; ``events.events_to_frames`` applies unchanged); ``emulate_frames`` runs the same
steps with the same random draws and bins the counts directly: ``events_to_frames`` of the event path,
with ``t_start = 0, t_end = n_steps * step_us``, equals the fast path's frames exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import torch

from ..validation import check_choice, check_non_negative, check_positive, check_range
from .checks import check_count, check_images
from .events import FRAME_DTYPES, EventFrames, make_events, pool_counts

MOTIONS = ("circle", "saccade")
EMULATED_NOTE = (
    "EMULATED event data: CIFAR-10 images moved on a virtual screen and converted to ON/OFF log-intensity-change "
    "events by mtjnn's DVS emulator (data/dvs_emulator.py), NOT the real CIFAR10-DVS recordings"
)


@dataclass(frozen=True)
class DVSEmulator:
    """Settings of the emulated recording (see the module docstring for the model).

    sensor_size: sensor side in pixels (DVS128: 128). image_fraction: displayed image side / sensor side.
    n_steps: render steps per recording (>= the number of frames wanted). step_us: time between renders (us).
    motion: "circle" or "saccade"; amplitude_px: loop radius in sensor pixels; n_cycles: loops per recording.
    threshold: contrast threshold in natural-log units; threshold_mismatch: relative per-pixel spread (std).
    noise_rate_hz: background-activity rate per pixel and polarity (Hz). gamma: display transfer exponent.
    dark_level: luminance added before the log (relative; keeps black finite). background: screen value
    around the image (0-1). sensor_seed: seed of the fixed threshold pattern.
    """

    sensor_size: int = 128
    image_fraction: float = 0.75
    n_steps: int = 32
    step_us: int = 40_000
    motion: str = "circle"
    amplitude_px: float = 3.0
    n_cycles: float = 1.0
    threshold: float = 0.15
    threshold_mismatch: float = 0.03
    noise_rate_hz: float = 0.0
    gamma: float = 2.2
    dark_level: float = 0.02
    background: float = 0.0
    sensor_seed: int = 0

    def __post_init__(self) -> None:
        check_count("sensor_size", self.sensor_size, 2)
        check_range("image_fraction", self.image_fraction, 0.0, 1.0, low_inclusive=False)
        check_count("n_steps", self.n_steps)
        check_count("step_us", self.step_us)
        check_choice("motion", self.motion, MOTIONS)
        check_non_negative("amplitude_px", self.amplitude_px)
        check_positive("n_cycles", self.n_cycles)
        check_positive("threshold", self.threshold)
        check_range("threshold_mismatch", self.threshold_mismatch, 0.0, 0.5)
        check_non_negative("noise_rate_hz", self.noise_rate_hz, unit="Hz")
        check_positive("gamma", self.gamma)
        check_positive("dark_level", self.dark_level)
        check_range("background", self.background, 0.0, 1.0)
        check_count("sensor_seed", self.sensor_seed, 0)

    @property
    def duration_us(self) -> int:
        """Length of one recording in microseconds (n_steps * step_us)."""
        return self.n_steps * self.step_us

    def metadata(self) -> dict[str, Any]:
        """The emulation label and settings, for every output derived from this emulator."""
        return {"emulated": True, "description": EMULATED_NOTE, "emulator": asdict(self)}


def _generator(generator: torch.Generator | int) -> torch.Generator:
    if isinstance(generator, torch.Generator):
        return generator
    return torch.Generator().manual_seed(check_count("generator (seed)", generator, 0))


def _offsets(config: DVSEmulator, batch: int, gen: torch.Generator) -> torch.Tensor:
    """(batch, n_steps + 1, 2) image offsets (x, y) in sensor pixels at the render instants."""
    phase = torch.rand(batch, 1, generator=gen) * 2 * math.pi
    direction = torch.where(torch.rand(batch, 1, generator=gen) < 0.5, -1.0, 1.0)
    s = torch.linspace(0.0, config.n_cycles, config.n_steps + 1).unsqueeze(0)  # loops completed
    if config.motion == "circle":
        angle = phase + direction * 2 * math.pi * s
        return config.amplitude_px * torch.stack((torch.cos(angle), torch.sin(angle)), dim=-1)
    vertex = phase + direction * 2 * math.pi * torch.arange(4).unsqueeze(0) / 3  # (B, 4), closed triangle
    corners = config.amplitude_px * torch.stack((torch.cos(vertex), torch.sin(vertex)), dim=-1)
    u = (s % 1.0) * 3  # position along the three sides
    side = u.floor().long().clamp(max=2).expand(batch, -1)
    frac = (u - side).unsqueeze(-1)
    start = torch.gather(corners, 1, side.unsqueeze(-1).expand(-1, -1, 2))
    end = torch.gather(corners, 1, (side + 1).unsqueeze(-1).expand(-1, -1, 2))
    return start + frac * (end - start)


def _thresholds(config: DVSEmulator) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-pixel (C_on, C_off), each (S, S), from the sensor's fixed pattern."""
    gen = torch.Generator().manual_seed(config.sensor_seed)
    shape = (2, config.sensor_size, config.sensor_size)
    c = config.threshold * (1 + config.threshold_mismatch * torch.randn(shape, generator=gen))
    c = c.clamp(min=0.25 * config.threshold)
    return c[0], c[1]


def _resampling(position: torch.Tensor, n_source: int) -> torch.Tensor:
    """(B, S, n_source) bilinear weights: row i samples the source at continuous index ``position[b, i]``
    (pixel centres at 0, 1, ...); zero outside the image (a hat function, as grid_sample with zero padding)."""
    return (1.0 - (position.unsqueeze(-1) - torch.arange(n_source, dtype=position.dtype)).abs()).clamp(min=0.0)


def _log_intensity(luminance: torch.Tensor, offset: torch.Tensor, config: DVSEmulator) -> torch.Tensor:
    """(B, S, S) log luminance seen by the sensor with the image shifted by ``offset`` (B, 2; x, y) pixels.

    ``luminance`` (B, H, W) is the displayed image minus the background, in linear light; the sensor
    samples it bilinearly (separable: one matrix product per axis).
    """
    s_out, side = config.sensor_size, config.image_fraction * config.sensor_size
    h, w = luminance.shape[1:]
    pixel = torch.arange(s_out, dtype=torch.float32) + 0.5 - s_out / 2  # sensor pixel centres, from the middle
    rows = _resampling((pixel - offset[:, 1:2]) * h / side + h / 2 - 0.5, h)
    cols = _resampling((pixel - offset[:, 0:1]) * w / side + w / 2 - 0.5, w)
    seen = rows @ luminance @ cols.transpose(1, 2) + config.background**config.gamma
    return seen.clamp_(min=0.0).add_(config.dark_level).log_()


def _check_framing(n_frames: Any, size: Any, config: DVSEmulator) -> tuple[int, int]:
    """(n_frames, size) checked against the emulator: 1 <= n_frames <= n_steps, 1 <= size <= sensor_size."""
    n_frames = check_count("n_frames", n_frames)
    if n_frames > config.n_steps:
        raise ValueError(f"n_frames = {n_frames} > config.n_steps = {config.n_steps}; allowed: n_frames <= n_steps")
    size = config.sensor_size if size is None else check_count("size", size)
    if size > config.sensor_size:
        raise ValueError(f"size = {size} is out of range; allowed: [1, {config.sensor_size}] (config.sensor_size)")
    return n_frames, size


def _check_offsets(offsets: Any, n_images: int, config: DVSEmulator) -> torch.Tensor | None:
    if offsets is None:
        return None
    offsets = torch.as_tensor(offsets, dtype=torch.float32)
    want = (n_images, config.n_steps + 1, 2)
    if tuple(offsets.shape) != want:
        raise ValueError(f"offsets has shape {tuple(offsets.shape)}; allowed: {want} (images, n_steps + 1, x/y) in pixels")
    check_range("offsets", offsets, -config.sensor_size, config.sensor_size, unit="px")
    return offsets


def _event_counts(
    images: np.ndarray, config: DVSEmulator, gen: torch.Generator, offsets: torch.Tensor | None = None
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor]]:
    """For each render step k = 0..n_steps-1: (k, ON counts, OFF counts), counts (B, S, S) float32.

    ``offsets`` (B, n_steps + 1, 2) replaces the motion model when given (no random draws for it)."""
    rgb = torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0)
    luminance = (rgb @ torch.tensor([0.299, 0.587, 0.114])) ** config.gamma - config.background**config.gamma
    offsets = _offsets(config, luminance.shape[0], gen) if offsets is None else offsets
    c_on, c_off = _thresholds(config)
    inv_on, inv_off = 1.0 / c_on, 1.0 / c_off
    mean_noise = config.noise_rate_hz * config.step_us * 1e-6
    ref = _log_intensity(luminance, offsets[:, 0], config)
    for k in range(config.n_steps):
        change = _log_intensity(luminance, offsets[:, k + 1], config).sub_(ref)
        on = change.clamp(min=0.0).mul_(inv_on).floor_()
        off = change.neg_().clamp_(min=0.0).mul_(inv_off).floor_()
        ref.addcmul_(on, c_on).addcmul_(off, c_off, value=-1.0)  # reset: the crossed thresholds
        if mean_noise > 0:
            noise = torch.poisson(torch.full((2, *on.shape), mean_noise), generator=gen)
            on, off = on.add_(noise[0]), off.add_(noise[1])
        yield k, on, off


def emulate_events(
    images: np.ndarray,
    config: DVSEmulator = DVSEmulator(),
    generator: torch.Generator | int = 0,
    offsets: Any = None,
) -> list[np.ndarray]:
    """EMULATED event streams, one per image: tonic-style structured arrays (x, y px; t us; p True = ON).

    Args:
        images: (N, H, W, 3) uint8 RGB (CIFAR-10: 32 x 32).
        config: the emulated screen, motion and sensor.
        generator: torch generator or integer seed for the motion and noise (same seed, same events).
        offsets: optional (N, n_steps + 1, 2) image offsets (x, y) in sensor pixels at the render instants,
            replacing the random motion (e.g. a straight sweep).
    """
    images = check_images(images)
    offsets = _check_offsets(offsets, images.shape[0], config)
    with torch.no_grad():
        parts = []
        for k, on, off in _event_counts(images, config, _generator(generator), offsets):
            for polarity, counts in ((True, on), (False, off)):
                idx = counts.nonzero()
                n = counts[idx[:, 0], idx[:, 1], idx[:, 2]].long()
                idx = torch.repeat_interleave(idx, n, dim=0).numpy()
                parts.append((idx, k * config.step_us, polarity))
    b = np.concatenate([p[0][:, 0] for p in parts])
    y = np.concatenate([p[0][:, 1] for p in parts])
    x = np.concatenate([p[0][:, 2] for p in parts])
    t = np.concatenate([np.full(len(p[0]), p[1], np.int64) for p in parts])
    pol = np.concatenate([np.full(len(p[0]), p[2]) for p in parts])
    order = np.argsort(b, kind="stable")  # keeps time order within a recording
    bounds = np.searchsorted(b[order], np.arange(images.shape[0] + 1))
    return [make_events(*(a[order][lo:hi] for a in (x, y, t, pol))) for lo, hi in pairwise(bounds)]


def emulate_frames(
    images: np.ndarray,
    n_frames: int,
    size: int | None = None,
    config: DVSEmulator = DVSEmulator(),
    generator: torch.Generator | int = 0,
    offsets: Any = None,
) -> torch.Tensor:
    """EMULATED event frames made directly (no event list): (N, n_frames, 2, size, size) float32 counts.

    Channel 0 = OFF, 1 = ON. Render step k goes to frame ``k * n_frames // n_steps``; the sensor grid is
    pooled to ``size`` by ``floor(x * size / sensor_size)`` (``events.events_to_frames``'s rule). The same
    seed gives exactly ``events_to_frames`` of ``emulate_events``'s streams. ``generator`` and ``offsets``
    as in ``emulate_events``.
    """
    images = check_images(images)
    offsets = _check_offsets(offsets, images.shape[0], config)
    n_frames, size = _check_framing(n_frames, size, config)
    s = config.sensor_size
    frames = torch.zeros(images.shape[0], n_frames, 2, size, size)
    with torch.no_grad():
        acc = torch.zeros(images.shape[0], 2, s, s)
        for k, on, off in _event_counts(images, config, _generator(generator), offsets):
            acc[:, 0] += off
            acc[:, 1] += on
            frame = k * n_frames // config.n_steps
            if k == config.n_steps - 1 or (k + 1) * n_frames // config.n_steps != frame:
                frames[:, frame] = pool_counts(acc, size)
                acc.zero_()
    return frames


def emulate_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    classes: tuple[str, ...],
    n_frames: int,
    size: int | None = None,
    config: DVSEmulator = DVSEmulator(),
    seed: int = 0,
    batch_size: int | None = None,
    source_metadata: dict[str, Any] | None = None,
    dtype: str = "float32",
) -> EventFrames:
    """An EMULATED event-frame data set from labelled images, in batches; metadata says ``"emulated": True``.

    Frames are stored as counts (N, n_frames, 2, size, size) in ``dtype`` ("float32" or "float16", exact
    up to 2048 events per cell). ``seed`` seeds one generator that runs through the batches in order, so
    the same call (same seed and batch_size) gives the same frames; another batch_size draws the motions
    in another order. ``batch_size`` None picks about 2**19 sensor pixels per batch (32 images at
    128 x 128), which keeps the work in cache. ``source_metadata`` (e.g. the CIFAR-10 ``ImageSet.metadata``)
    is kept under ``"source_images"``.
    """
    images = check_images(images)
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels has shape {labels.shape}; allowed: ({images.shape[0]},), one per image")
    check_choice("dtype", dtype, FRAME_DTYPES)
    n_frames, size = _check_framing(n_frames, size, config)
    batch_size = max(1, 2**19 // config.sensor_size**2) if batch_size is None else check_count("batch_size", batch_size)
    gen = _generator(seed)
    frames = np.empty((images.shape[0], n_frames, 2, size, size), dtype=dtype)
    for i in range(0, images.shape[0], batch_size):
        frames[i : i + batch_size] = emulate_frames(images[i : i + batch_size], n_frames, size, config, gen).numpy()
    metadata = {
        "dataset": "emulated CIFAR10-DVS-like event frames",
        **config.metadata(),
        "n_frames": n_frames,
        "size": size,
        "seed": seed,
        "source_images": source_metadata or {},
    }
    return EventFrames(frames, labels, tuple(classes), metadata)
