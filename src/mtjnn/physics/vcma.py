"""Voltage-controlled magnetic anisotropy (VCMA): the bias across the barrier changes the interfacial anisotropy.

The interfacial anisotropy energy density K_i (J/m^2) of a CoFeB/MgO free layer changes linearly with
the electric field E = V / t_ox in the barrier (Amiri & Wang, SPIN 2, 1240002 (2012); Wang et al.,
Nat. Mater. 11, 64 (2012)):

    K_i(V) = K_i(0) - xi V / t_ox,        xi: VCMA coefficient, J/(V m) (typically 30-100 fJ/(V m)),

so a positive bias (xi > 0) lowers the perpendicular anisotropy along the easy axis u. As a volume term
of the free layer (thickness t_F, volume Vol = area t_F) this adds, relative to V = 0,

    Energy (J):  E_vcma = (xi V / (t_ox t_F)) Vol (m . u)^2
    Field (T):   B_vcma = -dE/d(Ms Vol m) = -(2 xi V / (Ms t_F t_ox)) (m . u) u  = -mu0 dH_K(V) (m . u) u.

The macrospin is driven by a current, so the bias is V = I R with a fixed junction resistance R (ohm;
``Macrospin.vcma_resistance``): B_vcma = -c_vcma I (m . u) u with c_vcma = 2 xi R / (Ms t_F t_ox) in T/A
(``ResolvedMacrospin.vcma_per_ampere``, None while xi = 0: the term is off by default). A positive
current (electrons from the reference into the free layer, ``torques.py``) is a positive bias here.
The term is affine in m for a given current; the fused kernel does not implement it (torch backend only).
"""

from __future__ import annotations

import torch


def vcma_coefficient(ms: torch.Tensor, thickness: torch.Tensor, xi: torch.Tensor, resistance: torch.Tensor,
                     barrier: torch.Tensor) -> torch.Tensor:
    """c_vcma = 2 xi R / (Ms t_F t_ox) in T/A; ``xi`` J/(V m), ``resistance`` ohm, ``barrier`` t_ox m."""
    return 2.0 * xi * resistance / (ms * thickness * barrier)


def vcma_active(p) -> bool:
    """True when ``p`` (``params.ResolvedMacrospin``) has a VCMA coefficient (Macrospin.vcma_coefficient != 0)."""
    return p.vcma_per_ampere is not None


def vcma_field(m: torch.Tensor, p, applied: torch.Tensor, current: torch.Tensor | None) -> torch.Tensor:
    """B_vcma = -c_vcma I (m . u) u in T, (B, 3); ``current`` (B|1, 1) A, None: no bias (zero field)."""
    if current is None:
        return torch.zeros_like(m)
    return -(p.vcma_per_ampere * current) * (m * p.easy_axis).sum(-1, keepdim=True) * p.easy_axis


def vcma_energy(m: torch.Tensor, p, applied: torch.Tensor, current: torch.Tensor | None) -> torch.Tensor:
    """E_vcma = (Ms Vol / 2) c_vcma I (m . u)^2 in J per junction, (B,); zero without a current."""
    if current is None:
        return torch.zeros(m.shape[0], dtype=m.dtype, device=m.device)
    proj = (m * p.easy_axis).sum(-1, keepdim=True)
    return (0.5 * p.ms * p.volume * p.vcma_per_ampere * current * proj * proj).squeeze(-1)
