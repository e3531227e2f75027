"""`mtjnn sweep robustness vowels|iris|xor`: accuracy of a trained network vs device variability and temperature.

One mechanism for every task: the network is trained once (``train``), then every (temperature, sigma)
point measures ``draws`` device realisations (``accuracy_draws``), with a seed derived from (seed,
temperature index, sigma index) only, and reports the mean with its 95 % CI (normal approximation over the
draws) and the 5-95 % band of the draws. The networks are deployed as designed (not re-trained on the drawn
devices). Iris and XOR: ``sweep_robustness_iris`` and ``sweep_robustness_xor`` (what sigma means there, and
why their only temperature is 0: neither device model has a thermal model).

Vowels: the vowel chain of ``mtjnn run vowels`` (paper protocol: input map fitted on all samples, thresholds and
cell table refitted and the ±10 µA hardware rule trained on the training part, compact junctions at 0 K) is
trained once; then, for every (temperature, sigma) point, ``draws`` device realisations are drawn, each
junction's threshold offset by sigma x (its input threshold at the -500 µA control) x N(0, 1), and the
test accuracy of every realisation is measured — at T > 0 with Néel–Brown switching (``devices.mtj.
CompactSwitching``), so each realisation also sees its own thermal noise. All draws of a point are ONE
batched evaluation; a point's draws come from a seed derived from (seed, temperature index, sigma index)
only.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..circuits.series_chain import SeriesChain
from ..data.vowels import make_splits
from ..devices.mtj import MTJ, PAPER_CONTROL_CURRENT, CompactSwitching, JunctionParams, paper_switching_currents
from ..nn.chain_classifier import HardwareRuleConfig, SmoothedTrainingConfig, fit_smoothed, refit_thresholds, train_hardware
from ..validation import check_choice, check_range
from .common import pyplot, results_dir, save_json, summary_table
from .contract import refuse_resume
from .results import write_config
from .sweep_robustness_iris import MAX_SIGMA as IRIS_MAX_SIGMA
from .sweep_robustness_iris import iris_accuracy_draws, train_iris_mlp
from .sweep_robustness_xor import MAX_SIGMA as XOR_MAX_SIGMA
from .sweep_robustness_xor import VARIED as XOR_VARIED
from .sweep_robustness_xor import train_xor_network, xor_accuracy_draws
from .sweep_stats import Z95
from .vowels import VowelsConfig, load_corpus

JOB = "sweep-robustness"
TASKS = ("vowels", "iris", "xor")
#: Per task: largest sigma, whether temperature is modelled, and what sigma spreads (figure axis label).
MAX_SIGMA = {"vowels": 1.0, "iris": IRIS_MAX_SIGMA, "xor": XOR_MAX_SIGMA}
THERMAL = {"vowels": True, "iris": False, "xor": False}
SIGMA_LABEL = {"vowels": "device-to-device threshold spread σ (%)",
               "iris": "device-to-device spread σ of H_K, TMR, R_P, offset (%)",
               "xor": "spread σ of " + ", ".join(f for _, f in XOR_VARIED) + " per neuron (%)"}
NETWORK = {"vowels": "vowel chain", "iris": "Iris MTJ-activation MLP 4-4-3", "xor": "spiking XOR, 3 SV/MTJ-nMOS neurons"}
COLUMNS = ("temperature", "sigma", "draws", "mean", "ci_low", "ci_high", "p05", "p95")
#: A short software fit (tests, smoke runs): ~10x faster than the default, a few % less accurate.
QUICK_FIT = SmoothedTrainingConfig(restarts=8, iterations=200, exact_top=4)


@dataclass(frozen=True)
class RobustnessSpec:
    """Inputs of ``run_robustness``: ``task``, ``sigmas`` (relative device spread), ``temperatures`` (K; None:
    (0, 300) for vowels, (0,) for iris and xor, which have no thermal model), ``draws`` device realisations per
    point. Vowels: the corpus and split (``test_fraction``, by sample), ``quick_fit``. Iris: ``read_noise``
    (sigma of every read / full swing), ``epochs`` (None: 200). XOR: ``inits`` trained initialisations."""

    task: str = "vowels"
    sigmas: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2)
    temperatures: tuple[float, ...] | None = None
    draws: int = 200
    seed: int = 0
    test_fraction: float = 0.2
    corpus: str = "hillenbrand"
    n_devices: int = 3
    pulse: float = 300e-9  # s, input pulse (the paper's)
    quick_fit: bool = False
    read_noise: float = 0.005
    epochs: int | None = None
    inits: int = 8

    def __post_init__(self) -> None:
        check_choice("task", self.task, TASKS)
        if self.temperatures is None:
            object.__setattr__(self, "temperatures", (0.0, 300.0) if THERMAL[self.task] else (0.0,))
        object.__setattr__(self, "sigmas", tuple(float(s) for s in self.sigmas))
        object.__setattr__(self, "temperatures", tuple(float(t) for t in self.temperatures))
        for name in ("sigmas", "temperatures"):
            if not getattr(self, name):
                raise ValueError(f"{name} is empty; allowed: at least one value")
        check_range("sigmas", self.sigmas, 0.0, MAX_SIGMA[self.task])
        check_range("temperatures", self.temperatures, 0.0, 1000.0, unit="K")
        if not THERMAL[self.task] and any(self.temperatures):
            raise ValueError(f"temperatures = {self.temperatures!r} for task {self.task!r}, whose device model has no thermal "
                             "model; allowed: 0 only")
        check_range("read_noise", self.read_noise, 0.0, 0.5)
        if self.epochs is not None:
            check_range("epochs", self.epochs, 1, 100_000)
        check_range("inits", self.inits, 1, 10_000)
        if isinstance(self.draws, bool) or not isinstance(self.draws, int) or not 2 <= self.draws <= 1_000_000:
            raise ValueError(f"draws = {self.draws!r}; allowed: an integer in [2, 1000000]")
        check_range("test_fraction", self.test_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
        check_range("n_devices", self.n_devices, 1, 8)
        VowelsConfig(corpus=self.corpus, paper_pulse=self.pulse)  # the vowel experiment's own checks

    def point_seed(self, t_index: int, s_index: int) -> int:
        return int(np.random.SeedSequence([self.seed, t_index, s_index]).generate_state(1, np.uint64)[0] >> np.uint64(1))


def _chain(switching: CompactSwitching) -> SeriesChain:
    return SeriesChain(MTJ(switching=switching, junction=JunctionParams()))


def train_vowel_chain(spec: RobustnessSpec) -> dict[str, Any]:
    """The trained classifier, its test split and nominal accuracy (module docstring)."""
    data = load_corpus(VowelsConfig(corpus=spec.corpus, seed=spec.seed))
    x, y = data.features, data.labels
    tr, te = make_splits(data, 1, spec.test_fraction, spec.seed, "sample")[0]
    i_sw = paper_switching_currents(spec.n_devices)
    fit = QUICK_FIT if spec.quick_fit else SmoothedTrainingConfig()
    soft, _ = fit_smoothed(x, y, i_sw, dataclasses.replace(fit, seed=spec.seed))
    nominal = CompactSwitching(i_sw=i_sw, pulse=spec.pulse)
    clf, _ = train_hardware(refit_thresholds(soft, x[tr], y[tr]), _chain(nominal), x[tr], y[tr],
                            HardwareRuleConfig(steps=80, step_current=10e-6, seed=spec.seed))
    return {"classifier": clf, "x": x[te], "y": y[te], "i_sw": torch.as_tensor(i_sw, dtype=torch.float64),
            "nominal_accuracy": float(clf.accuracy(x[te], y[te], _chain(nominal)))}


def train(spec: RobustnessSpec) -> dict[str, Any]:
    """The task's network, trained once: a dict with at least ``nominal_accuracy``."""
    if spec.task == "iris":
        return train_iris_mlp(spec.seed, spec.read_noise, spec.epochs)
    if spec.task == "xor":
        return train_xor_network(spec.seed, spec.inits)
    return train_vowel_chain(spec)


