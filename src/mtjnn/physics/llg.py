"""The Landau-Lifshitz-Gilbert-Slonczewski right-hand side, composed from the field terms.

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   gamma' = gamma / (1 + alpha^2),
    B = B_ext + B_K + B_d + B_th + a_J (m x p) + b_J p                      (tesla)

with a_J = c_stt I f(m.p), b_J = xi a_J, and f the angular factor of the efficiency (1 for constant
eta; Slonczewski's Lambda or the tunnelling form otherwise, see ``Macrospin``).

which is the explicit (Landau-Lifshitz) form of the Gilbert equation with the Slonczewski
damping-like (a_J) and field-like (b_J) torques (SEEDS_SPEC 5.1; Slonczewski, JMMM 159, L1 (1996)).
Every term is m x (...), so |m| is conserved by the exact flow.
"""

from __future__ import annotations

import torch

from .anisotropy import anisotropy_energy, anisotropy_field
from .demag import demag_energy, demag_field
from .params import ResolvedMacrospin, efficiency_factor
from .torques import stt_field
from .zeeman import zeeman_energy


def conservative_field(m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor) -> torch.Tensor:
    """B_eff = -dE/dm / (Ms V) in T: applied + anisotropy + demagnetizing field; ``field`` (B|1, 3) T."""
    return field + anisotropy_field(m, p.hk, p.easy_axis) + demag_field(m, p.ms, p.demag)


def llgs_rhs(
    m: torch.Tensor,
    p: ResolvedMacrospin,
    field: torch.Tensor,
    current: torch.Tensor,
    thermal_field: torch.Tensor | None = None,
) -> torch.Tensor:
    """dm/dt in 1/s for state ``m`` (B, 3), applied ``field`` (B|1, 3) in T, ``current`` (B|1, 1) in A."""
    a_j = p.stt_per_ampere * current
    if p.stt_angular is not None:  # angle-dependent efficiency eta(m.p) (Macrospin.spin_torque_asymmetry)
        a_j = a_j * efficiency_factor(m, p.stt_angular, p.polarizer)
    b = conservative_field(m, p, field) + stt_field(m, a_j, p.field_like * a_j, p.polarizer)
    if thermal_field is not None:
        b = b + thermal_field
    c1 = torch.linalg.cross(m, b.expand_as(m), dim=-1)
    c2 = torch.linalg.cross(m, c1, dim=-1)
    return -p.gamma_ll * (c1 + p.alpha * c2)


def energy(m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor) -> torch.Tensor:
    """Magnetic energy in J per junction (B,): Zeeman + anisotropy + demagnetizing (SEEDS_SPEC 5.3)."""
    return (
        zeeman_energy(m, p.ms, field, p.volume)
        + anisotropy_energy(m, p.ms, p.hk, p.easy_axis, p.volume)
        + demag_energy(m, p.ms, p.demag, p.volume)
    )


def energy_rate(m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor) -> torch.Tensor:
    """Exact dE/dt without current: -alpha gamma' Ms V |m x B_eff|^2 (W), per junction (B,)."""
    c1 = torch.linalg.cross(m, conservative_field(m, p, field).expand_as(m), dim=-1)
    return (-p.alpha * p.gamma_ll * p.ms * p.volume * (c1 * c1).sum(-1, keepdim=True)).squeeze(-1)
