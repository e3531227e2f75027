"""Magnetic tunnel junction: resistance from the free/reference angle (TMR law) and switching models.

TMR conductance law (Slonczewski / Julliere picture, SEEDS_SPEC 5.11):

    G(theta) = G_P (1 + cos theta)/2 + G_AP (1 - cos theta)/2,   TMR = (R_AP - R_P)/R_P

so R(90 deg) = 2 R_P R_AP / (R_P + R_AP) (1512.5 ohm for R_P = 1100 ohm, TMR = 120 %), not the average.
"""

from __future__ import annotations

import torch

from ..validation import check_non_negative, check_positive


def tmr_resistance(cos_theta: torch.Tensor, r_p: float | torch.Tensor, tmr: float | torch.Tensor) -> torch.Tensor:
    """Junction resistance (ohm) for cos(angle between free and reference layer), R_P (ohm) and TMR (ratio, 1.2 = 120 %)."""
    check_positive("r_p", r_p, unit="ohm")
    check_non_negative("tmr", tmr)
    g_p = 1.0 / r_p
    g_ap = 1.0 / (r_p * (1.0 + tmr))
    return 1.0 / (0.5 * g_p * (1.0 + cos_theta) + 0.5 * g_ap * (1.0 - cos_theta))
