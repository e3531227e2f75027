"""Figures of `mtjnn run signed-lif` (seed 001): device vs fitted LIF traces, f-I curves, geometry and damping maps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .common import pyplot

if TYPE_CHECKING:
    from .signed_lif_device import MapPoint


def plot_traces(traces, bank, u_model: np.ndarray, fit, path: Path, rows: tuple[str, ...] = ("step +1.25", "train +2.5 I_ref every 3", "random")) -> None:
    """Membrane (sin psi) and m.p of the device against the free-running fitted LIF for a few bank sequences."""
    plt = pyplot()
    picks = [next(i for i, label in enumerate(bank.labels) if label.startswith(r)) for r in rows]
    fig, axes = plt.subplots(len(picks), 1, figsize=(9, 2.6 * len(picks)), sharex=True)
    t = traces.times * 1e9
    span = t <= min(t[-1], 15.0)
    for ax, b in zip(np.atleast_1d(axes), picks):
        ax.plot(t[span], np.sin(traces.angle[span, b]), lw=1.2, label="LLGS: sin psi (membrane)")
        ax.plot(t[span], traces.mp[span, b] * 5, lw=0.8, alpha=0.7, label="LLGS: 5 m.p (TMR output)")
        ax.plot(t[span], u_model[span, b], "--", lw=1.0, label="fitted signed LIF")
        ax.axhline(fit.model.theta_pos, color="gray", lw=0.5)
        ax.axhline(-fit.model.theta_neg, color="gray", lw=0.5)
        ax.set_title(bank.labels[b], fontsize=9)
        ax.set_ylabel("u")
    np.atleast_1d(axes)[0].legend(fontsize=7, loc="upper right")
    np.atleast_1d(axes)[-1].set_xlabel("time (ns)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_fi(levels: np.ndarray, device: np.ndarray, adler: np.ndarray, lif: np.ndarray, path: Path) -> None:
    """Firing rate vs dc current: LLGS, Adler closed form, fitted LIF."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(levels, device / 1e9, "o", label="LLGS macrospin")
    ax.plot(levels, adler / 1e9, "-", label="Adler closed form (overdamped)")
    ax.plot(levels, lif / 1e9, "--", label="fitted signed LIF")
    ax.set_xlabel("dc current / I_c")
    ax.set_ylabel("firing rate (GHz)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_geometry(geometry: list[MapPoint], damping: list[MapPoint], device, path: Path) -> None:
    """Where the signed behaviour holds: W x L map (joint-fit RMSE/theta as colour, markers for holds / fails) and
    the damping sweep (fit metrics and damping ratio)."""
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.3))
    w = np.array([p.width_m for p in geometry]) * 1e9
    length = np.array([p.length_m for p in geometry]) * 1e9
    rmse = np.array([p.rmse_over_theta for p in geometry])
    held = np.array([p.signed_behaviour for p in geometry])
    sc = ax.scatter(w, length, c=rmse, s=260, cmap="viridis", marker="s")
    ax.scatter(w[~held], length[~held], marker="x", color="red", s=80, label="fails (zeta <= 1, barrier < 40 kT or > 1 % wrong signs)")
    for p in geometry:
        ax.annotate(f"{p.thermal_stability_300k:.0f}", (p.width_m * 1e9, p.length_m * 1e9), fontsize=6, ha="center", va="center", color="white")
    ax.plot([device.width * 1e9], [device.length * 1e9], "o", mfc="none", mec="orange", ms=18, label="10 x 45 x 50 nm (paper)")
    fig.colorbar(sc, ax=ax, label="joint-fit RMSE / theta")
    ax.set_xlabel("width W (nm, along the reference)")
    ax.set_ylabel(f"length L (nm); height T = {device.height * 1e9:.0f} nm")
    ax.set_title("signed behaviour vs geometry (numbers: barrier at 300 K in kT)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    alphas = np.array([p.alpha for p in damping])
    bx.semilogx(alphas, [p.rmse_over_theta for p in damping], "o-", label="RMSE / theta")
    bx.semilogx(alphas, [p.spike_time_error for p in damping], "s-", label="spike-time error / ISI")
    bx.semilogx(alphas, [min(p.damping_ratio, 3) / 3 for p in damping], "k:", label="damping ratio zeta / 3 (capped)")
    bx.axhline(0.03, color="C0", lw=0.6, ls="--")
    bx.axhline(0.05, color="C1", lw=0.6, ls="--")
    bx.set_xlabel("Gilbert damping alpha (10 x 45 x 50 nm)")
    bx.set_title("fit quality vs damping (dashed: the paper's limits)", fontsize=9)
    bx.legend(fontsize=7)
    bx.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