def accuracy_draws(trained: dict[str, Any], spec: RobustnessSpec, temperature: float, sigma: float, seed: int) -> np.ndarray:
    """(draws,) accuracies of ``draws`` device realisations at (temperature K, relative spread sigma)."""
    if spec.task == "iris":
        return iris_accuracy_draws(trained, spec.draws, sigma, seed)
    if spec.task == "xor":
        return xor_accuracy_draws(trained, spec.draws, sigma, seed)
    return _vowel_draws(trained, spec, temperature, sigma, seed)


def _vowel_draws(trained: dict[str, Any], spec: RobustnessSpec, temperature: float, sigma: float, seed: int) -> np.ndarray:
    gen = torch.Generator().manual_seed(seed)
    i_sw = trained["i_sw"]
    reference = i_sw - PAPER_CONTROL_CURRENT  # input thresholds at the -500 µA control, A
    eps = torch.randn((spec.draws, len(i_sw)), generator=gen, dtype=torch.float64)
    devices = CompactSwitching(i_sw=i_sw, pulse=spec.pulse, temperature=temperature).with_offsets(sigma * reference * eps)
    return trained["classifier"].accuracy(trained["x"], trained["y"], _chain(devices), gen).numpy()


def robustness_table(trained: dict[str, Any], spec: RobustnessSpec) -> dict[str, np.ndarray]:
    """One row per (temperature, sigma): ``COLUMNS`` (accuracies as fractions)."""
    rows: dict[str, list[float]] = {c: [] for c in COLUMNS}
    for ti, temperature in enumerate(spec.temperatures):
        for si, sigma in enumerate(spec.sigmas):
            acc = accuracy_draws(trained, spec, temperature, sigma, spec.point_seed(ti, si))
            half = Z95 * acc.std(ddof=1) / np.sqrt(len(acc))
            values = (temperature, sigma, len(acc), acc.mean(), acc.mean() - half, acc.mean() + half,
                      np.quantile(acc, 0.05), np.quantile(acc, 0.95))
            for c, v in zip(COLUMNS, values):
                rows[c].append(float(v))
    return {c: np.asarray(v) for c, v in rows.items()}


