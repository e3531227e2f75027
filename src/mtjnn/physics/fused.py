"""Fused CPU chunk stepper: the LLGS time loop of ``integrate.torch_chunk`` as one numba kernel.

Same contract and algorithm as ``torch_chunk`` (see ``integrate.py``): classical RK4 with the drive
at t, t + dt/2 and t + dt, or stochastic Heun (Stratonovich) with one thermal field per step shared
by predictor and corrector; optional renormalization of |m| after each step; sampled states;
first-crossing times; a divergence check every 16 steps. The right-hand side is ``llg.llgs_rhs``
written out per junction (Landau-Lifshitz form, SEEDS_SPEC 5.1):

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   gamma' = gamma / (1 + alpha^2)
    B = B_ext + mu0 H_K (m.u) u - mu0 Ms N m + a_J (m x p) + b_J p (+ B_th),   a_J = c_stt I f(m.p), b_J = xi a_J

with f = A / (B + C m.p) the angular factor of the spin-torque efficiency (1 for constant eta).

Layout: the batch is cut into blocks of ``BLOCK`` junctions. A block keeps its state in
structure-of-arrays rows (x, y, z) for a whole chunk, so the time loop runs inside the kernel on
L1-resident data and the innermost loop, over the junctions of a block, is vectorized by LLVM (AVX2:
4 float64 or 8 float32 junctions per instruction). Contiguous ranges of blocks run on
``torch.get_num_threads()`` threads: the kernel is ``nogil`` and a small thread pool calls it (rather
than ``parallel=True``/``prange``, whose parfor machinery made the first, uncached compilation ~2.5x
longer, ~37 s instead of ~15 s per dtype, for the same speed; it also keeps one thread setting for
torch and the kernel and leaves numba's threading layer out of torch's OpenMP runtime).

Every numba function (the chunk kernel, the per-block steps and right-hand sides) lives in one file,
``fused_kernel.py``: numba's on-disk cache is invalidated by changes to a function's own file only,
so a kernel that inlined functions from a second file would keep running their stale code.
This module is the Python side: argument packing, the thread split, errors.

Everything is algebraically the reference computation; only rounding differs (FMA contraction is the
one fast-math freedom taken), so results agree with the torch stepper to ~1e-13 relative in float64
on well-conditioned trajectories. The first call per dtype compiles the kernels (~15 s, cached on
disk by numba afterwards).
No autograd, CPU only: ``integrate._choose_stepper`` picks the torch stepper otherwise.
"""

from __future__ import annotations


import numpy as np
import torch

from ..threads import run_ranges, thread_count
from .fused_kernel import BLOCK, CONSTS, CONTROL, PAIRS, PARAM_ROWS, adaptive_blocks, advance_blocks
from .tableau import GROW_MAX, SAFETY, SHRINK_MAX, Tableau
from .terms import TERMS
from .thermal import CounterNoise
from .types import DivergenceError

_DIRECTIONS = {"falling": 1, "rising": 2, "either": 3}
_MIN_WORK_PER_THREAD = 20_000  # junction-steps below which a chunk is not split over threads
_MIN_JUNCTIONS_PER_THREAD = 128  # adaptive stepping: junctions per thread below which no thread is added
_NUMPY_DTYPE = {torch.float64: np.dtype(np.float64), torch.float32: np.dtype(np.float32)}


# ------------------------------------------------------------------------------------------- wrapper
_PACKED: tuple = (None, None)  # (last ResolvedMacrospin packed, its matrix); one tuple, swapped atomically


def _pack_params(p, dtype: torch.dtype) -> np.ndarray:
    """(len(PARAM_ROWS), B|1) matrix of the kernel's per-junction constants in the state dtype, by row name.

    The rows come from the ``kernel_rows`` of every registered term the kernel implements (``terms.py``)
    plus the engine's gamma' and alpha, stacked in the order of ``fused_kernel.PARAM_ROWS``; a row
    declared twice, missing or unknown to the kernel is an error (a new row cannot misalign the others).
    Rows sa, sb, sc hold the angular efficiency factor A / (B + C m.p) (1, 1, 0: constant eta);
    a non-zero C makes the kernel take its general (term-by-term) path, the factor not being affine in m.
    """
    last, packed = _PACKED
    if last is p and packed.dtype == _NUMPY_DTYPE[dtype]:
        return packed
    rows = {"g": p.gamma_ll[:, 0], "al": p.alpha[:, 0]}
    for term in TERMS.values():
        if term.fused:
            new = term.kernel_rows(p)
            if set(new) & set(rows):
                raise RuntimeError(f"field term {term.name!r} declares kernel rows {sorted(set(new) & set(rows))} "
                                   "that are already packed")
            rows.update(new)
    if set(rows) != set(PARAM_ROWS):
        raise RuntimeError(f"fused kernel rows: missing {sorted(set(PARAM_ROWS) - set(rows))}, "
                           f"unknown {sorted(set(rows) - set(PARAM_ROWS))} (fused_kernel.PARAM_ROWS, terms.py)")
    width = max(r.shape[0] for r in rows.values())
    packed = torch.stack([rows[name].detach().to("cpu", dtype).expand(width) for name in PARAM_ROWS])
    packed = packed.contiguous().numpy()
    globals()["_PACKED"] = (p, packed)
    return packed


