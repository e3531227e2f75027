"""The spec of a switching-probability sweep and its work layout (rounds of tasks of trial segments).

A sweep covers every (axis value, current, pulse width) point of a grid (the optional axis is one device
parameter, ``axis_name`` in ``DEVICE_FIELDS``, at ``axis_values``; without it the grid is (current, pulse)) with ``trials`` thermal junctions (round 0);
with ``wer_floor`` > 0, later rounds add trials only where the write-error rate (WER = 1 - P) is still
uncertain (``sweep_stats.plan_more_trials``). The work of a round is a list of *segments* (point, first
trial, trial count) packed into *tasks* of at most ``points_per_task * trials`` junctions, each task ONE
batched computation. Seeds: ``junction_keys`` — every junction's thermal noise is keyed by (seed, point,
trial index), so results do not depend on the task layout (``sweep_task``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..validation import check_non_negative, check_positive, check_range
from .switching import SwitchingConfig

#: Device fields of ``SwitchingConfig`` a sweep may override (SI units, as there).
DEVICE_FIELDS = ("field", "length", "width", "thickness", "ms", "alpha", "eta")


def parse_range(name: str, text: str, scale: float = 1.0) -> tuple[float, ...]:
    """``"A:B:N"`` -> N values evenly spaced from A to B (inclusive), times ``scale``; ``"A"`` -> (A,).

    ValueError naming ``name`` for malformed text, N < 1, or A > B (an empty range).
    """
    parts = text.split(":")
    try:
        if len(parts) == 1:
            return (float(parts[0]) * scale,)
        if len(parts) != 3:
            raise ValueError
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"{name} = {text!r}; allowed: 'START:STOP:COUNT' (e.g. '100:900:16') or a single value") from None
    if count < 1 or stop < start or (count > 1 and stop == start):
        raise ValueError(f"{name} = {text!r} is an empty range; allowed: START <= STOP, COUNT >= 1 (START < STOP when COUNT > 1)")
    return tuple(float(v) * scale for v in np.linspace(start, stop, count))


def random_axis_values(name: str, text: str, seed: int) -> tuple[float, ...]:
    """``"LOW:HIGH:COUNT"`` -> COUNT values drawn uniformly from [LOW, HIGH) by ``seed`` (numpy PCG64), sorted.

    ValueError naming ``name`` for malformed text, COUNT < 1 or LOW >= HIGH.
    """
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        low, high, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"{name} = {text!r}; allowed: 'LOW:HIGH:COUNT' (e.g. '0.01:0.03:5')") from None
    if count < 1 or not high > low:
        raise ValueError(f"{name} = {text!r} is an empty range; allowed: LOW < HIGH, COUNT >= 1")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x61786973]))  # "axis": apart from the noise keys
    return tuple(float(v) for v in np.sort(rng.uniform(low, high, count)))


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"{name} = {value!r}; allowed: an integer in [{low}, {high}]")


@dataclass(frozen=True)
class Segment:
    """``trials`` junctions of grid point ``point``, trial indices ``first`` .. ``first + trials - 1``."""

    point: int
    first: int
    trials: int


@dataclass(frozen=True)
class Task:
    """One batched simulation: ``segments`` of round ``round``; ``index`` numbers it within the round."""

    round: int
    index: int
    segments: tuple[Segment, ...]

    @property
    def junctions(self) -> int:
        return sum(s.trials for s in self.segments)

    @property
    def name(self) -> str:
        return f"r{self.round:02d}-t{self.index:06d}"


@dataclass(frozen=True)
class SweepSpec:
    """A switching-probability sweep (SI units): every ``currents`` (A) x ``pulses`` (s) point, ``trials`` junctions.

    ``axis_name`` (a name in ``DEVICE_FIELDS``; "" for none) adds a third grid axis: that device parameter at each
    of ``axis_values`` (its SI unit, see ``SwitchingConfig``); ``axis_sampling`` records how the values were
    chosen ("grid" or "random": ``random_axis_values`` from ``seed``). Points are axis-major, then current, then
    pulse, so a sweep without an axis numbers its points as before.
    ``device`` overrides fields of ``SwitchingConfig`` (names in ``DEVICE_FIELDS``), e.g. ``(("alpha", 0.02),)``.
    ``wer_floor`` > 0 turns on adaptive write-error-rate rounds: trials are added (at most ``max_rounds``
    rounds, at most ``max_trials`` per point) where the 95 % Wilson interval of WER = 1 - P is wider than a
    factor ``ci_factor`` either side of the estimate and its upper end is still above ``wer_floor``.
    """

    currents: tuple[float, ...]  # pulse amplitudes, A
    pulses: tuple[float, ...]  # pulse widths, s
    temperature: float = 300.0  # K
    trials: int = 1000  # junctions per point in round 0
    dt: float = 1e-12  # integration step, s
    relax: float = 2e-9  # zero-current time after the longest pulse before the state is read, s
    seed: int = 0
    points_per_task: int = 16  # task size in units of `trials` junctions
    device: tuple[tuple[str, float], ...] = ()
    wer_floor: float = 0.0  # 0: no adaptive rounds
    max_trials: int = 200_000  # per point, over all rounds
    max_rounds: int = 8  # adaptive rounds after round 0
    ci_factor: float = 2.0
    axis_name: str = ""  # a device parameter swept as a third axis ("" = none)
    axis_values: tuple[float, ...] = ()  # its values, SI unit of that SwitchingConfig field
    axis_sampling: str = "grid"  # how axis_values were chosen: "grid" or "random"

    def __post_init__(self) -> None:
        object.__setattr__(self, "currents", tuple(float(c) for c in self.currents))
        object.__setattr__(self, "pulses", tuple(float(p) for p in self.pulses))
        object.__setattr__(self, "device", tuple((str(k), float(v)) for k, v in self.device))
        for name in ("currents", "pulses"):
            if not getattr(self, name):
                raise ValueError(f"{name} is empty; allowed: at least one value")
        for c in self.currents:
            check_range("currents", c, -0.1, 0.1, unit="A")
        check_positive("dt", self.dt, unit="s")
        for p in self.pulses:
            if not p >= self.dt:
                raise ValueError(f"pulses contains {p!r} s, shorter than dt = {self.dt!r} s; allowed: pulse widths >= dt")
        check_non_negative("temperature", self.temperature, unit="K")
        _check_int("trials", self.trials, 1, 100_000_000)
        check_non_negative("relax", self.relax, unit="s")
        _check_int("points_per_task", self.points_per_task, 1, 1_000_000)
        _check_int("seed", self.seed, 0, 2**63 - 1)
        unknown = sorted({k for k, _ in self.device} - set(DEVICE_FIELDS))
        if unknown:
            raise ValueError(f"device parameters {unknown} are unknown; allowed: {list(DEVICE_FIELDS)}")
        check_range("wer_floor", self.wer_floor, 0.0, 0.5)
        _check_int("max_trials", self.max_trials, self.trials, 1_000_000_000)
        _check_int("max_rounds", self.max_rounds, 0, 64)
        check_range("ci_factor", self.ci_factor, 1.01, 100.0)
        self._check_axis()
        for value in self.axis_values or (None,):
            self.junction(value).macrospin()  # the device's own checks, for every axis value

    def _check_axis(self) -> None:
        object.__setattr__(self, "axis_values", tuple(float(v) for v in self.axis_values))
        if self.axis_sampling not in ("grid", "random"):
            raise ValueError(f"axis_sampling = {self.axis_sampling!r}; allowed: 'grid' or 'random'")
        if not self.axis_name:
            if self.axis_values:
                raise ValueError(f"axis_values = {self.axis_values!r} without axis_name; allowed: a name in {list(DEVICE_FIELDS)}")
            return
        if self.axis_name not in DEVICE_FIELDS:
            raise ValueError(f"axis_name = {self.axis_name!r} is unknown; allowed: {list(DEVICE_FIELDS)}")
        if self.axis_name in {k for k, _ in self.device}:
            raise ValueError(f"axis_name = {self.axis_name!r} is also a fixed device override; allowed: one or the other")
        if not self.axis_values:
            raise ValueError(f"axis_values for {self.axis_name!r} is empty; allowed: at least one value")
        if not all(math.isfinite(v) for v in self.axis_values) or len(set(self.axis_values)) != len(self.axis_values):
            raise ValueError(f"axis_values = {self.axis_values!r}; allowed: distinct finite numbers")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SweepSpec":
        """The spec saved by ``dataclasses.asdict`` / ``config.json`` (lists become tuples)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def axis_count(self) -> int:
        """Values of the device axis (1 without one)."""
        return max(1, len(self.axis_values))

    @property
    def map_points(self) -> int:
        """Points of one (current, pulse) map."""
        return len(self.currents) * len(self.pulses)

    @property
    def points(self) -> int:
        return self.axis_count * self.map_points

    @property
    def duration(self) -> float:
        """Simulated time of the junctions of the longest pulse: that pulse plus ``relax``, s."""
        return max(self.pulses) + self.relax

    @property
    def relax_steps(self) -> int:
        return int(round(self.relax / self.dt))

    @property
    def steps(self) -> int:
        """Steps of the longest pulse plus relax (pulses are rounded to whole steps)."""
        return max(1, int(round(max(self.pulses) / self.dt))) + self.relax_steps

    @property
    def task_junctions(self) -> int:
        """The most junctions one task simulates."""
        return self.points_per_task * self.trials

    def junction(self, axis_value: float | None = None) -> SwitchingConfig:
        """The device of ``mtjnn simulate`` with this spec's temperature, step, duration and overrides, and
        ``axis_name`` = ``axis_value`` when given."""
        fields = dict(self.device)
        if axis_value is not None:
            fields[self.axis_name] = axis_value
        return SwitchingConfig(pulse=max(self.pulses), duration=self.duration, dt=self.dt, temperature=self.temperature,
                               seed=self.seed, dt_check="error", **fields)

    def axis_index(self, points: np.ndarray) -> np.ndarray:
        """Index into ``axis_values`` of the point indices ``points`` (0 without an axis)."""
        return np.asarray(points, dtype=np.int64) // self.map_points

    def grid(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(current A, pulse s) of the point indices ``points`` (axis-major, then current, then pulse)."""
        points = np.asarray(points, dtype=np.int64) % self.map_points
        n = len(self.pulses)
        return np.asarray(self.currents)[points // n], np.asarray(self.pulses)[points % n]

    def first_round(self) -> list[Task]:
        """Round 0: every point, trials 0 .. ``trials`` - 1, ``points_per_task`` points per task."""
        return pack_tasks(0, [Segment(p, 0, self.trials) for p in range(self.points)], self.task_junctions)



_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finalizer (Steele et al. 2014) on uint64 arrays: a bijective 64-bit mixer."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def junction_keys(seed: int, points: np.ndarray, trials: np.ndarray, phase: int = 0) -> np.ndarray:
    """int64 noise key of every (point, trial index) of a sweep with ``seed`` in simulation ``phase`` (0: pulse,
    1: relax): a hash of these numbers only, so a junction's thermal noise does not depend on the task it runs
    in (``points`` and ``trials`` of equal shape)."""
    with np.errstate(over="ignore"):
        z = _splitmix(np.uint64(seed) * _GOLDEN + np.uint64(1))
        z = _splitmix(z ^ (np.asarray(points, dtype=np.uint64) * _GOLDEN + np.uint64(2)))
        z = _splitmix(z ^ (np.asarray(trials, dtype=np.uint64) * _GOLDEN + np.uint64(3)))
        z = _splitmix(z ^ (np.uint64(phase) * _GOLDEN + np.uint64(4)))
    return np.ascontiguousarray(z).view(np.int64)


def pack_tasks(round_: int, segments: list[Segment], capacity: int) -> list[Task]:
    """Pack ``segments`` in order into tasks of at most ``capacity`` junctions, splitting a segment that overflows."""
    tasks: list[Task] = []
    current: list[Segment] = []
    room = capacity
    for seg in segments:
        first, left = seg.first, seg.trials
        while left > 0:
            take = min(left, room)
            current.append(Segment(seg.point, first, take))
            first, left, room = first + take, left - take, room - take
            if room == 0:
                tasks.append(Task(round_, len(tasks), tuple(current)))
                current, room = [], capacity
    if current:
        tasks.append(Task(round_, len(tasks), tuple(current)))
    return tasks
