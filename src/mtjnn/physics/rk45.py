"""Adaptive Dormand-Prince 5(4) integration of the LLGS equation (``simulate(method="rk45")``).

Two step controls, one controller (``tableau.py``: h <- h clip(0.9 err^(-1/5), 0.2, 5), error norm RMS over
x, y, z of the embedded error / (atol + rtol max(|m|, |m_new|))), both landing exactly on the sample times
and renormalizing |m| after every accepted step:
* batch-wide (torch, the reference; any device, float32/64): one step for the batch, set by its worst
  junction;
* per junction (fused CPU kernel, float64, constant drives): every junction its own time and step
  (``fused.fused_adaptive``), so a stiff junction no longer sets the step of the others; a junction's
  result does not depend on the batch it runs in.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_positive, check_range
from .drive import Drive, evaluate_current, evaluate_field
from .llg import llgs_rhs
from .params import ResolvedMacrospin
from .tableau import DP_A as _DP_A, DP_B4 as _DP_B4, DP_B5 as _DP_B5, DP_C as _DP_C, GROW_MAX, SAFETY, SHRINK_MAX
from .types import Crossing, DivergenceError, Trajectory, check_finite_state


RTOL_MIN = 1e-14  #: smallest relative tolerance: ~50 float64 roundings of a unit vector's component


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
    per_junction: bool = False,
) -> Trajectory:
    """Adaptive Dormand-Prince integration with exact landing on sample times (samples of the first ``keep``
    junctions): one step for the batch, or with ``per_junction`` (fused kernel) one step per junction."""
    check_range("rtol", rtol, RTOL_MIN, 1.0, high_inclusive=False)
    check_positive("atol", atol)
    targets = [duration] if sample_every is None else [
        min(duration, (i + 1) * sample_every) for i in range(int(math.ceil(duration / sample_every - 1e-9)))
    ]
    if per_junction:
        return _per_junction(m, p, drive, targets, dt, crossing, stop_when_switched, rtol, atol, keep)
    batch = m.shape[0]
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
            factor = SAFETY * (1.0 / max(err, 1e-10)) ** 0.2
            h = h * min(GROW_MAX, max(SHRINK_MAX, factor))
            if h < 1e-22:
                raise DivergenceError(f"rk45 step size underflow at t = {t:.6g} s; the problem is too stiff")
        times.append(t)
        samples.append(m[:keep].clone())
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    return Trajectory(torch.tensor(times, dtype=m.dtype, device=m.device), torch.stack(samples), m, t, switch_time, steps)


def _per_junction(m: torch.Tensor, p: ResolvedMacrospin, drive: Drive, targets: list[float], dt: float,
                  crossing: Crossing | None, stop_when_switched: bool, rtol: float, atol: float,
                  keep: int) -> Trajectory:
    """Every junction its own adaptive step (fused kernel), through all sample times in one kernel call (or
    interval by interval when the run stops once every junction has switched).

    The drive is constant (``integrate`` checks); every junction starts with the step ``dt`` (s).
    """
    from .fused import fused_adaptive  # numba: imported only when used

    batch = m.shape[0]
    t0 = torch.zeros(1, dtype=m.dtype)
    current = evaluate_current(drive.current, t0, batch)
    field = evaluate_field(drive.field, t0, batch)
    state = m.detach().clone().contiguous()
    step = torch.full((batch,), float(dt), dtype=torch.float64)
    accepted = torch.zeros(batch, dtype=torch.int64)
    rejected = torch.zeros(batch, dtype=torch.int64)
    switch_time = torch.full((batch,), math.nan, dtype=torch.float64)
    samples = m.new_empty((len(targets) + 1, keep, 3))
    samples[0] = m[:keep]
    h_min = _H_MIN_RELATIVE * targets[-1]
    groups = [[t] for t in targets] if stop_when_switched else [targets]
    done, start = 0, 0.0
    for group in groups:
        fused_adaptive(state, p, current, field, start, group, step, accepted, rejected, crossing, switch_time,
                       samples[1 + done:1 + done + len(group)], rtol, atol, h_min)
        done, start = done + len(group), group[-1]
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    times = torch.tensor([0.0] + targets[:done], dtype=m.dtype)
    return Trajectory(times, samples[:done + 1], state, start, switch_time, int(accepted.max()),
                      junction_steps=accepted, junction_rejects=rejected)


_H_MIN_RELATIVE = 1e-13  # per-junction steps below this fraction of the run's duration: step-size underflow
