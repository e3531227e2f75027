"""`mtjnn run xor`: XOR learned by three SV/MTJ-nMOS neurons with time-coded spikes (seed S000).

Network, coding and learning rule: ``nn.spike_timing`` (2 inputs + bias -> 2 hidden -> 1 output, inputs
early = 1 / late = 0, exact spike-time gradients through the neurons' own dynamics, online Adam updates).
Trains ``inits`` random initialisations (``init``: "broad" = every weight uniform over the whole VCA range
[-2, 2] V/V, the headline; "favourable" = gains centred on the single-input threshold) in one batched run,
each trained once (no restarts), and reports: the initialisation, the fraction correct within 30 epochs
and the median epochs to convergence (all four patterns classified by the output spike time), the
simulated time of a training cycle (4 pattern windows per epoch), the energy per inference from the
simulated supply currents, and (optionally) the trained networks re-evaluated with every neuron as a full
LLGS macrospin. Writes config.json, metrics.json, spike_times.png (output spike time per pattern over the
epochs) and traces.png (voltage traces of a trained network).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..nn.spike_timing import SpikeTimingConfig, evaluate_layerwise, simulate_layerwise
from ..nn.xor_training import INITS, TrainConfig, XorTask, train_xor
from ..validation import check_choice, check_range
from .common import results_dir, save_json, seed_everything, summary_table
from .contract import refuse_resume
from .records import Estimate
from .results import write_config


@dataclass(frozen=True)
class XorConfig:
    """Inputs of ``run``: ``inits`` random initialisations (1..100000), ``init`` (the named initialisation,
    one of ``nn.xor_training.INITS``: "broad" = uniform over [-weight_clip, weight_clip] V/V, "favourable"),
    ``epochs`` (1..10000), ``seed``, ``macrospin_check`` (re-evaluate the trained networks with macrospin
    neurons, dt ``macrospin_dt`` s), and the network / training / task settings (``init`` and ``epochs``
    override those of ``train``)."""

    #: ``--quick``: 4 initialisations, no macrospin check (contract.quick_config).
    QUICK: ClassVar[dict[str, Any]] = {"inits": 4, "macrospin_check": False}

    inits: int = 20
    init: str = "broad"
    epochs: int = 30
    seed: int = 0
    macrospin_check: bool = True
    macrospin_dt: float = 2e-12
    network: SpikeTimingConfig = field(default_factory=SpikeTimingConfig)
    train: TrainConfig | None = None
    task: XorTask = field(default_factory=XorTask)

    def __post_init__(self) -> None:
        check_range("inits", self.inits, 1, 100_000)
        check_choice("init", self.init, INITS)
        check_range("epochs", self.epochs, 1, 10_000)
        check_range("macrospin_dt", self.macrospin_dt, 0.0, 20e-12, low_inclusive=False, unit="s")

    def training(self) -> TrainConfig:
        base = self.train or TrainConfig()
        return TrainConfig(**{**base.__dict__, "epochs": self.epochs, "init": self.init})


@dataclass(frozen=True)
class MacrospinCheck:
    """The converged networks re-evaluated with every neuron a full LLGS macrospin (metrics.json's
    ``macrospin_check``, a dict of these fields): how many, the fraction still classifying all four patterns, the
    largest |output spike time (macrospin) - (compact)| in s, and the wall time of the check in s."""

    networks: int
    all_correct_fraction: Estimate
    max_output_time_difference_s: float
    wall_time_s: float


def run(config: XorConfig, out_root: str | Path = "results", resume: str | Path | None = None) -> dict[str, Any]:
    """Train, evaluate, plot; returns the metrics (also written to metrics.json)."""
    refuse_resume("xor", resume)
    gen = seed_everything(config.seed)
    net, task = config.network, config.task
    times, labels, _ = task.patterns()
    started = time.perf_counter()
    train = config.training()
    res = train_xor(config.inits, net, train, task, generator=gen, progress=True)
    wall = time.perf_counter() - started
    conv = res.epochs_to_converge
    ok = (conv >= 0) & (conv <= 30)
    epoch_time = 4 * net.window  # one epoch presents each pattern once
    # energy per inference and peak power of the trained networks (fused circuit kernel, supply currents)
    lay = simulate_layerwise(res.wh, res.wo, times, net, fidelity="compact")
    out_ref = lay.output
    n_net, n_hid = config.inits, net.n_hidden
    energy = lay.hidden.energy.reshape(n_net, 4, n_hid).sum(-1) + lay.out.energy.reshape(n_net, 4)  # (N, P) J
    current = lay.hidden.current.reshape(-1, n_net, 4, n_hid).sum(-1) + lay.out.current.reshape(-1, n_net, 4)
    peak_power = (net.circuit.v_dd * current).amax(0)  # (N, P) W
    median = float(conv[ok].double().median()) if bool(ok.any()) else None
    ranges = train.init_ranges()
    metrics: dict[str, Any] = {
        "inits": config.inits,
        "init": train.init,
        "init_ranges_v_per_v": {name: list(bounds) for name, bounds in ranges.items()},
        "epochs_to_converge": conv.tolist(),
        "converged_within_30_epochs": Estimate.of(ok.double(), over="initialisations"),
        "converged_at_all": Estimate.of((conv >= 0).double(), over="initialisations"),
        "median_epochs_to_converge": float(conv[conv >= 0].double().median()) if bool((conv >= 0).any()) else None,
        "median_epochs_to_converge_within_30": median,
        "simulated_time_per_epoch_s": epoch_time,
        "simulated_time_30_epochs_s": 30 * epoch_time,
        "simulated_time_to_converge_median_s": None if not bool((conv >= 0).any()) else float(conv[conv >= 0].double().median()) * epoch_time,
        "energy_per_inference": Estimate.of(energy[conv >= 0] if bool((conv >= 0).any()) else energy,
                                            over="converged networks x patterns (all networks if none converged)", unit="J"),
        "energy_per_inference_j_max": float(energy.max()),
        "peak_power_w_max": float(peak_power.max()),
        "final_output_times_s": torch.where(out_ref.spiked[..., -1], out_ref.time[..., -1], torch.nan).tolist(),
        "wall_time_training_s": wall,
        "labels": labels.tolist(),
        "coding": {"input_one_s": task.t0, "input_zero_s": task.t0 + task.delay, "xor_one": task.xor_one,
                   "t_early_s": task.t_early, "t_late_s": task.t_late, "boundary_s": task.boundary},
    }
    if config.macrospin_check and bool((conv >= 0).any()):
        sel = (conv >= 0).nonzero().flatten()
        t0 = time.perf_counter()
        macro = evaluate_layerwise(res.wh[sel], res.wo[sel], times, net, fidelity="macrospin", dt=config.macrospin_dt)
        compact = evaluate_layerwise(res.wh[sel], res.wo[sel], times, net, fidelity="compact", dt=config.macrospin_dt)
        metrics["macrospin_check"] = MacrospinCheck(
            networks=int(sel.numel()),
            all_correct_fraction=Estimate.of(task.correct(macro, labels).all(1).double(), over="converged networks"),
            max_output_time_difference_s=float((macro.time[..., -1] - compact.time[..., -1]).abs().max()),
            wall_time_s=time.perf_counter() - t0,
        )
    out = results_dir("xor", out_root)
    write_config(out, "xor", {**config.__dict__, "train": config.training()})
    save_json(out / "metrics.json", metrics)
    _plot_history(res.history_time.numpy(), conv.numpy(), labels.numpy(), task, out / "spike_times.png")
    best = int(torch.where(conv >= 0, conv, conv.max() + 1).argmin()) if bool((conv >= 0).any()) else 0
    _plot_traces(lay, best, times.numpy(), net, out / "traces.png")
    labels_w = {"hidden_init": "inputs->hidden", "hidden_bias_init": "bias->hidden", "output_init": "hidden->output", "output_bias_init": "bias->output"}
    init_text = ", ".join(f"{labels_w[name]} [{lo:g}, {hi:g}]" for name, (lo, hi) in ranges.items())
    rows = [
        ("initialisation", f"{train.init}: uniform, {init_text} V/V; each trained once (no restarts)"),
        ("converged (all 4 correct)", f"{ok.sum()}/{config.inits} within 30 epochs ({metrics['converged_within_30_epochs'].mean * 100:.0f} %); source: ~30 epochs"),
        ("epochs to converge", f"median {median} (of those within 30), per init {conv.tolist()}"),
        ("simulated time per epoch", f"{epoch_time * 1e9:.0f} ns (4 windows of {net.window * 1e9:.0f} ns); 30 epochs = {30 * epoch_time * 1e6:.2f} us (source: < 2 us)"),
        ("energy per inference", f"{metrics['energy_per_inference'].mean * 1e15:.1f} fJ (3 neurons, supply V_DD I); peak power {metrics['peak_power_w_max'] * 1e6:.0f} uW"),
        ("coding", f"inputs 1 = {task.t0 * 1e9:.1f} ns, 0 = {(task.t0 + task.delay) * 1e9:.1f} ns; XOR = 1 -> output {task.xor_one} ({task.t_late * 1e9 if task.xor_one == 'late' else task.t_early * 1e9:.1f} ns), boundary {task.boundary * 1e9:.2f} ns"),
        ("training wall time", f"{wall:.1f} s for {config.inits} initialisations (batched)"),
    ]
    if "macrospin_check" in metrics:
        mc = metrics["macrospin_check"]
        rows.append(("macrospin re-evaluation", f"{mc.all_correct_fraction.mean * 100:.0f} % of {mc.networks} trained networks still correct; max |dt_out| = {mc.max_output_time_difference_s * 1e12:.0f} ps"))
    rows.append(("results", str(out)))
    print(summary_table(rows, "mtjnn run xor: three SV/MTJ-nMOS neurons, spike-timing gradients"))
    metrics["output_dir"] = str(out)
    return metrics


def _plot_history(hist: np.ndarray, conv: np.ndarray, labels: np.ndarray, task: XorTask, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["00", "01", "10", "11"]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), sharey=True)
    epochs = np.arange(hist.shape[0])
    for p, ax in enumerate(axes):
        for n in range(hist.shape[1]):
            ax.plot(epochs, hist[:, n, p] * 1e9, lw=0.8, alpha=0.6, color="C0" if conv[n] >= 0 else "C3")
        ax.axhline(task.boundary * 1e9, color="k", ls=":", lw=1)
        target = task.t_late if (labels[p] == 1) == (task.xor_one == "late") else task.t_early
        ax.axhline(target * 1e9, color="C2", lw=1.5)
        ax.set_title(f"x = {names[p]}, XOR = {labels[p]}")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("output spike time (ns)")
    fig.suptitle("output spike time per pattern over training (blue: converged, red: not; green: target; dotted: boundary)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_traces(lay, n: int, times: np.ndarray, net: SpikeTimingConfig, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = lay.out.times.numpy() * 1e9
    n_hid = net.n_hidden
    names = ["00", "01", "10", "11"]
    n_steps = lay.out.v_in.shape[0]
    v_in_h = lay.hidden.v_in.reshape(n_steps, -1, 4, n_hid)[:, n]
    v_d_h = lay.hidden.v_drain.reshape(n_steps, -1, 4, n_hid)[:, n]
    v_in_o = lay.out.v_in.reshape(n_steps, -1, 4)[:, n]
    v_d_o = lay.out.v_drain.reshape(n_steps, -1, 4)[:, n]
    fig, axes = plt.subplots(2, 4, figsize=(14, 6), sharex=True)
    for p in range(4):
        ax, bx = axes[0, p], axes[1, p]
        for j in range(n_hid):
            ax.plot(t, v_in_h[:, p, j].numpy(), label=f"hidden {j + 1}")
            bx.plot(t, v_d_h[:, p, j].numpy(), label=f"hidden {j + 1}")
        ax.plot(t, v_in_o[:, p].numpy(), label="output", color="k")
        bx.plot(t, v_d_o[:, p].numpy(), label="output", color="k")
        for tt in times[p, :2]:
            ax.axvline(tt * 1e9, color="0.6", ls=":")
        ax.set_title(f"x = {names[p]}")
        bx.set_xlabel("time (ns)")
    axes[0, 0].set_ylabel("gate voltage, input (V)")
    axes[1, 0].set_ylabel("drain voltage, output (V)")
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.suptitle(f"trained network #{n}: gate (synaptic VCA sum) and drain voltages of the three neurons")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
