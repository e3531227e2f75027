"""Time-step guard: a fixed step ``dt`` must resolve the fastest precession of the batch.

Without the thermal field the LLGS right-hand side (``llg.llgs_rhs``) is

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   B = L m + B_ext + a_J (m x p) + b_J p,
    L = mu0 H_K u u^T - mu0 Ms diag(N)                                                (tesla)

and the fastest precession it can carry is set by the spectral radius of its Jacobian. A part of L
proportional to the identity gives a field parallel to m, which exerts no torque, so only the spread of
L's eigenvalues counts; the damping term scales the rate by sqrt(1 + alpha^2) and gamma' by
1 / (1 + alpha^2). Together the angular rate of any precession is at most

    omega_max = gamma ( [lambda_max(L) - lambda_min(L)] + |B_ext| + |a_J| (2 + |xi|) )     (rad/s)

(the thermal field is left out: it is noise, resolved by the Heun scheme's own convergence, not a
precession). In an in-plane free layer the spread is mu0 Ms (N_zz - N_xx); in a perpendicular one
H_K and the out-of-plane demagnetizing field cancel in it, as they do in the Kittel frequency. So the fastest
precession period of the batch is at least

    T_min = 2 pi / max_j omega_max,j                                                 (s)

and a fixed-step integrator is trusted only for dt <= T_min / N_min, with N_min the minimum number of
steps per period of the method (``MIN_STEPS_PER_PERIOD``). N_min comes from an accuracy study
(docs/physics.md, "Time step"): at N = 10 classical RK4 drifts 0.11 % of a period per period in a pure
precession at the bound, and the switching time of the ``mtjnn simulate`` junction moves by < 0.001 %;
the stochastic Heun scheme is second order and needs N = 20 for a 0.07 % switching-time error
(1.6 % of a period per period at the bound). Beyond the limit the answers go wrong without a sign:
at dt = 50 ps (N = 0.6) that junction switches at 2.21 ns instead of 1.955 ns (RK4), at 100 ps not at all.

``check_time_step`` is the one mechanism; ``simulate(..., dt_check=...)`` calls it with "warn"
(default: a ``CoarseTimeStepWarning``), "error" (a ``CoarseTimeStepError``) or "off".
"""

from __future__ import annotations

import math
import warnings

import torch

from ..constants import MU0
from ..validation import check_choice, check_positive
from .params import ResolvedMacrospin

#: Minimum fixed steps per fastest precession period, per method (see the module docstring).
MIN_STEPS_PER_PERIOD: dict[str, int] = {"rk4": 10, "heun": 20}
#: Allowed values of ``dt_check``.
DT_CHECKS = ("warn", "error", "off")


class CoarseTimeStepWarning(UserWarning):
    """``dt`` is longer than the stable, accurate limit of the fastest precession of the batch."""


class CoarseTimeStepError(ValueError):
    """Raised instead of ``CoarseTimeStepWarning`` when ``dt_check="error"``; carries ``dt`` and ``limit``
    (s) and ``method`` so that a front end can restate them in its own terms."""

    def __init__(self, message: str, *, dt: float, limit: float, method: str) -> None:
        super().__init__(message)
        self.dt, self.limit, self.method = dt, limit, method


def static_field_spread(p: ResolvedMacrospin) -> torch.Tensor:
    """lambda_max(L) - lambda_min(L) in T per junction (B|1,), L = mu0 H_K u u^T - mu0 Ms diag(N)."""
    with torch.no_grad():
        axis = p.easy_axis.detach()
        static = p.hk.detach()[:, :, None] * axis[:, :, None] * axis[:, None, :]
        static = static - torch.diag_embed(MU0 * p.ms.detach() * p.demag.detach())
        eig = torch.linalg.eigvalsh(static)  # ascending
        return eig[:, -1] - eig[:, 0]


def max_precession_rate(p: ResolvedMacrospin, field: torch.Tensor, current: torch.Tensor,
                        spread: torch.Tensor | None = None) -> float:
    """Upper bound omega_max of the precession angular rate over the batch, rad/s.

    ``field`` (T|1, B|1, 3) in T and ``current`` (T|1, B|1) in A are the drive values on a time grid
    (every row counts); ``p`` the resolved parameters (B|1, ...); ``spread`` (B|1,) in T is
    ``static_field_spread(p)`` (computed here when None). A non-finite drive gives NaN.
    """
    with torch.no_grad():
        if spread is None:
            spread = static_field_spread(p)
        b_ext = field.detach().norm(dim=-1).amax(0)  # (B|1,)
        a_j = p.stt_per_ampere.detach().abs()[:, 0] * current.detach().abs().amax(0)  # (B|1,)
        if p.stt_angular is not None:  # largest angular factor A / (B - |C|) over m.p in [-1, 1]
            c = p.stt_angular.detach()
            a_j = a_j * c[:, 0] / (c[:, 1] - c[:, 2].abs())
        stt = a_j * (2.0 + p.field_like.detach().abs()[:, 0])
        if p.vcma_per_ampere is not None:  # VCMA field |c I| (m.u) u: a field-spread of |c I| (vcma.py)
            stt = stt + p.vcma_per_ampere.detach().abs()[:, 0] * current.detach().abs().amax(0)
        return float((p.gamma.detach()[:, 0] * (spread + b_ext + stt)).max())


def max_time_step(p: ResolvedMacrospin, field: torch.Tensor, current: torch.Tensor, method: str,
                  spread: torch.Tensor | None = None) -> float:
    """Longest trusted fixed step in s: T_min / N_min(method); inf when nothing precesses or the
    drive is not finite (the integrator's divergence check reports that)."""
    check_choice("method", method, tuple(MIN_STEPS_PER_PERIOD))
    rate = max_precession_rate(p, field, current, spread)
    if not math.isfinite(rate) or rate <= 0.0:
        return math.inf
    return 2.0 * math.pi / rate / MIN_STEPS_PER_PERIOD[method]


def check_time_step(dt: float, limit: float, method: str, dt_check: str, *, at: float = 0.0) -> bool:
    """Compare ``dt`` (s) with ``limit`` (s, from ``max_time_step``); True when dt is within it.

    ``dt_check`` "warn" issues a ``CoarseTimeStepWarning``, "error" raises ``CoarseTimeStepError``,
    "off" does nothing. ``at`` (s) is the drive time where the limit was found (named in the message).
    """
    check_choice("dt_check", dt_check, DT_CHECKS)
    check_positive("dt", dt, unit="s")
    if dt_check == "off" or dt <= limit * (1.0 + 1e-9):
        return True
    steps = MIN_STEPS_PER_PERIOD[method]
    message = (
        f"dt = {dt:.4g} s is too coarse for the fastest precession of the batch (period >= {limit * steps:.4g} s, "
        f"{steps} steps per period for {method!r}{'' if at == 0.0 else f'; drive at t = {at:.4g} s'}); "
        f"allowed: dt <= {limit:.4g} s. Results integrated with it can be silently wrong: reduce dt, "
        "or pass dt_check='off' to integrate anyway."
    )
    if dt_check == "error":
        raise CoarseTimeStepError(message, dt=dt, limit=limit, method=method)
    warnings.warn(message, CoarseTimeStepWarning, stacklevel=3)
    return False
