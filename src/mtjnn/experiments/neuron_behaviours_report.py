"""Report of `mtjnn neuron`: the one-screen summary and the figure of each behaviour (``neuron_behaviours``).

Both read a behaviour's measurement dict (the ``measure_<name>`` result whose public keys go to metrics.json):
times in s, currents in A, powers in W, energies in J, gate amplitudes in V.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .common import pyplot


def summary_rows(m: dict[str, Any], cfg: Any) -> list[tuple[str, str]]:
    """The one-screen summary of the behaviours in ``m`` (metrics.json's content), each next to the source's number;
    ``cfg``: the ``BehaviourConfig``."""
    rows = []
    ns, ua, uw = 1e9, 1e6, 1e6
    if "threshold" in m:
        t = m["threshold"]
        rows += [
            ("threshold (0.3 ns pulse)", f"A_th = {t['a_th_v']:.3f} V gate = {t['i_th_a'] * ua:.1f} uA; 0.95 A_th -> {t['spikes_at_0.95']} spikes, 1.05 A_th -> {t['spikes_at_1.05']}"),
            ("spike width (FWHM of m_z)", f"{t['spike_fwhm_s'] * ns:.2f} ns   (paper: ~1 ns)"),
            ("peak power / energy per spike", f"{t['peak_power_w'] * uw:.1f} uW / {t['spike_energy_j'] * 1e15:.1f} fJ   (paper: <= 50 uW)"),
            ("current at rest", f"{t['resting_current_a'] * ua:.2f} uA   (paper: no bias current)"),
        ]
    if "latency" in m:
        lat = [x for x in m["latency"]["latency_s"] if np.isfinite(x)]
        rows.append(("latency", f"{max(lat) * ns:.2f} ns near A_th -> {min(lat) * ns:.2f} ns at 2 A_th (diverges at A_th)"))
    if "integration" in m:
        g = m["integration"]
        rows.append(("temporal integration", f"two {g['pulse_current_a'] * ua:.1f} uA pulses (alone: {g['single_pulse_spikes']} spikes) spike for gaps <= {g['t_int_s'] * ns:.2f} ns; spatial pair: {g['spatial_pair_spikes']} spike"))
    if "refraction" in m:
        r = m["refraction"]
        rows.append(("refraction", f"absolute {r['t_abs_s'] * ns:.2f} ns (no 2nd spike up to {r['max_ratio_tested']:.0f}x), relative {r['t_rel_s'] * ns:.2f} ns after the spike"))
    if "inhibition" in m:
        h = m["inhibition"]
        rows.append(("inhibition", f"1.2 A_th: {h['spikes_without_inhibition']} -> {h['spikes_with_inhibition']} spikes with {h['inhibitory_v']:.2f} V inhibition; threshold slope {h['threshold_slope']:.3f} V/V"))
    if "adaptation" in m:
        a = m["adaptation"]
        rows.append(("adaptation", f"ISI_last/ISI_1 = {', '.join(f'{x:.2f}' for x in a['ratio_last_first'])} (control {', '.join(f'{x:.2f}' for x in a['ratio_last_first_control'])}); v_adapt = {a['v_adapt'] * 1e3:.0f} mV, tau = {a['tau_adapt_s'] * ns:.0f} ns"))
    if "spike_train" in m:
        s = m["spike_train"]
        r = [x for x in s["rate_hz"] if x > 0]
        rows.append(("spike trains", f"rate {min(r) / 1e6:.0f}-{max(r) / 1e6:.0f} MHz for {s['currents_a'][0] * ua:.0f}-{s['currents_a'][-1] * ua:.0f} uA dc" if r else "no trains"))
    rows.append(("settings", f"{cfg.fidelity}, dt = {cfg.dt * 1e12:.0f} ps, mu0 M_eff = {cfg.circuit.device.meff} T, mu0 H_K = {cfg.circuit.device.hk * 1e3:.0f} mT, alpha = {cfg.circuit.device.alpha}"))
    return rows


def plot_behaviour(name: str, m: dict[str, Any], path: Path) -> None:
    """The figure of one behaviour: the kept traces (``m["_trace"]``) and its sweep, written to ``path``."""
    plt = pyplot()

    ns = 1e9
    fig, axes = plt.subplots(1, 3 if name == "threshold" else 2, figsize=(16 if name == "threshold" else 11, 4))
    ax, bx = axes[:2]
    tr = m.get("_trace")
    if tr is not None:
        for j in range(tr["v_in"].shape[1]):
            ax.plot(tr["t"] * ns, tr["v_in"][:, j], lw=1, label=f"V_gate #{j}")
            ax.plot(tr["t"] * ns, tr["mz"][:, j] * 5, lw=1.2, label=f"5 m_z #{j}")
        ax.set_xlabel("time (ns)")
        ax.set_ylabel("V_gate (V), 5 m_z")
        ax.legend(fontsize=7)
    if name == "threshold":
        bx.step(np.array(m["sweep_v"]), m["sweep_counts"], where="mid")
        bx.axvline(m["a_th_v"], color="k", ls=":")
        bx.set_xlabel("gate pulse amplitude (V)")
        bx.set_ylabel("spikes")
        cx = axes[2]
        cx.loglog(np.array(m["widths_s"]) * ns, np.array(m["threshold_a_vs_width"]) * 1e6, "o-", color="C1")
        cx.set_xlabel("gate pulse width (ns)")
        cx.set_ylabel("threshold drain current (µA)")
        cx.grid(alpha=0.3, which="both")
    elif name == "latency":
        bx.semilogx(np.array(m["factors"]) - 1, np.array(m["latency_s"]) * ns, "o-")
        bx.set_xlabel("A / A_th - 1")
        bx.set_ylabel("latency (ns)")
    elif name == "integration":
        bx.plot(np.array(m["gaps_s"]) * ns, np.array(m["spiked"], dtype=float), "o-")
        bx.set_xlabel("gap between the two pulses (ns)")
        bx.set_ylabel("spike (1) / none (0)")
    elif name == "refraction":
        r = np.array(m["pair_threshold_ratio"])
        r[~np.isfinite(r)] = m["max_ratio_tested"] * 1.1
        bx.plot(np.array(m["delay_after_spike_s"]) * ns, r, "o-")
        bx.axhline(1.0, color="k", ls=":")
        bx.axvspan(min(m["delay_after_spike_s"]) * ns, m["t_abs_s"] * ns, color="0.85", label="absolute")
        bx.set_xlabel("second pulse onset after the first spike (ns)")
        bx.set_ylabel("A2_th / A_th (drain current)")
        bx.legend(fontsize=8)
    elif name == "inhibition":
        bx.plot(m["inhibition_v"], m["threshold_v"], "o-")
        bx.set_xlabel("inhibitory gate amplitude (V)")
        bx.set_ylabel("excitatory threshold (V)")
    elif name == "adaptation":
        for j, s in enumerate(m["isi_s"]):
            bx.plot(np.array(s) * ns, "o-", label=f"{m['currents_a'][j] * 1e6:.0f} µA")
        for j, s in enumerate(m["isi_control_s"]):
            bx.plot(np.array(s) * ns, "x:", label=f"control (v_adapt = 0) {m['currents_a'][j] * 1e6:.0f} µA")
        bx.set_xlabel("spike index")
        bx.set_ylabel("inter-spike interval (ns)")
        bx.legend(fontsize=7)
    elif name == "spike_train":
        i = np.array(m["currents_a"]) * 1e6
        bx.plot(i, np.array(m["rate_hz"]) / 1e6, "o-", label="circuit (feedback on)")
        bx.plot(i, np.array(m["bare_rate_hz"]) / 1e6, "s-", label="bare device")
        bx.plot(i, np.array(m["overdamped_formula_hz"]) / 1e6, "k:", label="overdamped pendulum formula")
        bx.set_xlabel("dc current (µA)")
        bx.set_ylabel("spike rate (MHz)")
        bx.legend(fontsize=7)
    fig.suptitle(f"SV/MTJ-nMOS neuron: {name}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
