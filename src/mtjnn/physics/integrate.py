"""Time integration of the LLGS equation for a batch of junctions.

Methods: ``"rk4"`` (fixed step, deterministic), ``"rk45"`` and ``"dop853"`` (adaptive embedded pairs,
Dormand-Prince 5(4) and 8(5,3): on the fused CPU kernel every junction its own step, on torch one step for
the batch set by its worst junction; ``rk45.py``, ``tableau.py``), ``"heun"`` (stochastic Heun,
Stratonovich, for the Brown thermal field). States are (B, 3) tensors; float32/float64; CPU or CUDA.

The loop runs in chunks: drives are evaluated on the half-step grid of a chunk, then a *chunk stepper*
advances the batch. The thermal field comes from a counter-based generator keyed per junction
(``thermal.CounterNoise``, default; the fused kernel draws it in place) or, as the previous reference,
in bulk per chunk from the caller's generator (``noise_source="generator"``). Two steppers
share this contract: the plain torch one here (differentiable, any device; the reference) and the
fused CPU kernel in ``fused.py``. Only samples are stored, never the full trajectory, and with
``sample_junctions`` only those of the first junctions: memory then grows with the batch as a few
values per junction (state, switching time), so ensembles of 10^6-10^7 junctions fit.

Fixed steps are checked against the fastest precession of the batch (``timestep.py``): a step too
coarse for it warns (default) or raises (``dt_check="error"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from ..validation import check_choice, check_positive
from .drive import Drive, evaluate_current, evaluate_field
from .llg import llgs_rhs
from .params import Macrospin, ResolvedMacrospin
from .philox import random_keys
from .thermal import CounterNoise, thermal_noise, thermal_sigma
from .timestep import DT_CHECKS, check_time_step, max_time_step, static_field_spread
from .rk4 import rk4_step
from .stepper import LLGState
from .rk45 import simulate_adaptive
from .tableau import ADAPTIVE
from .terms import unfused_terms
from .types import Crossing, DivergenceError, Trajectory, check_finite_state

__all__ = ["BACKENDS", "METHODS", "NOISE_SOURCES", "Crossing", "DivergenceError", "Trajectory", "sample_stride",
           "simulate", "step_count", "torch_chunk"]

METHODS = ("rk4", "rk45", "dop853", "heun")
BACKENDS = ("auto", "torch", "fused")
NOISE_SOURCES = ("philox", "generator")


def simulate(
    m0: torch.Tensor,
    params: Macrospin,
    drive: Drive | None = None,
    *,
    duration: float,
    dt: float,
    method: str = "rk4",
    sample_every: float | None = None,
    crossing: Crossing | None = None,
    stop_when_switched: bool = True,
    generator: torch.Generator | None = None,
    renormalize: bool = True,
    backend: str = "auto",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    progress: bool = False,
    dt_check: str = "warn",
    sample_junctions: int | None = None,
    noise_keys: torch.Tensor | None = None,
    noise_source: str = "philox",
) -> Trajectory:
    """Integrate the LLGS equation for the batch ``m0`` (B, 3) over ``duration`` seconds.

    Args:
        m0: initial unit magnetizations (B, 3) (normalized here; zero or non-finite rows are errors).
        params: ``Macrospin`` parameters; scalars are shared, (B,) tensors are per junction.
        drive: current (A) and field (T), constants or waveforms; default none.
        duration: total time, s (> 0).
        dt: step (rk4, heun) or initial step (rk45, dop853), s (> 0).
        method: "rk4", "rk45", "dop853" or "heun". A positive temperature requires "heun". For tight
            accuracy (global errors of 1e-6 and below) "dop853" takes ~5x fewer right-hand sides than "rk45".
        sample_every: store m every this many seconds (a multiple of dt for fixed-step methods);
            None stores only the start and the end.
        crossing: switching criterion; its first crossing time per junction is returned.
        stop_when_switched: stop early once every junction has crossed (needs ``crossing``).
        generator: torch.Generator for the thermal field (same seed, same trajectory): draws the
            per-junction noise keys (philox) or the normals themselves (noise_source="generator").
        renormalize: rescale |m| to 1 after every step (needed for heun; harmless for rk4).
        backend: "torch" (reference, differentiable, CPU/GPU), "fused" (CPU kernel, no autograd; rk4,
            heun, and rk45/dop853 with per-junction steps for float64 states and constant drives) or "auto"
            (fused when it applies and is available).
        rtol, atol: error tolerances of rk45 and dop853: relative to |m| per component, in [1e-14, 1), and
            absolute (> 0). They bound each step's error; the global error grows with the steps taken.
        progress: show a tqdm progress bar.
        dt_check: "warn" (default), "error" or "off": what to do when a fixed step (rk4, heun) exceeds
            the longest trusted step of the batch, T_min / N_min (``timestep.max_time_step``: the
            fastest precession period bound over every drive value, 10 steps per period for rk4,
            20 for heun). rk45 and dop853 choose their own steps and are not checked.
        sample_junctions: store samples of only the first K junctions (0 <= K; None: all); ``final``
            and ``switch_time`` still cover the whole batch. Bounds memory for large ensembles.
        noise_keys: (B,) int64 tensor, one 64-bit key per junction for the thermal field (philox): junction
            j's field at step s depends only on (noise_keys[j], s), so with the same keys its trajectory
            is bit-identical whatever the batch it runs in, the chunking and the thread count (fused
            backend), and the torch backend draws the same field. None: keys drawn from ``generator``.
            Ignored when no junction is thermal.
        noise_source: "philox" (default; counter-based, keyed per junction, drawn inside the fused
            kernel) or "generator" (the previous reference: normals drawn in bulk per chunk from
            ``generator``; no ``noise_keys``).
    """
    check_positive("duration", duration, unit="s")
    check_positive("dt", dt, unit="s")
    check_choice("method", method, METHODS)
    check_choice("backend", backend, BACKENDS)
    check_choice("dt_check", dt_check, DT_CHECKS)
    check_choice("noise_source", noise_source, NOISE_SOURCES)
    m = _initial_state(m0)
    batch = m.shape[0]
    keep = _kept_junctions(sample_junctions, batch)
    drive = drive or Drive()
    p = params.resolve(batch, m.dtype, m.device)
    thermal = bool((p.temperature > 0).any())
    if thermal and method != "heun":
        raise ValueError(f"method = {method!r} with temperature > 0; allowed: 'heun' for thermal runs")
    if stop_when_switched and crossing is None:
        stop_when_switched = False
    if method in ADAPTIVE:
        per_junction = _choose_adaptive(backend, method, m, p, drive)
        return simulate_adaptive(m, p, drive, duration, dt, sample_every, crossing, stop_when_switched, rtol, atol, keep,
                                 per_junction, method)

    n_total = step_count(duration, dt)
    stride = n_total if sample_every is None else sample_stride(sample_every, dt)
    stepper = _choose_stepper(backend, method, m, p, _drive_requires_grad(drive, m))
    sigma = thermal_sigma(p.alpha, p.temperature, p.gamma, p.ms, p.volume, dt) if thermal else None
    keyed = _noise_keys(noise_keys, noise_source, batch, generator, m.device) if thermal or noise_keys is not None else None
    counter = CounterNoise(keyed, sigma) if thermal and keyed is not None else None

    bulk_noise = thermal and (counter is None or stepper is torch_chunk)  # buffered per chunk
    chunk = _chunk_length(batch, _per_junction_buffers(drive, bulk_noise, m))
    time_dependent = callable(drive.current) or callable(drive.field)
    warned = dt_check == "off"  # warn once per run
    spread = None if warned else static_field_spread(p)
    parts = _batch_parts(p, batch, keep, stride, n_total)
    # samples go into one buffer allocated up front: no per-chunk allocations that outlive the chunk
    # (with 10^6 junctions and one-step chunks those pinned the heap, and it grew by ~1 MB per step)
    samples = m.new_empty((n_total // stride + 2, keep, 3))
    samples[0] = m[:keep]
    times = [0.0]
    switch_time = torch.full((batch,), math.nan, dtype=m.dtype, device=m.device)
    bar = _progress_bar(progress, n_total)
    k = 0
    while k < n_total:
        n = min(chunk, n_total - k)
        t0 = k * dt
        grid = t0 + dt * torch.arange(2 * n + 1, dtype=m.dtype, device=m.device) / 2
        current = _compact(evaluate_current(drive.current, grid, batch), callable(drive.current))
        field = _compact(evaluate_field(drive.field, grid, batch), callable(drive.field))
        if not warned and (k == 0 or time_dependent):  # constant drives: the first chunk says it all
            warned = not check_time_step(dt, max_time_step(p, field, current, method, spread), method, dt_check, at=t0)
        noise = counter if counter is not None or not thermal else sigma * thermal_noise((n, batch, 3), m.dtype, m.device,
                                                                                         generator)
        m, chunk_samples = _advance(stepper, parts, m, current, field, noise, k, dt, n, method, crossing, switch_time, renormalize)
        sampled_steps = [s for s in range(k + 1, k + n + 1) if s % stride == 0]
        if sampled_steps and keep:
            samples[len(times):len(times) + len(sampled_steps)] = chunk_samples[:len(sampled_steps)]
        times.extend(s * dt for s in sampled_steps)
        k += n
        if bar is not None:
            bar.update(n)
        if stop_when_switched and not bool(torch.isnan(switch_time).any()):
            break
    if bar is not None:
        bar.close()
    t_end = k * dt
    if times[-1] < t_end - 0.5 * dt:
        samples[len(times)] = m[:keep]
        times.append(t_end)
    return Trajectory(
        times=torch.tensor(times, dtype=m.dtype, device=m.device),
        m=samples[:len(times)],
        final=m,
        t_end=t_end,
        switch_time=switch_time,
        steps=k,
    )


def step_count(duration: float, dt: float, *, name: str = "duration") -> int:
    """Number of steps of ``dt`` seconds in ``duration`` seconds; ValueError unless it is a positive integer."""
    n = int(round(duration / dt))
    if n < 1 or abs(n * dt - duration) > 1e-9 * duration:
        raise ValueError(f"{name} = {duration!r} s is not a multiple of dt = {dt!r} s; allowed: integer multiples")
    return n


def sample_stride(sample_every: float, dt: float) -> int:
    """Steps between stored samples; ValueError unless ``sample_every`` is a positive multiple of ``dt`` (s)."""
    stride = int(round(sample_every / dt))
    if stride < 1 or abs(stride * dt - sample_every) > 1e-6 * sample_every:
        raise ValueError(f"sample_every = {sample_every!r} s is not a positive multiple of dt = {dt!r} s")
    return stride


def _noise_keys(keys: torch.Tensor | None, source: str, batch: int, generator: torch.Generator | None,
                device: torch.device) -> torch.Tensor | None:
    """Per-junction philox keys (B,) int64 on ``device``: the given ones (checked) or drawn from ``generator``;
    None for the bulk generator source."""
    if source == "generator":
        if keys is not None:
            raise ValueError("noise_keys are given with noise_source = 'generator'; allowed: noise_source = 'philox'")
        return None
    if keys is None:
        return random_keys(batch, generator, device)
    if not isinstance(keys, torch.Tensor) or keys.dtype != torch.int64 or tuple(keys.shape) != (batch,):
        got = f"{keys.dtype} tensor of shape {tuple(keys.shape)}" if isinstance(keys, torch.Tensor) else type(keys).__name__
        raise ValueError(f"noise_keys: {got}; allowed: an int64 tensor of shape ({batch},), one key per junction")
    return keys.to(device)


def _kept_junctions(sample_junctions: int | None, batch: int) -> int:
    """Junctions whose samples are stored: all (None) or the first ``sample_junctions`` (at most ``batch``)."""
    if sample_junctions is None:
        return batch
    if isinstance(sample_junctions, bool) or not isinstance(sample_junctions, int) or sample_junctions < 0:
        raise ValueError(f"sample_junctions = {sample_junctions!r}; allowed: None or an integer >= 0")
    return min(sample_junctions, batch)


@dataclass(frozen=True)
class _Part:
    """A contiguous range [lo, hi) of the batch advanced by one stepper call, with its parameters and stride."""

    lo: int
    hi: int
    params: ResolvedMacrospin
    stride: int


def _batch_parts(p: ResolvedMacrospin, batch: int, keep: int, stride: int, n_total: int) -> list[_Part]:
    """The sampled head [0, keep) with ``stride`` and the unsampled rest with a stride past the run's end."""
    if keep == batch:
        return [_Part(0, batch, p, stride)]
    parts = [_Part(0, keep, _rows(p, batch, 0, keep), stride)] if keep > 0 else []
    return parts + [_Part(keep, batch, _rows(p, batch, keep, batch), n_total + 1)]


