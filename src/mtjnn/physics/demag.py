"""Demagnetizing factors and the demagnetizing field of a uniformly magnetized body.

Field (tesla):  B_d = -mu0 Ms (Nxx m_x, Nyy m_y, Nzz m_z),   Nxx + Nyy + Nzz = 1.
Energy (J):     E_d = (mu0 Ms^2 V / 2) sum_k N_k m_k^2.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy.special import elliprd

from ..constants import MU0
from ..validation import check_positive


def ellipsoid_factors(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Demagnetizing factors (Nxx, Nyy, Nzz) of a general ellipsoid with full axes x, y, z (m).

    Osborn (1945) in Carlson form: N_a = (abc/3) R_D(b^2, c^2, a^2) with semi-axes a, b, c.
    A thin elliptical pillar (an in-plane MTJ free layer) is commonly approximated this way.
    """
    for name, v in (("x", x), ("y", y), ("z", z)):
        check_positive(name, v, unit="m")
    scale = max(x, y, z)
    a, b, c = x / 2 / scale, y / 2 / scale, z / 2 / scale
    nx = a * b * c / 3 * elliprd(b * b, c * c, a * a)
    ny = a * b * c / 3 * elliprd(c * c, a * a, b * b)
    nz = a * b * c / 3 * elliprd(a * a, b * b, c * c)
    return float(nx), float(ny), float(nz)


def _aharoni_nz(a: float, b: float, c: float) -> float:
    """Aharoni's N along c for a prism of half-sides a, b, c (J. Appl. Phys. 83, 3432 (1998), eq. 1)."""
    r = math.sqrt(a * a + b * b + c * c)
    rab = math.sqrt(a * a + b * b)
    rbc = math.sqrt(b * b + c * c)
    rac = math.sqrt(a * a + c * c)
    pi_n = (
        (b * b - c * c) / (2 * b * c) * math.log((r - a) / (r + a))
        + (a * a - c * c) / (2 * a * c) * math.log((r - b) / (r + b))
        + b / (2 * c) * math.log((rab + a) / (rab - a))
        + a / (2 * c) * math.log((rab + b) / (rab - b))
        + c / (2 * a) * math.log((rbc - b) / (rbc + b))
        + c / (2 * b) * math.log((rac - a) / (rac + a))
        + 2 * math.atan(a * b / (c * r))
        + (a**3 + b**3 - 2 * c**3) / (3 * a * b * c)
        + (a * a + b * b - 2 * c * c) * r / (3 * a * b * c)
        + c * (rac + rbc) / (a * b)
        - (rab**3 + rbc**3 + rac**3) / (3 * a * b * c)
    )
    return pi_n / math.pi


def prism_factors(x: float, y: float, z: float) -> tuple[float, float, float]:
    """Demagnetizing factors (Nxx, Nyy, Nzz) of a rectangular prism with full sides x, y, z (m) (Aharoni)."""
    for name, v in (("x", x), ("y", y), ("z", z)):
        check_positive(name, v, unit="m")
    scale = max(x, y, z)
    a, b, c = x / 2 / scale, y / 2 / scale, z / 2 / scale
    return _aharoni_nz(b, c, a), _aharoni_nz(c, a, b), _aharoni_nz(a, b, c)


def demag_field(m: torch.Tensor, ms: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Demagnetizing field in tesla, -mu0 Ms N m; ``m`` (B, 3), ``ms`` (B|1, 1) A/m, ``factors`` (B|1, 3)."""
    return -MU0 * ms * factors * m


def demag_energy(m: torch.Tensor, ms: torch.Tensor, factors: torch.Tensor, volume: torch.Tensor) -> torch.Tensor:
    """Demagnetizing energy in J per junction, (mu0 Ms^2 V / 2) sum_k N_k m_k^2; returns (B,)."""
    return (0.5 * MU0 * ms**2 * volume * (factors * m * m).sum(-1, keepdim=True)).squeeze(-1)


def factors_sum_error(factors: np.ndarray | tuple[float, float, float]) -> float:
    """|Nxx + Nyy + Nzz - 1|, the consistency check of any set of factors."""
    return abs(float(np.sum(factors)) - 1.0)
