"""The numba side of the fused stepper (``fused.py``): the chunk kernel, one step of a block, right-hand sides.

A block holds ``BLOCK`` junctions in structure-of-arrays rows (x, y, z); every function here is a numba
kernel over those rows, compiled with FMA contraction as the only fast-math freedom. All of them stay in
this one file: numba invalidates its on-disk cache only when a function's own file changes, and the
chunk kernel inlines the others.

Two inner loops:
* uniform (every parameter and the drive shared by the batch, the usual Monte Carlo / benchmark
  case): anisotropy, demagnetizing and spin-torque fields are linear in m, so -gamma' B = L' m + hb'
  with a 3x3 matrix L' and a vector hb' computed once per drive point; the right-hand side is then
  c + alpha m x c with c = m x (L' m + hb'), about half the arithmetic of the term-by-term form.
  Full blocks run four independent lanes of junctions interleaved stage by stage, which hides the
  latency of the RK4 dependency chain (~1.3x on a Zen 3 core).
* general (per-junction parameters or drives, or an angle-dependent spin-torque efficiency, which is
  not affine in m): the term-by-term right-hand side, parameters read from per-block rows.
Thermal field: either read from a buffer the caller filled (``noise``), or drawn here per junction and
step from the counter-based generator of ``philox.py`` (Philox4x32-10 and Box-Muller; ``_counter_field``),
so the noise of junction j at global step s depends only on (its key, s). Its ln, cos and sin are
short branch-free polynomials (``_log_pair``, ``_sincos_turns``) that LLVM vectorizes like the rest
(numba has no vector math library here; a libm call per value would keep the loop scalar). Runs with
keyed noise always take the general path, so a junction's arithmetic, hence its trajectory to the
last bit, never depends on the rest of its batch.
Renormalization uses a short series for 1/|m| (exact to rounding while |m|^2 stays within 1e-4 of 1,
with an exact pass otherwise; see ``_unit``) instead of a square root and a division.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

from .philox import PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1  # published constants (never change: cache-safe)
from .tableau import DOP853, DP54  # published constants, as above

BLOCK = 256  #: junctions per block; a block's state and parameters stay in L1/L2
_Q = BLOCK // 4  # lane offset of the four interleaved lanes of a full uniform block
_FM = {"contract"}  # allow FMA contraction only (keeps NaN/inf semantics for the divergence check)

#: Rows of the packed parameter matrix, declared once: ``fused._pack_params`` fills them by name (from the
#: ``kernel_rows`` of the registered terms, ``terms.py``) and the kernels index them through ``ROW``.
PARAM_ROWS = ("hk", "ux", "uy", "uz",  # anisotropy: mu0 H_K (T), easy axis u
              "dx", "dy", "dz",  # demag: -mu0 Ms N_k (T)
              "px", "py", "pz", "stt", "xi", "sa", "sb", "sc",  # spin torque: p, c_stt (T/A), xi, A, B, C
              "g", "al")  # engine: gamma' (rad/(s T)), alpha
ROW = {name: i for i, name in enumerate(PARAM_ROWS)}
_HK, _UX, _UY, _UZ = ROW["hk"], ROW["ux"], ROW["uy"], ROW["uz"]
_DX, _DY, _DZ = ROW["dx"], ROW["dy"], ROW["dz"]
_PX, _PY, _PZ, _STT, _XI = ROW["px"], ROW["py"], ROW["pz"], ROW["stt"], ROW["xi"]
_SA, _SB, _SC = ROW["sa"], ROW["sb"], ROW["sc"]
_G, _AL = ROW["g"], ROW["al"]
_NPARAM = len(PARAM_ROWS)
#: Entries of the scalar constants vector ``consts`` (``fused.fused_chunk`` fills them by name).
CONSTS = ("dt", "hdt", "sdt", "two", "one", "zero", "threshold", "half", "c38", "c516", "near", "floor",
          "third", "sixth")
CONST = {name: i for i, name in enumerate(CONSTS)}
_C_DT, _C_HDT, _C_SDT, _C_TWO, _C_ONE, _C_ZERO = (CONST["dt"], CONST["hdt"], CONST["sdt"], CONST["two"],
                                                  CONST["one"], CONST["zero"])
_C_THR, _C_HALF, _C_C38, _C_C516, _C_NEAR, _C_FLOOR = (CONST["threshold"], CONST["half"], CONST["c38"],
                                                       CONST["c516"], CONST["near"], CONST["floor"])
_C_THIRD, _C_SIXTH = CONST["third"], CONST["sixth"]
_NCOEF = 12  # uniform path, per drive point: L' (9, row-major), hb' (3)
CHECK_EVERY = 16  #: divergence check period in steps (as in the torch stepper)
_U32, _S32 = np.uint64(0xFFFFFFFF), np.uint64(32)
_M0, _M1, _W0, _W1 = np.uint64(PHILOX_M0), np.uint64(PHILOX_M1), np.uint64(PHILOX_W0), np.uint64(PHILOX_W1)
_LN2 = math.log(2.0)
_E52, _BIAS = np.int64(52), np.int64(1023)
_MANTISSA, _ONE_BITS = np.int64(0x000FFFFFFFFFFFFF), np.int64(0x3FF0000000000000)
_TWO_PI = 2.0 * math.pi
_LG = tuple(1.0 / (2 * k + 1) for k in range(11))  # 2 atanh(s) = ln((1+s)/(1-s)), |s| <= 0.172
_SN = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(9))  # sin, |x| <= pi/4
_CS = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(10))  # cos, |x| <= pi/4
_LG0, _LG1, _LG2, _LG3, _LG4, _LG5, _LG6, _LG7, _LG8, _LG9, _LG10 = _LG
_SN0, _SN1, _SN2, _SN3, _SN4, _SN5, _SN6, _SN7, _SN8 = _SN
_CS0, _CS1, _CS2, _CS3, _CS4, _CS5, _CS6, _CS7, _CS8, _CS9 = _CS


# ------------------------------------------------------------------------------ counter-based noise
@njit(inline="always", cache=True)
def _philox_round(c0, c1, c2, c3, k0, k1):
    """One Philox4x32 round; all words uint64 holding 32-bit values."""
    p0 = _M0 * c0
    p1 = _M1 * c2
    return ((p1 >> _S32) ^ c1 ^ k0), (p1 & _U32), ((p0 >> _S32) ^ c3 ^ k1), (p0 & _U32)


@njit(inline="always", cache=True)
def _philox(c0, c1, key):
    """Philox4x32-10 of the counter (c0, c1, 0, 0) under the 64-bit ``key`` (uint64); four uint64 words < 2^32."""
    k0, k1 = key & _U32, key >> _S32
    c2 = c3 = np.uint64(0)
    for _ in range(10):
        c0, c1, c2, c3 = _philox_round(c0, c1, c2, c3, k0, k1)
        k0, k1 = (k0 + _W0) & _U32, (k1 + _W1) & _U32
    return c0, c1, c2, c3


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (a bitcast; numba has no scalar view)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, x):
    """The float64 with the IEEE-754 bits of an int64 (the inverse of ``_bits``)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _select(typingctx, cond, a, b):
    """``a if cond else b`` for float64 as one LLVM ``select`` (a branch-free lane loop: numba lowers a
    conditional expression to branches, which LLVM does not always flatten, and a branch keeps a loop scalar)."""
    def codegen(context, builder, signature, args):
        return builder.select(args[0], args[1], args[2])
    return types.float64(types.boolean, types.float64, types.float64), codegen


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _split_exponent(u):
    """(y, e) with u = y 2^e exactly, y in [sqrt(1/2), sqrt(2)), for a normal positive float64 u."""
    b = _bits(u)
    e = np.float64((b >> _E52) - _BIAS)
    y = _from_bits((b & _MANTISSA) | _ONE_BITS)  # in [1, 2)
    big = y > 1.4142135623730951
    return (y * 0.5 if big else y), (e + 1.0 if big else e)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _log_series(s):
    """ln((1 + s)/(1 - s)) = 2 atanh(s) for |s| <= 0.172: its series to s^21 (relative error ~1e-16)."""
    z = s * s
    acc = (((((((((_LG10 * z + _LG9) * z + _LG8) * z + _LG7) * z + _LG6) * z + _LG5) * z + _LG4) * z + _LG3) * z
            + _LG2) * z + _LG1) * z + _LG0
    return 2.0 * s * acc


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _log_pair(u, v):
    """(ln u, ln v) for normal positive float64 u, v, branch-free: u = y 2^e exactly with y in
    [sqrt(1/2), sqrt(2)), ln y = 2 atanh((y - 1)/(y + 1)) (y - 1 exact), one division for both."""
    yu, eu = _split_exponent(u)
    yv, ev = _split_exponent(v)
    pu, pv = yu + 1.0, yv + 1.0
    inv = 1.0 / (pu * pv)
    return _log_series((yu - 1.0) * pv * inv) + eu * _LN2, _log_series((yv - 1.0) * pu * inv) + ev * _LN2


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _sincos_turns(v):
    """(cos, sin) of 2 pi v for 0 <= v <= 1, branch-free: v = q/4 + w exactly, |w| <= 1/8, Taylor series
    of the angle x = 2 pi w (relative error ~1e-16), then the quarter turns q: cos(q pi/2 + x) =
    cq cos x - sq sin x, sin(q pi/2 + x) = sq cos x + cq sin x with cq, sq in {-1, 0, 1} (exact products;
    arithmetic rather than selects keeps the loop free of branches, which LLVM would not vectorize)."""
    q = np.floor(4.0 * v + 0.5)
    x = _TWO_PI * (v - 0.25 * q)
    z = x * x
    sn = x * (((((((((_SN8 * z + _SN7) * z + _SN6) * z + _SN5) * z + _SN4) * z + _SN3) * z + _SN2) * z + _SN1) * z)
              + _SN0)
    cs = ((((((((_CS9 * z + _CS8) * z + _CS7) * z + _CS6) * z + _CS5) * z + _CS4) * z + _CS3) * z + _CS2) * z
           + _CS1) * z + _CS0
    quad = q - 4.0 * np.floor(0.25 * q)  # 0, 1, 2, 3
    odd = quad - 2.0 * np.floor(0.5 * quad)
    cq = (1.0 - quad) * (1.0 - odd)  # cos(q pi/2): 1, 0, -1, 0
    sq = (2.0 - quad) * odd  # sin(q pi/2): 0, 1, 0, -1
    return cq * cs - sq * sn, sq * cs + cq * sn


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _counter_field(th, keys, sigma, j0, nb, step):
    """Thermal field rows (T) of junctions j0 .. j0+nb-1 at global ``step``: sigma_j (n0, n1, n2) from
    Philox4x32-10 of (step, key_j) and Box-Muller (layout: ``philox.py``); ``sigma`` is (B,) or (1,)."""
    c0 = np.uint64(step) & _U32
    c1 = np.uint64(step) >> _S32
    scale = 2.0 ** -32
    for j in range(nb):  # (one loop without a per-junction select: LLVM vectorizes it)
        x0, x1, x2, x3 = _philox(c0, c1, keys[j0 + j])
        l0, l2 = _log_pair((np.float64(x0) + 0.5) * scale, (np.float64(x2) + 0.5) * scale)
        r0 = math.sqrt(-2.0 * l0)
        r1 = math.sqrt(-2.0 * l2)
        c1a, s1a = _sincos_turns((np.float64(x1) + 0.5) * scale)
        c3a, _ = _sincos_turns((np.float64(x3) + 0.5) * scale)
        th[j] = r0 * c1a
        th[BLOCK + j] = r0 * s1a
        th[2 * BLOCK + j] = r1 * c3a
    if sigma.shape[0] > 1:
        for c in range(3):
            for j in range(nb):
                th[c * BLOCK + j] *= sigma[j0 + j]
    else:
        sg = sigma[0]
        for j in range(3 * BLOCK):
            th[j] *= sg


