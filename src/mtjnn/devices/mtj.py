"""Magnetic tunnel junction: resistance (TMR law, bias dependence) and AP->P switching in two fidelities.

TMR conductance law (Slonczewski / Julliere picture, SEEDS_SPEC 5.11):

    G(theta) = G_P (1 + cos theta)/2 + G_AP (1 - cos theta)/2,   TMR = (R_AP - R_P)/R_P

so R(90 deg) = 2 R_P R_AP / (R_P + R_AP) (1512.5 ohm for R_P = 1100 ohm, TMR = 120 %), not the average.
Bias dependence of the antiparallel state (the usual empirical form): TMR(V) = TMR0 / (1 + (V/V_h)^2),
R_AP(V) = R_P (1 + TMR(V)), solved self-consistently with V = I R_AP for a current I.

Switching (López et al., Phys. Rev. Applied 22, 014082 (2024), seed 002): a junction starts
antiparallel (AP); a dc current I (positive = electrons polarizer -> free layer, favours P) applied for
``pulse`` seconds switches it to P above a device threshold I_sw. Two fidelities share one interface,
``switch(current (..., N), generator) -> bool (..., N)`` and ``switching_time(...) -> s (NaN = none)``,
and are chosen with one argument of ``make_mtj``:

* ``CompactSwitching`` — thresholds given directly (the paper's: I_th,input = 724, 434, 696 uA at a
  control current of -500 uA, i.e. device currents I_sw = 224, -66, 196 uA). At 0 K switched = I > I_sw;
  at T > 0 Néel–Brown escape, P = 1 - exp(-t/tau), tau = tau0 exp(Delta (1 - x)^beta), with x linear in
  I and offset so that P(I_sw, pulse) = 1/2 (the measured room-temperature thresholds are 50 % points).
* ``MacrospinSwitching`` — the LLGS engine: every junction of every sample is one macrospin of one
  batched ``simulate`` call, started AP (tilted by ``tilt``), driven by its dc current and the 6 mT
  easy-axis field for ``pulse`` seconds; switched = m_x crossed +0.5. ``calibrate`` sets each device's
  anisotropy field H_K,i (a per-junction parameter tensor) so that its threshold at ``pulse`` equals
  the compact I_sw,i. A negative I_sw (junction 2) needs H_K < H: the AP state is then an energy
  saddle that only a negative current stabilises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Union

import numpy as np
import torch

from ..constants import K_B, MU0
from ..physics.drive import Drive
from ..physics.integrate import BACKENDS, Crossing, simulate
from ..physics.params import Macrospin
from ..validation import check_choice, check_finite, check_non_negative, check_positive, check_range

#: Input thresholds of the three junctions at I_C = -500 uA (Fig. 1(b) of seed 002), A.
PAPER_INPUT_THRESHOLDS = (724e-6, 434e-6, 696e-6)
#: The control current at which they were measured, A.
PAPER_CONTROL_CURRENT = -500e-6
#: Intrinsic AP->P device switching currents I_sw = I_th,input + I_C, A.
PAPER_SWITCHING_CURRENTS = tuple(t + PAPER_CONTROL_CURRENT for t in PAPER_INPUT_THRESHOLDS)


def paper_switching_currents(n: int) -> tuple[float, ...]:
    """I_sw (A) of ``n`` junctions: the paper's three values, repeated cyclically for n > 3."""
    check_range("n", n, 1, 10_000)
    return tuple(PAPER_SWITCHING_CURRENTS[i % 3] for i in range(n))


def tmr_resistance(cos_theta: torch.Tensor, r_p: float | torch.Tensor, tmr: float | torch.Tensor) -> torch.Tensor:
    """Junction resistance (ohm) for cos(angle between free and reference layer), R_P (ohm) and TMR (ratio, 1.2 = 120 %)."""
    check_positive("r_p", r_p, unit="ohm")
    check_non_negative("tmr", tmr)
    g_p = 1.0 / r_p
    g_ap = 1.0 / (r_p * (1.0 + tmr))
    return 1.0 / (0.5 * g_p * (1.0 + cos_theta) + 0.5 * g_ap * (1.0 - cos_theta))


