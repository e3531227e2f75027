"""Fused CPU kernels (numba) for the SV/MTJ-nMOS neuron circuit of ``circuits.neuron_circuit``.

``stage`` is the right-hand side of one neuron -- compact pendulum, TMR readout, level-1 nMOS in series
with the junction (saturation in closed form, triode by Newton) -- together with its tangent-linear
model (forward-mode sensitivities for any number of parameters; ``nn.spike_timing_fused`` uses them).
``circuit_kernel`` integrates a batch of neuron circuits with RK4 and the spike-triggered feedback,
exactly as ``neuron_circuit.circuit_step`` does step by step in torch (the reference; tested equal).
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba as _numba

    AVAILABLE = True
except ImportError:  # pragma: no cover - numba is a dependency
    AVAILABLE = False


def fused_constants(circuit) -> np.ndarray:
    """Packed constants of a ``NeuronCircuitParams`` for the kernels (see ``stage``)."""
    k = circuit.device.coefficients
    n = circuit.nmos
    return np.array([
        k.omega_m, k.half_omega_k, k.damping, k.damping_anisotropy, k.drive_per_ampere, k.phase_drive_per_ampere,
        k.g_mean, k.g_swing, 1.0 if circuit.device.readout == "y" else 0.0, n.vt, n.k, n.lam, circuit.v_dd,
    ])


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



def _circuit(vg, consts, v_ref, tau_ref, v_adapt, tau_adapt, dt, n_steps, phi_out, mz_out, cur_out, energy, t_spk, p_spk, n_spk):
    """RK4 over ``n_steps`` for each neuron b: gate voltages vg (2n+1, B) on the half-step grid; writes
    phi, m_z (n+1, B), the current at each step start (n+1, B), the supply energy (B,), and the spike
    times t_spk (B, K), polarities p_spk (B, K) and counts n_spk (B,) (spikes beyond K are counted, not stored)."""
    n_b = vg.shape[1]
    k_max = t_spk.shape[1]
    e_ref = math.exp(-0.5 * dt / tau_ref)
    e_ad = math.exp(-0.5 * dt / tau_adapt)
    vdd = consts[12]
    for b in _numba.prange(n_b):
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


if AVAILABLE:
    stage = _numba.njit(cache=True)(stage)
    _circuit = _numba.njit(cache=True, parallel=True)(_circuit)


def circuit_kernel(vg: np.ndarray, circuit, dt: float, max_spikes: int = 256) -> dict[str, np.ndarray]:
    """Run ``_circuit`` for gate voltages ``vg`` (2n+1, B) in V (float64) with the ``NeuronCircuitParams`` ``circuit``."""
    if not AVAILABLE:  # pragma: no cover
        raise ImportError("numba is not installed; use backend='torch'")
    n = (vg.shape[0] - 1) // 2
    b = vg.shape[1]
    out = {
        "phi": np.zeros((n + 1, b)), "mz": np.zeros((n + 1, b)), "current": np.zeros((n + 1, b)), "energy": np.zeros(b),
        "t_spk": np.full((b, max_spikes), np.nan), "p_spk": np.zeros((b, max_spikes), dtype=np.int64),
        "n_spk": np.zeros(b, dtype=np.int64),
    }
    _circuit(np.ascontiguousarray(vg, dtype=np.float64), fused_constants(circuit), float(circuit.v_ref), float(circuit.tau_ref),
             float(circuit.v_adapt), float(circuit.tau_adapt), float(dt), int(n), out["phi"], out["mz"], out["current"],
             out["energy"], out["t_spk"], out["p_spk"], out["n_spk"])
    return out