# ----------------------------------------------------------------------------------- right-hand sides
@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _rhs(mx, my, mz, hx, hy, hz, a0, xi, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc):
    """dm/dt (1/s) of one junction, term by term: applied h, anisotropy, demag (d = -mu0 Ms N), STT.

    a_J = a0 sa / (sb + sc m.p) (angle-dependent efficiency; exactly a0 for sa = sb, sc = 0), b_J = xi a_J.
    """
    aj = a0 * (sa / (sb + sc * (mx * px + my * py + mz * pz)))
    bj = xi * aj
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
    one-lane loop; the two loops may still contract different products into FMAs, so a junction's result
    can differ in the last bits between a full block and a short one (1.8e-15 after 200 steps, tested).
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
def _junction(prm, j, stride):
    """Per-junction constants of a block: hk, u, d, p, c_stt, xi, gamma', alpha, angular factor (A, B, C), from
    rows of ``stride`` values (``ROW`` order), the junction's value of the first row at ``prm[j]``."""
    return (prm[_HK * stride + j], prm[_UX * stride + j], prm[_UY * stride + j], prm[_UZ * stride + j],
            prm[_DX * stride + j], prm[_DY * stride + j], prm[_DZ * stride + j],
            prm[_PX * stride + j], prm[_PY * stride + j], prm[_PZ * stride + j],
            prm[_STT * stride + j], prm[_XI * stride + j], prm[_G * stride + j], prm[_AL * stride + j],
            prm[_SA * stride + j], prm[_SB * stride + j], prm[_SC * stride + j])


