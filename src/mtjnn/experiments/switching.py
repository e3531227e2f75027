"""`mtjnn simulate`: a junction (or a thermal ensemble) switching under a current pulse.

Default junction: 100 x 50 x 1.4 nm in-plane CoFeB ellipse (Ms = 1e6 A/m, alpha = 0.01, eta = 0.6),
starting antiparallel (m = -x, polarizer +x), with a 6 mT easy-axis field, driven by a rectangular
current pulse; resistance from the TMR law with R_P = 1100 ohm, TMR = 120 % (the junctions of López
et al. 2024). Writes ``trajectory.png`` and ``summary.json``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..devices.mtj import tmr_resistance
from ..physics import analytic
from ..physics.demag import ellipsoid_factors
from ..physics.drive import Drive, Pulse
from ..physics.integrate import Crossing, simulate
from ..physics.params import Macrospin
from ..validation import check_non_negative, check_positive, check_range
from .common import results_dir, save_json, seed_everything, summary_table


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

    def __post_init__(self) -> None:
        check_range("current", self.current, -0.1, 0.1, unit="A")
        for name in ("pulse", "duration", "dt", "length", "width", "thickness", "ms", "r_p"):
            check_positive(name, getattr(self, name))
        check_non_negative("temperature", self.temperature, unit="K")
        check_range("junctions", self.junctions, 1, 10_000_000)
        if self.pulse > self.duration:
            raise ValueError(f"pulse = {self.pulse!r} s is longer than duration = {self.duration!r} s; allowed: pulse <= duration")

    def macrospin(self) -> Macrospin:
        demag = ellipsoid_factors(self.length, self.width, self.thickness)
        area = math.pi / 4 * self.length * self.width
        return Macrospin(
            ms=self.ms, thickness=self.thickness, area=area, alpha=self.alpha, demag=demag,
            easy_axis=(1, 0, 0), polarizer=(1, 0, 0), eta=self.eta, temperature=self.temperature,
        )


def run(config: SwitchingConfig, out_root: str | Path = "results") -> dict:
    """Simulate, write ``summary.json`` and ``trajectory.png`` under ``out_root/simulate/<stamp>``; return the summary."""
    gen = seed_everything(config.seed)
    params = config.macrospin()
    nx, ny, nz = params.demag
    meff_in_plane = 1.25663706212e-6 * config.ms * (nz - nx)
    shape_hk = 1.25663706212e-6 * config.ms * (ny - nx)
    volume = float(params.volume)
    ic0 = analytic.critical_current_in_plane(config.alpha, config.ms, volume, config.eta, config.field, shape_hk, meff_in_plane)
    m0 = torch.tensor([[-1.0, 0.02, 0.0]], dtype=torch.float64).repeat(config.junctions, 1)
    drive = Drive(current=Pulse(config.current, start=0.0, width=config.pulse), field=(config.field, 0.0, 0.0))
    method = "heun" if config.temperature > 0 else "rk4"
    started = time.perf_counter()
    traj = simulate(
        m0, params, drive, duration=config.duration, dt=config.dt, method=method,
        sample_every=max(config.dt, round(config.duration / 800 / config.dt) * config.dt),
        crossing=Crossing("x", 0.0, "rising"), stop_when_switched=False, generator=gen,
        progress=config.junctions * config.duration / config.dt > 5e7,
    )
    wall = time.perf_counter() - started
    resistance = tmr_resistance(traj.m[..., 0], config.r_p, config.tmr)
    switched = traj.switched
    times_ns = traj.switch_time[switched].numpy() * 1e9
    summary = {
        "config": config,
        "critical_current_sun_a": ic0,
        "current_over_ic0": config.current / ic0,
        "switched_fraction": float(switched.double().mean()),
        "switch_time_mean_ns": float(np.mean(times_ns)) if times_ns.size else None,
        "switch_time_std_ns": float(np.std(times_ns)) if times_ns.size > 1 else None,
        "final_resistance_mean_ohm": float(resistance[-1].mean()),
        "junction_steps_per_s": config.junctions * traj.steps / wall,
        "wall_time_s": wall,
    }
    out = results_dir("simulate", out_root)
    save_json(out / "summary.json", summary)
    _plot(traj.times.numpy(), traj.m.numpy(), resistance.numpy(), config, out / "trajectory.png")
    summary["output_dir"] = str(out)
    print(summary_table([
        ("critical current (Sun, 0 K)", f"{ic0 * 1e6:.1f} uA"),
        ("pulse", f"{config.current * 1e6:.1f} uA x {config.pulse * 1e9:.2f} ns  (I/Ic0 = {config.current / ic0:.2f})"),
        ("switched", f"{summary['switched_fraction'] * 100:.1f} % of {config.junctions}"),
        ("switch time", "-" if summary["switch_time_mean_ns"] is None else f"{summary['switch_time_mean_ns']:.3f} ns"),
        ("final resistance", f"{summary['final_resistance_mean_ohm']:.1f} ohm"),
        ("speed", f"{summary['junction_steps_per_s'] / 1e6:.1f} M junction-steps/s"),
        ("results", str(out)),
    ], "mtjnn simulate: STT switching of an in-plane MTJ"))
    return summary


def _plot(t: np.ndarray, m: np.ndarray, r: np.ndarray, config: SwitchingConfig, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    shown = min(m.shape[1], 20)
    for j in range(shown):
        lw, alpha = (1.2, 1.0) if shown == 1 else (0.6, 0.5)
        for c, color in zip(range(3), ("C0", "C1", "C2")):
            ax1.plot(t * 1e9, m[:, j, c], color=color, lw=lw, alpha=alpha, label="m_xyz"[0:2] + "xyz"[c] if j == 0 else None)
        ax2.plot(t * 1e9, r[:, j], color="k", lw=lw, alpha=alpha)
    ax1.axvspan(0, config.pulse * 1e9, color="0.9", zorder=-1, label="current pulse")
    ax1.set_ylabel("magnetization m")
    ax1.legend(loc="upper right", fontsize=8)
    ax2.set_ylabel("resistance (ohm)")
    ax2.set_xlabel("time (ns)")
    ax1.set_title(f"I = {config.current * 1e6:.0f} uA, {config.pulse * 1e9:.1f} ns, T = {config.temperature:.0f} K")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
