"""AP->P switching of MTJs through the LLGS engine (the macrospin fidelity of ``devices.mtj``).

Every junction of every sample is one macrospin of one batched ``simulate`` call, started AP (tilted by
``tilt``), driven by its dc current and the easy-axis bias field for ``pulse`` seconds; switched = m_x
crossed +0.5. ``calibrate`` sets each device's anisotropy field H_K,i (a per-junction parameter tensor)
so that its threshold at ``pulse`` equals the compact I_sw,i. A negative I_sw (junction 2 of seed 002)
needs H_K close to the bias field: the AP state then has almost no barrier and only a negative current
holds it (see docs/vowels.md on what that means at 300 K).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..constants import K_B, MU0
from ..physics.drive import Drive
from ..physics.integrate import BACKENDS, Crossing, simulate
from ..physics.params import Macrospin
from ..validation import check_choice, check_finite, check_range
from .junction import JunctionParams, as_currents, device_view


@dataclass(frozen=True)
class MacrospinSwitching:
    """LLGS (macrospin) switching of N junctions, each with its own anisotropy field (SI units).

    Attributes:
        anisotropy_field: mu0 H_K of each junction, T, shape (N,) or (D, N) (``calibrate`` sets it).
        pulse: dc input duration, s. 50 ns: at ~200 uA the spin torque of a 150 nm disc grows the
            precession by one e-fold in ~4 ns, so few-ns inputs would need > 450 uA to switch.
        temperature: K; > 0 runs the stochastic Heun integrator (Brown thermal field).
        junction: geometry and the easy-axis bias field.
        ms: saturation magnetization, A/m. alpha: Gilbert damping. eta: spin-torque efficiency.
        meff: effective demagnetizing field mu0 M_eff, T. The 1.4 nm CoFeB free layer has an interfacial
            perpendicular anisotropy; it is folded into the demag tensor as (a, a, 1 - 2a) with
            a = (1 - M_eff/Ms)/3 (the isotropic part exerts no torque; a circular pillar has Nxx = Nyy).
        tilt: initial in-plane angle from the AP direction, rad (at 0 K an exact AP state feels no torque).
        dt: integration step, s. backend: engine backend ("auto" uses the fused kernel when available).
    """

    anisotropy_field: torch.Tensor | tuple[float, ...] = (0.04, 0.006, 0.015)
    pulse: float = 50e-9
    temperature: float = 0.0
    junction: JunctionParams = field(default_factory=JunctionParams)
    ms: float = 1.0e6
    alpha: float = 0.01
    eta: float = 0.6
    meff: float = 0.2
    tilt: float = 0.05
    dt: float = 5e-12
    backend: str = "auto"
    fidelity: str = field(default="macrospin", init=False)

    def __post_init__(self) -> None:
        hk = torch.as_tensor(
            self.anisotropy_field if isinstance(self.anisotropy_field, torch.Tensor) else np.asarray(self.anisotropy_field, dtype=float),
            dtype=torch.float64,
        )
        hk = hk.reshape(1) if hk.ndim == 0 else hk
        if hk.ndim > 2:
            raise ValueError(f"anisotropy_field has shape {tuple(hk.shape)}; allowed: (N,) or (D, N)")
        check_range("anisotropy_field", hk, 0.0, 5.0, unit="T")
        object.__setattr__(self, "anisotropy_field", hk)
        check_range("pulse", self.pulse, 1e-12, 1e-6, unit="s")
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        check_range("ms", self.ms, 1e4, 1e7, unit="A/m")
        check_range("alpha", self.alpha, 1e-5, 1.0)
        check_range("eta", self.eta, 0.01, 1.0)
        check_range("meff", self.meff, 1e-3, MU0 * self.ms, unit="T")
        check_range("tilt", self.tilt, 1e-6, 0.5, unit="rad")
        check_range("dt", self.dt, 1e-15, 1e-10, unit="s")
        check_choice("backend", self.backend, BACKENDS)
        steps = self.pulse / self.dt
        if abs(steps - round(steps)) > 1e-6 * steps:
            raise ValueError(f"pulse = {self.pulse!r} s is not a multiple of dt = {self.dt!r} s; allowed: integer multiples")

    @property
    def n_devices(self) -> int:
        return int(self.anisotropy_field.shape[-1])

    @property
    def n_realisations(self) -> int:
        """D for (D, N) anisotropy fields (device realisations), 0 for (N,)."""
        return int(self.anisotropy_field.shape[0]) if self.anisotropy_field.ndim == 2 else 0

    @property
    def volume(self) -> float:
        """Free-layer volume, m^3."""
        return self.junction.area * self.junction.free_thickness

    def macrospin(self, anisotropy_field: torch.Tensor | float) -> Macrospin:
        """Engine parameters for junctions with the given mu0 H_K (T; scalar or (B,) tensor)."""
        a = (1.0 - self.meff / (MU0 * self.ms)) / 3.0
        return Macrospin(
            ms=self.ms, thickness=self.junction.free_thickness, area=self.junction.area, alpha=self.alpha,
            demag=(a, a, 1.0 - 2.0 * a), anisotropy_field=anisotropy_field, easy_axis=(1.0, 0.0, 0.0),
            polarizer=(1.0, 0.0, 0.0), eta=self.eta, temperature=self.temperature,
        )

    def barrier(self) -> torch.Tensor:
        """Thermal stability Delta = Ms V H_K (1 - H/H_K)^2 / (2 k_B T) of each junction (0 where H >= H_K); T = 300 K if 0."""
        temp = self.temperature if self.temperature > 0 else 300.0
        hk = self.anisotropy_field
        h = self.junction.bias_field
        reduced = torch.where(hk > h, (1 - h / hk.clamp_min(1e-30)) ** 2, torch.zeros_like(hk))
        return self.ms * self.volume * hk * reduced / (2 * K_B * temp)

    def _run(self, current: torch.Tensor, hk: torch.Tensor, generator: torch.Generator | None, duration: float):
        flat_i = current.reshape(-1).to(torch.float64)
        flat_hk = hk.expand_as(current).reshape(-1).to(torch.float64).contiguous()
        b = flat_i.numel()
        m0 = torch.tensor([[-math.cos(self.tilt), math.sin(self.tilt), 0.0]], dtype=torch.float64).repeat(b, 1)
        traj = simulate(
            m0, self.macrospin(flat_hk), Drive(current=flat_i.contiguous(), field=(self.junction.bias_field, 0.0, 0.0)),
            duration=duration, dt=self.dt, method="heun" if self.temperature > 0 else "rk4",
            crossing=Crossing("x", 0.5, "rising"), stop_when_switched=True, generator=generator, backend=self.backend,
        )
        return traj.switch_time.reshape(current.shape)

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Time (s) at which m_x crosses +0.5 under dc ``current`` (..., N) in A within ``pulse``; NaN where never.

        All samples x junctions run as ONE batched ``simulate`` call (thermal field from ``generator``).
        """
        current = torch.as_tensor(current, dtype=torch.float64)
        check_finite("current", current)
        if current.numel() == 0:
            raise ValueError("current is empty; allowed: at least one junction")
        return self._run(current, device_view(self.anisotropy_field, current), generator, self.pulse)

    def switch(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Boolean (..., N): did each junction switch under its dc ``current`` (A) within ``pulse``."""
        return ~torch.isnan(self.switching_time(current, generator))

    def thresholds(self, lo: float = -1.5e-3, hi: float = 2.0e-3, points: int = 24, rounds: int = 3) -> torch.Tensor:
        """Device-current thresholds (A) at ``pulse`` of every junction, by a batched grid search (0 K).

        Each round evaluates ``points`` currents per junction in one engine call and keeps the bracket
        around the first switching current; the result is accurate to (hi - lo) / (points - 1)^rounds.
        """
        if self.temperature > 0:
            raise ValueError(f"temperature = {self.temperature!r} K; allowed: thresholds are defined at 0 K")
        hk = self.anisotropy_field
        lo_t = torch.full(hk.shape, lo, dtype=torch.float64)
        hi_t = torch.full(hk.shape, hi, dtype=torch.float64)
        frac = torch.linspace(0.0, 1.0, points, dtype=torch.float64)
        for _ in range(rounds):
            grid = lo_t[..., None] + (hi_t - lo_t)[..., None] * frac
            t_sw = self._run(grid, hk[..., None].expand_as(grid), None, self.pulse)
            yes = ~torch.isnan(t_sw)
            if bool(yes[..., 0].any()) or not bool(yes[..., -1].all()):
                raise RuntimeError(f"threshold outside [{lo:g}, {hi:g}] A for some junction; widen the bracket")
            first = yes.to(torch.int64).argmax(-1, keepdim=True)
            lo_t = grid.gather(-1, first - 1)[..., 0]
            hi_t = grid.gather(-1, first)[..., 0]
        return 0.5 * (lo_t + hi_t)

    @classmethod
    def calibrate(
        cls,
        i_sw: torch.Tensor | tuple[float, ...],
        *,
        hk_max: float = 0.2,
        points: int = 16,
        rounds: int = 7,
        trials: int = 32,
        generator: torch.Generator | None = None,
        **kwargs,
    ) -> "MacrospinSwitching":
        """Junctions whose threshold at ``pulse`` (and ``temperature``) equals ``i_sw`` (A; (N,) or (D, N)).

        Batched grid refinement of each junction's mu0 H_K in [0, ``hk_max``] T (switching at the target
        current stops as H_K grows): ``rounds`` engine calls of N x ``points`` junctions each. At 0 K the
        threshold is sharp; at T > 0 each grid point runs ``trials`` junctions (thermal field from
        ``generator``) and counts as switching when at least half of them switch, so ``i_sw`` becomes the
        50 % point at ``pulse``. ``kwargs`` are the other fields (pulse, dt, temperature, ms, ...).
        Raises ValueError if a target cannot be reached.
        """
        target = as_currents(i_sw, "i_sw")
        check_range("points", points, 3, 10_000)
        check_range("rounds", rounds, 1, 100)
        check_range("trials", trials, 1, 100_000)
        probe = cls(anisotropy_field=torch.zeros_like(target), **kwargs)
        reps = trials if probe.temperature > 0 else 1
        lo = torch.zeros_like(target)
        hi = torch.full_like(target, hk_max)
        frac = torch.linspace(0.0, 1.0, points, dtype=torch.float64)
        for r in range(rounds):
            grid = lo[..., None] + (hi - lo)[..., None] * frac
            hk = grid[..., None].expand(*grid.shape, reps).contiguous()
            current = target[..., None, None].expand_as(hk).contiguous()
            yes = (~torch.isnan(probe._run(current, hk, generator, probe.pulse))).to(torch.float64).mean(-1) >= 0.5
            if r == 0 and (not bool(yes[..., 0].all()) or bool(yes[..., -1].any())):
                bad = int((~yes[..., 0] | yes[..., -1]).reshape(-1).nonzero()[0])
                raise ValueError(
                    f"i_sw[{bad}] = {float(target.reshape(-1)[bad]):.4g} A cannot be reached with mu0 H_K in [0, {hk_max}] T "
                    f"at pulse = {probe.pulse:g} s; allowed: thresholds the macrospin reaches (raise hk_max or change meff)"
                )
            last = (yes.to(torch.int64).cumprod(-1).sum(-1, keepdim=True) - 1).clamp(0, points - 2)
            lo = grid.gather(-1, last)[..., 0]
            hi = grid.gather(-1, last + 1)[..., 0]
        return replace(probe, anisotropy_field=0.5 * (lo + hi))
