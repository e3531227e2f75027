"""Fused CPU chunk stepper: the LLGS time loop of ``integrate.torch_chunk`` as one numba kernel.

Same contract and same algorithm as ``torch_chunk`` (see ``integrate.py``): classical RK4 with the
drive evaluated at t, t + dt/2 and t + dt, or stochastic Heun (Stratonovich) with one thermal field
per step shared by predictor and corrector, optional renormalization of |m| after each step, sampled
states, first-crossing times and a divergence check every 16 steps. The right-hand side is the one of
``llg.llgs_rhs`` written out per junction (Landau-Lifshitz form, SEEDS_SPEC 5.1):

    dm/dt = -gamma' [ m x B + alpha m x (m x B) ],   gamma' = gamma / (1 + alpha^2)
    B = B_ext + mu0 H_K (m.u) u - mu0 Ms N m + a_J (m x p) + b_J p (+ B_th),   a_J = c_stt I, b_J = xi a_J

Layout: the batch is cut into blocks of ``BLOCK`` junctions; ``prange`` runs the blocks on the numba
threads, and each block keeps its state in structure-of-arrays form (x, y, z rows) so that the
innermost loop, over the junctions of the block, is vectorized by LLVM (AVX2: 4 float64 or 8 float32
junctions per instruction). The time loop of a chunk runs inside the kernel, so that a block stays in
L1 cache for the whole chunk. Shared parameters and drives are hoisted out of the junction loop;
per-junction ones are read from small per-block rows. Floating-point contraction into FMA is the only
fast-math freedom taken, so results agree with the torch reference to ~1e-13 relative (float64).

No autograd and CPU only; ``integrate._choose_stepper`` falls back to the torch stepper otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numba import njit, prange

from ..constants import MU0

BLOCK = 256  #: junctions per block (state + parameters of a block stay in L1/L2)
CHECK_EVERY = 16  #: divergence check period in steps (the torch stepper's)

# rows of the packed parameter matrix
_HK, _UX, _UY, _UZ, _DX, _DY, _DZ, _PX, _PY, _PZ, _STT, _XI, _G, _GA = range(14)
_NPARAM = 14
# rows of the per-junction drive buffer (rk4: currents at t, t+dt/2, t+dt, then three fields)
_DIRECTIONS = {"falling": 1, "rising": 2, "either": 3}
_FASTMATH = {"contract"}


@njit(inline="always", fastmath=_FASTMATH)
def _rhs(mx, my, mz, hx, hy, hz, aj, bj, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga):
    """dm/dt of one junction (1/s) for the total applied field h (T) and the torques a_J, b_J (T)."""
    proj = mx * ux + my * uy + mz * uz
    bx = hx + hk * proj * ux + dx * mx + aj * (my * pz - mz * py) + bj * px
    by = hy + hk * proj * uy + dy * my + aj * (mz * px - mx * pz) + bj * py
    bz = hz + hk * proj * uz + dz * mz + aj * (mx * py - my * px) + bj * pz
    c1x = my * bz - mz * by
    c1y = mz * bx - mx * bz
    c1z = mx * by - my * bx
    c2x = my * c1z - mz * c1y
    c2y = mz * c1x - mx * c1z
    c2z = mx * c1y - my * c1x
    return -(g * c1x + ga * c2x), -(g * c1y + ga * c2y), -(g * c1z + ga * c2z)


@njit(inline="always", fastmath=_FASTMATH)
def _rk4_one(mx, my, mz, h0x, h0y, h0z, h1x, h1y, h1z, h2x, h2y, h2z, i0, i1, i2,
             hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, ga, dt, hdt, sdt, two):
    a0 = stt * i0
    a1 = stt * i1
    a2 = stt * i2
    k1x, k1y, k1z = _rhs(mx, my, mz, h0x, h0y, h0z, a0, xi * a0, hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    k2x, k2y, k2z = _rhs(mx + hdt * k1x, my + hdt * k1y, mz + hdt * k1z, h1x, h1y, h1z, a1, xi * a1,
                         hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    k3x, k3y, k3z = _rhs(mx + hdt * k2x, my + hdt * k2y, mz + hdt * k2z, h1x, h1y, h1z, a1, xi * a1,
                         hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    k4x, k4y, k4z = _rhs(mx + dt * k3x, my + dt * k3y, mz + dt * k3z, h2x, h2y, h2z, a2, xi * a2,
                         hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    nx = mx + sdt * (k1x + two * k2x + two * k3x + k4x)
    ny = my + sdt * (k1y + two * k2y + two * k3y + k4y)
    nz = mz + sdt * (k1z + two * k2z + two * k3z + k4z)
    return nx, ny, nz


@njit(inline="always", fastmath=_FASTMATH)
def _heun_one(mx, my, mz, h0x, h0y, h0z, h2x, h2y, h2z, i0, i2, tx, ty, tz,
              hk, ux, uy, uz, dx, dy, dz, px, py, pz, stt, xi, g, ga, dt, hdt):
    a0 = stt * i0
    a2 = stt * i2
    d1x, d1y, d1z = _rhs(mx, my, mz, h0x + tx, h0y + ty, h0z + tz, a0, xi * a0,
                         hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    d2x, d2y, d2z = _rhs(mx + dt * d1x, my + dt * d1y, mz + dt * d1z, h2x + tx, h2y + ty, h2z + tz, a2, xi * a2,
                         hk, ux, uy, uz, dx, dy, dz, px, py, pz, g, ga)
    return mx + hdt * (d1x + d2x), my + hdt * (d1y + d2y), mz + hdt * (d1z + d2z)