@njit(fastmath=_FM, error_model="numpy", cache=True)
def _rk4_general(st, prm, drv, nb, dt, hdt, sdt, two, nc, renorm):
    """RK4 step with per-junction parameters and drive; ``drv`` rows: I(t), I(t+dt/2), I(t+dt), h x 3 points."""
    far = False
    for j in range(nb):
        mx, my, mz = st[j], st[BLOCK + j], st[2 * BLOCK + j]
        hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, al, sa, sb, sc = _junction(prm, j, BLOCK)
        a0, a1, a2 = stt * drv[j], stt * drv[BLOCK + j], stt * drv[2 * BLOCK + j]
        h0x, h0y, h0z = drv[3 * BLOCK + j], drv[4 * BLOCK + j], drv[5 * BLOCK + j]
        h1x, h1y, h1z = drv[6 * BLOCK + j], drv[7 * BLOCK + j], drv[8 * BLOCK + j]
        h2x, h2y, h2z = drv[9 * BLOCK + j], drv[10 * BLOCK + j], drv[11 * BLOCK + j]
        k1x, k1y, k1z = _rhs(mx, my, mz, h0x, h0y, h0z, a0, xi, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al,
                             sa, sb, sc)
        k2x, k2y, k2z = _rhs(mx + hdt * k1x, my + hdt * k1y, mz + hdt * k1z, h1x, h1y, h1z, a1, xi,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)
        k3x, k3y, k3z = _rhs(mx + hdt * k2x, my + hdt * k2y, mz + hdt * k2z, h1x, h1y, h1z, a1, xi,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)
        k4x, k4y, k4z = _rhs(mx + dt * k3x, my + dt * k3y, mz + dt * k3z, h2x, h2y, h2z, a2, xi,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)
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
        hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, al, sa, sb, sc = _junction(prm, j, BLOCK)
        a0, a2 = stt * drv[j], stt * drv[2 * BLOCK + j]
        tx, ty, tz = th[j], th[BLOCK + j], th[2 * BLOCK + j]
        d1x, d1y, d1z = _rhs(mx, my, mz, drv[3 * BLOCK + j] + tx, drv[4 * BLOCK + j] + ty, drv[5 * BLOCK + j] + tz,
                             a0, xi, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)
        d2x, d2y, d2z = _rhs(mx + dt * d1x, my + dt * d1y, mz + dt * d1z, drv[9 * BLOCK + j] + tx,
                             drv[10 * BLOCK + j] + ty, drv[11 * BLOCK + j] + tz, a2, xi,
                             hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)
        nx, ny, nz, f = _unit(mx + hdt * (d1x + d2x), my + hdt * (d1y + d2y), mz + hdt * (d1z + d2z), nc, renorm)
        st[j], st[BLOCK + j], st[2 * BLOCK + j] = nx, ny, nz
        far |= f
    return far


