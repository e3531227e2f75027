"""Time-dependent drives: junction current (A) and applied field (T), for a batch of junctions.

A waveform is any callable ``w(t) -> Tensor`` taking times ``t`` of shape (T,) in seconds and
returning (T,) (same for every junction) or (T, B) for currents, (T, 3) or (T, B, 3) for fields.
Plain numbers and tensors are constant waveforms. ``Pulse`` and ``Sampled`` cover the usual cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

import numpy as np
import torch

from ..validation import check_finite, check_non_negative, check_positive

Waveform = Callable[[torch.Tensor], torch.Tensor]
DriveLike = Union[float, int, tuple, list, np.ndarray, torch.Tensor, Waveform]


@dataclass(frozen=True)
class Pulse:
    """Trapezoidal pulse: ``base`` before ``start``, linear rise over ``rise`` (s), ``amplitude`` for ``width`` (s), linear fall.

    ``amplitude`` and ``base`` (A for a current, T for a field) may be scalars or per-junction (B,)
    tensors for currents, (3,) or (B, 3) vectors for fields; ``start``, ``width``, ``rise`` are scalars.
    """

    amplitude: DriveLike
    start: float
    width: float
    rise: float = 0.0
    base: DriveLike = 0.0

    def __post_init__(self) -> None:
        check_finite("amplitude", _np(self.amplitude))
        check_non_negative("start", self.start, unit="s")
        check_positive("width", self.width, unit="s")
        check_non_negative("rise", self.rise, unit="s")

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        amp = _tensor(self.amplitude, t)
        base = _tensor(self.base, t)
        tt = t.reshape(-1, *([1] * max(amp.ndim, base.ndim)))
        if self.rise > 0:
            up = ((tt - self.start) / self.rise).clamp(0, 1)
            down = ((self.start + 2 * self.rise + self.width - tt) / self.rise).clamp(0, 1)
            shape = torch.minimum(up, down)
        else:
            shape = ((tt >= self.start) & (tt < self.start + self.width)).to(t.dtype)
        return base + (amp - base) * shape


@dataclass(frozen=True)
class Sampled:
    """A waveform given as samples ``values`` at increasing ``times`` (s), linearly interpolated.

    ``values`` has shape (T,) or (T, B) for currents, (T, 3) or (T, B, 3) for fields; before the first
    and after the last sample the end values are held.
    """

    times: np.ndarray | torch.Tensor
    values: np.ndarray | torch.Tensor

    def __post_init__(self) -> None:
        times = _np(self.times)
        check_finite("times", times)
        check_finite("values", _np(self.values))
        if times.ndim != 1 or times.size < 2 or np.any(np.diff(times) <= 0):
            raise ValueError("times must be a strictly increasing 1-D sequence of >= 2 samples (s)")
        if _np(self.values).shape[0] != times.size:
            raise ValueError(f"values has {_np(self.values).shape[0]} samples but times has {times.size}; allowed: equal")

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        times = _tensor(self.times, t)
        values = _tensor(self.values, t)
        tc = t.clamp(times[0], times[-1])
        idx = torch.searchsorted(times, tc, right=True).clamp(1, times.numel() - 1)
        t0, t1 = times[idx - 1], times[idx]
        w = ((tc - t0) / (t1 - t0)).reshape(-1, *([1] * (values.ndim - 1)))
        return values[idx - 1] * (1 - w) + values[idx] * w


def _np(x: DriveLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def _tensor(x: DriveLike, like: torch.Tensor) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.to(dtype=like.dtype, device=like.device)
    return torch.as_tensor(np.asarray(x, dtype=float), dtype=like.dtype, device=like.device)


def evaluate_current(current: DriveLike, t: torch.Tensor, batch: int | None = None, *, name: str = "current") -> torch.Tensor:
    """A scalar drive (``name``, e.g. current in A or a gate voltage in V) at times ``t`` (T,) as a (T, B|1) tensor.

    Constants are scalars or (B,); waveforms return (T,) or (T, B). A waveform that returns no tensor,
    or a width other than 1 or ``batch``, raises ``ValueError`` naming ``name``. (Non-finite values are
    left to the caller: ``simulate`` reports them as a divergence naming the junction and time.)
    """
    if callable(current):
        value = current(t)
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"the {name} waveform returned {type(value).__name__}; allowed: a torch.Tensor (T,) or (T, B)")
        value = value.to(t.dtype)
    else:
        value = _tensor(current, t).reshape(-1).unsqueeze(0).expand(t.shape[0], -1)
    if value.ndim > 2 or value.shape[0] != t.shape[0]:
        raise ValueError(f"{name} has shape {tuple(value.shape)} for {t.shape[0]} times; allowed: (T,) or (T, B)")
    value = value.reshape(t.shape[0], -1)
    if batch is not None and value.shape[1] not in (1, batch):
        raise ValueError(f"{name} gives {value.shape[1]} values per time; allowed: 1 or the batch size {batch}")
    return value


def evaluate_finite(drive: DriveLike, t: torch.Tensor, batch: int | None = None, *, name: str) -> torch.Tensor:
    """``evaluate_current`` for drives that a simulator steps without its own divergence check: a
    ValueError naming ``name`` where a value is not finite."""
    value = evaluate_current(drive, t, batch, name=name)
    check_finite(name, value)
    return value


def evaluate_field(field: DriveLike, t: torch.Tensor, batch: int) -> torch.Tensor:
    """Applied field (T) at times ``t`` (T,), as a (T, B|1, 3) tensor."""
    if callable(field):
        value = field(t)
    else:
        value = _tensor(field, t).reshape(-1, 3).unsqueeze(0).expand(t.shape[0], -1, -1)
    value = value.reshape(t.shape[0], -1, 3)
    if value.shape[1] not in (1, batch):
        raise ValueError(f"field gives {value.shape[1]} vectors per time; allowed: 1 or the batch size {batch}")
    return value


@dataclass(frozen=True)
class Drive:
    """What is applied to the junctions: ``current`` in A and ``field`` (mu0 H_ext) in T.

    Positive current = electrons from the polarizer into the free layer (favours m parallel to p).
    Each is a constant (scalar, (B,) / (3,), (B, 3)) or a waveform (see module docstring).
    """

    current: DriveLike = 0.0
    field: DriveLike = (0.0, 0.0, 0.0)

    def __post_init__(self) -> None:
        if not callable(self.current):
            check_finite("current", _np(self.current))
        if not callable(self.field):
            arr = _np(self.field)
            check_finite("field", arr)
            if arr.shape[-1:] != (3,):
                raise ValueError(f"field has shape {arr.shape}; allowed: (3,) or (B, 3) in T")
