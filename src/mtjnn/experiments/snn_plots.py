"""Figures of `mtjnn run cifar10` / `cifar10-dvs` (seed 001): learning curves and per-layer spike statistics,
one line or bar group per neuron type, read from the metrics written by ``experiments.snn_cifar``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .common import pyplot


def plot_learning_curves(metrics: dict[str, Any], path: Path) -> None:
    """Training loss and validation accuracy per epoch for every neuron type."""
    plt = pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, run in metrics["runs"].items():
        epochs = run["history"]["epochs"]
        e = [r["epoch"] for r in epochs]
        ax.plot(e, [r["train_loss"] for r in epochs], "o-", ms=3, label=name)
        bx.plot(e, [100 * r["val_acc"] for r in epochs], "o-", ms=3, label=f"{name} (test {100 * run['test_acc_final'].mean:.1f} %)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    bx.set_xlabel("epoch")
    bx.set_ylabel("validation accuracy (%)")
    title = ("EMULATED " if metrics.get("emulated") else "") + metrics["dataset"]
    fig.suptitle(f"{title}: {metrics['recipe']['arch']}, T = {metrics['recipe']['steps']}", fontsize=10)
    for a in (ax, bx):
        a.grid(alpha=0.3)
        a.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_spike_statistics(metrics: dict[str, Any], path: Path) -> None:
    """Per-layer spike rates, split into +1 and -1 spikes, for every neuron type (test images)."""
    plt = pyplot()
    runs = metrics["runs"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / max(len(runs), 1)
    for k, (name, run) in enumerate(runs.items()):
        layers = run["spike_statistics"]
        x = np.arange(len(layers)) + k * width
        pos = [layer["positive_rate"] for layer in layers]
        neg = [layer["negative_rate"] for layer in layers]
        ax.bar(x, pos, width, label=f"{name}: +1", color=f"C{k}")
        ax.bar(x, neg, width, bottom=pos, label=f"{name}: -1", color=f"C{k}", alpha=0.45, hatch="//")
    n_layers = max(len(r["spike_statistics"]) for r in runs.values())
    ax.set_xticks(np.arange(n_layers) + 0.4 - width / 2, [f"layer {i + 1}" for i in range(n_layers)])
    ax.set_ylabel("spikes per neuron per step")
    ax.legend(fontsize=7, ncol=3)
    ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