# -------------------------------------------------------------------------------------------- kernel
@njit(nogil=True, fastmath=_FM, error_model="numpy", cache=True)
def advance_blocks(b0, b1, m_in, m_out, prm_src, cur, fld, noise, keys, sigma, keyed, consts, tdt, step0, n, stride,
                   samples, cross_idx, cross_dir, switch, renorm, heun, has_noise, bad):
    """Integrate blocks ``b0 <= blk < b1`` over the chunk (releases the GIL; arguments: ``fused.fused_chunk``)."""
    uniform = not (prm_src.shape[1] > 1 or cur.shape[1] > 1 or fld.shape[1] > 1 or prm_src[_SC, 0] != 0 or keyed)
    # per-call scratch rows, reused by every block of the range
    st = np.empty(3 * BLOCK, dtype=m_in.dtype)
    th = np.zeros(3 * BLOCK, dtype=m_in.dtype)  # stays zero for heun without a thermal field
    before = np.empty(BLOCK, dtype=m_in.dtype)
    coef = np.empty(3 * _NCOEF + 2, dtype=m_in.dtype)
    prm = np.empty(_NPARAM * BLOCK if not uniform else 1, dtype=m_in.dtype)
    drv = np.empty(12 * BLOCK if not uniform else 1, dtype=m_in.dtype)
    for blk in range(b0, b1):
        _advance_block(blk, m_in, m_out, prm_src, cur, fld, noise, keys, sigma, keyed, consts, tdt, step0, n, stride,
                       samples, cross_idx, cross_dir, switch, renorm, heun, has_noise, bad, st, th, before, coef, prm, drv)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _advance_block(blk, m_in, m_out, prm_src, cur, fld, noise, keys, sigma, keyed, consts, tdt, step0, n, stride,
                   samples, cross_idx, cross_dir, switch, renorm, heun, has_noise, bad, st, th, before, coef, prm, drv):
    """Integrate block ``blk``: load it into SoA rows, step, check divergence, record crossings, sample, store."""
    batch = m_in.shape[0]
    dt, hdt, sdt, two = consts[_C_DT], consts[_C_HDT], consts[_C_SDT], consts[_C_TWO]
    one, zero, thr = consts[_C_ONE], consts[_C_ZERO], consts[_C_THR]
    nc = (one, consts[_C_HALF], consts[_C_C38], consts[_C_C516], consts[_C_NEAR], consts[_C_FLOOR])  # see _unit
    cur_t, cur_j = cur.shape[0] > 1, cur.shape[1] > 1
    fld_t, fld_j = fld.shape[0] > 1, fld.shape[1] > 1
    prm_j = prm_src.shape[1] > 1
    # general path for a non-zero C (not affine in m) and for keyed noise (grouping-independent arithmetic)
    uniform = not (prm_j or cur_j or fld_j or prm_src[_SC, 0] != 0 or keyed)
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
            if keyed:
                _counter_field(th, keys, sigma, j0, nb, step0 + k)
            elif has_noise:  # noise is flat (n * B * 3,): stride-3 loads that LLVM turns into shuffles
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
            far = _rk4_uniform(st, coef, nbu, dt, hdt, consts[_C_THIRD], consts[_C_SIXTH], nc, renorm)
        else:
            far = _rk4_general(st, prm, drv, nb, dt, hdt, sdt, two, nc, renorm)
        if far:  # some |m| moved by more than 1e-4: exact rescaling
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


