"""Adaptive embedded Runge-Kutta integration of the LLGS equation (``simulate(method="rk45" | "dop853")``).

Two pairs (``tableau.py``: Dormand-Prince 5(4) and DOP853), one error norm and one controller, two step
controls, both landing exactly on the sample times and rescaling |m| to 1 after every accepted step:
* batch-wide (torch, the reference; any device, float32/64, time-dependent drives): one step for the batch,
  set by its worst junction;
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
from .tableau import ADAPTIVE, GROW_MAX, SAFETY, SHRINK_MAX, Tableau
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
    method: str = "rk45",
) -> Trajectory:
    """Adaptive integration with the pair ``method`` (``tableau.ADAPTIVE``) and exact landing on sample times
    (samples of the first ``keep`` junctions): one step for the batch, or with ``per_junction`` (fused
    kernel) one step per junction."""
    check_range("rtol", rtol, RTOL_MIN, 1.0, high_inclusive=False)
    check_positive("atol", atol)
    pair = ADAPTIVE[method]
    targets = [duration] if sample_every is None else [
        min(duration, (i + 1) * sample_every) for i in range(int(math.ceil(duration / sample_every - 1e-9)))
    ]
    if per_junction:
        return _per_junction(m, p, drive, targets, dt, crossing, stop_when_switched, rtol, atol, keep, pair)
    batch = m.shape[0]
    times, samples = [0.0], [m[:keep].clone()]
    switch_time = torch.full((batch,), math.nan, dtype=m.dtype, device=m.device)
    t, h, steps = 0.0, dt, 0

    def rhs(state: torch.Tensor, time: float) -> torch.Tensor:
        tt = torch.tensor([time], dtype=m.dtype, device=m.device)
        cur = evaluate_current(drive.current, tt, batch)[0][:, None]
        fld = evaluate_field(drive.field, tt, batch)[0]
        return llgs_rhs(state, p, fld, cur)

    k0 = rhs(m, t)
    for target in targets:
        while t < target - 1e-15 * max(target, 1e-30):
            h = min(h, target - t)
            ks = [k0]
            for s in range(1, pair.stages):
                ks.append(rhs(m + h * _combine(pair.a[s], ks), t + pair.c[s] * h))
            y = m + h * _combine(pair.b, ks)
            new = y / y.norm(dim=-1, keepdim=True)
            ks.append(rhs(new, t + h))  # the next step's first stage (see tableau.py)
            scale = atol + rtol * torch.maximum(m.abs(), y.abs())
            err = float(error_norm(h * _combine(pair.e5, ks) / scale, h * _combine(pair.e3, ks) / scale).max())
            if not math.isfinite(err):
                check_finite_state(y, t + h)
                raise DivergenceError(f"integration diverged at t = {t + h:.6g} s (error estimate not finite)")
            if err <= 1.0:
                if crossing is not None:
                    hit = crossing.crossed(m, new) & torch.isnan(switch_time)
                    if hit.any():
                        switch_time[hit] = crossing.crossing_time(m, new, t, h)[hit].detach()
                t += h
                steps += 1
                m, k0 = new, ks[-1]
            factor = SAFETY * max(err, 1e-10) ** pair.exponent
            h = h * min(GROW_MAX, max(SHRINK_MAX, factor))
            if h < 1e-22:
                raise DivergenceError(f"{method} step size underflow at t = {t:.6g} s; the problem is too stiff")
        times.append(t)
        samples.append(m[:keep].clone())
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    return Trajectory(torch.tensor(times, dtype=m.dtype, device=m.device), torch.stack(samples), m, t, switch_time, steps)


def error_norm(e5: torch.Tensor, e3: torch.Tensor) -> torch.Tensor:
    """Per-junction error norm (B,) of the scaled estimates e5, e3 (B, 3): |e5|^2 / sqrt(3 (|e5|^2 + 0.01 |e3|^2))
    (``tableau.py``; the RMS of e5 when e3 = 0)."""
    n5, n3 = e5.pow(2).sum(-1), e3.pow(2).sum(-1)
    return n5 / (3.0 * (n5 + 0.01 * n3)).clamp_min(1e-300).sqrt()


def _combine(weights: tuple[float, ...], ks: list[torch.Tensor]) -> torch.Tensor:
    """sum_i weights[i] ks[i] over the non-zero weights."""
    return sum(w * k for w, k in zip(weights, ks) if w != 0.0)


def _per_junction(m: torch.Tensor, p: ResolvedMacrospin, drive: Drive, targets: list[float], dt: float,
                  crossing: Crossing | None, stop_when_switched: bool, rtol: float, atol: float,
                  keep: int, pair: Tableau) -> Trajectory:
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
                       samples[1 + done:1 + done + len(group)], rtol, atol, h_min, pair)
        done, start = done + len(group), group[-1]
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    times = torch.tensor([0.0] + targets[:done], dtype=m.dtype)
    return Trajectory(times, samples[:done + 1], state, start, switch_time, int(accepted.max()),
                      junction_steps=accepted, junction_rejects=rejected)


_H_MIN_RELATIVE = 1e-13  # per-junction steps below this fraction of the run's duration: step-size underflow
