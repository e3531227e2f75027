"""Types shared by the integrators (``integrate.py``) and the fused stepper (``fused.py``): the switching
criterion ``Crossing``, the result ``Trajectory`` and ``DivergenceError``. A module of their own so that
the two steppers import them from here rather than from each other (no import cycle).
Public names stay importable from ``mtjnn.physics`` and ``mtjnn.physics.integrate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..validation import check_choice

_COMPONENTS = {"x": 0, "y": 1, "z": 2, 0: 0, 1: 1, 2: 2}


@dataclass(frozen=True)
class Crossing:
    """Switching event: the first time ``m[component]`` crosses ``threshold`` in ``direction``.

    ``direction`` is ``"falling"`` (from above to below), ``"rising"`` or ``"either"``.
    """

    component: int | str = "z"
    threshold: float = 0.0
    direction: str = "falling"

    def __post_init__(self) -> None:
        check_choice("component", self.component, tuple(_COMPONENTS))
        check_choice("direction", self.direction, ("falling", "rising", "either"))
        if not -1.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold = {self.threshold!r} is out of range; allowed: [-1, 1]")

    @property
    def index(self) -> int:
        return _COMPONENTS[self.component]

    def crossed(self, before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
        """Boolean (B,) mask of junctions whose component crossed between two states."""
        a, b = before[:, self.index] - self.threshold, after[:, self.index] - self.threshold
        falling = (a > 0) & (b <= 0)
        rising = (a < 0) & (b >= 0)
        return {"falling": falling, "rising": rising, "either": falling | rising}[self.direction]

    def crossing_time(self, before: torch.Tensor, after: torch.Tensor, t: float, dt: float) -> torch.Tensor:
        """Linearly interpolated crossing time (s) within a step starting at ``t``."""
        a, b = before[:, self.index] - self.threshold, after[:, self.index] - self.threshold
        frac = (a / (a - b)).nan_to_num(0.0).clamp(0.0, 1.0)
        return t + frac * dt


@dataclass
class Trajectory:
    """Result of ``simulate``.

    times: (S,) sample times in s; m: (S, K, 3) sampled states of the first K junctions (K = B unless
    ``sample_junctions`` was given); final: (B, 3) state of every junction at ``t_end``;
    t_end: time (s) where integration stopped (earlier than ``duration`` if every junction switched
    and early stop was on); switch_time: (B,) first crossing time in s, NaN where none; steps: steps taken
    (per-junction adaptive steps: the most any junction took). junction_steps, junction_rejects: (B,) int64
    accepted and rejected steps of each junction (per-junction adaptive stepping only; None otherwise).
    """

    times: torch.Tensor
    m: torch.Tensor
    final: torch.Tensor
    t_end: float
    switch_time: torch.Tensor
    steps: int
    junction_steps: torch.Tensor | None = None
    junction_rejects: torch.Tensor | None = None

    @property
    def switched(self) -> torch.Tensor:
        """(B,) boolean: did the junction cross during the run."""
        return ~torch.isnan(self.switch_time)


class DivergenceError(RuntimeError):
    """Raised when the state of a junction becomes non-finite (names the junction and the time)."""


def check_finite_state(m: torch.Tensor, t: float) -> None:
    """Raise ``DivergenceError`` naming the first junction of ``m`` (B, 3) that is not finite at time ``t`` (s)."""
    bad = ~torch.isfinite(m).all(-1)
    if bool(bad.any()):
        j = int(bad.nonzero()[0])
        raise DivergenceError(
            f"integration diverged: junction {j} became non-finite by t = {t:.6g} s "
            "(reduce dt, check the drive for NaN, or keep renormalize=True)"
        )
