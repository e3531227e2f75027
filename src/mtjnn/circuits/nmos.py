"""Long-channel nMOS transistor (Shichman-Hodges, SPICE level 1) and its series operating point with a load.

Drain current (SEEDS_SPEC 2.3), V_ov = V_GS - V_T:

    cutoff     V_ov <= 0:              I_D = 0
    triode     0 <= V_DS < V_ov:       I_D = K [V_ov V_DS - V_DS^2 / 2] (1 + lambda V_DS)
    saturation V_DS >= V_ov > 0:       I_D = (K / 2) V_ov^2 (1 + lambda V_DS)

with K = mu_n C_ox W / L (A/V^2) and channel-length modulation lambda (1/V); this is ngspice's
``level=1`` model with KP = K (W = L) and no body effect, so the exported netlists (``circuits.spice``)
use the same equations. For V_DS < 0 source and drain swap roles (I_D(V_GS, V_DS) = -I_D(V_GD, -V_DS)),
as in SPICE.

``series_current`` solves the circuit V_supply -> load R -> drain, source at ground:
I = I_D(V_GS, V_supply - I R) (the drain current of an nMOS under a resistive load, e.g. the MTJ).
All functions are batched and differentiable in torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..validation import check_range

REGIONS = ("cutoff", "triode", "saturation")


@dataclass(frozen=True)
class NMOSParams:
    """Level-1 nMOS parameters (SI).

    Attributes:
        vt: threshold voltage V_T, V, in [0, 2]. Default 0.45 V (SEEDS_SPEC 2.3).
        k: transconductance parameter K = mu_n C_ox W/L, A/V^2, in (0, 1]. Default 0.5 mA/V^2 (a narrow
            device, so that the SV/MTJ neuron's ~15-45 uA operating range lies at V_GS = 0.7-0.9 V).
        lam: channel-length modulation lambda, 1/V, in [0, 1]. Default 0.05 1/V.
    """

    vt: float = 0.45
    k: float = 0.5e-3
    lam: float = 0.05

    def __post_init__(self) -> None:
        check_range("vt", self.vt, 0.0, 2.0, unit="V")
        check_range("k", self.k, 0.0, 1.0, low_inclusive=False, unit="A/V^2")
        check_range("lam", self.lam, 0.0, 1.0, unit="1/V")


def _forward_current(v_gs: torch.Tensor, v_ds: torch.Tensor, p: NMOSParams) -> torch.Tensor:
    """I_D for V_DS >= 0 (A)."""
    v_ov = (v_gs - p.vt).clamp_min(0.0)
    clm = 1.0 + p.lam * v_ds
    vds_eff = torch.minimum(v_ds, v_ov)  # = V_ov in saturation, V_DS in triode
    return p.k * (v_ov * vds_eff - 0.5 * vds_eff**2) * clm


def drain_current(v_gs: torch.Tensor, v_ds: torch.Tensor, p: NMOSParams | None = None) -> torch.Tensor:
    """Drain current I_D (A) for gate-source and drain-source voltages (V), broadcast; any sign of V_DS."""
    p = p or NMOSParams()
    v_gs, v_ds = torch.broadcast_tensors(torch.as_tensor(v_gs, dtype=torch.float64) if not isinstance(v_gs, torch.Tensor) else v_gs,
                                         torch.as_tensor(v_ds, dtype=torch.float64) if not isinstance(v_ds, torch.Tensor) else v_ds)
    reverse = v_ds < 0
    fwd = _forward_current(v_gs, v_ds.clamp_min(0.0), p)
    rev = -_forward_current(v_gs - v_ds, (-v_ds).clamp_min(0.0), p)
    return torch.where(reverse, rev, fwd)


def region(v_gs: torch.Tensor, v_ds: torch.Tensor, p: NMOSParams | None = None) -> list[str]:
    """Operating region ("cutoff", "triode", "saturation") of each element (V_DS >= 0), flattened."""
    p = p or NMOSParams()
    v_gs, v_ds = torch.broadcast_tensors(torch.as_tensor(v_gs, dtype=torch.float64), torch.as_tensor(v_ds, dtype=torch.float64))
    v_ov = v_gs - p.vt
    out = []
    for ov, ds in zip(v_ov.reshape(-1).tolist(), v_ds.reshape(-1).tolist()):
        out.append("cutoff" if ov <= 0 else ("triode" if ds < ov else "saturation"))
    return out


def series_current(
    v_gs: torch.Tensor, v_supply: float | torch.Tensor, r_load: torch.Tensor, p: NMOSParams | None = None, *, newton_steps: int = 6
) -> torch.Tensor:
    """Current I (A) through ``r_load`` (ohm) in series with the nMOS drain, from ``v_supply`` (V) to ground.

    Solves I = I_D(V_GS, V_supply - I R). In saturation the solution is closed-form,
    I = a (1 + lambda V_supply) / (1 + a lambda R), a = (K/2) V_ov^2; where that would put V_DS below V_ov
    the triode equation is solved for V_DS by Newton's method (monotone, started at V_ov, so it
    converges to machine precision in a few steps; differentiable). Requires V_supply >= 0.
    """
    p = p or NMOSParams()
    v_ov = (v_gs - p.vt).clamp_min(0.0)
    a = (0.5 * p.k) * v_ov * v_ov
    i_sat = a * (1.0 + p.lam * v_supply) / (1.0 + (p.lam * r_load) * a)
    triode = v_supply - i_sat * r_load < v_ov
    if not bool(triode.any()):
        return i_sat
    # triode: f(V) = (V_supply - V)/R - K (V_ov V - V^2/2)(1 + lambda V) = 0 on [0, V_ov], f decreasing
    v = torch.minimum(v_ov, torch.as_tensor(v_supply, dtype=v_ov.dtype)).clone() * torch.ones_like(r_load)
    for _ in range(newton_steps):
        g = p.k * (v_ov * v - 0.5 * v**2)
        dg = p.k * (v_ov - v)
        clm = 1.0 + p.lam * v
        f = (v_supply - v) / r_load - g * clm
        df = -1.0 / r_load - dg * clm - g * p.lam
        v = (v - f / df).clamp(0.0, None)
        v = torch.minimum(v, v_ov)
    i_tri = (v_supply - v) / r_load
    return torch.where(triode, i_tri, i_sat)


class NMOSGatedNeuron:
    """The ``NeuronModel`` members (``devices.protocol``) every neuron fed through an nMOS input transistor from
    a supply shares; the neuron class holds ``nmos`` (``NMOSParams``) and ``v_dd`` (V)."""

    nmos: NMOSParams
    v_dd: float

    @property
    def gate_threshold(self) -> float:
        """The input transistor's V_T (V): no current, no drive below it."""
        return self.nmos.vt

    @property
    def supply_voltage(self) -> float:
        """The supply (the transistor's drain side), V."""
        return self.v_dd