# ------------------------------------------------------------------ per-junction adaptive (embedded RK pairs)
# A block array of ``ABLOCK`` lanes, each holding one junction with its own time, step and step count: a sweep
# tries one step of every lane short of its next sample time (the others take a step of zero) in one
# branch-free loop over the lanes that LLVM vectorizes. The stages of a pair are written out (``_pair_sums``:
# the coefficients of ``tableau.py`` as compile-time tuples, the stages in registers; a stage-by-stage loop
# over rows of the block array, tried first, ran 4-5x slower); acceptance, step control and crossings are
# shared (``_lane_finish``).
ABLOCK = 32  #: lanes of an adaptive block (they are fed junctions from a queue: ``adaptive_blocks``)
PAIRS = ("rk45", "dop853")  #: the pairs the kernel runs, by ``tableau.Tableau.name``; argument ``pair`` = index
_EXP = tuple(1.0 / math.factorial(k) for k in range(8))
_X0, _X1, _X2, _X3, _X4, _X5, _X6, _X7 = _EXP
#: Entries of the adaptive kernel's controller vector ``ctl`` (``fused.fused_adaptive`` fills them by name).
CONTROL = ("rtol", "atol", "exponent", "err_lo", "err_hi", "safety", "e5_last", "e3_last")
_CT = {name: i for i, name in enumerate(CONTROL)}
_CT_RTOL, _CT_ATOL, _CT_EXP, _CT_LO, _CT_HI, _CT_SAFE, _CT_E5N, _CT_E3N = (_CT[n] for n in CONTROL)
_D5_A, _D5_B, _D5_E5, _D5_E3 = DP54.a, DP54.b, DP54.e5[:-1], DP54.e3[:-1]  # the pairs' coefficients
_D8_A, _D8_B, _D8_E5, _D8_E3 = DOP853.a, DOP853.b, DOP853.e5[:-1], DOP853.e3[:-1]


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _step_factor(err, ctl):
    """SAFETY err^exponent clipped to [SHRINK_MAX, GROW_MAX] (the step-size controller), branch-free.

    err is clipped first to [err_lo, err_hi] (where the factor reaches GROW_MAX and SHRINK_MAX), then
    err^exponent = exp(exponent ln err) with ln from ``_split_exponent``/``_log_series`` and
    exp(x) = exp(x/16)^16 from a 7-term series (|x/16| <= 0.11, relative error < 1e-9): a controller needs no
    more, and a libm ``pow`` would keep the lane loop scalar. NaN gives NaN (the caller flags it).
    """
    e = min(max(err, ctl[_CT_LO]), ctl[_CT_HI])
    y, k = _split_exponent(e)
    x = (ctl[_CT_EXP] * 0.0625) * (_log_series((y - 1.0) / (y + 1.0)) + k * _LN2)
    s = ((((((_X7 * x + _X6) * x + _X5) * x + _X4) * x + _X3) * x + _X2) * x + _X1) * x + _X0
    s = s * s
    s = s * s
    s = s * s
    s = s * s
    return ctl[_CT_SAFE] * s


# The block array: rows of ABLOCK values (``_LN_*``). Every per-lane value lives in this one array at rows a
# constant distance apart, so LLVM vectorizes the lane loop without runtime alias checks (separate arrays for
# state, time, step, counts, ... exceed its budget of such checks and keep the loop scalar).
_LN_MX, _LN_MY, _LN_MZ, _LN_T, _LN_H, _LN_ACC, _LN_REJ, _LN_SW = range(8)  # state; time, next step (s); counts; crossing
_LN_CUR, _LN_HX, _LN_HY, _LN_HZ, _LN_T1 = range(8, 13)  # drive: current (A), field (T); the lane's next sample time (s)
_LN_K = 13  # three rows: dm/dt (1/s) at the lane's state, the first stage of its next step (first same as last)
_LN_PRM = 16  # the kernel's parameter rows (PARAM_ROWS) follow
_LN_ROWS = _LN_PRM + _NPARAM


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _lane_junction(ln, j):
    """Lane j's drive and parameters as one tuple ``q`` for ``_f``: (B_x, B_y, B_z, a_0 = c_stt I, then
    ``_junction``'s order from xi; its parameter rows start at row ``_LN_PRM``)."""
    ab = ABLOCK
    hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, al, sa, sb, sc = _junction(ln, _LN_PRM * ab + j, ab)
    return (ln[_LN_HX * ab + j], ln[_LN_HY * ab + j], ln[_LN_HZ * ab + j], stt * ln[_LN_CUR * ab + j],
            xi, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, al, sa, sb, sc)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _f(q, m):
    """dm/dt (1/s) at the state m = (x, y, z) of the junction ``q`` (``_lane_junction``)."""
    return _rhs(m[0], m[1], m[2], q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12],
                q[13], q[14], q[15], q[16], q[17], q[18], q[19])