def _rows(p: ResolvedMacrospin, batch: int, lo: int, hi: int) -> ResolvedMacrospin:
    """Per-junction rows lo:hi of every (B, ...) parameter tensor; shared (1, ...) ones unchanged."""
    return ResolvedMacrospin(*(t[lo:hi] if t is not None and t.shape[0] == batch else t for t in p))


def _advance(stepper: Callable, parts: list[_Part], m: torch.Tensor, current: torch.Tensor, field: torch.Tensor,
             noise: torch.Tensor | None, step0: int, dt: float, n: int, method: str, crossing: Crossing | None,
             switch_time: torch.Tensor, renormalize: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """One chunk of ``n`` steps over the batch parts; returns the new state and the samples of the first part.

    Junctions are independent, so advancing parts separately gives the result of one call on the batch.
    """
    if len(parts) == 1:
        part = parts[0]
        return stepper(m, part.params, current, field, noise, step0, dt, n, method, part.stride, crossing, switch_time,
                       renormalize)
    batch = m.shape[0]

    def cols(values: torch.Tensor | None, part: _Part) -> torch.Tensor | None:  # per-junction columns (dim 1)
        if isinstance(values, CounterNoise):
            return values.rows(part.lo, part.hi)
        return values if values is None or values.shape[1] != batch else values[:, part.lo:part.hi]

    states, sampled = [], None
    for part in parts:
        new, samples = stepper(m[part.lo:part.hi], part.params, cols(current, part), cols(field, part), cols(noise, part),
                               step0, dt, n, method, part.stride, crossing, switch_time[part.lo:part.hi], renormalize)
        states.append(new)
        sampled = samples if sampled is None else sampled
    return torch.cat(states), sampled


def _initial_state(m0: torch.Tensor) -> torch.Tensor:
    if not isinstance(m0, torch.Tensor):
        raise ValueError(f"m0 must be a torch.Tensor of shape (B, 3); got {type(m0).__name__}")
    if m0.ndim != 2 or m0.shape[1] != 3 or m0.shape[0] == 0:
        raise ValueError(f"m0 has shape {tuple(m0.shape)}; allowed: (B, 3) with B >= 1")
    if not m0.is_floating_point():
        raise ValueError(f"m0 has dtype {m0.dtype}; allowed: float32 or float64")
    bad = ~torch.isfinite(m0).all(-1)
    if bad.any():
        j = int(bad.nonzero()[0])
        raise ValueError(f"m0[{j}] = {m0[j].tolist()} is not finite; allowed: finite non-zero vectors")
    norm = m0.norm(dim=-1, keepdim=True)
    if (norm == 0).any():
        j = int((norm[:, 0] == 0).nonzero()[0])
        raise ValueError(f"m0[{j}] has zero length; allowed: non-zero vectors (normalized here)")
    return m0 / norm


def _compact(values: torch.Tensor, time_dependent: bool) -> torch.Tensor:
    """Keep only the first time row of a constant drive (the steppers then reuse it)."""
    return values if time_dependent else values[:1]


def _chunk_length(batch: int, per_junction_buffers: int) -> int:
    """Steps per chunk: long when nothing per junction is buffered, else sized so buffers stay near 32 MB.

    ``per_junction_buffers`` counts the values stored per junction and step: 3 for thermal noise, 2 for a
    time-dependent per-junction current (half steps), 6 for a time-dependent per-junction field.
    """
    if per_junction_buffers == 0:
        return 4096
    return max(1, min(4096, (32 << 20) // (8 * per_junction_buffers * batch)))


def _per_junction_buffers(drive: Drive, thermal: bool, m: torch.Tensor) -> int:
    t = torch.zeros(1, dtype=m.dtype, device=m.device)
    batch = m.shape[0]
    count = 3 if thermal else 0
    if callable(drive.current) and batch > 1 and evaluate_current(drive.current, t, batch).shape[1] == batch:
        count += 2
    if callable(drive.field) and batch > 1 and evaluate_field(drive.field, t, batch).shape[1] == batch:
        count += 6
    return count


def _progress_bar(progress: bool, total: int):
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="step", desc="LLGS")


def _drive_requires_grad(drive: Drive, m: torch.Tensor) -> bool:
    t = torch.zeros(1, dtype=m.dtype, device=m.device)
    return bool(
        evaluate_current(drive.current, t, m.shape[0]).requires_grad or evaluate_field(drive.field, t, m.shape[0]).requires_grad
    )


def _choose_stepper(backend: str, method: str, m: torch.Tensor, p: ResolvedMacrospin, drive_grad: bool) -> Callable:
    fused_ok = _plain_cpu(m, p, drive_grad) and method in ("rk4", "heun")
    if backend == "torch" or (backend == "auto" and not fused_ok):
        return torch_chunk
    if backend == "fused" and not fused_ok:
        raise ValueError("backend = 'fused' needs a CPU state without autograd and method 'rk4' or 'heun'")
    if not _fused_terms(backend, p):
        return torch_chunk
    from .fused import fused_chunk  # numba: imported only when used (a hard dependency, no fallback)

    return fused_chunk


def _choose_adaptive(backend: str, method: str, m: torch.Tensor, p: ResolvedMacrospin, drive: Drive) -> bool:
    """An adaptive method with per-junction steps on the fused kernel (True) or batch-wide on torch (False).

    The kernel needs a float64 CPU state without autograd and constant drives; ``backend = "fused"``
    raises if it cannot apply, ``"auto"`` then falls back to torch.
    """
    if backend == "torch":
        return False
    missing = [need for need, ok in (
        ("a CPU state without autograd", _plain_cpu(m, p, _drive_requires_grad(drive, m))),
        ("a float64 state", m.dtype == torch.float64),
        ("constant drives (no time-dependent current or field)", not (callable(drive.current) or callable(drive.field))),
    ) if not ok]
    if missing and backend == "fused":
        raise ValueError(f"backend = 'fused' with method = {method!r} needs {' and '.join(missing)}; "
                         "allowed otherwise: backend = 'torch' or 'auto' (batch-wide steps on torch)")
    return not missing and _fused_terms(backend, p)


def _plain_cpu(m: torch.Tensor, p: ResolvedMacrospin, drive_grad: bool) -> bool:
    """A CPU state, parameters and drive without autograd (what the fused kernels take)."""
    needs_grad = drive_grad or m.requires_grad or any(t is not None and t.requires_grad for t in p)
    return m.device.type == "cpu" and not needs_grad


def _fused_terms(backend: str, p: ResolvedMacrospin) -> bool:
    """Whether the fused kernel implements every active field term; raises for ``backend = "fused"`` if not."""
    unfused = unfused_terms(p)
    if unfused and backend == "fused":
        raise ValueError(f"backend = 'fused' does not implement the field term(s) {', '.join(unfused)} "
                         "(physics/terms.py); allowed: backend = 'torch' or 'auto' (which runs them on torch)")
    return not unfused


def torch_chunk(
    m: torch.Tensor,
    p: ResolvedMacrospin,
    current: torch.Tensor,
    field: torch.Tensor,
    noise: torch.Tensor | None,
    step0: int,
    dt: float,
    n: int,
    method: str,
    stride: int,
    crossing: Crossing | None,
    switch_time: torch.Tensor,
    renormalize: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Advance ``n`` steps with plain torch ops (the reference stepper; differentiable).

    ``current`` is (1 | 2n+1, B|1) in A and ``field`` (1 | 2n+1, B|1, 3) in T on the half-step grid
    step0 dt + i dt/2; ``noise`` (n, B, 3) is the thermal field in T for each step (heun), a
    ``thermal.CounterNoise`` (materialized here for the chunk) or None.
    Updates ``switch_time`` in place; returns the new state and the states after every global step
    index (step0 + k + 1) that is a multiple of ``stride``.
    """

    def at(values: torch.Tensor, i: int) -> torch.Tensor:
        return values[0] if values.shape[0] == 1 else values[i]

    if isinstance(noise, CounterNoise):
        noise = noise.block(step0, n, m.dtype)
    samples = []
    for k in range(n):
        t = (step0 + k) * dt
        i = 2 * k
        if method == "rk4":
            cur0, cur1, cur2 = at(current, i)[:, None], at(current, i + 1)[:, None], at(current, i + 2)[:, None]
            f0, f1, f2 = at(field, i), at(field, i + 1), at(field, i + 2)
            stage_drive = ((f0, cur0), (f1, cur1), (f2, cur2))
            (new,), _ = rk4_step(lambda s, j: (LLGState(llgs_rhs(s.m, p, *stage_drive[j])), None), LLGState(m), dt)
        else:  # heun (Stratonovich); the same thermal field acts at predictor and corrector
            th = noise[k] if noise is not None else None
            cur0, cur2 = at(current, i)[:, None], at(current, i + 2)[:, None]
            d1 = llgs_rhs(m, p, at(field, i), cur0, th)
            predictor = m + dt * d1
            d2 = llgs_rhs(predictor, p, at(field, i + 2), cur2, th)
            new = m + 0.5 * dt * (d1 + d2)
        if renormalize:
            new = new / new.norm(dim=-1, keepdim=True)
        if k % 16 == 15 or k == n - 1:
            check_finite_state(new, t + dt)
        if crossing is not None:
            hit = crossing.crossed(m, new) & torch.isnan(switch_time)
            if hit.any():
                switch_time[hit] = crossing.crossing_time(m, new, t, dt)[hit].detach()
        m = new
        if (step0 + k + 1) % stride == 0:
            samples.append(m)
    stacked = torch.stack(samples) if samples else m.new_zeros((0,) + tuple(m.shape))
    return m, stacked
