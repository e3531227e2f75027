"""Slonczewski spin-transfer torque, written as an equivalent field (Gilbert form).

With a_J = hbar eta J / (2 e Ms t_F) (tesla) and b_J = xi a_J, the LLGS torques of SEEDS_SPEC 5.1,

    -gamma' a_J [m x (m x p) - alpha m x p] - gamma' b_J [m x p + alpha m x (m x p)],

are exactly the Landau-Lifshitz form of the Gilbert equation with the extra field
B_stt = a_J (m x p) + b_J p added to the effective field.

Sign convention: a positive current (J > 0) means electrons flow from the polarizer (reference
layer) into the free layer; then a_J > 0 and the damping-like torque turns m toward p (favours the
parallel state). A negative current favours antiparallel. The polarizer unit vector is p.
For spin-orbit torque, pass the spin-Hall efficiency as ``eta`` and the SOT polarization as ``p``.
"""

from __future__ import annotations

import torch

from ..constants import E_CHARGE, HBAR


def stt_coefficient(ms: torch.Tensor, thickness: torch.Tensor, area: torch.Tensor, eta: torch.Tensor) -> torch.Tensor:
    """a_J per ampere of junction current (T/A): hbar eta / (2 e Ms t_F area)."""
    return HBAR * eta / (2.0 * E_CHARGE * ms * thickness * area)


def stt_field(m: torch.Tensor, a_j: torch.Tensor, b_j: torch.Tensor, polarizer: torch.Tensor) -> torch.Tensor:
    """Equivalent spin-torque field a_J (m x p) + b_J p in T; ``a_j``/``b_j`` (B|1, 1), ``polarizer`` (B|1, 3)."""
    return a_j * torch.linalg.cross(m, polarizer.expand_as(m), dim=-1) + b_j * polarizer
