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


def gilbert_from_beta(eta, beta, alpha):
    """(eta, field_like) of this module's Gilbert form from the Landau-Lifshitz form with ratio ``beta``.

    The Landau-Lifshitz form (cmtj's, and most papers'): the torques are added to dm/dt directly,
        - gamma' a m x (m x p) + gamma' beta a m x p,   a = hbar eta_LL J / (2 e Ms t_F),
    so beta = 0 is no field-like torque. Matching it term by term with the Gilbert form above gives
        eta = eta_LL (1 + alpha beta) / (1 + alpha^2),   field_like = (alpha - beta) / (1 + alpha beta).
    Arguments: floats, numpy arrays or torch tensors (broadcast); 1 + alpha beta must be positive.
    """
    d = 1.0 + alpha * beta
    return eta * d / (1.0 + alpha * alpha), (alpha - beta) / d


def beta_from_gilbert(eta, field_like, alpha):
    """The inverse of ``gilbert_from_beta``: (eta_LL, beta) of a Gilbert-form (eta, field_like)."""
    d = 1.0 + alpha * field_like
    return eta * d, (alpha - field_like) / d
