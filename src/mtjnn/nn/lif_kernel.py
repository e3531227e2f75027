"""The numba side of the fused LIF recurrence (``lif_recurrence.py``): forward and BPTT backward over T.

Both kernels walk a range [i0, i1) of the flattened (B * M) neuron-and-sample axis of (T, B * M) arrays,
tile by tile (a tile lies within one sample, so the per-neuron parameter index is a contiguous range and
the inner loop vectorizes); inside a tile the time loop runs with the membrane (forward) or its adjoint
(backward) held in a tile-sized buffer. The recurrence, per element (see ``lif_recurrence`` for the model):

    a_t = beta u_{t-1} + gain x_t,   h_t = clamp(a_t, -clip, clip),   v_t = h_t + n_t (read noise)
    p_t = [v_t - theta_pos >= 0],   q_t = [-v_t - theta_neg >= 0] (signed only),   s_t = p_t - q_t
    u_t = h_t (1 - p_t - q_t) + s_t r          ("value" reset)
    u_t = h_t - p_t theta_pos + q_t theta_neg  ("subtract" reset)

The backward recomputes h, v, p, q from the stored a_t and propagates the adjoint gu = dL/du_t backward:

    gp = g(v - theta_pos), gq = g(v + theta_neg) (0 if binary), g(z) = 1 / (w (1 + (pi z / w)^2))
    du/dh = 1 - p - q - h (gp - gq) + r (gp + gq)   ("value"; detached reset: 1 - p - q)
    du/dh = 1 - theta_pos gp - theta_neg gq          ("subtract"; detached reset: 1)
    gh = gs_t (gp + gq) + gu du/dh,   ga = gh [|a_t| <= clip],   gx_t = gain ga,   gu <- beta ga

Every numba function of the fused LIF lives in this file (numba's disk cache is invalidated only by a change
of the function's own file). No fast-math: values equal the torch reference path to rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

TILE = 1024  #: elements per tile: membrane buffer and per-step rows stay in L1


@njit(inline="always", cache=True, error_model="numpy")
def _tile_end(c0, i1, m_count):
    """End of the tile starting at flat index c0: at most TILE long, within [.., i1) and within one sample."""
    row_end = (c0 // m_count + 1) * m_count
    return min(c0 + TILE, i1, row_end)


@njit(nogil=True, cache=True, error_model="numpy")
def lif_forward(x, noise, beta, theta_pos, theta_neg, gain, reset_value, clip, subtract, signed, i0, i1, s_out, a_out):
    """Spikes s_out (T, N) and pre-clip membranes a_out (T, N) for inputs x (T, N), N = B * M, over flat
    columns [i0, i1). noise: (T, N) read noise or a (0, 0) array for none. beta, theta_pos, theta_neg: (M,)."""
    n_steps = x.shape[0]
    m_count = beta.shape[0]
    has_noise = noise.shape[0] > 0
    zero = x.dtype.type(0.0)
    one = x.dtype.type(1.0)
    u = np.empty(TILE, dtype=x.dtype)
    c0 = i0
    while c0 < i1:
        c1 = _tile_end(c0, i1, m_count)
        m0 = c0 - (c0 // m_count) * m_count
        width = c1 - c0
        bt, tp, tn = beta[m0:m0 + width], theta_pos[m0:m0 + width], theta_neg[m0:m0 + width]
        for j in range(width):
            u[j] = zero
        for t in range(n_steps):
            xt, st, at = x[t, c0:c1], s_out[t, c0:c1], a_out[t, c0:c1]
            nt = noise[t, c0:c1] if has_noise else xt  # a row that is always safe to read (selects vectorize)
            for j in range(width):
                a = bt[j] * u[j] + gain * xt[j]
                h = min(max(a, -clip), clip)
                v = h + nt[j] if has_noise else h
                p = one if v - tp[j] >= zero else zero
                q = one if (-v - tn[j] >= zero) and signed else zero
                s = p - q
                u_sub = h - p * tp[j] + q * tn[j]
                u_val = h * (one - p - q) + s * reset_value
                u[j] = u_sub if subtract else u_val
                st[j] = s
                at[j] = a
        c0 = c1


@njit(nogil=True, cache=True, error_model="numpy")
def lif_backward(grad_s, a_in, noise, beta, theta_pos, theta_neg, gain, reset_value, clip, subtract, signed,
                 detach_reset, width_sg, i0, i1, grad_x):
    """BPTT of ``lif_forward``: grad_x (T, N) = dL/dx from grad_s (T, N) = dL/ds and the stored a (T, N)."""
    n_steps = a_in.shape[0]
    m_count = beta.shape[0]
    has_noise = noise.shape[0] > 0
    zero = a_in.dtype.type(0.0)
    one = a_in.dtype.type(1.0)
    inv_w = a_in.dtype.type(1.0 / width_sg)
    k = a_in.dtype.type(math.pi / width_sg)
    keep = not detach_reset
    gu = np.empty(TILE, dtype=a_in.dtype)
    c0 = i0
    while c0 < i1:
        c1 = _tile_end(c0, i1, m_count)
        m0 = c0 - (c0 // m_count) * m_count
        width = c1 - c0
        bt, tp, tn = beta[m0:m0 + width], theta_pos[m0:m0 + width], theta_neg[m0:m0 + width]
        for j in range(width):
            gu[j] = zero
        for t in range(n_steps - 1, -1, -1):
            gst, at, gxt = grad_s[t, c0:c1], a_in[t, c0:c1], grad_x[t, c0:c1]
            nt = noise[t, c0:c1] if has_noise else at
            for j in range(width):
                a = at[j]
                h = min(max(a, -clip), clip)
                v = h + nt[j] if has_noise else h
                zp = v - tp[j]
                zq = v + tn[j]
                gp = inv_w / (one + (k * zp) * (k * zp))
                gq = inv_w / (one + (k * zq) * (k * zq)) if signed else zero
                p = one if zp >= zero else zero
                q = one if (-v - tn[j] >= zero) and signed else zero
                d_sub = one - tp[j] * gp - tn[j] * gq if keep else one
                d_val = one - p - q
                d_val = d_val - h * (gp - gq) + reset_value * (gp + gq) if keep else d_val
                dudh = d_sub if subtract else d_val
                gh = gst[j] * (gp + gq) + gu[j] * dudh
                ga = gh if (a >= -clip and a <= clip) else zero
                gxt[j] = gain * ga
                gu[j] = bt[j] * ga
        c0 = c1
