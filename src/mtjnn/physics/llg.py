"""The Landau-Lifshitz-Gilbert-Slonczewski right-hand side, summed over the registered field terms.

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   gamma' = gamma / (1 + alpha^2),
    B = B_ext + B_K + B_d (+ B_vcma) + a_J (m x p) + b_J p + B_th                (tesla)

with a_J = c_stt I f(m.p), b_J = xi a_J, and f the angular factor of the efficiency (1 for constant
eta; Slonczewski's Lambda or the tunnelling form otherwise, see ``Macrospin``).

which is the explicit (Landau-Lifshitz) form of the Gilbert equation with the Slonczewski
damping-like (a_J) and field-like (b_J) torques (SEEDS_SPEC 5.1; Slonczewski, JMMM 159, L1 (1996)).
Every term is m x (...), so |m| is conserved by the exact flow. The terms of B are those of
``terms.TERMS`` that are switched on for the parameters, summed in registration order: the
conservative ones (Zeeman, anisotropy, demagnetizing, VCMA), then the spin torques, then B_th.
"""

from __future__ import annotations

import torch

from .params import ResolvedMacrospin
from .terms import active_terms


def conservative_field(
    m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor, current: torch.Tensor | None = None
) -> torch.Tensor:
    """B_eff = -dE/dm / (Ms V) in T, the sum of the conservative terms; ``field`` (B|1, 3) T applied,
    ``current`` (B|1, 1) A (terms with a bias, e.g. VCMA; None: no current)."""
    terms = active_terms(p, conservative=True)
    b = terms[0].field(m, p, field, current)
    for term in terms[1:]:
        b = b + term.field(m, p, field, current)
    return b


def llgs_rhs(
    m: torch.Tensor,
    p: ResolvedMacrospin,
    field: torch.Tensor,
    current: torch.Tensor,
    thermal_field: torch.Tensor | None = None,
) -> torch.Tensor:
    """dm/dt in 1/s for state ``m`` (B, 3), applied ``field`` (B|1, 3) in T, ``current`` (B|1, 1) in A."""
    b = conservative_field(m, p, field, current)
    for term in active_terms(p, conservative=False):
        b = b + term.field(m, p, field, current)
    if thermal_field is not None:
        b = b + thermal_field
    c1 = torch.linalg.cross(m, b.expand_as(m), dim=-1)
    c2 = torch.linalg.cross(m, c1, dim=-1)
    return -p.gamma_ll * (c1 + p.alpha * c2)


def energy(
    m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor, current: torch.Tensor | None = None
) -> torch.Tensor:
    """Magnetic energy in J per junction (B,): the sum of the conservative terms (SEEDS_SPEC 5.3)."""
    terms = active_terms(p, conservative=True)
    e = terms[0].energy(m, p, field, current)
    for term in terms[1:]:
        e = e + term.energy(m, p, field, current)
    return e


def energy_rate(m: torch.Tensor, p: ResolvedMacrospin, field: torch.Tensor) -> torch.Tensor:
    """Exact dE/dt without current: -alpha gamma' Ms V |m x B_eff|^2 (W), per junction (B,)."""
    c1 = torch.linalg.cross(m, conservative_field(m, p, field).expand_as(m), dim=-1)
    return (-p.alpha * p.gamma_ll * p.ms * p.volume * (c1 * c1).sum(-1, keepdim=True)).squeeze(-1)