def bias_tmr(voltage: torch.Tensor, tmr: float, v_half: float) -> torch.Tensor:
    """TMR at bias ``voltage`` (V): TMR0 / (1 + (V / V_h)^2); ``v_half`` = V_h in V (TMR halves there)."""
    return tmr / (1.0 + (voltage / v_half) ** 2)


@dataclass(frozen=True)
class JunctionParams:
    """Electrical and geometric parameters of the junctions of seed 002 (SI units).

    diameter: circular pillar diameter, m (150 nm). free_thickness: CoFeB free layer, m (1.4 nm).
    r_p: parallel resistance, ohm (~1100). tmr: zero-bias TMR ratio (1.2 = 120 %). v_half: bias
    voltage, V, at which the TMR halves. bias_field: in-plane field mu0 H along the easy axis, T (6 mT,
    favours P). read_energy: energy to sense one junction, J (200 fJ, the seed's CMOS estimate).
    """

    diameter: float = 150e-9
    free_thickness: float = 1.4e-9
    r_p: float = 1100.0
    tmr: float = 1.2
    v_half: float = 0.5
    bias_field: float = 6e-3
    read_energy: float = 200e-15

    def __post_init__(self) -> None:
        check_range("diameter", self.diameter, 1e-9, 1e-5, unit="m")
        check_range("free_thickness", self.free_thickness, 1e-10, 1e-7, unit="m")
        check_positive("r_p", self.r_p, unit="ohm")
        check_range("tmr", self.tmr, 0.0, 20.0)
        check_positive("v_half", self.v_half, unit="V")
        check_range("bias_field", self.bias_field, -1.0, 1.0, unit="T")
        check_non_negative("read_energy", self.read_energy, unit="J")

    @property
    def area(self) -> float:
        """Cross-section, m^2."""
        return math.pi * self.diameter**2 / 4

    @property
    def r_ap(self) -> float:
        """Zero-bias antiparallel resistance R_P (1 + TMR), ohm."""
        return self.r_p * (1.0 + self.tmr)

    def resistance(self, parallel: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        """Resistance (ohm) in state ``parallel`` (bool) at ``current`` (A), with the bias-dependent R_AP.

        R_AP solves R = R_P (1 + TMR0 / (1 + (I R / V_h)^2)) (unique root in [R_P, R_P (1 + TMR0)],
        found by 50 bisection steps, elementwise); R_P is taken bias independent.
        """
        current = torch.as_tensor(current, dtype=torch.float64)
        lo = torch.full_like(current, self.r_p)
        hi = torch.full_like(current, self.r_ap)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            f = mid - self.r_p * (1.0 + bias_tmr(current * mid, self.tmr, self.v_half))
            lo = torch.where(f < 0, mid, lo)
            hi = torch.where(f < 0, hi, mid)
        r_ap = 0.5 * (lo + hi)
        return torch.where(torch.as_tensor(parallel, dtype=torch.bool), torch.full_like(r_ap, self.r_p), r_ap)

    def joule_energy(self, current: torch.Tensor, duration: float, switch_time: torch.Tensor | None = None) -> torch.Tensor:
        """I^2 R t dissipated (J) by a dc ``current`` (A) for ``duration`` (s), elementwise.

        The junction is AP until ``switch_time`` (s; NaN = never switched) and P afterwards; without
        ``switch_time`` it is AP for the whole pulse (an upper bound).
        """
        check_positive("duration", duration, unit="s")
        current = torch.as_tensor(current, dtype=torch.float64)
        p_ap = current**2 * self.resistance(torch.zeros_like(current, dtype=torch.bool), current)
        if switch_time is None:
            return p_ap * duration
        p_p = current**2 * self.r_p
        t_ap = torch.nan_to_num(switch_time.to(torch.float64), nan=duration).clamp(0.0, duration)
        return p_ap * t_ap + p_p * (duration - t_ap)


def _as_currents(values: Union[float, tuple, list, np.ndarray, torch.Tensor], name: str) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(values, dtype=float) if not isinstance(values, torch.Tensor) else values, dtype=torch.float64)
    if t.ndim == 0:
        t = t.reshape(1)
    check_range(name, t, -0.1, 0.1, unit="A")
    return t


