"""Zeeman coupling to an applied field B_ext = mu0 H_ext (tesla).

Energy (J):  E_Z = -Ms V m . B_ext
"""

from __future__ import annotations

import torch


def zeeman_energy(m: torch.Tensor, ms: torch.Tensor, field: torch.Tensor, volume: torch.Tensor) -> torch.Tensor:
    """Zeeman energy in J per junction; ``field`` (B|1, 3) in T; returns (B,)."""
    return (-ms * volume * (m * field).sum(-1, keepdim=True)).squeeze(-1)
