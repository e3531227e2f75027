"""MTJ electrical model: the TMR law, bias dependence of R_AP, junction parameters, the seed-002 thresholds.

TMR conductance law (Slonczewski / Julliere picture, SEEDS_SPEC 5.11):

    G(theta) = G_P (1 + cos theta)/2 + G_AP (1 - cos theta)/2,   TMR = (R_AP - R_P)/R_P

so R(90 deg) = 2 R_P R_AP / (R_P + R_AP) (1512.5 ohm for R_P = 1100 ohm, TMR = 120 %), not the average.
Bias dependence of the antiparallel state (the usual empirical form): TMR(V) = TMR0 / (1 + (V/V_h)^2),
R_AP(V) = R_P (1 + TMR(V)), solved self-consistently with V = I R_AP for a current I.

Shared by the two switching fidelities (``mtj.CompactSwitching``, ``mtj_macrospin.MacrospinSwitching``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Union

import numpy as np
import torch

from ..validation import check_non_negative, check_positive, check_range

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


def as_currents(values: Union[float, tuple, list, np.ndarray, torch.Tensor], name: str) -> torch.Tensor:
    """Per-device currents (A) as a float64 tensor of at least one dimension; ValueError naming ``name``
    outside +-0.1 A."""
    t = torch.as_tensor(np.asarray(values, dtype=float) if not isinstance(values, torch.Tensor) else values, dtype=torch.float64)
    if t.ndim == 0:
        t = t.reshape(1)
    check_range(name, t, -0.1, 0.1, unit="A")
    return t


def device_view(per_device: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
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