def _device_view(per_device: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
    """Broadcast (N,) or (D, N) device parameters against currents (..., N) or (D, ..., N)."""
    n = per_device.shape[-1]
    if current.shape[-1] != n:
        raise ValueError(f"current has shape {tuple(current.shape)}; allowed: last dimension = number of devices {n}")
    if per_device.ndim == 1:
        return per_device.to(current.dtype)
    if current.ndim < per_device.ndim or current.shape[0] != per_device.shape[0]:
        raise ValueError(
            f"current has shape {tuple(current.shape)} but devices have shape {tuple(per_device.shape)}; "
            "allowed: (D, ..., N) currents for (D, N) device realisations"
        )
    lead = per_device.shape[:-1]
    return per_device.reshape(*lead, *([1] * (current.ndim - per_device.ndim)), n).to(current.dtype)


@dataclass(frozen=True)
class CompactSwitching:
    """Threshold model of AP->P switching; ``i_sw`` (N,) or (D, N) per-device thresholds in A.

    Attributes:
        i_sw: device-current threshold of each junction (50 % point at ``pulse``), A.
        pulse: input duration, s (the seed's dc inputs; 300 ns pulses in its energy estimate).
        temperature: K. 0 = noise-free (switched iff I > I_sw); > 0 = Néel–Brown escape (see below).
        delta: thermal stability factor Delta of the Néel–Brown law (>= 1).
        i_c: current scale of the barrier lowering, A: x = (I - I_sw)/i_c + x50.
        tau0: attempt time, s. beta: barrier exponent (1 common for STT, 2 also used).

    Néel–Brown: P(I, t) = 1 - exp(-t/tau), tau = tau0 exp(Delta (1 - x)^beta) for x < 1 (tau0 above),
    x50 = 1 - (ln(pulse / (tau0 ln 2)) / Delta)^(1/beta) so that P(I_sw, pulse) = 1/2 (SEEDS_SPEC 5.8).
    The 10-90 % width of the transition is about 3.1 i_c / (beta Delta (1 - x50)^(beta-1)).
    """

    i_sw: torch.Tensor | tuple[float, ...] = PAPER_SWITCHING_CURRENTS
    pulse: float = 300e-9
    temperature: float = 0.0
    delta: float = 40.0
    i_c: float = 200e-6
    tau0: float = 1e-9
    beta: float = 1.0
    fidelity: str = field(default="compact", init=False)

    def __post_init__(self) -> None:
        i_sw = _as_currents(self.i_sw, "i_sw")
        if i_sw.ndim > 2:
            raise ValueError(f"i_sw has shape {tuple(i_sw.shape)}; allowed: (N,) or (D, N)")
        object.__setattr__(self, "i_sw", i_sw)
        check_range("pulse", self.pulse, 1e-12, 1.0, unit="s")
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        check_range("delta", self.delta, 1.0, 1000.0)
        check_positive("i_c", self.i_c, unit="A")
        check_positive("tau0", self.tau0, unit="s")
        check_range("beta", self.beta, 0.5, 4.0)
        if self.temperature > 0 and self.pulse <= self.tau0 * math.log(2):
            raise ValueError(f"pulse = {self.pulse!r} s; allowed: pulse > tau0 ln 2 = {self.tau0 * math.log(2):g} s at T > 0")

    @property
    def n_devices(self) -> int:
        return int(self.i_sw.shape[-1])

    def thresholds(self) -> torch.Tensor:
        """Device-current thresholds (A), shape of ``i_sw`` (50 % points at ``pulse``)."""
        return self.i_sw.clone()

    def probability(self, current: torch.Tensor, duration: float | None = None) -> torch.Tensor:
        """Switching probability of each junction for dc ``current`` (..., N) in A over ``duration`` s."""
        current = torch.as_tensor(current, dtype=torch.float64)
        i_sw = _device_view(self.i_sw, current)
        if self.temperature == 0:
            return (current > i_sw).to(current.dtype)
        t = self.pulse if duration is None else duration
        x50 = 1.0 - (math.log(self.pulse / (self.tau0 * math.log(2))) / self.delta) ** (1.0 / self.beta)
        x = (current - i_sw) / self.i_c + x50
        exponent = -self.delta * (1.0 - x).clamp_min(0.0) ** self.beta
        return -torch.expm1(-(t / self.tau0) * torch.exp(exponent))

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switching time (s) of each junction under dc ``current`` (..., N) in A; NaN where it does not switch.

        At 0 K the compact model has no dynamics: a junction above threshold switches at t = 0 (so an
        I^2 R t estimate is a lower bound). At T > 0 the switching is drawn from ``generator`` and the time
        is the escape time of the Poisson process, conditioned on switching within the pulse.
        """
        current = torch.as_tensor(current, dtype=torch.float64)
        prob = self.probability(current)
        if self.temperature == 0:
            return torch.where(prob > 0.5, torch.zeros_like(current), torch.full_like(current, math.nan))
        u = torch.rand(current.shape, generator=generator, dtype=torch.float64)
        # inverse CDF of the escape time: t = -tau ln(1 - u), which is inside the pulse exactly when u < P
        rate = -torch.log1p(-prob.clamp(max=1 - 1e-15)) / self.pulse
        time = -torch.log1p(-u.clamp(max=1 - 1e-15)) / rate.clamp_min(1e-300)
        return torch.where(u < prob, time, torch.full_like(time, math.nan))

    def switch(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Boolean (..., N): did each junction switch during its input (random draws from ``generator`` at T > 0)."""
        return ~torch.isnan(self.switching_time(current, generator))

    def with_offsets(self, offsets: torch.Tensor) -> "CompactSwitching":
        """A copy with thresholds i_sw + offsets (A); (D, N) offsets give D device realisations."""
        return replace(self, i_sw=self.i_sw + torch.as_tensor(offsets, dtype=torch.float64))


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
        return self._run(current, _device_view(self.anisotropy_field, current), generator, self.pulse)

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
        target = _as_currents(i_sw, "i_sw")
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


SwitchingModel = Union[CompactSwitching, MacrospinSwitching]


@dataclass(frozen=True)
class MTJ:
    """N junctions of one chain: electrical parameters + a switching model of either fidelity.

    Implements the ``DeviceModel`` protocol: ``response(device currents (B, N) in A)`` -> bool (B, N)
    "switched AP->P during the input". ``fidelity`` is that of ``switching``.
    """

    switching: SwitchingModel = field(default_factory=CompactSwitching)
    junction: JunctionParams = field(default_factory=JunctionParams)
    input_unit: str = field(default="A", init=False)
    output_unit: str = field(default="1 (switched AP->P)", init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.switching, (CompactSwitching, MacrospinSwitching)):
            raise ValueError(f"switching is {type(self.switching).__name__}; allowed: CompactSwitching or MacrospinSwitching")

    @property
    def fidelity(self) -> str:
        return self.switching.fidelity

    @property
    def n_devices(self) -> int:
        return self.switching.n_devices

    @property
    def pulse(self) -> float:
        """Input duration, s."""
        return self.switching.pulse

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switched (bool) for device currents ``inputs`` (B, N) (or (B,) when N = 1), A."""
        x = torch.as_tensor(inputs)
        if self.n_devices == 1 and (x.ndim == 1 or x.shape[-1] != 1):
            return self.switching.switch(x.to(torch.float64)[..., None], generator)[..., 0]
        return self.switching.switch(x.to(torch.float64), generator)


def make_mtj(
    fidelity: str = "compact",
    switching_currents: tuple[float, ...] | torch.Tensor = PAPER_SWITCHING_CURRENTS,
    *,
    pulse: float | None = None,
    temperature: float = 0.0,
    junction: JunctionParams | None = None,
    **kwargs,
) -> MTJ:
    """The seed-002 junctions in the requested ``fidelity`` ("compact" or "macrospin").

    Both fidelities have threshold ``switching_currents`` (A) at their ``pulse`` (compact default 300 ns,
    the seed's pulse width; macrospin default 5 ns, calibrated here with the LLGS engine).
    ``kwargs`` go to the switching model (e.g. delta, i_c for compact; dt, meff, alpha for macrospin).
    """
    check_choice("fidelity", fidelity, ("compact", "macrospin"))
    junction = junction or JunctionParams()
    if fidelity == "compact":
        switching = CompactSwitching(i_sw=switching_currents, temperature=temperature, **({"pulse": pulse} if pulse else {}), **kwargs)
    else:
        switching = MacrospinSwitching.calibrate(
            switching_currents, junction=junction, temperature=temperature, **({"pulse": pulse} if pulse else {}), **kwargs
        )
    return MTJ(switching=switching, junction=junction)
