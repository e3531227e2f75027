"""Every numba kernel of the neuron circuits and of spike-timing networks of them, in one file.

numba's on-disk cache (``cache=True``) re-compiles a kernel only when its *own* file changes, so kernels
that call each other live in one file and a cached kernel can never run a stale callee. The convention
(also that of the engine's ``physics/fused_kernel.py``): ``@njit(cache=True, error_model="numpy")``, the
entry kernels ``nogil=True`` and serial over an index range [start, stop) of independent batch items;
the Python side (``neuron_circuit_fused.run_ranges``) splits a batch into contiguous ranges over
``torch.get_num_threads()`` threads. No ``parallel=True``/``prange`` (its parfor machinery multiplies the
first, uncached compile time), and numba is a hard dependency (no fallbacks).

* ``stage`` -- right-hand side of one SV/MTJ-nMOS neuron (compact pendulum, TMR readout, level-1 nMOS in
  series with the junction: saturation in closed form, triode by Newton) with its tangent-linear model
  (forward-mode sensitivities for any number of parameters);
* ``circuit_range`` -- RK4 of neuron circuits with the spike-triggered feedback (``circuits.neuron_circuit``);
* ``network_range`` -- the spike-timing network of ``nn.spike_timing`` with forward sensitivities of every
  first-spike time (``nn.spike_timing_fused``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def stage(phi, mz, dphi, dmz, v, dv, c, out_d):
    """Right-hand side and its tangent for one neuron; returns (fphi, fmz, current) and writes
    the tangents (dfphi, dfmz) into out_d[0, :], out_d[1, :]."""
    (wm, hk2, damp, dan, cdrv, cphi, g0, g1, readout_y, vt, kk, lam, vdd) = (
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12])
    nd = dphi.shape[0]
    # junction resistance and its partials
    if readout_y > 0.5:
        root = math.sqrt(max(1.0 - mz * mz, 0.0))
        cos_t = math.sin(phi) * root
        dcos_dphi = math.cos(phi) * root
        dcos_dmz = -math.sin(phi) * mz / root if root > 0.0 else 0.0
    else:
        cos_t = mz
        dcos_dphi = 0.0
        dcos_dmz = 1.0
    g = g0 + g1 * cos_t
    r = 1.0 / g
    dr_dcos = -g1 * r * r
    # nMOS in series with r
    v_ov = v - vt
    cur = 0.0
    i_v = 0.0
    i_r = 0.0
    if v_ov > 0.0:
        a = 0.5 * kk * v_ov * v_ov
        den = 1.0 + lam * r * a
        cur = a * (1.0 + lam * vdd) / den
        if vdd - cur * r >= v_ov:
            i_v = kk * v_ov * (1.0 + lam * vdd) / (den * den)
            i_r = -lam * a * cur / den
        else:
            x = min(v_ov, vdd)
            for _ in range(6):
                gg = kk * (v_ov * x - 0.5 * x * x)
                dg = kk * (v_ov - x)
                clm = 1.0 + lam * x
                f = (vdd - x) / r - gg * clm
                df = -1.0 / r - dg * clm - gg * lam
                x = x - f / df
                if x < 0.0:
                    x = 0.0
                if x > v_ov:
                    x = v_ov
            gg = kk * (v_ov * x - 0.5 * x * x)
            dg = kk * (v_ov - x)
            clm = 1.0 + lam * x
            f_x = -1.0 / r - dg * clm - gg * lam
            f_v = -kk * x * clm
            f_r = -(vdd - x) / (r * r)
            dx_dv = -f_v / f_x
            dx_dr = -f_r / f_x
            cur = (vdd - x) / r
            i_v = -dx_dv / r
            i_r = -(vdd - x) / (r * r) - dx_dr / r
    s2 = math.sin(2.0 * phi)
    c2 = math.cos(2.0 * phi)
    cp = math.cos(phi)
    fac = 1.0 + dan * cp * cp
    fphi = -wm * mz - cphi * cur
    fmz = hk2 * s2 - damp * mz * fac + cdrv * cur
    for d in range(nd):
        dr = dr_dcos * (dcos_dphi * dphi[d] + dcos_dmz * dmz[d])
        di = i_v * dv[d] + i_r * dr
        out_d[0, d] = -wm * dmz[d] - cphi * di
        out_d[1, d] = (2.0 * hk2 * c2 + damp * mz * dan * s2) * dphi[d] - damp * fac * dmz[d] + cdrv * di
    return fphi, fmz, cur


@njit(nogil=True, cache=True, error_model="numpy")
def circuit_range(start, stop, vg, consts, v_ref, tau_ref, v_adapt, tau_adapt, dt, n_steps, phi_out, mz_out, cur_out, energy, t_spk, p_spk,
                  n_spk):
    """RK4 over ``n_steps`` for each neuron b in [start, stop): gate voltages vg (2n+1, B) on the half-step grid; writes
    phi, m_z (n+1, B), the current at each step start (n+1, B), the supply energy (B,), and the spike
    times t_spk (B, K), polarities p_spk (B, K) and counts n_spk (B,) (spikes beyond K are counted, not stored)."""
    k_max = t_spk.shape[1]
    e_ref = math.exp(-0.5 * dt / tau_ref)
    e_ad = math.exp(-0.5 * dt / tau_adapt)
    vdd = consts[12]
    for b in range(start, stop):
        empty = np.zeros(0)
        kd = np.zeros((2, 0))
        phi = 0.0
        mz = 0.0
        r_ref = 0.0
        r_ad = 0.0
        acc = 0.0
        phi_out[0, b] = 0.0
        mz_out[0, b] = 0.0
        kp = np.zeros(4)
        km = np.zeros(4)
        cs = np.zeros(4)
        for step in range(n_steps):
            t = step * dt
            for st in range(4):
                if st == 0:
                    a_phi, a_mz, si, rr, ra = phi, mz, 0, r_ref, r_ad
                elif st == 3:
                    a_phi, a_mz, si = phi + dt * kp[2], mz + dt * km[2], 2
                    rr, ra = r_ref * e_ref * e_ref, r_ad * e_ad * e_ad
                else:
                    a_phi, a_mz, si = phi + 0.5 * dt * kp[st - 1], mz + 0.5 * dt * km[st - 1], 1
                    rr, ra = r_ref * e_ref, r_ad * e_ad
                v = vg[2 * step + si, b] - v_ref * rr - v_adapt * ra
                fphi, fmz, cur = stage(a_phi, a_mz, empty, empty, v, empty, consts, kd)
                kp[st] = fphi
                km[st] = fmz
                cs[st] = cur
            cur_out[step, b] = cs[0]
            acc += (dt / 6.0) * (cs[0] + 2.0 * cs[1] + 2.0 * cs[2] + cs[3])
            phi0 = phi
            phi = phi + (dt / 6.0) * (kp[0] + 2.0 * kp[1] + 2.0 * kp[2] + kp[3])
            mz = mz + (dt / 6.0) * (km[0] + 2.0 * km[1] + 2.0 * km[2] + km[3])
            r_ref = r_ref * e_ref * e_ref
            r_ad = r_ad * e_ad * e_ad
            q0 = math.floor((phi0 - 0.5 * math.pi) / math.pi)
            q1 = math.floor((phi - 0.5 * math.pi) / math.pi)
            if q1 != q0:
                level = 0.5 * math.pi + math.pi * (q0 if q1 < q0 else q1)
                frac = min(max((level - phi0) / (phi - phi0), 0.0), 1.0)
                tf = t + frac * dt
                after = (t + dt) - tf
                r_ref += math.exp(-after / tau_ref)
                r_ad += math.exp(-after / tau_adapt)
                if n_spk[b] < k_max:
                    t_spk[b, n_spk[b]] = tf
                    p_spk[b, n_spk[b]] = 1 if q1 < q0 else -1
                n_spk[b] += 1
            phi_out[step + 1, b] = phi
            mz_out[step + 1, b] = mz
        v = vg[2 * n_steps, b] - v_ref * r_ref - v_adapt * r_ad
        fphi, fmz, cur = stage(phi, mz, empty, empty, v, empty, consts, kd)
        cur_out[n_steps, b] = cur
        energy[b] = vdd * acc
    return 0



@njit(cache=True, error_model="numpy")
def kernel_value(u: float, tau: float) -> float:
    if u <= 0.0:
        return 0.0
    x = u / tau
    return x * math.exp(1.0 - x)


@njit(cache=True, error_model="numpy")
def kernel_slope(u: float, tau: float) -> float:
    if u <= 0.0:
        return 0.0
    x = u / tau
    return (1.0 - x) * math.exp(1.0 - x) / tau


@njit(nogil=True, cache=True, error_model="numpy")
def network_range(start, stop, wh, wo, tin, consts, tau, n_steps, dt, t_out, d_out, mp, d_mp, mg, d_mg, spk):
    """Forward + sensitivities for the jobs [start, stop) of all (network n, pattern p), job = n P + p.

    wh (N, H, I), wo (N, H + 1), tin (P, I) input spike times (the last input is the bias, which also
    drives the output). Outputs (N, P, H + 1) over neurons [hidden..., output]: first spike time
    ``t_out`` (s; the window end if none) and its gradient ``d_out`` (..., D), maximum phase advance
    ``mp`` = max(-phi) up to the first spike and its gradient ``d_mp``; the maximum gate voltage up to the
    first spike ``mg`` and its gradient ``d_mg``; spike flags ``spk``. D = H*I + H + 1 weights in the
    order [wh.flatten(), wo].
    """
    n_net, n_hid, n_in = wh.shape
    n_pat = tin.shape[0]
    nd = n_hid * n_in + n_hid + 1
    nn_ = n_hid + 1
    for job in range(start, stop):
        n = job // n_pat
        p = job % n_pat
        phi = np.zeros(nn_)
        mz = np.zeros(nn_)
        dphi = np.zeros((nn_, nd))
        dmz = np.zeros((nn_, nd))
        th = np.zeros(nn_)
        dth = np.zeros((nn_, nd))
        has = np.zeros(nn_, dtype=np.bool_)
        mpx = np.zeros(nn_)
        dmpx = np.zeros((nn_, nd))
        mgx = np.full(nn_, -1e300)
        dmgx = np.zeros((nn_, nd))
        v = np.zeros((3, nn_))
        dv = np.zeros((3, nn_, nd))
        kd = np.zeros((2, nd))
        k_phi = np.zeros((4, nn_))
        k_mz = np.zeros((4, nn_))
        k_dphi = np.zeros((4, nn_, nd))
        k_dmz = np.zeros((4, nn_, nd))
        sphi = np.zeros(nd)
        smz = np.zeros(nd)
        for step in range(n_steps):
            t = step * dt
            # gate voltages and their tangents at t, t + dt/2, t + dt
            for s in range(3):
                tt = t + 0.5 * dt * s
                for h in range(n_hid):
                    acc = 0.0
                    for d in range(nd):
                        dv[s, h, d] = 0.0
                    for i in range(n_in):
                        kv = kernel_value(tt - tin[p, i], tau)
                        acc += wh[n, h, i] * kv
                        dv[s, h, h * n_in + i] = kv
                    v[s, h] = acc
                o = n_hid
                for d in range(nd):
                    dv[s, o, d] = 0.0
                kb = kernel_value(tt - tin[p, n_in - 1], tau)
                acc = wo[n, n_hid] * kb
                dv[s, o, n_hid * n_in + n_hid] = kb
                for h in range(n_hid):
                    if has[h]:
                        kv = kernel_value(tt - th[h], tau)
                        ks = kernel_slope(tt - th[h], tau)
                        acc += wo[n, h] * kv
                        dv[s, o, n_hid * n_in + h] += kv
                        for d in range(nd):
                            dv[s, o, d] -= wo[n, h] * ks * dth[h, d]
                v[s, o] = acc
            # RK4 stages
            for j in range(nn_):
                if not has[j] and v[0, j] > mgx[j]:
                    mgx[j] = v[0, j]
                    for d in range(nd):
                        dmgx[j, d] = dv[0, j, d]
                for st in range(4):
                    if st == 0:
                        a_phi = phi[j]
                        a_mz = mz[j]
                        for d in range(nd):
                            sphi[d] = dphi[j, d]
                            smz[d] = dmz[j, d]
                        si = 0
                    else:
                        hstep = dt if st == 3 else 0.5 * dt
                        a_phi = phi[j] + hstep * k_phi[st - 1, j]
                        a_mz = mz[j] + hstep * k_mz[st - 1, j]
                        for d in range(nd):
                            sphi[d] = dphi[j, d] + hstep * k_dphi[st - 1, j, d]
                            smz[d] = dmz[j, d] + hstep * k_dmz[st - 1, j, d]
                        si = 2 if st == 3 else 1
                    fphi, fmz, _cur = stage(a_phi, a_mz, sphi, smz, v[si, j], dv[si, j], consts, kd)
                    k_phi[st, j] = fphi
                    k_mz[st, j] = fmz
                    for d in range(nd):
                        k_dphi[st, j, d] = kd[0, d]
                        k_dmz[st, j, d] = kd[1, d]
                phi0 = phi[j]
                w6 = dt / 6.0
                phi1 = phi0 + w6 * (k_phi[0, j] + 2.0 * k_phi[1, j] + 2.0 * k_phi[2, j] + k_phi[3, j])
                mz[j] = mz[j] + w6 * (k_mz[0, j] + 2.0 * k_mz[1, j] + 2.0 * k_mz[2, j] + k_mz[3, j])
                for d in range(nd):
                    sphi[d] = dphi[j, d]  # tangent of phi0
                    dphi[j, d] = dphi[j, d] + w6 * (k_dphi[0, j, d] + 2.0 * k_dphi[1, j, d] + 2.0 * k_dphi[2, j, d] + k_dphi[3, j, d])
                    dmz[j, d] = dmz[j, d] + w6 * (k_dmz[0, j, d] + 2.0 * k_dmz[1, j, d] + 2.0 * k_dmz[2, j, d] + k_dmz[3, j, d])
                phi[j] = phi1
                # first saddle crossing; the phase advance is tracked up to (and including) it
                if not has[j]:
                    if -phi1 > mpx[j]:
                        mpx[j] = -phi1
                        for d in range(nd):
                            dmpx[j, d] = -dphi[j, d]
                    q0 = math.floor((phi0 - 0.5 * math.pi) / math.pi)
                    q1 = math.floor((phi1 - 0.5 * math.pi) / math.pi)
                    if q1 != q0:
                        level = 0.5 * math.pi + math.pi * (q0 if q1 < q0 else q1)
                        delta = phi1 - phi0
                        frac = (level - phi0) / delta
                        clamped = frac < 0.0 or frac > 1.0
                        frac = min(max(frac, 0.0), 1.0)
                        th[j] = t + frac * dt
                        for d in range(nd):
                            if clamped:
                                dth[j, d] = 0.0
                            else:
                                dth[j, d] = dt * (-sphi[d] * delta - (level - phi0) * (dphi[j, d] - sphi[d])) / (delta * delta)
                        has[j] = True
        for j in range(nn_):
            spk[n, p, j] = has[j]
            t_out[n, p, j] = th[j] if has[j] else n_steps * dt
            mp[n, p, j] = mpx[j]
            mg[n, p, j] = mgx[j]
            for d in range(nd):
                d_out[n, p, j, d] = dth[j, d] if has[j] else 0.0
                d_mp[n, p, j, d] = dmpx[j, d]
                d_mg[n, p, j, d] = dmgx[j, d]
    return 0
