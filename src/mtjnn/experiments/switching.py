"""`mtjnn simulate`: a junction (or a thermal ensemble) switching under a current pulse.

Default junction: 100 x 50 x 1.4 nm in-plane CoFeB ellipse (Ms = 1e6 A/m, alpha = 0.01, eta = 0.6),
starting antiparallel (m = -x, polarizer +x), with a 6 mT easy-axis field, driven by a rectangular
current pulse; resistance from the TMR law with R_P = 1100 ohm, TMR = 120 % (the junctions of López
et al. 2024).

Writes ``config.json``, ``metrics.json``, ``trajectory.png`` (the first ``trajectories`` junctions) and,
for a thermal ensemble, ``switching_times.png`` (histogram of the switching times of every junction).
Only the plotted trajectories are stored; every other junction keeps its final state and switching
time, so memory grows by ~100 bytes per junction (docs/physics.md, "Large ensembles").
"""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..constants import MU0
from ..devices.mtj import tmr_resistance
from ..physics import analytic
from ..physics.demag import ellipsoid_factors
from ..physics.drive import Drive, Pulse
from ..physics.integrate import Crossing, simulate
from ..physics.params import Macrospin
from ..physics.timestep import DT_CHECKS
from ..validation import check_choice, check_non_negative, check_positive, check_range
from .common import pyplot, results_dir, save_json, seed_everything, summary_table
from .contract import refuse_resume
from .records import Estimate
from .results import write_config

HISTOGRAM_BINS = 40  # bins of the switching-time histogram (figure and metrics.json)


@dataclass(frozen=True)
class SwitchingConfig:
    """Inputs of ``run`` (SI units)."""

    current: float = 0.5e-3  # pulse amplitude, A
    pulse: float = 5e-9  # pulse width, s
    duration: float = 8e-9  # simulated time, s
    dt: float = 1e-12  # step, s
    temperature: float = 0.0  # K
    junctions: int = 1  # ensemble size (useful with temperature > 0)
    field: float = 6e-3  # easy-axis bias field mu0 H, T
    length: float = 100e-9  # ellipse long axis (easy axis x), m
    width: float = 50e-9  # ellipse short axis, m
    thickness: float = 1.4e-9  # free-layer thickness, m
    ms: float = 1.0e6  # A/m
    alpha: float = 0.01
    eta: float = 0.6
    r_p: float = 1100.0  # ohm
    tmr: float = 1.2
    seed: int = 0
    trajectories: int = 20  # junctions whose trajectories are stored and plotted
    dt_check: str = "warn"  # time-step guard of physics.simulate: "warn", "error" or "off"

    def __post_init__(self) -> None:
        check_range("current", self.current, -0.1, 0.1, unit="A")
        for name in ("pulse", "duration", "dt", "length", "width", "thickness", "ms", "r_p"):
            check_positive(name, getattr(self, name))
        check_non_negative("temperature", self.temperature, unit="K")
        check_range("junctions", self.junctions, 1, 10_000_000)
        check_range("trajectories", self.trajectories, 1, 1000)
        check_choice("dt_check", self.dt_check, DT_CHECKS)
        if self.pulse > self.duration:
            raise ValueError(f"pulse = {self.pulse!r} s is longer than duration = {self.duration!r} s; allowed: pulse <= duration")

    def macrospin(self) -> Macrospin:
        demag = ellipsoid_factors(self.length, self.width, self.thickness)
        area = math.pi / 4 * self.length * self.width
        return Macrospin(
            ms=self.ms, thickness=self.thickness, area=area, alpha=self.alpha, demag=demag,
            easy_axis=(1, 0, 0), polarizer=(1, 0, 0), eta=self.eta, temperature=self.temperature,
        )

    @property
    def ensemble(self) -> bool:
        """A thermal ensemble: several junctions at T > 0 (their switching times are a distribution)."""
        return self.temperature > 0 and self.junctions > 1


def initial_state(junctions: int) -> torch.Tensor:
    """The antiparallel start (m = -x, tilted 0.02 towards +y) of ``junctions`` junctions, (junctions, 3)."""
    return torch.tensor([[-1.0, 0.02, 0.0]], dtype=torch.float64).expand(junctions, 3)