def _wsum(w, ks):
    """sum_i w_i ks_i of 3-vectors (``w`` a tuple of compile-time constants, ``ks`` a tuple of 3-tuples)."""


@overload(_wsum, inline="always", fastmath=_FM)
def _wsum_written_out(w, ks):
    """``_wsum`` written out for the tuple length at hand: constant indices only (a loop over a tuple indexes it
    at run time, which numba lowers to a ``switch`` that keeps the lane loop from vectorizing)."""
    terms = [" + ".join(f"w[{i}] * ks[{i}][{c}]" for i in range(len(w))) for c in range(3)]
    source = f"def impl(w, ks):\n    return {terms[0]}, {terms[1]}, {terms[2]}\n"
    scope: dict = {}
    exec(source, scope)  # noqa: S102 - the source is built above from integers only
    return scope["impl"]


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _stage(q, m, h, w, ks):
    """The next stage f(m + h sum_i w_i ks_i) of the junction ``q``."""
    x, y, z = _wsum(w, ks)
    return _f(q, (m[0] + h * x, m[1] + h * y, m[2] + h * z))


def _pair_sums(q, m, h, k0, a, b, e5, e3):
    """The stages k_1..k_{n-1} of the pair (a, b, e5, e3) for the junction ``q`` from k0, as the sums
    (sum b_i k_i, sum E5_i k_i, sum E3_i k_i), i < n (the last error weights act on the next k0)."""


@overload(_pair_sums, inline="always", fastmath=_FM)
def _pair_sums_written_out(q, m, h, k0, a, b, e5, e3):
    """``_pair_sums`` written out for the pair's stage count: k_s = _stage(q, m, h, a[s], (k_0, ..., k_{s-1}))."""
    n = len(b)
    names = [f"k{i}" for i in range(n)]
    lines = [f"    {names[s]} = _stage(q, m, h, a[{s}], ({', '.join(names[:s])},))" for s in range(1, n)]
    ks = ", ".join(names)
    source = "def impl(q, m, h, k0, a, b, e5, e3):\n" + "\n".join(lines) + (
        f"\n    ks = ({ks},)\n    return _wsum(b, ks), _wsum(e5, ks), _wsum(e3, ks)\n")
    scope: dict = {"_stage": _stage, "_wsum": _wsum}
    exec(source, scope)  # noqa: S102 - the source is built above from integers only
    return scope["impl"]


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _lane_start(ln, j):
    """Lane j's state m, k0, time t, next sample time t1, wanted step and the step h = min(want, t1 - t) (>= 0)."""
    ab = ABLOCK
    m = (ln[_LN_MX * ab + j], ln[_LN_MY * ab + j], ln[_LN_MZ * ab + j])
    k0 = (ln[_LN_K * ab + j], ln[(_LN_K + 1) * ab + j], ln[(_LN_K + 2) * ab + j])
    t, t1, want = ln[_LN_T * ab + j], ln[_LN_T1 * ab + j], ln[_LN_H * ab + j]
    return m, k0, t, t1, want, max(min(want, t1 - t), 0.0)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _lane_finish(ln, j, q, m, k0, t, t1, want, h, sums, ctl, cross_idx, falling, rising, thr):
    """Complete lane j's trial step from its stage sums: y = m + h sum b_i k_i, the candidate m' = y/|y| and
    k_n = f(m') (the next step's k0, exact), the error norm of ``tableau.py`` with s_c = atol + rtol
    max(|m_c|, |y_c|); accepted if <= 1 (then m', a first crossing interpolated linearly in the step); next
    step h ``_step_factor`` (after a clipped accepted step at least the step it was clipped from); a lane
    whose error estimate is not finite gets a NaN step (the caller stops there: a flag reduced over the lanes
    keeps LLVM from vectorizing the loop). A lane at t1 keeps everything."""
    ab = ABLOCK
    (bx, by, bz), (f5x, f5y, f5z), (f3x, f3y, f3z) = sums
    mx, my, mz = m
    active = t < t1
    clipped = want >= t1 - t
    yx, yy, yz = mx + h * bx, my + h * by, mz + h * bz
    inv = 1.0 / math.sqrt(yx * yx + yy * yy + yz * yz)
    nx, ny, nz = yx * inv, yy * inv, yz * inv
    kx, ky, kz = _f(q, (nx, ny, nz))
    rtol, atol, w5, w3 = ctl[_CT_RTOL], ctl[_CT_ATOL], ctl[_CT_E5N], ctl[_CT_E3N]
    sx = atol + rtol * max(abs(mx), abs(yx))
    sy = atol + rtol * max(abs(my), abs(yy))
    sz = atol + rtol * max(abs(mz), abs(yz))
    hs = h / (sx * sy * sz)  # h e_c / s_c = h e_c (s_a s_b) / (sx sy sz): one division
    syz, sxz, sxy = sy * sz * hs, sx * sz * hs, sx * sy * hs
    p5x, p5y, p5z = (f5x + w5 * kx) * syz, (f5y + w5 * ky) * sxz, (f5z + w5 * kz) * sxy
    p3x, p3y, p3z = (f3x + w3 * kx) * syz, (f3y + w3 * ky) * sxz, (f3z + w3 * kz) * sxy
    n5 = p5x * p5x + p5y * p5y + p5z * p5z
    n3 = p3x * p3x + p3y * p3y + p3z * p3z
    err = n5 / math.sqrt(max(3.0 * (n5 + 0.01 * n3), 1e-300))
    ok = active & (err <= 1.0)
    broken = active & (not (err < math.inf))
    ca = _select(cross_idx == 0, mx, _select(cross_idx == 1, my, mz)) - thr
    cb = _select(cross_idx == 0, nx, _select(cross_idx == 1, ny, nz)) - thr
    old = ln[_LN_SW * ab + j]
    hit = ok & (old != old) & ((falling & (ca > 0.0) & (cb <= 0.0)) | (rising & (ca < 0.0) & (cb >= 0.0)))
    frac = min(max(ca / (ca - cb), 0.0), 1.0)
    frac = _select(frac != frac, 0.0, frac)
    ln[_LN_SW * ab + j] = _select(hit, t + frac * h, old)
    ln[_LN_MX * ab + j] = _select(ok, nx, mx)
    ln[_LN_MY * ab + j] = _select(ok, ny, my)
    ln[_LN_MZ * ab + j] = _select(ok, nz, mz)
    ln[_LN_K * ab + j] = _select(ok, kx, k0[0])
    ln[(_LN_K + 1) * ab + j] = _select(ok, ky, k0[1])
    ln[(_LN_K + 2) * ab + j] = _select(ok, kz, k0[2])
    ln[_LN_T * ab + j] = _select(ok, _select(clipped, t1, t + h), t)
    grown = h * _step_factor(err, ctl)
    step = _select(active, _select(ok & clipped, max(want, grown), grown), want)
    ln[_LN_H * ab + j] = _select(broken, math.nan, step)
    ln[_LN_ACC * ab + j] += _select(ok, 1.0, 0.0)
    ln[_LN_REJ * ab + j] += _select(active & (not ok), 1.0, 0.0)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _controls(ctl):
    """The controller vector (one entry per ``CONTROL`` name) as a tuple of scalars, read once before a lane
    loop (loads from a second array inside it would need runtime alias checks against every store to the
    block array, and LLVM gives up)."""
    return (ctl[0], ctl[1], ctl[2], ctl[3], ctl[4], ctl[5], ctl[6], ctl[7])


