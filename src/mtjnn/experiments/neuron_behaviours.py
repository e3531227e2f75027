"""`mtjnn neuron --behaviour NAME`: the seven neuron behaviours of the SV/MTJ-nMOS neuron (seed S000).

Each behaviour is a batched simulation of the neuron circuit (``circuits.neuron_circuit``) under gate-voltage
stimuli (trapezoidal pulses, ``pulse_width`` wide, 20 ps edges), reduced to numbers (SEEDS_SPEC 2.4 test
definitions) and a figure:

threshold   no spike at 0.95 A_th, one spike at 1.05 A_th (A_th = single-pulse gate threshold); A_th(width).
latency     time from pulse onset to spike vs amplitude: falls monotonically, diverges as A -> A_th+.
integration two sub-threshold pulses (each driving ``integration_fraction`` of the threshold current) spike
            when closer than t_int, not when far apart; spatial summation of two simultaneous 0.6 A_th inputs.
refraction  pair-pulse threshold A2_th(dt)/A_th (in drain current, up to 3x): absolute and relative refractory times.
inhibition  a simultaneous inhibitory (negative-gain) input suppresses a 1.2 A_th spike; threshold rises linearly.
adaptation  constant supra-threshold drive: inter-spike intervals lengthen and saturate (mechanism: the
            adaptation feedback of the circuit, ``v_adapt`` per spike, time constant ``tau_adapt``).
spike_train constant drive -> periodic spikes; rate vs current (circuit, and bare device vs the pendulum formula).

Amplitudes are gate voltages (V); currents (uA) are the drain currents they drive through the junction at rest.
The summary prints each number next to the source's (~1 ns spikes, <= 50 uW, no bias current); the summary and
the figures are in ``neuron_behaviours_report``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, ClassVar

import numpy as np
import torch

from ..circuits.neuron_circuit import CircuitTrace, NeuronCircuitParams, simulate_circuit
from ..devices.spiking_neuron import simulate_neuron
from ..validation import check_choice, check_range
from .common import results_dir, save_json, summary_table
from .contract import refuse_resume
from .neuron_behaviours_report import plot_behaviour, summary_rows
from .results import write_config

BEHAVIOURS = ("threshold", "latency", "integration", "refraction", "inhibition", "adaptation", "spike_train")
RISE = 20e-12  # pulse edges, s


@dataclass(frozen=True)
class BehaviourConfig:
    """Settings of the behaviour experiments (SI units).

    Attributes:
        behaviour: one of ``BEHAVIOURS`` or "all".
        circuit: the neuron circuit.
        pulse_width: stimulus pulse width, s, in (0, 5 ns].
        onset: pulse onset, s, in [0, 5 ns].
        dt: RK4 step, s, in (0, 20 ps].
        fidelity: "compact" or "macrospin".
        integration_fraction: drain current of each integration pulse / threshold current, in (0, 1).
        train_duration: length of the constant-drive runs (adaptation, spike trains), s.
        quick: coarser sweeps (seconds; the ``--quick`` preset ``QUICK``).
    """

    QUICK: ClassVar[dict[str, Any]] = {"quick": True}

    behaviour: str = "all"
    circuit: NeuronCircuitParams = field(default_factory=NeuronCircuitParams)
    pulse_width: float = 0.3e-9
    onset: float = 0.2e-9
    dt: float = 5e-12
    fidelity: str = "compact"
    integration_fraction: float = 0.75
    train_duration: float = 40e-9
    quick: bool = False

    def __post_init__(self) -> None:
        check_choice("behaviour", self.behaviour, BEHAVIOURS + ("all",))
        check_range("pulse_width", self.pulse_width, 0.0, 5e-9, low_inclusive=False, unit="s")
        check_range("onset", self.onset, 0.0, 5e-9, unit="s")
        check_range("dt", self.dt, 0.0, 20e-12, low_inclusive=False, unit="s")
        check_choice("fidelity", self.fidelity, ("compact", "macrospin"))
        check_range("integration_fraction", self.integration_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
        check_range("train_duration", self.train_duration, 1e-9, 1e-6, unit="s")


def pulses(amplitudes: torch.Tensor, starts: torch.Tensor, width: float, rise: float = RISE) -> Callable[[torch.Tensor], torch.Tensor]:
    """Gate waveform: a sum of trapezoidal pulses; ``amplitudes`` and ``starts`` (B, K) in V and s -> f(t) (T, B)."""
    amps, t0 = amplitudes.to(torch.float64), starts.to(torch.float64)
    if width < 0:
        raise ValueError(f"width = {width!r} s; allowed: >= 0")

    def wave(t: torch.Tensor) -> torch.Tensor:
        tt = t.to(torch.float64)[:, None, None]
        up = ((tt - t0) / rise).clamp(0, 1)
        down = ((t0 + 2 * rise + width - tt) / rise).clamp(0, 1)
        return (amps * torch.minimum(up, down)).sum(-1).to(t.dtype)

    return wave


def _run(cfg: BehaviourConfig, wave, batch: int, duration: float, circuit: NeuronCircuitParams | None = None) -> CircuitTrace:
    n = max(1, int(math.ceil(duration / cfg.dt - 1e-9)))
    return simulate_circuit(wave, circuit or cfg.circuit, duration=n * cfg.dt, dt=cfg.dt, fidelity=cfg.fidelity, batch=batch)


def pulse_threshold(cfg: BehaviourConfig, width: float | None = None, lo: float = 0.5, hi: float = 2.0, rounds: int = 3) -> float:
    """Single-pulse gate threshold A_th (V) by batched grid refinement (16 intervals per round)."""
    width = cfg.pulse_width if width is None else width
    duration = cfg.onset + width + 3e-9
    for _ in range(rounds):
        amps = torch.linspace(lo, hi, 17, dtype=torch.float64)
        tr = _run(cfg, pulses(amps[:, None], torch.full((17, 1), cfg.onset), width), 17, duration)
        fired = (tr.spikes.count > 0).nonzero().flatten()
        if fired.numel() == 0:
            raise RuntimeError(f"no spike up to {hi} V for a {width * 1e9:.2f} ns pulse")
        k = int(fired[0])
        if k == 0:
            lo, hi = lo - (hi - lo), lo
            continue
        lo, hi = float(amps[k - 1]), float(amps[k])
    return 0.5 * (lo + hi)


def rest_current(cfg: BehaviourConfig, v_gate: torch.Tensor | float) -> torch.Tensor:
    """Drain current (A) that gate voltages drive through the junction at rest."""
    from ..circuits.neuron_circuit import junction_current
    from ..devices.spiking_neuron import NeuronState

    v = torch.as_tensor(v_gate, dtype=torch.float64).reshape(-1)
    z = torch.zeros_like(v)
    return junction_current(v, NeuronState(z, z), z, z, cfg.circuit)


# --- the seven behaviours ---------------------------------------------------------------------------


def measure_threshold(cfg: BehaviourConfig) -> dict[str, Any]:
    a_th = pulse_threshold(cfg)
    amps = torch.tensor([0.95, 1.05], dtype=torch.float64) * a_th
    sweep = torch.linspace(0.6, 1.6, 11 if cfg.quick else 41, dtype=torch.float64) * a_th
    allamps = torch.cat([amps, sweep])
    tr = _run(cfg, pulses(allamps[:, None], torch.full((len(allamps), 1), cfg.onset), cfg.pulse_width), len(allamps), cfg.onset + cfg.pulse_width + 3e-9)
    widths = [0.1e-9, 0.3e-9, 1.0e-9] if cfg.quick else [0.05e-9, 0.1e-9, 0.2e-9, 0.3e-9, 0.5e-9, 1.0e-9, 2.0e-9]
    th_w = [pulse_threshold(cfg, w, rounds=2 if cfg.quick else 3) for w in widths]
    i_w = rest_current(cfg, torch.tensor(th_w)).tolist()
    spike = _spike_shape(tr, 1)
    return {
        "a_th_v": a_th, "i_th_a": float(rest_current(cfg, a_th)),
        "spikes_at_0.95": int(tr.spikes.count[0]), "spikes_at_1.05": int(tr.spikes.count[1]),
        "sweep_v": sweep.tolist(), "sweep_counts": tr.spikes.count[2:].tolist(),
        "widths_s": widths, "threshold_v_vs_width": th_w, "threshold_a_vs_width": i_w,
        "charge_threshold_c": [i * w for i, w in zip(i_w, widths)],
        "spike_fwhm_s": spike["fwhm_s"], "spike_peak_mz": spike["peak_mz"], "spike_energy_j": float(tr.energy[1]),
        "peak_power_w": float(tr.power[:, 1].max()), "resting_current_a": float(tr.current[0, :].abs().max()),
        "_trace": _keep(tr, [0, 1]),
    }


def measure_latency(cfg: BehaviourConfig) -> dict[str, Any]:
    a_th = pulse_threshold(cfg)
    factors = torch.tensor([1.002, 1.005, 1.01, 1.02, 1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0] if cfg.quick else
                           list(np.concatenate([1 + np.logspace(-3, -1, 9), np.linspace(1.15, 2.0, 18)])), dtype=torch.float64)
    amps = factors * a_th
    tr = _run(cfg, pulses(amps[:, None], torch.full((len(amps), 1), cfg.onset), cfg.pulse_width), len(amps), cfg.onset + cfg.pulse_width + 5e-9)
    lat = (tr.spikes.first - cfg.onset).tolist()
    show = [int(np.argmin(np.abs(factors.numpy() - f))) for f in (1.01, 1.2, 2.0)]
    return {"a_th_v": a_th, "factors": factors.tolist(), "currents_a": rest_current(cfg, amps).tolist(), "latency_s": lat,
            "_trace": _keep(tr, show)}


def measure_integration(cfg: BehaviourConfig) -> dict[str, Any]:
    a_th = pulse_threshold(cfg)
    i_th = float(rest_current(cfg, a_th))
    v_sub = cfg.circuit.gate_for_current(cfg.integration_fraction * i_th)
    gaps = torch.tensor([0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0] if cfg.quick else list(np.arange(0.3, 3.01, 0.05)), dtype=torch.float64) * 1e-9
    n = len(gaps)
    amps = torch.full((n + 3, 2), v_sub, dtype=torch.float64)
    starts = torch.full((n + 3, 2), cfg.onset, dtype=torch.float64)
    starts[:n, 1] = cfg.onset + gaps
    amps[n, 1] = 0.0  # one pulse alone
    amps[n + 1] = 0.6 * a_th  # spatial: two simultaneous synaptic inputs of 0.6 A_th (gate voltages add)
    amps[n + 2] = torch.tensor([0.6 * a_th, 0.0])  # one of them alone
    tr = _run(cfg, pulses(amps, starts, cfg.pulse_width), n + 3, cfg.onset + float(gaps.max()) + cfg.pulse_width + 3e-9)
    fired = (tr.spikes.count[:n] > 0).tolist()
    t_int = max([float(g) for g, f in zip(gaps, fired) if f], default=0.0)
    return {
        "a_th_v": a_th, "pulse_v": v_sub, "pulse_current_a": float(rest_current(cfg, v_sub)), "threshold_current_a": i_th,
        "gaps_s": gaps.tolist(), "spiked": fired, "t_int_s": t_int, "single_pulse_spikes": int(tr.spikes.count[n]),
        "spatial_pair_spikes": int(tr.spikes.count[n + 1]), "spatial_single_spikes": int(tr.spikes.count[n + 2]),
        "first_no_spike_gap_s": min([float(g) for g, f in zip(gaps, fired) if not f], default=float("nan")),
        "window_estimate_s": 2 * cfg.circuit.device.relaxation_time,
        "_trace": _keep(tr, [0, int(np.argmin(np.abs(gaps.numpy() - 1e-9))), n]),
    }


def measure_refraction(cfg: BehaviourConfig) -> dict[str, Any]:
    a_th = pulse_threshold(cfg)
    i_th = float(rest_current(cfg, a_th))
    v1 = cfg.circuit.gate_for_current(1.3 * i_th)
    factors = torch.tensor(np.linspace(0.6, 3.0, 13 if cfg.quick else 49), dtype=torch.float64)
    v2 = torch.tensor([cfg.circuit.gate_for_current(float(f) * i_th) for f in factors], dtype=torch.float64)
    delays = torch.tensor(list(np.arange(0.4, 6.01, 0.4 if cfg.quick else 0.1)), dtype=torch.float64) * 1e-9
    d_grid, a_grid = torch.meshgrid(delays, v2, indexing="ij")
    b = d_grid.numel()
    amps = torch.stack([torch.full((b,), v1, dtype=torch.float64), a_grid.reshape(-1)], 1)
    starts = torch.stack([torch.full((b,), cfg.onset, dtype=torch.float64), cfg.onset + d_grid.reshape(-1)], 1)
    single = _run(cfg, pulses(torch.tensor([[v1]]), torch.tensor([[cfg.onset]]), cfg.pulse_width), 1, cfg.onset + 4e-9)
    t_spike = float(single.spikes.first[0])
    tr = _run(cfg, pulses(amps, starts, cfg.pulse_width), b, cfg.onset + float(delays.max()) + cfg.pulse_width + 3e-9)
    counts = tr.spikes.count.reshape(len(delays), len(factors))
    ratio = []
    for i in range(len(delays)):
        hit = (counts[i] >= 2).nonzero().flatten()
        ratio.append(float(factors[int(hit[0])]) if hit.numel() else float("inf"))
    after = (delays + cfg.onset - t_spike).tolist()  # second-pulse onset relative to the first spike
    absolute = [a for a, r in zip(after, ratio) if math.isinf(r)]
    t_abs = max(absolute) if absolute else 0.0
    relative = [a for a, r in zip(after, ratio) if r > 1.1]
    t_rel = max(relative) if relative else t_abs
    return {
        "a_th_v": a_th, "first_pulse_v": v1, "first_spike_s": t_spike,
        "delay_after_spike_s": after, "pair_threshold_ratio": ratio, "t_abs_s": t_abs, "t_rel_s": t_rel,
        "max_ratio_tested": float(factors.max()), "v_ref": cfg.circuit.v_ref, "tau_ref_s": cfg.circuit.tau_ref,
        "_trace": _keep(tr, [int(np.argmin(np.abs(np.array(after) - x))) * len(factors) + int(np.argmin(np.abs(factors.numpy() - 2.0)))
                             for x in (0.3e-9, 2.0e-9)]),
    }


def measure_inhibition(cfg: BehaviourConfig) -> dict[str, Any]:
    a_th = pulse_threshold(cfg)
    inh = torch.tensor([0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5], dtype=torch.float64)
    # threshold vs inhibitory amplitude (grid refinement on the excitatory amplitude, batched over inh)
    lo, hi = torch.full_like(inh, a_th - 0.1), torch.full_like(inh, a_th + 0.7)
    for _ in range(2 if cfg.quick else 3):
        grid = lo[:, None] + (hi - lo)[:, None] * torch.linspace(0, 1, 17, dtype=torch.float64)[None, :]
        amps = torch.stack([grid.reshape(-1), (-inh[:, None]).expand_as(grid).reshape(-1)], 1)
        starts = torch.full_like(amps, cfg.onset)
        tr = _run(cfg, pulses(amps, starts, cfg.pulse_width), amps.shape[0], cfg.onset + cfg.pulse_width + 3e-9)
        fired = (tr.spikes.count.reshape(grid.shape) > 0).to(torch.int64)
        k = fired.argmax(1).clamp(min=1)
        lo, hi = grid.gather(1, (k - 1)[:, None])[:, 0], grid.gather(1, k[:, None])[:, 0]
    th = 0.5 * (lo + hi)
    slope = float(np.polyfit(inh.numpy(), th.numpy(), 1)[0])
    exc = 1.2 * a_th
    demo = torch.tensor([[exc, 0.0], [exc, -0.3 * a_th]], dtype=torch.float64)
    tr = _run(cfg, pulses(demo, torch.full_like(demo, cfg.onset), cfg.pulse_width), 2, cfg.onset + cfg.pulse_width + 3e-9)
    return {
        "a_th_v": a_th, "excitatory_v": exc, "inhibitory_v": float(-demo[1, 1]),
        "spikes_without_inhibition": int(tr.spikes.count[0]), "spikes_with_inhibition": int(tr.spikes.count[1]),
        "inhibition_v": inh.tolist(), "threshold_v": th.tolist(), "threshold_slope": slope, "_trace": _keep(tr, [0, 1]),
    }


def _constant_drive(cfg: BehaviourConfig, currents: torch.Tensor, circuit: NeuronCircuitParams | None = None) -> CircuitTrace:
    circuit = circuit or cfg.circuit
    v = torch.tensor([circuit.gate_for_current(float(i)) for i in currents], dtype=torch.float64)
    width = cfg.train_duration  # stays on to the end
    return _run(cfg, pulses(v[:, None], torch.full((len(v), 1), cfg.onset), width, rise=50e-12), len(v), cfg.train_duration, circuit)


def measure_adaptation(cfg: BehaviourConfig) -> dict[str, Any]:
    i_th = cfg.circuit.device.threshold_current
    currents = torch.tensor([2.0, 3.0], dtype=torch.float64) * i_th
    with_fb = _constant_drive(cfg, currents)
    control = _constant_drive(cfg, currents, replace(cfg.circuit, v_adapt=0.0))
    isi = [_isis(with_fb, j) for j in range(len(currents))]
    isi0 = [_isis(control, j) for j in range(len(currents))]
    return {
        "currents_a": currents.tolist(), "isi_s": isi, "isi_control_s": isi0,
        "ratio_last_first": [s[-1] / s[0] if len(s) > 1 else float("nan") for s in isi],
        "ratio_last_first_control": [s[-1] / s[0] if len(s) > 1 else float("nan") for s in isi0],
        "saturation_change": [abs(s[-1] / s[-2] - 1) if len(s) > 2 else float("nan") for s in isi],
        "mechanism": "spike-triggered adaptation feedback on the gate (v_adapt per spike, tau_adapt)",
        "v_adapt": cfg.circuit.v_adapt, "tau_adapt_s": cfg.circuit.tau_adapt,
        "_trace": _keep(with_fb, [0, 1]),
    }


def measure_spike_train(cfg: BehaviourConfig) -> dict[str, Any]:
    dev = cfg.circuit.device
    i_th = dev.threshold_current
    factors = torch.tensor([0.8, 0.95, 1.1, 1.5, 2.0, 3.0, 4.0] if cfg.quick else list(np.linspace(0.8, 4.0, 17)), dtype=torch.float64)
    currents = factors * i_th
    tr = _constant_drive(cfg, currents)
    rates, cvs = [], []
    for j in range(len(currents)):
        s = _isis(tr, j)
        tail = s[len(s) // 2 :] if len(s) >= 4 else s
        rates.append(1.0 / float(np.mean(tail)) if tail else 0.0)
        cvs.append(float(np.std(tail) / np.mean(tail)) if len(tail) >= 2 else float("nan"))
    # the bare device (no circuit feedback) against the pendulum large-drive and overdamped formulas
    bare = simulate_neuron(currents, dev, duration=cfg.train_duration / 2, dt=2e-12, fidelity="macrospin")  # fused LLGS engine
    bare_rates = []
    for j in range(len(currents)):
        n = int(bare.spikes.count[j])
        ts = bare.spikes.times[j, :n]
        bare_rates.append(float((n // 2) / (ts[-1] - ts[n - 1 - n // 2])) if n >= 4 else 0.0)
    drive = dev.gamma_ll * dev.stt_per_ampere * currents
    large = (drive / (math.pi * dev.alpha)).tolist()
    over = (torch.sqrt((drive**2 - (0.5 * dev.omega_k) ** 2).clamp_min(0)) / (math.pi * dev.alpha)).tolist()
    return {
        "currents_a": currents.tolist(), "rate_hz": rates, "isi_cv": cvs, "bare_rate_hz": bare_rates,
        "large_drive_formula_hz": large, "overdamped_formula_hz": over, "threshold_current_a": i_th,
        "_trace": _keep(tr, [int(np.argmin(np.abs(factors.numpy() - 2.0)))]),
    }


MEASURES: dict[str, Callable[[BehaviourConfig], dict[str, Any]]] = {
    "threshold": measure_threshold, "latency": measure_latency, "integration": measure_integration,
    "refraction": measure_refraction, "inhibition": measure_inhibition, "adaptation": measure_adaptation,
    "spike_train": measure_spike_train,
}


def _isis(tr: CircuitTrace, j: int) -> list[float]:
    n = int(tr.spikes.count[j])
    return torch.diff(tr.spikes.times[j, :n]).tolist() if n > 1 else []


def _spike_shape(tr: CircuitTrace, j: int) -> dict[str, float]:
    mz = tr.mz[:, j].numpy()
    t = tr.times.numpy()
    peak = float(mz.max())
    above = np.nonzero(mz > 0.5 * peak)[0]
    return {"peak_mz": peak, "fwhm_s": float(t[above[-1]] - t[above[0]]) if above.size else float("nan")}


def _keep(tr: CircuitTrace, cols: list[int]) -> dict[str, np.ndarray]:
    return {
        "t": tr.times.numpy(), "v_in": tr.v_in[:, cols].numpy(), "i": tr.current[:, cols].numpy(),
        "v_d": tr.v_drain[:, cols].numpy(), "mz": tr.mz[:, cols].numpy(), "phi": tr.phi[:, cols].numpy(),
    }


# --- run, figures, summary -------------------------------------------------------------------------


def run(config: BehaviourConfig, out_root: str | Path = "results", resume: str | Path | None = None) -> dict[str, Any]:
    """Measure the requested behaviour(s); write config.json, metrics.json and <behaviour>.png; print a summary."""
    refuse_resume("neuron", resume)
    names = BEHAVIOURS if config.behaviour == "all" else (config.behaviour,)
    out = results_dir("neuron", out_root)
    metrics: dict[str, Any] = {}
    started = time.perf_counter()
    for name in names:
        m = MEASURES[name](config)
        plot_behaviour(name, m, out / f"{name}.png")
        metrics[name] = {k: v for k, v in m.items() if not k.startswith("_")}
    metrics["wall_time_s"] = time.perf_counter() - started
    write_config(out, "neuron", config)
    save_json(out / "metrics.json", metrics)
    print(summary_table(summary_rows(metrics, config) + [("results", str(out))], "mtjnn neuron: SV/MTJ-nMOS neuron behaviours"))
    metrics["output_dir"] = str(out)
    return metrics
