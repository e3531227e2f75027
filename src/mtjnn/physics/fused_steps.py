"""One step of a block of junctions for the fused kernel (``fused.py``): right-hand sides and updates.

A block holds ``BLOCK`` junctions in structure-of-arrays rows (x, y, z); every function here is a numba
kernel over those rows, compiled with FMA contraction as the only fast-math freedom.

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
"""

from __future__ import annotations

import math

from numba import njit

BLOCK = 256  #: junctions per block; a block's state and parameters stay in L1/L2
_Q = BLOCK // 4  # lane offset of the four interleaved lanes of a full uniform block
_FM = {"contract"}  # allow FMA contraction only (keeps NaN/inf semantics for the divergence check)

# rows of the packed parameter matrix (see _pack_params)
_HK, _UX, _UY, _UZ, _DX, _DY, _DZ, _PX, _PY, _PZ, _STT, _XI, _G, _AL = range(14)
_NPARAM = 14
_NCOEF = 12  # uniform path, per drive point: L' (9, row-major), hb' (3)


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
def _add4(s, k):
    return (s[0] + k[0], s[1] + k[1], s[2] + k[2], s[3] + k[3], s[4] + k[4], s[5] + k[5],
            s[6] + k[6], s[7] + k[7], s[8] + k[8], s[9] + k[9], s[10] + k[10], s[11] + k[11])


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _scaled(coef, off, h, al):
    """Coefficients (L' 9, hb' 3) of drive point ``off`` times the step fraction ``h`` (s), and alpha."""
    return (coef[off] * h, coef[off + 1] * h, coef[off + 2] * h, coef[off + 3] * h, coef[off + 4] * h,
            coef[off + 5] * h, coef[off + 6] * h, coef[off + 7] * h, coef[off + 8] * h, coef[off + 9] * h,
            coef[off + 10] * h, coef[off + 11] * h, al)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _unit(nx, ny, nz, nc, renorm):
    """The new state rescaled to |m| = 1 (if ``renorm``) and a flag: True where the cheap rescaling is not exact.

    1/sqrt(1 + e) = 1 - e/2 + 3e^2/8 - 5e^3/16 + O(e^4), e = |n|^2 - 1, is exact to double precision for
    |e| <= 1e-4 (an RK4 or Heun step moves |m| by far less at usable dt) and costs 4 FMAs instead of a
    square root and a division (+15 % throughput). Where |e| exceeds 1e-4 the flag asks the caller for an
    exact pass (``_renormalize``); the factor is kept positive so the direction is never lost. ``nc`` =
    (1, 1/2, 3/8, 5/16, 1e-4, floor). The flag is a bool that the steps OR together: a 64-bit integer
    count in the loop limits LLVM to four lanes (float32 then runs four-wide instead of eight-wide), and
    a float reduction would not vectorize without reassociation. (Also a pure function: an inlined helper that stores into the
    block rows itself runs ~20 % slower, numba/LLVM then keep more values live.)
    """
    e = nx * nx + ny * ny + nz * nz - nc[0]
    inv = max(nc[0] + e * (e * (nc[2] - nc[3] * e) - nc[1]), nc[5])
    far = abs(e) > nc[4]
    if not renorm:
        inv = nc[0]
        far = False
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
# Each returns True if some junction's |m| moved by more than 1e-4 in the step (see ``_unit``).
@njit(fastmath=_FM, error_model="numpy", cache=True)
def _rk4_uniform(st, coef, nb, dt, hdt, third, sixth, nc, renorm):
    """RK4 step of ``nb`` junctions sharing parameters and drive; ``coef`` from ``_uniform_coefs``.

    The stages are carried pre-multiplied by their step fraction, K1 = k1 dt/2, K2 = k2 dt/2, K3 = k3 dt,
    K4 = k4 dt (the right-hand side is linear in its coefficients, so scaling them scales it), which turns
    the stage updates m + K into additions and the result into m + (K1 + 2 K2 + K3)/3 + K4/6: 12 fewer
    multiplications per step on the FMA ports that bound this loop (+6 %), same algorithm. The four-lane
    loop accumulates K1 + 2 K2 + K3 as the stages come (fewer live values), in the same order as the
    one-lane loop, so a junction's result does not depend on the block it falls in.
    """
    al = coef[3 * _NCOEF]
    ca = _scaled(coef, 0, hdt, al)
    cb = _scaled(coef, _NCOEF, hdt, al)
    cb2 = _scaled(coef, _NCOEF, dt, al)
    cc = _scaled(coef, 2 * _NCOEF, dt, al)
    far = False
    if nb == BLOCK:  # four interleaved lanes j, j + Q, j + 2Q, j + 3Q
        for j in range(_Q):
            m = (st[j], st[BLOCK + j], st[2 * BLOCK + j], st[_Q + j], st[BLOCK + _Q + j], st[2 * BLOCK + _Q + j],
                 st[2 * _Q + j], st[BLOCK + 2 * _Q + j], st[2 * BLOCK + 2 * _Q + j],
                 st[3 * _Q + j], st[BLOCK + 3 * _Q + j], st[2 * BLOCK + 3 * _Q + j])
            k = _rhs_linear4(m, ca)
            acc = k
            k = _rhs_linear4(_add4(m, k), cb)
            acc = _add4(acc, _add4(k, k))
            k = _rhs_linear4(_add4(m, k), cb2)
            acc = _add4(acc, k)
            k = _rhs_linear4(_add4(m, k), cc)
            for lane in range(4):
                i = 3 * lane
                nx, ny, nz, f = _unit(m[i] + third * acc[i] + sixth * k[i],
                                      m[i + 1] + third * acc[i + 1] + sixth * k[i + 1],
                                      m[i + 2] + third * acc[i + 2] + sixth * k[i + 2],
                                      nc, renorm)
                st[lane * _Q + j], st[BLOCK + lane * _Q + j], st[2 * BLOCK + lane * _Q + j] = nx, ny, nz
                far |= f
    else:
        for j in range(nb):
            mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
            k1x, k1y, k1z = _rhs_linear1(mx, my, mz, ca)
            k2x, k2y, k2z = _rhs_linear1(mx + k1x, my + k1y, mz + k1z, cb)
            k3x, k3y, k3z = _rhs_linear1(mx + k2x, my + k2y, mz + k2z, cb2)
            k4x, k4y, k4z = _rhs_linear1(mx + k3x, my + k3y, mz + k3z, cc)
            nx, ny, nz, f = _unit(mx + third * ((k1x + (k2x + k2x)) + k3x) + sixth * k4x,
                                  my + third * ((k1y + (k2y + k2y)) + k3y) + sixth * k4y,
                                  mz + third * ((k1z + (k2z + k2z)) + k3z) + sixth * k4z, nc, renorm)
            st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
            far |= f
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
    far = False
    for j in range(nb):
        mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
        tx, ty, tz = mg * th[j], mg * th[BLOCK + j], mg * th[2 * BLOCK + j]
        d1x, d1y, d1z = _rhs_linear(mx, my, mz, a00, a01, a02, a10, a11, a12, a20, a21, a22,
                                    ax + tx, ay + ty, az + tz, al)
        d2x, d2y, d2z = _rhs_linear(mx + dt * d1x, my + dt * d1y, mz + dt * d1z, c00, c01, c02, c10, c11, c12, c20, c21,
                                    c22, cx + tx, cy + ty, cz + tz, al)
        nx, ny, nz, f = _unit(mx + hdt * (d1x + d2x), my + hdt * (d1y + d2y), mz + hdt * (d1z + d2z), nc, renorm)
        st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
        far |= f
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
    far = False
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
        far |= f
    return far


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _heun_general(st, prm, drv, th, nb, dt, hdt, nc, renorm):
    """Stochastic Heun step with per-junction parameters and drive; ``th`` rows: thermal field (T)."""
    far = False
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
        far |= f
    return far
