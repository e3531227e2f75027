"""Figures of the MTJ-activation experiments: transfer-curve family and FD derivatives, learning curves, sweeps."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..devices.activation import MTJActivation, Variability, draw_devices


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_transfer_curves(train: Any, path: Path, n_devices: int = 12) -> None:
    """2 x 2: nominal curves for several bias/offset fields and readouts, their FD derivatives (noisy
    reads, step ``train.delta``) against the analytic ones, and ``n_devices`` devices drawn with the run's
    spread and read noise."""
    plt = _plt()
    nominal = train.device
    z = torch.linspace(-4, 4, 161, dtype=torch.float64)
    zc = torch.linspace(-4, 4, 41, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    family = [("H_b = 0", dict(bias_field=0.0)), ("H_b = 1 mT", dict(bias_field=1e-3)),
              (f"H_b = {nominal.bias_field * 1e3:g} mT (used)", {}), ("H_b = 5 mT", dict(bias_field=5e-3)),
              ("offset +2 mT", dict(offset_field=2e-3)), ("resistance readout", dict(readout="resistance"))]
    for i, (label, change) in enumerate(family):
        dev = dataclasses.replace(nominal, **change)
        act = MTJActivation(draw_devices(dev, Variability(), 1), read_noise=train.read_noise)
        color = f"C{i}"
        axes[0, 0].plot(z, act.transfer(z), color=color, label=label)
        axes[0, 1].plot(z, act.derivative(z), color=color, lw=1)
        axes[0, 1].plot(zc, act.fd_derivative(zc, train.delta, gen), "o", color=color, ms=3)
    axes[0, 0].set_title("nominal devices: output y(z)", fontsize=10)
    axes[0, 1].set_title(f"dy/dz: analytic (lines), FD with delta = {train.delta:g} + read noise (dots)", fontsize=10)
    axes[0, 0].legend(fontsize=7)
    devices = draw_devices(nominal, Variability.uniform(train.spread, train.read_noise), n_devices, gen)
    act = MTJActivation(devices, read_noise=train.read_noise)
    zz = z[:, None].expand(-1, n_devices)
    zzc = zc[:, None].expand(-1, n_devices)
    reads = act.response(zz, gen)
    exact, fd = act.derivative(zz), act.fd_derivative(zzc, train.delta, gen)
    for j in range(n_devices):
        axes[1, 0].plot(z, reads[:, j], lw=0.7)
        axes[1, 1].plot(z, exact[:, j], lw=0.7, color=f"C{j % 10}")
        axes[1, 1].plot(zc, fd[:, j], ".", ms=2, color=f"C{j % 10}")
    axes[1, 0].set_title(f"{n_devices} devices: spread {train.spread:g}, read noise {train.read_noise:g}", fontsize=10)
    axes[1, 1].set_title("their dy/dz: exact (lines), measured FD (dots)", fontsize=10)
    axes[0, 0].set_ylabel("output y (normalized, dimensionless)")
    axes[1, 0].set_ylabel("output y, one noisy read (dimensionless)")
    for ax in axes[:, 1]:
        ax.set_ylabel("slope dy/dz (dimensionless)")
    for ax in axes.flat:
        ax.set_xlabel("pre-activation z (H_x = input_scale z + offset)")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


SPLIT_NAMES = {"test": "test", "val": "validation"}


def plot_learning_curves(histories: dict[str, dict[str, list[float]]], path: Path, title: str, split: str = "test") -> None:
    """Training loss and the accuracy on ``split`` ("test" or "val") against epoch for each labelled history."""
    plt = _plt()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for label, h in histories.items():
        epochs = np.arange(1, len(h["train_loss"]) + 1)
        ax1.plot(epochs, h["train_loss"], label=label)
        ax2.plot(epochs, 100 * np.asarray(h[f"{split}_acc"]), label=label)
    ax1.set_yscale("log")
    ax1.set_ylabel("training loss (cross-entropy)")
    ax2.set_ylabel(f"{SPLIT_NAMES[split]} accuracy (%)")
    for ax in (ax1, ax2):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sweep(points: list[dict[str, Any]], xlabel: str, path: Path, title: str, split: str = "test") -> None:
    """Mean accuracy on ``split`` (``Estimate`` ``test_acc`` or ``val_acc`` of each point; +- its std) against the swept value, one line per gradient mode."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    for gradient, marker in (("fd", "o"), ("exact", "s")):
        pts = [p for p in points if p["gradient"] == gradient]
        if not pts:
            continue
        x = np.array([p["value"] for p in pts])
        y = 100 * np.array([p[f"{split}_acc"].mean for p in pts])
        e = 100 * np.array([p[f"{split}_acc"].std or 0.0 for p in pts])
        ax.errorbar(x, y, yerr=e, marker=marker, capsize=3, label=f"{gradient} gradient")
    if all(p["value"] > 0 for p in points):
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{SPLIT_NAMES[split]} accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
