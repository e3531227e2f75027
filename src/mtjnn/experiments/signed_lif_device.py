"""`mtjnn run signed-lif`: the orthogonal-easy-axis MTJ as a signed spiking neuron, and its signed-LIF fit (seed 001).

What it measures, all from our own LLGS simulations (``devices.signed_lif_macrospin.OrthogonalMTJ``):
closed forms (rheobase I_c, current density, time constant, damping ratio, barrier at 300 K) checked
against the simulation (static tilt, Adler firing rate); the signed LIF fitted to the input bank three
ways (joint, membrane-first, spike-first) with the paper's criteria; the f-I curve of device, LIF and
Adler closed form; energy per spike; thermal noise at 300 K and its effect on spike signs; and the
geometry (W x L at T = 50 nm) and damping maps of where the signed behaviour holds. Writes config.json,
metrics.json, signed_lif_params.json (the fitted neuron, read by ``mtjnn run cifar10``), traces.png,
f_i.png, geometry.png.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from tqdm import tqdm

from ..devices.signed_lif_fit import SignedLIFFit, fit_device, run_model
from ..devices.signed_lif_macrospin import OrthogonalMTJ
from ..validation import check_positive, check_range
from .common import results_dir, save_json, seed_everything, summary_table
from .contract import refuse_resume
from .records import Estimate
from .results import write_config
from .signed_lif_plots import plot_fi, plot_geometry, plot_traces

FIT_OBJECTIVES = ("joint", "membrane", "spikes")
SIGNED_BEHAVIOUR_BARRIER = 40.0  # Delta at 300 K below which thermal flips would fire the neuron at random (years -> ms)


@dataclass(frozen=True)
class SignedLIFDeviceConfig:
    """Inputs of ``run``. device: the junction. clock: s per input value (one network step). duration: s of each bank
    sequence. samples_per_clock, dt: trace sampling and integration step (s). temperature: K of the thermal check
    (0 skips it), thermal_trials: repetitions of the bank at that temperature. sweep: the geometry and damping
    maps; widths, lengths (m, at the device's height) and alphas of the maps. seed."""

    #: ``--quick``: a 20 ns bank, one thermal trial, no maps (contract.quick_config).
    QUICK: ClassVar[dict[str, Any]] = {"duration": 20e-9, "thermal_trials": 1, "sweep": False}

    device: OrthogonalMTJ = field(default_factory=OrthogonalMTJ)
    clock: float = 300e-12
    duration: float = 100e-9
    samples_per_clock: int = 10
    dt: float = 1e-12
    temperature: float = 300.0
    thermal_trials: int = 2
    sweep: bool = True
    widths: tuple[float, ...] = (6e-9, 8e-9, 10e-9, 12e-9, 14e-9)
    lengths: tuple[float, ...] = (30e-9, 40e-9, 45e-9, 48e-9)
    alphas: tuple[float, ...] = (0.02, 0.05, 0.1, 0.2, 0.36, 0.5, 1.0)
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("clock", self.clock, 10e-12, 100e-9, unit="s")
        check_range("duration", self.duration, 20 * self.clock, 10e-6, unit="s")
        check_range("samples_per_clock", self.samples_per_clock, 1, 1000)
        check_range("dt", self.dt, 1e-15, self.clock / self.samples_per_clock, unit="s")
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        check_range("thermal_trials", self.thermal_trials, 1, 1000)
        for name in ("widths", "lengths"):
            check_positive(name, getattr(self, name), unit="m")
        check_positive("alphas", self.alphas)


def closed_forms(device: OrthogonalMTJ) -> dict[str, float]:
    """The device's closed-form numbers (SI): demag factors, rheobase, current density, time constant, damping ratio,
    barrier at 300 K, a_J per ampere, resistance at rest (m.p = 0)."""
    n = device.demag
    return {
        "demag_factors": list(n), "critical_current_a": device.critical_current(),
        "critical_current_density_a_per_m2": device.critical_current() / device.area,
        "time_constant_s": device.time_constant(), "damping_ratio": device.damping_ratio(),
        "thermal_stability_300k": device.thermal_stability(300.0), "stt_t_per_a": device.stt_per_ampere,
        "in_plane_field_t": device.in_plane_field, "hard_axis_field_t": device.hard_axis_field,
        "resistance_at_rest_ohm": float(device.resistance(torch.tensor(0.0))),
        "voltage_at_rheobase_v": device.critical_current() * float(device.resistance(torch.tensor(0.0))),
    }


def firing_curve(device: OrthogonalMTJ, levels: np.ndarray, *, duration: float = 40e-9, dt: float = 1e-12) -> np.ndarray:
    """Firing rate (spikes/s) of ``device`` under dc currents ``levels`` (A), counted over the second half of ``duration``
    (one batched LLGS call)."""
    clock = duration / 2
    traces = device.run(torch.as_tensor(np.repeat(levels[:, None], 2, axis=1)), clock, samples_per_clock=1, dt=dt)
    return np.abs(traces.spikes[:, 1]) / clock


def lif_rate(fit: SignedLIFFit, i: np.ndarray) -> np.ndarray:
    """Firing rate (1/s) of the fitted continuous LIF under dc input i (units of I_ref): 1 / (tau ln((R i - r)/(R i - theta)))."""
    m = fit.model
    drive = m.r * i
    with np.errstate(divide="ignore", invalid="ignore"):
        period = m.tau * np.log((drive - m.reset_value) / (drive - m.theta_pos))
    return np.where(drive > m.theta_pos, 1.0 / period, 0.0)


def sign_errors(traces, bank) -> dict[str, int]:
    """Spikes whose sign differs from the sign of the current in their clock period, and spikes with no current."""
    spikes, cur = traces.spikes, bank.currents
    fired = spikes != 0
    return {"spikes": int(np.abs(spikes).sum()), "wrong_sign": int((fired & (np.sign(spikes) != np.sign(cur)) & (cur != 0)).sum()),
            "without_input": int((fired & (cur == 0)).sum())}


@dataclass(frozen=True)
class MapPoint:
    """One point of the geometry / damping maps (``geometry_point``; written as a dict of these fields in
    metrics.json's ``geometry_map`` and ``damping_map``): the junction's dimensions (m) and damping, its damping
    ratio, barrier at 300 K (k_B T) and rheobase (A), the joint fit's RMSE / theta and spike-time error / ISI,
    the wrong-sign spikes at 0 K, whether the signed behaviour holds and whether the fit meets the paper's limits."""

    width_m: float
    length_m: float
    height_m: float
    alpha: float
    damping_ratio: float
    thermal_stability_300k: float
    critical_current_a: float
    rmse_over_theta: float
    spike_time_error: float
    wrong_sign_spikes: int
    signed_behaviour: bool
    fit_passes: bool


def geometry_point(device: OrthogonalMTJ, clock: float, dt: float) -> MapPoint:
    """One point of the maps: closed forms, a quick joint fit on a 30 ns bank, and whether the signed behaviour holds
    (overdamped: one spike per flip, no ringing; barrier >= 40 at 300 K; at 0 K at most 1 % of the spikes of the sign
    opposite to the current of their clock period)."""
    fit, traces, bank = fit_device(device, clock, duration=30e-9, samples_per_clock=10, dt=dt, restarts=1)
    errors = sign_errors(traces, bank)
    zeta, barrier = device.damping_ratio(), device.thermal_stability(300.0)
    return MapPoint(
        width_m=device.width, length_m=device.length, height_m=device.height, alpha=device.alpha,
        damping_ratio=zeta, thermal_stability_300k=barrier, critical_current_a=device.critical_current(),
        rmse_over_theta=fit.rmse_over_theta, spike_time_error=fit.spike_time_error, wrong_sign_spikes=errors["wrong_sign"],
        signed_behaviour=bool(zeta > 1 and barrier >= SIGNED_BEHAVIOUR_BARRIER and errors["wrong_sign"] <= 0.01 * errors["spikes"]),
        fit_passes=fit.passes,
    )


def run(config: SignedLIFDeviceConfig, out_root: str | Path = "results", resume: str | Path | None = None) -> dict[str, Any]:
    """Characterize, fit, sweep, plot; returns the metrics (also written to metrics.json)."""
    refuse_resume("signed_lif", resume)
    gen = seed_everything(config.seed)
    out = results_dir("signed_lif", out_root)
    write_config(out, "signed_lif", config)
    device, started = config.device, time.perf_counter()
    metrics: dict[str, Any] = {"units": "SI (A, s, ohm, J, T)", "closed_forms": closed_forms(device)}
    bar = tqdm(total=len(FIT_OBJECTIVES) + 3 + (len(config.widths) * len(config.lengths) + len(config.alphas) if config.sweep else 0),
               desc="signed-lif", unit="task")
    fits: dict[str, SignedLIFFit] = {}
    for objective in FIT_OBJECTIVES:
        fits[objective], traces, bank = fit_device(device, config.clock, duration=config.duration, samples_per_clock=config.samples_per_clock,
                                                   dt=config.dt, objective=objective, seed=config.seed)
        bar.update()
    fit = fits["joint"]
    metrics["fits"] = {k: f.summary() for k, f in fits.items()}
    network_neuron = fit.model.discrete(config.clock)
    metrics["network_neuron"] = dataclasses.asdict(network_neuron)
    metrics["network_neuron_normalized"] = dataclasses.asdict(network_neuron.normalized())
    save_json(out / "signed_lif_params.json", {"fit": fit.summary(), "device": device, "clock_s": config.clock,
                                               "params": network_neuron})
    spikes = max(int(np.abs(traces.spikes).sum()), 1)
    metrics["energy"] = {"bank_total_j": float(traces.energy.sum()), "per_device_spike_j": float(traces.energy.sum()) / spikes,
                         "note": "Joule energy I^2 R(m.p) of the whole bank (sub-threshold integration included) per spike"}
    metrics["sign_errors_0k"] = sign_errors(traces, bank)

    # f-I: device vs Adler closed form vs fitted LIF
    levels = np.linspace(1.1, 3.0, 16)
    rate_device = firing_curve(device, levels * bank.i_ref, dt=config.dt)
    rate_adler = np.array([1.0 / device.spike_period(i * bank.i_ref) for i in levels])
    rate_lif = lif_rate(fit, levels)
    metrics["firing_curve"] = {"current_over_ic": levels, "device_hz": rate_device, "adler_closed_form_hz": rate_adler, "lif_fit_hz": rate_lif,
                               "adler_rel_error_max": float(np.max(np.abs(rate_adler / rate_device - 1)))}
    sustained = 1.5 * bank.i_ref
    metrics["energy"]["per_spike_sustained_1p5ic_j"] = sustained**2 * float(device.resistance(torch.tensor(0.0))) * device.spike_period(sustained)
    bar.update()

    if config.temperature > 0:
        warm = dataclasses.replace(device, temperature=config.temperature)
        counts = []
        for _ in range(config.thermal_trials):
            hot = warm.run(torch.as_tensor(bank.currents), config.clock, samples_per_clock=1, dt=config.dt, generator=gen)
            counts.append(sign_errors(hot, bank) | {"spike_count_change": int(np.abs(hot.spikes).sum()) - int(np.abs(traces.spikes).sum())})
        rest = warm.run(torch.zeros(64, 200, dtype=torch.float64), config.clock, samples_per_clock=1, dt=config.dt, generator=gen)
        metrics["thermal"] = {"temperature_k": config.temperature, "trials": counts,
                              "wrong_sign_fraction": Estimate.proportion(sum(c["wrong_sign"] for c in counts) / max(sum(c["spikes"] for c in counts), 1),
                                                                   sum(c["spikes"] for c in counts), over="spikes of all trials"),
                              "spontaneous_spikes_at_rest": int(np.abs(rest.spikes).sum()),
                              "rest_time_s": 64 * 200 * config.clock}
    bar.update()

    x = bank.currents / bank.i_ref
    h = config.clock / config.samples_per_clock
    u_model, _ = run_model(fit.model, np.repeat(x, config.samples_per_clock, axis=1).T, h)
    plot_traces(traces, bank, u_model, fit, out / "traces.png")
    plot_fi(levels, rate_device, rate_adler, rate_lif, out / "f_i.png")
    bar.update()

    if config.sweep:
        geometry, damping = [], []
        for w in config.widths:
            for length in config.lengths:
                if w < length < device.height:
                    geometry.append(geometry_point(dataclasses.replace(device, width=w, length=length), config.clock, config.dt))
                bar.update()
        for a in config.alphas:
            damping.append(geometry_point(dataclasses.replace(device, alpha=a), config.clock, config.dt))
            bar.update()
        metrics["geometry_map"], metrics["damping_map"] = geometry, damping
        plot_geometry(geometry, damping, device, out / "geometry.png")
    bar.close()
    metrics["wall_time_s"] = time.perf_counter() - started
    save_json(out / "metrics.json", metrics)
    print(summary_table(_summary_rows(metrics), f"signed LIF from an orthogonal-easy-axis MTJ -> {out}"))
    return metrics


def _summary_rows(m: dict[str, Any]) -> list[tuple[str, str]]:
    c, f = m["closed_forms"], m["fits"]
    rows = [
        ("rheobase I_c", f"{c['critical_current_a'] * 1e3:.3f} mA ({c['critical_current_density_a_per_m2']:.2e} A/m^2, {c['voltage_at_rheobase_v']:.2f} V)"),
        ("time constant / damping ratio", f"{c['time_constant_s'] * 1e12:.0f} ps / zeta {c['damping_ratio']:.2f}"),
        ("barrier at 300 K", f"{c['thermal_stability_300k']:.1f} kT"),
    ]
    for name, s in f.items():
        rows.append((f"LIF fit ({name})", f"RMSE/theta {s['rmse_over_theta']:.3f}, spike-time error {s['spike_time_error']:.3f} "
                                           f"(limits 0.03 / 0.05: {'pass' if s['passes'] else 'fail'})"))
    n = m["network_neuron_normalized"]
    rows.append(("network neuron (normalized)", f"beta {n['beta']:.3f}, gain {n['gain']:.3f}, theta- {n['theta_neg']:.3f}, reset {n['reset_value']:.3f}"))
    rows.append(("Adler f-I vs LLGS", f"max rel. error {m['firing_curve']['adler_rel_error_max']:.3f}"))
    rows.append(("energy per spike", f"{m['energy']['per_device_spike_j'] * 1e12:.2f} pJ (bank), "
                                      f"{m['energy']['per_spike_sustained_1p5ic_j'] * 1e12:.2f} pJ (1.5 I_c sustained)"))
    if "thermal" in m:
        t = m["thermal"]
        rows.append((f"thermal {t['temperature_k']:.0f} K", f"wrong-sign spikes {t['wrong_sign_fraction'].mean:.4f}, "
                                                         f"spontaneous spikes at rest {t['spontaneous_spikes_at_rest']} in {t['rest_time_s'] * 1e9:.0f} ns"))
    if "geometry_map" in m:
        held = [p for p in m["geometry_map"] if p.signed_behaviour]
        rows.append(("geometry map", f"signed behaviour holds at {len(held)}/{len(m['geometry_map'])} (W, L) points"))
        rows.append(("damping map", "holds for alpha in " + ", ".join(f"{p.alpha:g}" for p in m["damping_map"] if p.signed_behaviour)))
    rows.append(("wall time", f"{m['wall_time_s']:.0f} s"))
    return rows


def load_network_neuron(path: str | Path):
    """The fitted network neuron (``SignedLIFParams``) saved by ``run`` in signed_lif_params.json."""
    import json

    from ..devices.signed_lif import SignedLIFParams

    data = json.loads(Path(path).read_text())
    return SignedLIFParams(**data["params"])

