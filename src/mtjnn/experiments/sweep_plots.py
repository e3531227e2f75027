"""Figure of a switching sweep: P heat map with P = 0.5 and write-error-rate contours and the fitted laws."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .common import pyplot
from .sweep_fits import sun_switching_time
from .sweep_spec import SweepSpec
from .sweep_stats import map_tables

#: Write-error rates drawn as contours.
WER_LEVELS = (1e-2, 1e-3, 1e-4)
WER_COLOURS = {1e-2: "#ff4040", 1e-3: "#ff9040", 1e-4: "#ffd040"}  # red, orange, yellow
#: The Néel–Brown line is drawn only when the fit follows the points it used this well (mean |P_fit - P|).
GOOD_FIT = 0.1


def log_wer(table: dict[str, np.ndarray]) -> np.ndarray:
    """log10 of the WER per point, with 0 failures counted as half a failure (a finite value for contours)."""
    failures = table["trials"] - table["switched"]
    return np.log10(np.maximum(failures, 0.5) / table["trials"])


#: Most panels of a figure; a longer device axis shows its first, middle and last values.
MAX_PANELS = 4


def panel_indices(count: int) -> list[int]:
    """Indices of the device-axis values drawn: all of ``count`` up to ``MAX_PANELS``, else first, middle, last."""
    return list(range(count)) if count <= MAX_PANELS else [0, count // 2, count - 1]


def plot_map(table: dict[str, np.ndarray], spec: SweepSpec, fits: dict, path: Path) -> None:
    """Heat map of P over (pulse width, current), one panel per device-axis value (``panel_indices``); white:
    P = 0.5; red shades: WER contours; fitted laws dashed."""
    plt = pyplot()
    maps = map_tables(table, spec)
    per_value = fits["by_axis"] if spec.axis_name else [fits]
    shown = panel_indices(len(maps))
    fig, axes = plt.subplots(1, len(shown), figsize=(1 + 6 * len(shown), 5), squeeze=False, layout="constrained")
    for ax, a in zip(axes[0], shown):
        value, sub = maps[a]
        mesh = _panel(ax, sub, spec, per_value[a])
        if value is not None:
            ax.set_title(f"{spec.axis_name} = {value:.4g} (SI)", fontsize=9)
    fig.colorbar(mesh, ax=list(axes[0]), label="switching probability P")
    fig.suptitle(f"P(AP→P), T = {spec.temperature:g} K, {spec.trials}+ trials/point; white: P = 0.5", fontsize=9)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _panel(ax, table: dict[str, np.ndarray], spec: SweepSpec, fits: dict):
    """Draw one (current, pulse) map on ``ax``; returns its mesh (for the colour bar)."""
    shape = (len(spec.currents), len(spec.pulses))
    prob = table["probability"].reshape(shape)
    pulses_ns, currents_ua = np.asarray(spec.pulses) * 1e9, np.asarray(spec.currents) * 1e6
    mesh = ax.pcolormesh(pulses_ns, currents_ua, prob, shading="nearest", cmap="viridis", vmin=0, vmax=1)
    grid = shape[0] > 1 and shape[1] > 1
    if grid and prob.min() < 0.5 < prob.max():
        ax.contour(pulses_ns, currents_ua, prob, levels=[0.5], colors="w", linewidths=1.5)
    if grid:
        lw = log_wer(table).reshape(shape)
        drawn = [w for w in sorted(WER_LEVELS) if lw.min() < np.log10(w) < lw.max()]
        if drawn:
            cs = ax.contour(pulses_ns, currents_ua, lw, levels=[np.log10(w) for w in drawn],
                            colors=[WER_COLOURS[w] for w in drawn], linewidths=1.2, linestyles="solid")
            ax.clabel(cs, fmt=lambda v: f"WER {10 ** v:.0e}", fontsize=7)
    dense = np.linspace(min(spec.currents), max(spec.currents), 200)
    nb = fits.get("neel_brown")
    if nb and "delta" in nb and nb.get("mean_abs_error", 0.0) < GOOD_FIT:  # P = 0.5 of the fitted law: t = tau ln 2
        t_half = nb["tau0"] * np.exp(nb["delta"] * (1 - dense / nb["ic0"])) * np.log(2)
        ok = (t_half >= min(spec.pulses)) & (t_half <= max(spec.pulses))
        ax.plot(t_half[ok] * 1e9, dense[ok] * 1e6, "--", color="tab:red", lw=1.5,
                label=f"Néel–Brown P=0.5: Δ={nb['delta']:.1f}, Ic0={nb['ic0'] * 1e6:.0f} µA")
    sun = fits.get("sun")
    if sun and "a" in sun:
        t_sw = sun_switching_time(dense, sun["a"], sun["ic0"])
        ok = np.isfinite(t_sw) & (t_sw >= min(spec.pulses)) & (t_sw <= max(spec.pulses))
        ax.plot(t_sw[ok] * 1e9, dense[ok] * 1e6, ":", color="tab:orange", lw=2,
                label=f"Sun: A={sun['a'] * 1e9:.2f} ns, Ic0={sun['ic0'] * 1e6:.0f} µA")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xlabel("pulse width (ns)")
    ax.set_ylabel("current (µA)")
    return mesh