@njit(fastmath=_FM, error_model="numpy", cache=True, _nrt=False)
def _sweep(ln, ctl, cross_idx, falling, rising, thr, a, b, e5, e3):
    """One trial step of the pair (a, b, e5, e3) (``_pair_sums``; compiled once per pair) for every lane short
    of its next sample time (``_lane_finish``). No reference counting (``_nrt=False``): its calls, met by
    LLVM's vectorizer before they are pruned, would keep the loop scalar."""
    c = _controls(ctl)
    for j in range(ABLOCK):
        m, k0, t, t1, want, h = _lane_start(ln, j)
        q = _lane_junction(ln, j)
        sums = _pair_sums(q, m, h, k0, a, b, e5, e3)
        _lane_finish(ln, j, q, m, k0, t, t1, want, h, sums, c, cross_idx, falling, rising, thr)


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _lane_load(ln, s, j, m_io, prm_src, cur, fld, t0, t1, hw_io, nst_io, nrj_io, switch):
    """Put junction ``j`` into lane ``s`` of the block array at time ``t0``, next sample at ``t1`` (s)."""
    ab = ABLOCK
    pj = j if prm_src.shape[0] > 1 else 0
    cj = j if cur.shape[1] > 1 else 0
    fj = j if fld.shape[1] > 1 else 0
    for c in range(3):
        ln[(_LN_MX + c) * ab + s] = m_io[j, c]
        ln[(_LN_HX + c) * ab + s] = fld[0, fj, c]
    for q in range(_NPARAM):
        ln[(_LN_PRM + q) * ab + s] = prm_src[pj, q]
    ln[_LN_CUR * ab + s] = cur[0, cj]
    ln[_LN_T * ab + s] = t0
    ln[_LN_T1 * ab + s] = t1
    ln[_LN_H * ab + s] = hw_io[j]
    ln[_LN_ACC * ab + s] = nst_io[j]
    ln[_LN_REJ * ab + s] = nrj_io[j]
    ln[_LN_SW * ab + s] = switch[j]
    k0 = _f(_lane_junction(ln, s), (m_io[j, 0], m_io[j, 1], m_io[j, 2]))
    for c in range(3):
        ln[(_LN_K + c) * ab + s] = k0[c]


