"""Fused CPU chunk stepper: the LLGS time loop of ``integrate.torch_chunk`` as one numba kernel.

Same contract and algorithm as ``torch_chunk`` (see ``integrate.py``): classical RK4 with the drive
at t, t + dt/2 and t + dt, or stochastic Heun (Stratonovich) with one thermal field per step shared
by predictor and corrector; optional renormalization of |m| after each step; sampled states;
first-crossing times; a divergence check every 16 steps. The right-hand side is ``llg.llgs_rhs``
written out per junction (Landau-Lifshitz form, SEEDS_SPEC 5.1):

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   gamma' = gamma / (1 + alpha^2)
    B = B_ext + mu0 H_K (m.u) u - mu0 Ms N m + a_J (m x p) + b_J p (+ B_th),   a_J = c_stt I, b_J = xi a_J

Layout: the batch is cut into blocks of ``BLOCK`` junctions. A block keeps its state in
structure-of-arrays rows (x, y, z) for a whole chunk, so the time loop runs inside the kernel on
L1-resident data and the innermost loop, over the junctions of a block, is vectorized by LLVM (AVX2:
4 float64 or 8 float32 junctions per instruction). Contiguous ranges of blocks run on
``torch.get_num_threads()`` threads: the kernel is ``nogil`` and a small thread pool calls it (rather
than ``parallel=True``/``prange``, whose parfor machinery made the first, uncached compilation ~2.5x
longer, ~37 s instead of ~15 s per dtype, for the same speed; it also keeps one thread setting for
torch and the kernel and leaves numba's threading layer out of torch's OpenMP runtime).

Two inner loops:
* uniform (every parameter and the drive shared by the batch, the usual Monte Carlo / benchmark
  case): anisotropy, demagnetizing and spin-torque fields are linear in m, so -gamma' B = L' m + hb'
  with a 3x3 matrix L' and a vector hb' computed once per drive point; the right-hand side is then
  c + alpha m x c with c = m x (L' m + hb'), about half the arithmetic of the term-by-term form.
  Full blocks run four independent lanes of junctions interleaved stage by stage, which hides the
  latency of the RK4 dependency chain (~1.3x on a Zen 3 core).
* general (per-junction parameters or drives): the term-by-term right-hand side, parameters read from
  per-block rows.
Renormalization uses a short series for 1/|m| (exact to rounding while |m|^2 stays within 1e-4 of 1,
with an exact pass otherwise; see ``_unit``) instead of a square root and a division.

Everything is algebraically the reference computation; only rounding differs (FMA contraction is the
one fast-math freedom taken), so results agree with the torch stepper to ~1e-13 relative in float64
on well-conditioned trajectories. The first call per dtype compiles the kernels (~15 s, cached on
disk by numba afterwards).
No autograd, CPU only: ``integrate._choose_stepper`` picks the torch stepper otherwise.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from numba import njit

from ..constants import MU0

BLOCK = 256  #: junctions per block; a block's state and parameters stay in L1/L2
_Q = BLOCK // 4  # lane offset of the four interleaved lanes of a full uniform block
CHECK_EVERY = 16  #: divergence check period in steps (as in the torch stepper)
_FM = {"contract"}  # allow FMA contraction only (keeps NaN/inf semantics for the divergence check)

# rows of the packed parameter matrix (see _pack_params)
_HK, _UX, _UY, _UZ, _DX, _DY, _DZ, _PX, _PY, _PZ, _STT, _XI, _G, _AL = range(14)
_NPARAM = 14
_NCOEF = 12  # uniform path, per drive point: L' (9, row-major), hb' (3)
_DIRECTIONS = {"falling": 1, "rising": 2, "either": 3}
_MIN_WORK_PER_THREAD = 20_000  # junction-steps below which a chunk is not split over threads
_NUMPY_DTYPE = {torch.float64: np.dtype(np.float64), torch.float32: np.dtype(np.float32)}


# ----------------------------------------------------------------------------------- right-hand sides
@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _rhs(mx, my, mz, hx, hy, hz, aj, bj, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al):
    """dm/dt (1/s) of one junction, term by term: applied h, anisotropy, demag (d = -mu0 Ms N), STT."""
    proj = mx * ux + my * uy + mz * uz
    bx = hx + hk * proj * ux + dx * mx + (aj * (my * pz - mz * py) + bj * px)
    by = hy + hk * proj * uy + dy * my + (aj * (mz * px - mx * pz) + bj * py)
    bz = hz + hk * proj * uz + dz * mz + (aj * (mx * py - my * px) + bj * pz)
    c1x = my * bz - mz * by
    c1y = mz * bx - mx * bz
    c1z = mx * by - my * bx
    c2x = my * c1z - mz * c1y
    c2y = mz * c1x - mx * c1z
    c2z = mx * c1y - my * c1x
    return -g * (c1x + al * c2x), -g * (c1y + al * c2y), -g * (c1z + al * c2z)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _rhs_linear(mx, my, mz, l00, l01, l02, l10, l11, l12, l20, l21, l22, bx, by, bz, al):
    """dm/dt = c + alpha m x c, c = m x f, f = -gamma' B = L' m + hb' (hb' given as bx, by, bz)."""
    fx = bx + l00 * mx + l01 * my + l02 * mz
    fy = by + l10 * mx + l11 * my + l12 * mz
    fz = bz + l20 * mx + l21 * my + l22 * mz
    cx = my * fz - mz * fy
    cy = mz * fx - mx * fz
    cz = mx * fy - my * fx
    return cx + al * (my * cz - mz * cy), cy + al * (mz * cx - mx * cz), cz + al * (mx * cy - my * cx)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _rhs_linear1(mx, my, mz, c):
    """``_rhs_linear`` with the coefficients as one tuple ``c`` = (L' 9, hb' 3, alpha)."""
    return _rhs_linear(mx, my, mz, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12])


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _rhs_linear4(s, c):
    """``_rhs_linear`` for four lanes; ``s`` = (x, y, z) x 4 lanes, ``c`` = (L' 9, hb' 3, alpha)."""
    ax, ay, az = _rhs_linear1(s[0], s[1], s[2], c)
    bx, by, bz = _rhs_linear1(s[3], s[4], s[5], c)
    cx, cy, cz = _rhs_linear1(s[6], s[7], s[8], c)
    dx, dy, dz = _rhs_linear1(s[9], s[10], s[11], c)
    return (ax, ay, az, bx, by, bz, cx, cy, cz, dx, dy, dz)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _axpy4(s, a, k):
    return (s[0] + a * k[0], s[1] + a * k[1], s[2] + a * k[2], s[3] + a * k[3], s[4] + a * k[4], s[5] + a * k[5],
            s[6] + a * k[6], s[7] + a * k[7], s[8] + a * k[8], s[9] + a * k[9], s[10] + a * k[10], s[11] + a * k[11])


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _unit(nx, ny, nz, nc, renorm):
    """The new state rescaled to |m| = 1 (if ``renorm``) and a flag: 1 where the cheap rescaling is not exact.

    1/sqrt(1 + e) = 1 - e/2 + 3e^2/8 - 5e^3/16 + O(e^4), e = |n|^2 - 1, is exact to double precision for
    |e| <= 1e-4 (an RK4 or Heun step moves |m| by far less at usable dt) and costs 4 FMAs instead of a
    square root and a division (+15 % throughput). Where |e| exceeds 1e-4 the flag asks the caller for an
    exact pass (``_renormalize``); the factor is kept positive so the direction is never lost. ``nc`` =
    (1, 1/2, 3/8, 5/16, 1e-4, floor). (Also a pure function: an inlined helper that stores into the
    block rows itself runs ~20 % slower, numba/LLVM then keep more values live.)
    """
    e = nx * nx + ny * ny + nz * nz - nc[0]
    inv = max(nc[0] + e * (e * (nc[2] - nc[3] * e) - nc[1]), nc[5])
    far = 1 if abs(e) > nc[4] else 0
    if not renorm:
        inv = nc[0]
        far = 0
    return nx * inv, ny * inv, nz * inv, far


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _renormalize(st, nb, one):
    """Exact rescaling of the block rows to |m| = 1 (after a step that moved some |m| by more than 1e-4)."""
    for j in range(nb):
        inv = one / math.sqrt(st[j] * st[j] + st[BLOCK + j] * st[BLOCK + j] + st[2 * BLOCK + j] * st[2 * BLOCK + j])
        st[j] *= inv
        st[BLOCK + j] *= inv
        st[2 * BLOCK + j] *= inv


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _uniform_coefs(coef, off, prm, i, hx, hy, hz):
    """L' = -gamma' (hk u u^T + diag(d) - a_J [p]x), hb' = -gamma' (h + b_J p), [p]x m = p x m."""
    hk, ux, uy, uz = prm[_HK, 0], prm[_UX, 0], prm[_UY, 0], prm[_UZ, 0]
    px, py, pz = prm[_PX, 0], prm[_PY, 0], prm[_PZ, 0]
    mg = -prm[_G, 0]
    aj = prm[_STT, 0] * i
    bj = prm[_XI, 0] * aj
    coef[off + 0] = mg * (hk * ux * ux + prm[_DX, 0])
    coef[off + 1] = mg * (hk * ux * uy + aj * pz)
    coef[off + 2] = mg * (hk * ux * uz - aj * py)
    coef[off + 3] = mg * (hk * uy * ux - aj * pz)
    coef[off + 4] = mg * (hk * uy * uy + prm[_DY, 0])
    coef[off + 5] = mg * (hk * uy * uz + aj * px)
    coef[off + 6] = mg * (hk * uz * ux + aj * py)
    coef[off + 7] = mg * (hk * uz * uy - aj * px)
    coef[off + 8] = mg * (hk * uz * uz + prm[_DZ, 0])
    coef[off + 9] = mg * (hx + bj * px)
    coef[off + 10] = mg * (hy + bj * py)
    coef[off + 11] = mg * (hz + bj * pz)


# ------------------------------------------------------------------------------- one step of a block
# Each returns the number of junctions whose |m| moved by more than 1e-4 in the step (see ``_unit``).
@njit(fastmath=_FM, error_model="numpy", cache=True)
def _rk4_uniform(st, coef, nb, dt, hdt, sdt, two, nc, renorm):
    """RK4 step of ``nb`` junctions sharing parameters and drive; ``coef`` from ``_uniform_coefs``."""
    al = coef[3 * _NCOEF]
    ca = (coef[0], coef[1], coef[2], coef[3], coef[4], coef[5], coef[6], coef[7], coef[8], coef[9], coef[10],
          coef[11], al)
    cb = (coef[12], coef[13], coef[14], coef[15], coef[16], coef[17], coef[18], coef[19], coef[20], coef[21], coef[22],
          coef[23], al)
    cc = (coef[24], coef[25], coef[26], coef[27], coef[28], coef[29], coef[30], coef[31], coef[32], coef[33], coef[34],
          coef[35], al)
    far = 0
    if nb == BLOCK:  # four interleaved lanes j, j + Q, j + 2Q, j + 3Q
        for j in range(_Q):
            m = (st[j], st[BLOCK + j], st[2 * BLOCK + j], st[_Q + j], st[BLOCK + _Q + j], st[2 * BLOCK + _Q + j],
                 st[2 * _Q + j], st[BLOCK + 2 * _Q + j], st[2 * BLOCK + 2 * _Q + j],
                 st[3 * _Q + j], st[BLOCK + 3 * _Q + j], st[2 * BLOCK + 3 * _Q + j])
            k1 = _rhs_linear4(m, ca)
            k2 = _rhs_linear4(_axpy4(m, hdt, k1), cb)
            k3 = _rhs_linear4(_axpy4(m, hdt, k2), cb)
            k4 = _rhs_linear4(_axpy4(m, dt, k3), cc)
            for lane in range(4):
                i = 3 * lane
                nx, ny, nz, f = _unit(m[i] + sdt * (k1[i] + two * k2[i] + two * k3[i] + k4[i]),
                                      m[i + 1] + sdt * (k1[i + 1] + two * k2[i + 1] + two * k3[i + 1] + k4[i + 1]),
                                      m[i + 2] + sdt * (k1[i + 2] + two * k2[i + 2] + two * k3[i + 2] + k4[i + 2]),
                                      nc, renorm)
                st[lane * _Q + j], st[BLOCK + lane * _Q + j], st[2 * BLOCK + lane * _Q + j] = nx, ny, nz
                far += f
    else:
        for j in range(nb):
            mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
            k1x, k1y, k1z = _rhs_linear1(mx, my, mz, ca)
            k2x, k2y, k2z = _rhs_linear1(mx + hdt * k1x, my + hdt * k1y, mz + hdt * k1z, cb)
            k3x, k3y, k3z = _rhs_linear1(mx + hdt * k2x, my + hdt * k2y, mz + hdt * k2z, cb)
            k4x, k4y, k4z = _rhs_linear1(mx + dt * k3x, my + dt * k3y, mz + dt * k3z, cc)
            nx, ny, nz, f = _unit(mx + sdt * (k1x + two * k2x + two * k3x + k4x),
                                  my + sdt * (k1y + two * k2y + two * k3y + k4y),
                                  mz + sdt * (k1z + two * k2z + two * k3z + k4z), nc, renorm)
            st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
            far += f
    return far


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _heun_uniform(st, coef, th, nb, dt, hdt, nc, renorm):
    """Stochastic Heun step, shared parameters and drive; ``th`` rows: thermal field (T) of the step."""
    al = coef[3 * _NCOEF]
    mg = coef[3 * _NCOEF + 1]
    a00, a01, a02, a10, a11, a12, a20, a21, a22, ax, ay, az = (coef[0], coef[1], coef[2], coef[3], coef[4], coef[5],
                                                               coef[6], coef[7], coef[8], coef[9], coef[10], coef[11])
    c00, c01, c02, c10, c11, c12, c20, c21, c22, cx, cy, cz = (coef[24], coef[25], coef[26], coef[27], coef[28],
                                                               coef[29], coef[30], coef[31], coef[32], coef[33],
                                                               coef[34], coef[35])
    far = 0
    for j in range(nb):
        mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
        tx, ty, tz = mg * th[j], mg * th[BLOCK + j], mg * th[2 * BLOCK + j]
        d1x, d1y, d1z = _rhs_linear(mx, my, mz, a00, a01, a02, a10, a11, a12, a20, a21, a22,
                                    ax + tx, ay + ty, az + tz, al)
        d2x, d2y, d2z = _rhs_linear(mx + dt * d1x, my + dt * d1y, mz + dt * d1z, c00, c01, c02, c10, c11, c12, c20, c21,
                                    c22, cx + tx, cy + ty, cz + tz, al)
        nx, ny, nz, f = _unit(mx + hdt * (d1x + d2x), my + hdt * (d1y + d2y), mz + hdt * (d1z + d2z), nc, renorm)
        st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
        far += f
    return far


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _junction(prm, j):
    """Per-junction constants of a block row: hk, u, d, p, c_stt, xi, gamma', alpha."""
    return (prm[_HK * BLOCK + j], prm[_UX * BLOCK + j], prm[_UY * BLOCK + j], prm[_UZ * BLOCK + j],
            prm[_DX * BLOCK + j], prm[_DY * BLOCK + j], prm[_DZ * BLOCK + j],
            prm[_PX * BLOCK + j], prm[_PY * BLOCK + j], prm[_PZ * BLOCK + j],
            prm[_STT * BLOCK + j], prm[_XI * BLOCK + j], prm[_G * BLOCK + j], prm[_AL * BLOCK + j])


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _rk4_general(st, prm, drv, nb, dt, hdt, sdt, two, nc, renorm):
    """RK4 step with per-junction parameters and drive; ``drv`` rows: I(t), I(t+dt/2), I(t+dt), h x 3 points."""
    far = 0
    for j in range(nb):
        mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
        hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, al = _junction(prm, j)
        a0, a1, a2 = stt * drv[j], stt * drv[BLOCK + j], stt * drv[2 * BLOCK + j]
        h0x, h0y, h0z = drv[3 * BLOCK + j], drv[4 * BLOCK + j], drv[5 * BLOCK + j]
        h1x, h1y, h1z = drv[6 * BLOCK + j], drv[7 * BLOCK + j], drv[8 * BLOCK + j]
        h2x, h2y, h2z = drv[9 * BLOCK + j], drv[10 * BLOCK + j], drv[11 * BLOCK + j]
        k1x, k1y, k1z = _rhs(mx, my, mz, h0x, h0y, h0z, a0, xi * a0, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        k2x, k2y, k2z = _rhs(mx + hdt * k1x, my + hdt * k1y, mz + hdt * k1z, h1x, h1y, h1z, a1, xi * a1,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        k3x, k3y, k3z = _rhs(mx + hdt * k2x, my + hdt * k2y, mz + hdt * k2z, h1x, h1y, h1z, a1, xi * a1,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        k4x, k4y, k4z = _rhs(mx + dt * k3x, my + dt * k3y, mz + dt * k3z, h2x, h2y, h2z, a2, xi * a2,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        nx, ny, nz, f = _unit(mx + sdt * (k1x + two * k2x + two * k3x + k4x),
                              my + sdt * (k1y + two * k2y + two * k3y + k4y),
                              mz + sdt * (k1z + two * k2z + two * k3z + k4z), nc, renorm)
        st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
        far += f
    return far


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _heun_general(st, prm, drv, th, nb, dt, hdt, nc, renorm):
    """Stochastic Heun step with per-junction parameters and drive; ``th`` rows: thermal field (T)."""
    far = 0
    for j in range(nb):
        mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
        hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, al = _junction(prm, j)
        a0, a2 = stt * drv[j], stt * drv[2 * BLOCK + j]
        tx, ty, tz = th[j], th[BLOCK + j], th[2 * BLOCK + j]
        d1x, d1y, d1z = _rhs(mx, my, mz, drv[3 * BLOCK + j] + tx, drv[4 * BLOCK + j] + ty, drv[5 * BLOCK + j] + tz,
                             a0, xi * a0, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        d2x, d2y, d2z = _rhs(mx + dt * d1x, my + dt * d1y, mz + dt * d1z, drv[9 * BLOCK + j] + tx,
                             drv[10 * BLOCK + j] + ty, drv[11 * BLOCK + j] + tz, a2, xi * a2,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al)
        nx, ny, nz, f = _unit(mx + hdt * (d1x + d2x), my + hdt * (d1y + d2y), mz + hdt * (d1z + d2z), nc, renorm)
        st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
        far += f
    return far


# -------------------------------------------------------------------------------------------- kernel
@njit(nogil=True, fastmath=_FM, error_model="numpy", cache=True)
def _advance_blocks(b0, b1, m_in, m_out, prm_src, cur, fld, noise, consts, tdt, step0, n, stride, samples,
                    cross_idx, cross_dir, switch, renorm, heun, has_noise, bad):
    """Integrate blocks ``b0 <= blk < b1`` over the chunk (releases the GIL; arguments: ``fused_chunk``)."""
    uniform = not (prm_src.shape[1] > 1 or cur.shape[1] > 1 or fld.shape[1] > 1)
    # per-call scratch rows, reused by every block of the range
    st = np.empty(3 * BLOCK, dtype=m_in.dtype)
    th = np.zeros(3 * BLOCK, dtype=m_in.dtype)  # stays zero for heun without a thermal field
    before = np.empty(BLOCK, dtype=m_in.dtype)
    coef = np.empty(3 * _NCOEF + 2, dtype=m_in.dtype)
    prm = np.empty(_NPARAM * BLOCK if not uniform else 1, dtype=m_in.dtype)
    drv = np.empty(12 * BLOCK if not uniform else 1, dtype=m_in.dtype)
    for blk in range(b0, b1):
        _advance_block(blk, m_in, m_out, prm_src, cur, fld, noise, consts, tdt, step0, n, stride, samples,
                       cross_idx, cross_dir, switch, renorm, heun, has_noise, bad, st, th, before, coef, prm, drv)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _advance_block(blk, m_in, m_out, prm_src, cur, fld, noise, consts, tdt, step0, n, stride, samples,
                   cross_idx, cross_dir, switch, renorm, heun, has_noise, bad, st, th, before, coef, prm, drv):
    """Integrate block ``blk``: load it into SoA rows, step, check divergence, record crossings, sample, store."""
    batch = m_in.shape[0]
    dt, hdt, sdt, two, one, zero, thr = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5], consts[6]
    nc = (one, consts[7], consts[8], consts[9], consts[10], consts[11])  # see _unit
    cur_t, cur_j = cur.shape[0] > 1, cur.shape[1] > 1
    fld_t, fld_j = fld.shape[0] > 1, fld.shape[1] > 1
    prm_j = prm_src.shape[1] > 1
    uniform = not (prm_j or cur_j or fld_j)
    first_sample = step0 // stride
    j0 = blk * BLOCK
    nb = min(BLOCK, batch - j0)
    coef[3 * _NCOEF] = prm_src[_AL, 0]
    coef[3 * _NCOEF + 1] = -prm_src[_G, 0]
    for c in range(3):
        for j in range(nb):
            st[c * BLOCK + j] = m_in[j0 + j, c]
        for j in range(nb, BLOCK):  # padding lanes (uniform path): a harmless unit vector
            st[c * BLOCK + j] = one if c == 0 else zero
    # a uniform block more than half full runs the four-lane loop over all BLOCK rows
    nbu = BLOCK if nb > BLOCK // 2 else nb
    if not uniform:
        for q in range(_NPARAM):
            for j in range(nb):
                prm[q * BLOCK + j] = prm_src[q, j0 + j if prm_j else 0]
    for k in range(n):
        # drive at t, t + dt/2, t + dt (rows 2k, 2k+1, 2k+2 of a time-dependent drive)
        if uniform:
            if k == 0 or cur_t or fld_t:
                for i in range(3):
                    ri = 2 * k + i if cur_t else 0
                    fi = 2 * k + i if fld_t else 0
                    _uniform_coefs(coef, i * _NCOEF, prm_src, cur[ri, 0], fld[fi, 0, 0], fld[fi, 0, 1], fld[fi, 0, 2])
        else:
            if k == 0 or cur_t:
                for i in range(3):
                    ri = 2 * k + i if cur_t else 0
                    for j in range(nb):
                        drv[i * BLOCK + j] = cur[ri, j0 + j if cur_j else 0]
            if k == 0 or fld_t:
                for i in range(3):
                    fi = 2 * k + i if fld_t else 0
                    for c in range(3):
                        for j in range(nb):
                            drv[(3 + 3 * i + c) * BLOCK + j] = fld[fi, j0 + j if fld_j else 0, c]
        if cross_dir > 0:
            for j in range(nb):
                before[j] = st[cross_idx * BLOCK + j]
        if heun:
            if has_noise:  # noise is flat (n * B * 3,): stride-3 loads that LLVM turns into shuffles
                base = (k * batch + j0) * 3
                for j in range(nb):
                    th[j] = noise[base + 3 * j]
                    th[BLOCK + j] = noise[base + 3 * j + 1]
                    th[2 * BLOCK + j] = noise[base + 3 * j + 2]
            if uniform:
                far = _heun_uniform(st, coef, th, nb, dt, hdt, nc, renorm)
            else:
                far = _heun_general(st, prm, drv, th, nb, dt, hdt, nc, renorm)
        elif uniform:
            far = _rk4_uniform(st, coef, nbu, dt, hdt, sdt, two, nc, renorm)
        else:
            far = _rk4_general(st, prm, drv, nb, dt, hdt, sdt, two, nc, renorm)
        if far > 0:
            _renormalize(st, nbu if uniform and not heun else nb, one)
        if k % CHECK_EVERY == CHECK_EVERY - 1 or k == n - 1:
            found = -1
            for j in range(nb):
                if not (math.isfinite(st[j]) and math.isfinite(st[BLOCK + j]) and math.isfinite(st[2 * BLOCK + j])):
                    found = j
                    break
            if found >= 0:
                bad[blk, 0] = k
                bad[blk, 1] = j0 + found
                break
        if cross_dir > 0:
            t0 = (step0 + k) * tdt
            for j in range(nb):
                a = before[j] - thr
                b = st[cross_idx * BLOCK + j] - thr
                hit = (cross_dir != 2 and a > zero and b <= zero) or (cross_dir != 1 and a < zero and b >= zero)
                if hit and math.isnan(switch[j0 + j]):
                    frac = a / (a - b)
                    frac = zero if (math.isnan(frac) or frac < zero) else min(frac, one)
                    switch[j0 + j] = t0 + frac * tdt
        gstep = step0 + k + 1
        if gstep % stride == 0:
            s = gstep // stride - first_sample - 1
            for c in range(3):
                for j in range(nb):
                    samples[s, j0 + j, c] = st[c * BLOCK + j]
    for c in range(3):
        for j in range(nb):
            m_out[j0 + j, c] = st[c * BLOCK + j]


# ------------------------------------------------------------------------------------------- wrapper
_PACKED: tuple = (None, None)  # (last ResolvedMacrospin packed, its matrix); one tuple, swapped atomically


def _pack_params(p, dtype: torch.dtype) -> np.ndarray:
    """(14, B|1) matrix of the kernel's per-junction constants (rows _HK ... _AL) in the state dtype."""
    last, packed = _PACKED
    if last is p and packed.dtype == _NUMPY_DTYPE[dtype]:
        return packed
    rows = [
        p.hk[:, 0], p.easy_axis[:, 0], p.easy_axis[:, 1], p.easy_axis[:, 2],
        *(-MU0 * p.ms * p.demag).unbind(-1),
        p.polarizer[:, 0], p.polarizer[:, 1], p.polarizer[:, 2],
        p.stt_per_ampere[:, 0], p.field_like[:, 0], p.gamma_ll[:, 0], p.alpha[:, 0],
    ]
    width = max(r.shape[0] for r in rows)
    packed = torch.stack([r.detach().to("cpu", dtype).expand(width) for r in rows]).contiguous().numpy()
    globals()["_PACKED"] = (p, packed)
    return packed


def fused_chunk(m, p, current, field, noise, step0, dt, n, method, stride, crossing, switch_time, renormalize):
    """Drop-in replacement of ``integrate.torch_chunk``: same arguments, same results (CPU, no autograd).

    Advances the batch ``m`` (B, 3) by ``n`` steps of ``dt`` from global step ``step0``; ``current``
    (1 | 2n+1, B|1) A and ``field`` (1 | 2n+1, B|1, 3) T on the half-step grid; ``noise`` (n, B, 3)
    thermal field in T (heun) or None. Updates ``switch_time`` (B,) in place; returns the new state
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
    has_noise = heun and noise is not None
    noise_np = noise.detach().to(m.dtype).contiguous().numpy().reshape(-1) if has_noise else np.zeros(3, dtype=npdt)
    samples = np.empty(((step0 + n) // stride - step0 // stride, batch, 3), dtype=npdt)
    threshold = 0.0 if crossing is None else crossing.threshold
    consts = np.array([dt, 0.5 * dt, dt / 6.0, 2.0, 1.0, 0.0, threshold, 0.5, 0.375, 0.3125, 1e-4, 1e-3], dtype=npdt)
    sw = switch_time.detach()
    direct = sw.is_contiguous() and sw.dtype == m.dtype and sw.device.type == "cpu"
    sw_np = sw.numpy() if direct else sw.to("cpu", m.dtype).contiguous().numpy()
    bad = np.full(((batch + BLOCK - 1) // BLOCK, 2), -1, dtype=np.int64)
    cross_idx = 0 if crossing is None else crossing.index
    cross_dir = 0 if crossing is None else _DIRECTIONS[crossing.direction]
    args = (m_in, m_out, _pack_params(p, m.dtype), cur, fld, noise_np, consts, float(dt), int(step0), int(n),
            int(stride), samples, cross_idx, cross_dir, sw_np, bool(renormalize), heun, has_noise, bad)
    _run_blocks(bad.shape[0], batch * n, args)
    if not direct:
        switch_time.copy_(torch.from_numpy(sw_np))
    if (bad[:, 0] >= 0).any():
        _raise_divergence(bad, step0, dt)
    return torch.from_numpy(m_out), torch.from_numpy(samples)


_POOL: list = [None, 0]  # [thread pool shared by all calls, pid that created it] (a forked child makes its own)


def _run_blocks(nblocks: int, work: int, args: tuple) -> None:
    """Run ``_advance_blocks`` over all blocks, split into contiguous ranges over ``torch.get_num_threads()``
    threads (the kernel releases the GIL). Small chunks run on the calling thread only."""
    threads = max(1, min(torch.get_num_threads(), nblocks, work // _MIN_WORK_PER_THREAD))
    if threads == 1:
        _advance_blocks(0, nblocks, *args)
        return
    pool, pid = _POOL
    if pool is None or pid != os.getpid() or pool._max_workers < threads - 1:
        if pool is not None and pid == os.getpid():
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="mtjnn-fused")
        _POOL[:] = [pool, os.getpid()]
    bounds = [nblocks * i // threads for i in range(threads + 1)]
    futures = [pool.submit(_advance_blocks, bounds[i], bounds[i + 1], *args) for i in range(1, threads)]
    _advance_blocks(bounds[0], bounds[1], *args)
    for f in futures:
        f.result()


def _raise_divergence(bad: np.ndarray, step0: int, dt: float) -> None:
    from .integrate import DivergenceError  # lazy: integrate imports this module

    hit = bad[bad[:, 0] >= 0]
    k = int(hit[:, 0].min())
    j = int(hit[hit[:, 0] == k, 1].min())
    raise DivergenceError(
        f"integration diverged: junction {j} became non-finite by t = {(step0 + k + 1) * dt:.6g} s "
        "(reduce dt, check the drive for NaN, or keep renormalize=True)"
    )