def run(config: SwitchingConfig, out_root: str | Path = "results", resume: str | Path | None = None) -> dict:
    """Simulate; write ``config.json``, ``metrics.json`` and the figures under ``out_root/simulate/<stamp>``.

    Returns the metrics (plus ``output_dir``). Raises ``physics.timestep.CoarseTimeStepError`` before
    any work (and before creating the folder) when ``config.dt_check == "error"`` and dt is too coarse.
    """
    refuse_resume("simulate", resume)
    gen = seed_everything(config.seed)
    params = config.macrospin()
    nx, ny, nz = params.demag
    meff_in_plane = MU0 * config.ms * (nz - nx)
    shape_hk = MU0 * config.ms * (ny - nx)
    volume = float(params.volume)
    ic0 = analytic.critical_current_in_plane(config.alpha, config.ms, volume, config.eta, config.field, shape_hk, meff_in_plane)
    m0 = initial_state(config.junctions)
    drive = Drive(current=Pulse(config.current, start=0.0, width=config.pulse), field=(config.field, 0.0, 0.0))
    method = "heun" if config.temperature > 0 else "rk4"
    started = time.perf_counter()
    traj = simulate(
        m0, params, drive, duration=config.duration, dt=config.dt, method=method,
        sample_every=max(config.dt, round(config.duration / 800 / config.dt) * config.dt),
        crossing=Crossing("x", 0.0, "rising"), stop_when_switched=False, generator=gen,
        progress=config.junctions * config.duration / config.dt > 5e7,
        dt_check=config.dt_check, sample_junctions=config.trajectories,
    )
    wall = time.perf_counter() - started
    switched = traj.switched
    times_ns = traj.switch_time[switched].numpy() * 1e9
    final_resistance = tmr_resistance(traj.final[:, 0], config.r_p, config.tmr)
    metrics = {
        "critical_current_sun_a": ic0,
        "current_over_ic0": config.current / ic0,
        "switched_fraction": Estimate.of(switched.double(), over="junctions"),
        "switched_junctions": int(switched.sum()),
        **_time_statistics(times_ns),
        "final_resistance_mean_ohm": float(final_resistance.mean()),
        "trajectories_shown": int(traj.m.shape[1]),
        "junction_steps_per_s": config.junctions * traj.steps / wall,
        "wall_time_s": wall,
    }
    out = results_dir("simulate", out_root)
    write_config(out, "simulate", config)
    resistance = tmr_resistance(traj.m[..., 0], config.r_p, config.tmr)
    _plot_trajectories(traj.times.numpy(), traj.m.numpy(), resistance.numpy(), config, out / "trajectory.png")
    if config.ensemble:
        metrics["switch_time_histogram"] = _plot_switching_times(times_ns, config, out / "switching_times.png")
    metrics["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB; process-wide
    save_json(out / "metrics.json", metrics)
    metrics["output_dir"] = str(out)
    print(summary_table([
        ("critical current (Sun, 0 K)", f"{ic0 * 1e6:.1f} µA"),
        ("pulse", f"{config.current * 1e6:.1f} µA x {config.pulse * 1e9:.2f} ns  (I/Ic0 = {config.current / ic0:.2f})"),
        ("switched", f"{metrics['switched_fraction'].mean * 100:.1f} % of {config.junctions}"),
        ("switch time", _time_text(metrics)),
        ("final resistance", f"{metrics['final_resistance_mean_ohm']:.1f} ohm"),
        ("speed", f"{metrics['junction_steps_per_s'] / 1e6:.1f} M junction-steps/s, {wall:.1f} s"),
        ("results", str(out)),
    ], "mtjnn simulate: STT switching of an in-plane MTJ"))
    return metrics


def _time_statistics(times_ns: np.ndarray) -> dict[str, Estimate | float | None]:
    """``switch_time`` (an ``Estimate`` in ns over the junctions that switched) and its quantiles (None if none switched)."""
    n = times_ns.size
    quantiles = np.quantile(times_ns, [0.1, 0.5, 0.9]) if n else [None] * 3
    return {
        "switch_time": Estimate.of(times_ns, over="switched junctions", unit="ns"),
        **{f"switch_time_{name}_ns": None if q is None else float(q) for name, q in zip(("p10", "median", "p90"), quantiles)},
    }


def _time_text(metrics: dict) -> str:
    t = metrics["switch_time"]
    return "-" if t.mean is None else t.text(digits=3, unit="ns") + (" (mean ± std)" if t.std is not None else "")


def _plot_trajectories(t: np.ndarray, m: np.ndarray, r: np.ndarray, config: SwitchingConfig, path: Path) -> None:
    """m(t) and R(t) of the stored junctions ``m`` (S, K, 3); the title says how many of the ensemble they are."""
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    shown = m.shape[1]
    lw, alpha = (1.2, 1.0) if shown == 1 else (0.6, 0.5)
    for j in range(shown):
        for c, color in enumerate(("C0", "C1", "C2")):
            ax1.plot(t * 1e9, m[:, j, c], color=color, lw=lw, alpha=alpha, label=f"m_{'xyz'[c]}" if j == 0 else None)
        ax2.plot(t * 1e9, r[:, j], color="k", lw=lw, alpha=alpha)
    ax1.axvspan(0, config.pulse * 1e9, color="0.9", zorder=-1, label="current pulse")
    ax1.set_ylabel("magnetization m")
    ax1.legend(loc="upper right", fontsize=8)
    ax2.set_ylabel("resistance (Ω)")
    ax2.set_xlabel("time (ns)")
    title = f"I = {config.current * 1e6:.0f} µA, {config.pulse * 1e9:.1f} ns, T = {config.temperature:.0f} K"
    if config.junctions > 1:
        title += f"; {shown} of {config.junctions} junctions shown"
    ax1.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _plot_switching_times(times_ns: np.ndarray, config: SwitchingConfig, path: Path) -> dict:
    """Histogram of the switching times (ns) of every junction that switched; returns its bins and counts."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    counts, edges = np.histogram(times_ns, bins=HISTOGRAM_BINS) if times_ns.size else (np.zeros(0, int), np.zeros(0))
    if times_ns.size:
        ax.stairs(counts, edges, fill=True, alpha=0.7)
        ax.axvline(float(np.median(times_ns)), color="k", ls="--", lw=1, label=f"median {np.median(times_ns):.3f} ns")
        ax.legend(fontsize=8)
    ax.set_xlabel("switching time (ns)")
    ax.set_ylabel("junctions per bin")
    not_switched = config.junctions - times_ns.size
    ax.set_title(f"{times_ns.size} of {config.junctions} junctions switched ({not_switched} did not), "
                 f"I = {config.current * 1e6:.0f} µA, T = {config.temperature:.0f} K", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return {"edges_ns": edges, "counts": counts}
