"""Uniaxial magnetocrystalline (or interfacial) anisotropy along an arbitrary unit axis u.

Field (tesla):  B_K = mu0 H_K (m . u) u        (``hk`` below is mu0 H_K in T)
Energy (J):     E_K = -(Ms V mu0 H_K / 2) (m . u)^2
A perpendicular junction uses u = z with mu0 H_K > mu0 Ms Nzz; an in-plane one u in the plane.
"""

from __future__ import annotations

import torch


def anisotropy_field(m: torch.Tensor, hk: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Uniaxial anisotropy field in T; ``m`` (B, 3), ``hk`` (B|1, 1) in T, ``axis`` (B|1, 3) unit."""
    return hk * (m * axis).sum(-1, keepdim=True) * axis


def anisotropy_energy(
    m: torch.Tensor, ms: torch.Tensor, hk: torch.Tensor, axis: torch.Tensor, volume: torch.Tensor
) -> torch.Tensor:
    """Uniaxial anisotropy energy in J per junction; returns (B,)."""
    proj = (m * axis).sum(-1, keepdim=True)
    return (-0.5 * ms * volume * hk * proj * proj).squeeze(-1)