def fused_chunk(m, p, current, field, noise, step0, dt, n, method, stride, crossing, switch_time, renormalize):
    """Drop-in replacement of ``integrate.torch_chunk``: same arguments, same results (CPU, no autograd).

    Advances the batch ``m`` (B, 3) by ``n`` steps of ``dt`` from global step ``step0``; ``current``
    (1 | 2n+1, B|1) A and ``field`` (1 | 2n+1, B|1, 3) T on the half-step grid; ``noise`` (n, B, 3)
    thermal field in T (heun), a ``thermal.CounterNoise`` (drawn in the kernel) or None. Updates ``switch_time`` (B,) in place; returns the new state
    and the states after every global step that is a multiple of ``stride``. Raises
    ``integrate.DivergenceError`` naming the junction and time if a state becomes non-finite.
    """
    if m.dtype not in _NUMPY_DTYPE:
        raise ValueError(f"fused stepper: dtype {m.dtype}; allowed: float32 or float64")
    if method not in ("rk4", "heun"):
        raise ValueError(f"fused stepper: method = {method!r}; allowed: 'rk4' or 'heun'")
    npdt = _NUMPY_DTYPE[m.dtype]
    batch = m.shape[0]
    m_in = m.detach().contiguous().numpy()
    m_out = np.empty_like(m_in)
    cur = current.detach().to(m.dtype).contiguous().numpy()
    fld = field.detach().to(m.dtype).contiguous().numpy()
    heun = method == "heun"
    keyed = heun and isinstance(noise, CounterNoise)
    has_noise = heun and noise is not None and not keyed
    noise_np = noise.detach().to(m.dtype).contiguous().numpy().reshape(-1) if has_noise else np.zeros(3, dtype=npdt)
    keys = noise.keys.detach().cpu().contiguous().numpy().view(np.uint64) if keyed else np.zeros(1, dtype=np.uint64)
    sigma = noise.sigma.detach().to("cpu", torch.float64).reshape(-1).contiguous().numpy() if keyed else np.zeros(1)
    samples = np.empty(((step0 + n) // stride - step0 // stride, batch, 3), dtype=npdt)
    threshold = 0.0 if crossing is None else crossing.threshold
    named = dict(dt=dt, hdt=0.5 * dt, sdt=dt / 6.0, two=2.0, one=1.0, zero=0.0, threshold=threshold, half=0.5,
                 c38=0.375, c516=0.3125, near=1e-4, floor=1e-3, third=1.0 / 3.0, sixth=1.0 / 6.0)
    consts = np.array([named[name] for name in CONSTS], dtype=npdt)
    sw = switch_time.detach()
    direct = sw.is_contiguous() and sw.dtype == m.dtype and sw.device.type == "cpu"
    sw_np = sw.numpy() if direct else sw.to("cpu", m.dtype).contiguous().numpy()
    bad = np.full(((batch + BLOCK - 1) // BLOCK, 2), -1, dtype=np.int64)
    cross_idx = 0 if crossing is None else crossing.index
    cross_dir = 0 if crossing is None else _DIRECTIONS[crossing.direction]
    args = (m_in, m_out, _pack_params(p, m.dtype), cur, fld, noise_np, keys, sigma, keyed, consts, float(dt),
            int(step0), int(n), int(stride), samples, cross_idx, cross_dir, sw_np, bool(renormalize), heun, has_noise,
            bad)
    _run_blocks(bad.shape[0], batch * n, args)
    if not direct:
        switch_time.copy_(torch.from_numpy(sw_np))
    if (bad[:, 0] >= 0).any():
        _raise_divergence(bad, step0, dt)
    return torch.from_numpy(m_out), torch.from_numpy(samples)


def fused_adaptive(m, p, current, field, t0, targets, step, accepted, rejected, crossing, switch_time, samples, rtol,
                   atol, h_min, pair: Tableau):
    """Advance every junction of ``m`` (B, 3) float64 from ``t0`` through the increasing sample times ``targets``
    (s), each junction with its own adaptive step of the embedded pair ``pair`` (``tableau.py``;
    ``fused_kernel.adaptive_blocks``), landing exactly on every target.

    ``current`` (1, B|1) A and ``field`` (1, B|1, 3) T are constant. Updated in place: ``m`` (the state at
    the last target), ``step`` (B,) float64, each junction's next trial step (s), ``accepted``/``rejected``
    (B,) int64 step counts, ``switch_time`` (B,) (first crossings of ``crossing``) and ``samples``
    (len(targets), K, 3), the states of the first K junctions at the targets. Raises ``DivergenceError``
    naming the junction if its error estimate is not finite or its step falls below ``h_min`` (s).
    """
    for name, tensor, dtype in (("m", m, torch.float64), ("step", step, torch.float64),
                                ("switch_time", switch_time, torch.float64), ("samples", samples, torch.float64),
                                ("accepted", accepted, torch.int64), ("rejected", rejected, torch.int64)):
        if tensor.dtype != dtype or tensor.device.type != "cpu" or not tensor.is_contiguous():
            raise ValueError(f"fused adaptive stepper: {name} is {tensor.dtype} on {tensor.device}; "
                             f"allowed: a contiguous CPU {dtype} tensor")
    batch = m.shape[0]
    times = np.asarray(targets, dtype=np.float64)
    if times.ndim != 1 or times.size == 0 or samples.shape[0] != times.size:
        raise ValueError(f"fused adaptive stepper: {times.size} targets for {samples.shape[0]} samples")
    threads = thread_count(batch, batch, _MIN_JUNCTIONS_PER_THREAD)
    bad = np.full((threads, 2), -1, dtype=np.int64)
    cross_idx = 0 if crossing is None else crossing.index
    cross_dir = 0 if crossing is None else _DIRECTIONS[crossing.direction]
    threshold = 0.0 if crossing is None else float(crossing.threshold)
    cur = current.detach().to(torch.float64).contiguous().numpy()
    fld = field.detach().to(torch.float64).contiguous().numpy()
    if pair.name not in PAIRS:
        raise ValueError(f"pair {pair.name!r}: the fused kernel runs {', '.join(PAIRS)}")
    named = dict(rtol=rtol, atol=atol, exponent=pair.exponent, err_lo=(SAFETY / GROW_MAX) ** (-1.0 / pair.exponent),
                 err_hi=(SAFETY / SHRINK_MAX) ** (-1.0 / pair.exponent), safety=SAFETY, e5_last=pair.e5[-1],
                 e3_last=pair.e3[-1])
    ctl = np.array([named[name] for name in CONTROL], dtype=np.float64)
    args = (_shuffled(batch, threads), m.numpy(), _junction_major(p), cur, fld, float(t0), times,
            PAIRS.index(pair.name), ctl, float(h_min),
            step.numpy(), accepted.numpy(), rejected.numpy(), cross_idx, cross_dir, threshold, switch_time.numpy(),
            samples.numpy(), bad)
    run_ranges(lambda lo, hi: [adaptive_blocks(i, threads, *args) for i in range(lo, hi)], threads, threads)
    if (bad[:, 0] >= 0).any():
        j, kind = (int(v) for v in bad[bad[:, 0] >= 0][0])
        why = ("its error estimate is not finite (check the drive and parameters for NaN)" if kind == 1 else
               f"its step fell below {h_min:.3g} s (the problem is too stiff for rtol = {rtol:g}, atol = {atol:g})")
        raise DivergenceError(f"integration diverged: junction {j} between t = {t0:.6g} s and {times[-1]:.6g} s: "
                              f"{why}")


def _shuffled(batch: int, threads: int) -> np.ndarray:
    """The order in which threads take junctions: a fixed pseudo-random permutation when several threads share
    the batch, so that structure in the batch (say, stiff and easy junctions alternating) does not load one
    thread more than another; a junction's result does not depend on it."""
    if threads == 1:
        return np.arange(batch, dtype=np.int64)
    return np.random.default_rng(0x5EED).permutation(batch).astype(np.int64)


_JUNCTION_MAJOR: tuple = (None, None)  # (packed matrix, its junction-major copy)


def _junction_major(p) -> np.ndarray:
    """``_pack_params(p, float64)`` transposed to (B|1, len(PARAM_ROWS)): one junction's constants contiguous
    (the adaptive kernel loads junction by junction; row-major rows B apart would cost a cache miss each)."""
    packed = _pack_params(p, torch.float64)
    last, copy = _JUNCTION_MAJOR
    if last is not packed:
        copy = np.ascontiguousarray(packed.T)
        globals()["_JUNCTION_MAJOR"] = (packed, copy)
    return copy


def _run_blocks(nblocks: int, work: int, args: tuple) -> None:
    """Run ``advance_blocks`` over all blocks, split into contiguous ranges over ``torch.get_num_threads()``
    threads (the kernel releases the GIL; ``mtjnn.threads``). Small chunks run on the calling thread only."""
    run_ranges(lambda lo, hi: advance_blocks(lo, hi, *args), nblocks,
               thread_count(nblocks, work, _MIN_WORK_PER_THREAD))


def _raise_divergence(bad: np.ndarray, step0: int, dt: float) -> None:
    hit = bad[bad[:, 0] >= 0]
    k = int(hit[:, 0].min())
    j = int(hit[hit[:, 0] == k, 1].min())
    raise DivergenceError(
        f"integration diverged: junction {j} became non-finite by t = {(step0 + k + 1) * dt:.6g} s "
        "(reduce dt, check the drive for NaN, or keep renormalize=True)"
    )