def run_robustness(spec: RobustnessSpec, out_root: str | Path = "results", resume: str | Path | None = None) -> dict[str, Any]:
    """Train, sweep, and write ``table.parquet`` / ``table.csv``, ``robustness.png`` and ``metrics.json``
    (``experiments.contract``; no checkpoint: a run takes seconds, ``resume`` is refused)."""
    refuse_resume(JOB, resume)
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = results_dir(JOB, out_root)
    write_config(out, JOB, spec)
    started = time.perf_counter()
    trained = train(spec)
    trained_s = time.perf_counter() - started
    table = robustness_table(trained, spec)
    sweep_s = time.perf_counter() - started - trained_s
    pq.write_table(pa.table(table), out / "table.parquet")
    lines = [",".join(COLUMNS)] + [",".join(repr(float(table[c][r])) for c in COLUMNS) for r in range(len(table["mean"]))]
    (out / "table.csv").write_text("\n".join(lines) + "\n")
    _plot(table, spec, out / "robustness.png")
    metrics = {"task": spec.task, "nominal_accuracy": trained["nominal_accuracy"], "test_samples": int(len(trained["y"])) if "y" in trained else 4,
               "points": len(table["mean"]), "draws_per_point": spec.draws, "training_s": trained_s, "sweep_s": sweep_s,
               "training": {k: v for k, v in trained.items() if isinstance(v, (int, float, str)) and k != "nominal_accuracy"},
               "table": {c: table[c].tolist() for c in COLUMNS}}
    save_json(out / "metrics.json", metrics)
    rows = [("network", f"{NETWORK[spec.task]}, nominal test accuracy {trained['nominal_accuracy']:.3f}")]
    for temperature in spec.temperatures:
        sel = table["temperature"] == temperature
        rows.append((f"T = {temperature:g} K", "  ".join(f"σ={s:g}: {m:.3f}" for s, m in zip(table["sigma"][sel], table["mean"][sel]))))
    rows += [("time", f"training {trained_s:.1f} s, sweep {sweep_s:.1f} s ({spec.draws} draws per point)"), ("results", str(out))]
    print(summary_table(rows, f"mtjnn sweep robustness {spec.task}: accuracy vs device spread and temperature"))
    metrics["output_dir"] = str(out)
    return metrics


def _plot(table: dict[str, np.ndarray], spec: RobustnessSpec, path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for temperature in spec.temperatures:
        sel = table["temperature"] == temperature
        s = table["sigma"][sel] * 100
        (line,) = ax.plot(s, table["mean"][sel], "o-", label=f"T = {temperature:g} K: mean, 95 % CI")
        ax.fill_between(s, table["ci_low"][sel], table["ci_high"][sel], color=line.get_color(), alpha=0.4)
        ax.fill_between(s, table["p05"][sel], table["p95"][sel], color=line.get_color(), alpha=0.12,
                        label=f"T = {temperature:g} K: 5-95 % of draws")
    ax.set_xlabel(SIGMA_LABEL[spec.task])
    ax.set_ylabel("test accuracy")
    ax.set_title(f"{spec.task}: {spec.draws} device draws per point", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
