"""Adaptive Dormand-Prince 5(4) integration of the LLGS equation (``simulate(method="rk45")``).

One step size for the whole batch, set by its worst junction (error norm over the batch), landing
exactly on the sample times; |m| renormalized after every accepted step.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_positive
from .drive import Drive, evaluate_current, evaluate_field
from .llg import llgs_rhs
from .params import ResolvedMacrospin
from .types import Crossing, DivergenceError, Trajectory, check_finite_state

# Dormand-Prince 5(4) tableau
_DP_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
_DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_DP_B5 = (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0)
_DP_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)


def simulate_adaptive(
    m: torch.Tensor,
    p: ResolvedMacrospin,
    drive: Drive,
    duration: float,
    dt: float,
    sample_every: float | None,
    crossing: Crossing | None,
    stop_when_switched: bool,
    rtol: float,
    atol: float,
    keep: int,
) -> Trajectory:
    """Adaptive Dormand-Prince integration with a batch-wide step and exact landing on sample times
    (samples of the first ``keep`` junctions)."""
    batch = m.shape[0]
    check_positive("rtol", rtol)
    check_positive("atol", atol)
    targets = [duration] if sample_every is None else [
        min(duration, (i + 1) * sample_every) for i in range(int(math.ceil(duration / sample_every - 1e-9)))
    ]
    times, samples = [0.0], [m[:keep].clone()]
    switch_time = torch.full((batch,), math.nan, dtype=m.dtype, device=m.device)
    t, h, steps = 0.0, dt, 0

    def rhs(state: torch.Tensor, time: float) -> torch.Tensor:
        tt = torch.tensor([time], dtype=m.dtype, device=m.device)
        cur = evaluate_current(drive.current, tt, batch)[0][:, None]
        fld = evaluate_field(drive.field, tt, batch)[0]
        return llgs_rhs(state, p, fld, cur)

    k1 = rhs(m, t)
    for target in targets:
        while t < target - 1e-15 * max(target, 1e-30):
            h = min(h, target - t)
            ks = [k1]
            for s in range(1, 7):
                inc = sum(a * kk for a, kk in zip(_DP_A[s], ks))
                ks.append(rhs(m + h * inc, t + _DP_C[s] * h))
            y5 = m + h * sum(b * kk for b, kk in zip(_DP_B5, ks) if b != 0.0)
            y4 = m + h * sum(b * kk for b, kk in zip(_DP_B4, ks) if b != 0.0)
            scale = atol + rtol * torch.maximum(m.abs(), y5.abs())
            err = float(((y5 - y4) / scale).pow(2).mean(-1).sqrt().max())
            if not math.isfinite(err):
                check_finite_state(y5, t + h)
                raise DivergenceError(f"integration diverged at t = {t + h:.6g} s (error estimate not finite)")
            if err <= 1.0:
                new = y5 / y5.norm(dim=-1, keepdim=True)
                if crossing is not None:
                    hit = crossing.crossed(m, new) & torch.isnan(switch_time)
                    if hit.any():
                        switch_time[hit] = crossing.crossing_time(m, new, t, h)[hit].detach()
                t += h
                steps += 1
                m = new
                k1 = rhs(m, t)  # (FSAL would reuse ks[6]; renormalization makes a fresh call cleaner)
            factor = 0.9 * (1.0 / max(err, 1e-10)) ** 0.2
            h = h * min(5.0, max(0.2, factor))
            if h < 1e-22:
                raise DivergenceError(f"rk45 step size underflow at t = {t:.6g} s; the problem is too stiff")
        times.append(t)
        samples.append(m[:keep].clone())
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    return Trajectory(torch.tensor(times, dtype=m.dtype, device=m.device), torch.stack(samples), m, t, switch_time, steps)