@njit(inline="always", fastmath=_FM, error_model="numpy", cache=True)
def _lane_store(ln, s, j, m_io, hw_io, nst_io, nrj_io, switch):
    """Write lane ``s`` of the block array back to junction ``j``."""
    ab = ABLOCK
    for c in range(3):
        m_io[j, c] = ln[(_LN_MX + c) * ab + s]
    hw_io[j] = ln[_LN_H * ab + s]
    nst_io[j] = np.int64(ln[_LN_ACC * ab + s])
    nrj_io[j] = np.int64(ln[_LN_REJ * ab + s])
    switch[j] = ln[_LN_SW * ab + s]


@njit(nogil=True, fastmath=_FM, error_model="numpy", cache=True)
def adaptive_blocks(first, every, order, m_io, prm_src, cur, fld, t0, targets, pair, ctl, h_min, hw_io, nst_io,
                    nrj_io, cross_idx, cross_dir, thr, switch, samples, bad):
    """Advance junctions ``order[first]``, ``order[first + every]``, ... from ``t0`` through the sample times ``targets`` (s,
    increasing), each with its own adaptive step of the pair ``PAIRS[pair]`` (``_sweep``;
    controller ``ctl``, ``CONTROL``); arguments: ``fused.fused_adaptive`` (``prm_src`` junction-major: (B|1,
    len(PARAM_ROWS))). Updates ``m_io`` (B, 3), the per-junction next steps ``hw_io`` (s), accepted/rejected
    counts and first-crossing times in place and writes the state of junction j < K at targets[i] to
    ``samples[i, j]`` ((S, K, 3)). On failure ``bad[first]`` = (junction, kind), kind 1: error estimate not
    finite, 2: step below ``h_min``.

    The junctions queue for the ``ABLOCK`` lanes: a junction keeps its lane through all the sample times, then
    the lane takes the next junction, so a stiff junction keeps one lane busy rather than idling a whole
    block, and nothing is reloaded between samples.
    """
    batch = m_io.shape[0]
    keep = samples.shape[1]
    last = targets.shape[0] - 1
    ab = ABLOCK
    ln = np.zeros(_LN_ROWS * ab)
    for q in range(_NPARAM):  # empty lanes: harmless parameters (a unit factor in the angular efficiency)
        for s in range(ab):
            ln[(_LN_PRM + q) * ab + s] = 1.0
    slot = np.full(ab, -1, dtype=np.int64)
    target = np.zeros(ab, dtype=np.int64)
    falling = (cross_dir == 1) | (cross_dir == 3)
    rising = (cross_dir == 2) | (cross_dir == 3)
    nxt = first
    busy = 0
    for s in range(ab):
        ln[_LN_MX * ab + s] = 1.0
        ln[_LN_T * ab + s] = ln[_LN_T1 * ab + s] = targets[0]  # an empty lane takes steps of zero
        if nxt < batch:
            _lane_load(ln, s, order[nxt], m_io, prm_src, cur, fld, t0, targets[0], hw_io, nst_io, nrj_io, switch)
            slot[s] = order[nxt]
            nxt += every
            busy += 1
    while busy > 0:
        if pair == 1:
            _sweep(ln, ctl, cross_idx, falling, rising, thr, _D8_A, _D8_B, _D8_E5, _D8_E3)
        else:
            _sweep(ln, ctl, cross_idx, falling, rising, thr, _D5_A, _D5_B, _D5_E5, _D5_E3)
        for s in range(ab):
            if slot[s] >= 0 and ln[_LN_T * ab + s] < ln[_LN_T1 * ab + s]:
                step = ln[_LN_H * ab + s]
                kind = 1 if step != step else (2 if step < h_min else 0)
                if kind > 0:
                    bad[first, 0], bad[first, 1] = slot[s], kind
                    busy = 0
                    break
        for s in range(ab):
            j = slot[s]
            if busy == 0 or j < 0 or ln[_LN_T * ab + s] < ln[_LN_T1 * ab + s]:
                continue
            k = target[s]
            if j < keep:
                for c in range(3):
                    samples[k, j, c] = ln[(_LN_MX + c) * ab + s]
            if k < last:
                target[s] = k + 1
                ln[_LN_T1 * ab + s] = targets[k + 1]
                continue
            _lane_store(ln, s, j, m_io, hw_io, nst_io, nrj_io, switch)
            target[s] = 0
            if nxt < batch:
                _lane_load(ln, s, order[nxt], m_io, prm_src, cur, fld, t0, targets[0], hw_io, nst_io, nrj_io, switch)
                slot[s] = order[nxt]
                nxt += every
            else:
                slot[s] = -1
                busy -= 1
