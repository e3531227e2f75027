"""`mtjnn run cifar10` and `mtjnn run cifar10-dvs`: deep SNNs with the device-fitted signed LIF, the ideal signed LIF
and the binary LIF, trained the same way side by side (seed 001, Zheng, Liu & Yang).

The device neuron is not a copied constant: every run drives the orthogonal-easy-axis MTJ
(``devices.signed_lif_macrospin.OrthogonalMTJ``) with the fit bank in one LLGS call and fits the signed LIF
(``devices.signed_lif_fit.fit_device``); its per-step parameters at the device clock, plus optional
device-to-device spread and read noise, define the "device" layers. Recipes:

* ``cpu`` (this 2-core machine): a fast conv SNN (``nn.snn_models``), T = 4 for images, a fixed number of epochs
  chosen so that one neuron type trains in <= 20 minutes here; CIFAR10-DVS is *emulated*
  (``data.dvs_emulator``: 1000 CIFAR-10 training images per class moved on a virtual screen, 9:1 split, the
  size of the real set), T = 8 frames at 32 x 32.
* ``paper`` (a GPU): Spikformer-4-384, T = 4, 300 epochs for CIFAR-10; Spikformer-2-256, T = 16, 200 epochs,
  64 x 64 frames for CIFAR10-DVS (the real recordings when ``--data-dir`` holds them, else emulated); AdamW
  1e-3, cosine, batch 64 (SEEDS_SPEC 3.4).

Validation: 10 % of the training data (stratified, seeded) — the selection split; the test set is evaluated
for the final model and, named separately, for the best-validation epoch. Each neuron type trains in its own
sub-folder with a checkpoint per epoch; ``--resume`` continues a run folder with its saved configuration.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.cifar10 import first_per_class, load_cifar10, load_cifar10_splits, stratified_split
from ..data.cifar10_dvs import find_cifar10_dvs, load_cifar10_dvs
from ..data.dvs_emulator import DVSEmulator, emulate_dataset
from ..data.image_transforms import random_crop_flip, to_tensor
from ..devices.signed_lif import SignedLIFParams
from ..devices.signed_lif_fit import fit_device
from ..devices.signed_lif_macrospin import OrthogonalMTJ
from ..nn.snn_models import build_model, spike_statistics
from ..nn.spiking_neurons import NEURONS, neuron_factory
from ..validation import check_choice, check_range
from .common import results_dir, save_json, seed_everything, summary_table
from .records import Estimate
from .results import reopen_run_folder, saved_config, write_config
from .snn_training import DistributedContext, Split, TrainSettings, distributed_context, evaluate, train

DATASETS = ("cifar10", "cifar10-dvs")
RECIPES = ("cpu", "paper")
DEVICE_RESETS = ("fitted", "zero")


@dataclass(frozen=True)
class Recipe:
    """Network and schedule: arch (``nn.snn_models.build_model`` name), steps T, frame size (event data), training settings."""

    arch: str
    steps: int
    frame_size: int
    train: TrainSettings


def recipe(dataset: str, name: str, seed: int = 0) -> Recipe:
    """The named recipe for ``dataset`` (module docstring)."""
    check_choice("dataset", dataset, DATASETS)
    check_choice("recipe", name, RECIPES)
    if name == "paper":
        if dataset == "cifar10":
            return Recipe("spikformer-4-384", 4, 32, TrainSettings(epochs=300, batch_size=64, lr=1e-3, weight_decay=6e-2, warmup_epochs=20, seed=seed))
        return Recipe("spikformer-2-256", 16, 64, TrainSettings(epochs=200, batch_size=64, lr=1e-3, weight_decay=6e-2, warmup_epochs=10, seed=seed))
    if dataset == "cifar10":
        return Recipe("convsnn", 4, 32, TrainSettings(epochs=CPU_EPOCHS["cifar10"], batch_size=128, lr=2e-3, weight_decay=1e-2, seed=seed))
    return Recipe("convsnn", 8, 32, TrainSettings(epochs=CPU_EPOCHS["cifar10-dvs"], batch_size=64, lr=2e-3, weight_decay=1e-2, seed=seed))


#: Epochs of the cpu recipe: the most that fit a 20-minute budget per neuron type on the 2-core reference machine
#: (measured: docs/snn.md).
CPU_EPOCHS = {"cifar10": 12, "cifar10-dvs": 30}


@dataclass(frozen=True)
class SnnConfig:
    """Inputs of ``run``. dataset, recipe, neurons (subset of device / ideal / binary, trained in turn), device (the
    junction fitted for the device neuron) and its clock (s), beta_spread / theta_spread / read_noise of the device
    neuron, device_reset ("fitted", or "zero": the ablation with the ideal's hard reset), epochs / batch_size / time_budget_s (override the recipe; None keeps it), train_per_class / test_per_class (subsets
    for quick runs; None = all), data_dir, seed."""

    dataset: str = "cifar10"
    recipe: str = "cpu"
    neurons: tuple[str, ...] = ("device", "ideal", "binary")
    device: OrthogonalMTJ = field(default_factory=OrthogonalMTJ)
    clock: float = 300e-12
    beta_spread: float = 0.0
    theta_spread: float = 0.0
    read_noise: float = 0.0
    device_reset: str = "fitted"
    epochs: int | None = None
    batch_size: int | None = None
    time_budget_s: float | None = 20 * 60.0
    train_per_class: int | None = None
    test_per_class: int | None = None
    data_dir: str | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("recipe", self.recipe, RECIPES)
        if not self.neurons:
            raise ValueError("neurons = (); allowed: one or more of " + ", ".join(NEURONS))
        for n in self.neurons:
            check_choice("neuron", n, NEURONS)
        check_range("clock", self.clock, 10e-12, 100e-9, unit="s")
        check_choice("device_reset", self.device_reset, DEVICE_RESETS)
        if self.epochs is not None:
            check_range("epochs", self.epochs, 1, 100_000)
        if self.batch_size is not None:
            check_range("batch_size", self.batch_size, 1, 100_000)
        if self.train_per_class is not None:
            check_range("train_per_class", self.train_per_class, 2, 5000)
        if self.test_per_class is not None:
            check_range("test_per_class", self.test_per_class, 1, 1000)

    def recipe_settings(self) -> Recipe:
        r = recipe(self.dataset, self.recipe, self.seed)
        train = dataclasses.replace(r.train, epochs=self.epochs or r.train.epochs, batch_size=self.batch_size or r.train.batch_size,
                                    time_budget_s=self.time_budget_s)
        return dataclasses.replace(r, train=train)


@dataclass
class Data:
    """train / val / test splits ready for the network, the classes and the data set's metadata."""

    train: Split
    val: Split
    test: Split
    classes: tuple[str, ...]
    metadata: dict[str, Any]


def load_data(config: SnnConfig, rec: Recipe) -> Data:
    """The data set of ``config`` as tensors: images normalized (N, 3, 32, 32) with crop/flip augmentation for training, or
    event frames (N, T, 2, S, S) with the same augmentation (the network receives them time-major)."""
    if config.dataset == "cifar10":
        splits = load_cifar10_splits(config.data_dir, config.train_per_class, config.test_per_class, seed=config.seed)
        mean, std = splits.mean, splits.std
        fill = tuple(float(v) for v in -mean / std)

        def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
            return random_crop_flip(x, 4, True, fill, gen)

        def tensors(s):
            return to_tensor(s.images, mean, std), torch.as_tensor(s.labels, dtype=torch.long)

        (xt, yt), (xv, yv), (xs, ys) = tensors(splits.train), tensors(splits.val), tensors(splits.test)
        meta = {**splits.train.metadata, "normalization": {"mean": mean.tolist(), "std": std.tolist()}}
        return Data(Split(xt, yt, augment), Split(xv, yv), Split(xs, ys), tuple(splits.train.classes), meta)
    return _event_frames(config, rec)


def _event_frames(config: SnnConfig, rec: Recipe) -> Data:
    """CIFAR10-DVS: the real recordings when ``data_dir`` holds them, else the emulated set (1000 CIFAR-10 training
    images per class, the size of the real set), split 9:1 per class; 10 % of the training part is validation."""
    try:
        find_cifar10_dvs(config.data_dir)
        real = True
    except FileNotFoundError:
        real = False
    per_class = config.train_per_class
    if real:
        train_all = load_cifar10_dvs("train", rec.steps, rec.frame_size, config.data_dir, per_class, progress=True, dtype="float16")
        test = load_cifar10_dvs("test", rec.steps, rec.frame_size, config.data_dir, config.test_per_class, progress=True, dtype="float16")
    else:
        train_all, test = _emulated_cifar10_dvs(config, rec)
    tr_idx, val_idx = stratified_split(train_all.labels, 0.1, config.seed)
    scale = float(np.percentile(train_all.frames[tr_idx][:, :, :, ::4, ::4].astype(np.float32), 99.9)) or 1.0

    def tensors(frames: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.as_tensor(frames), torch.as_tensor(labels, dtype=torch.long)

    def to_network(x: torch.Tensor) -> torch.Tensor:
        return (x.float() / scale).transpose(0, 1)  # (B, T, 2, S, S) counts -> (T, B, 2, S, S)

    def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return random_crop_flip(x, 4, True, 0.0, gen)

    xt, yt = tensors(train_all.frames[tr_idx], train_all.labels[tr_idx])
    xv, yv = tensors(train_all.frames[val_idx], train_all.labels[val_idx])
    xs, ys = tensors(test.frames, test.labels)
    meta = {**train_all.metadata, "count_scale": scale}
    return Data(Split(xt, yt, augment, to_network), Split(xv, yv, None, to_network), Split(xs, ys, None, to_network),
                tuple(train_all.classes), meta)


def _emulated_cifar10_dvs(config: SnnConfig, rec: Recipe):
    """EMULATED CIFAR10-DVS: the first 1000 CIFAR-10 training images of each class (the size of the real set), of which
    the first 100 per class are the test part (the 9:1 split); only the images a (sub)set needs are emulated."""
    source = load_cifar10("train", config.data_dir)
    idx = first_per_class(source.labels, 1000)
    rank = np.tile(np.arange(1000), len(source.classes))  # position within its class (first_per_class keeps class order)
    n_test = 100
    test_keep = rank < (config.test_per_class or n_test)
    train_keep = (rank >= n_test) & (rank < n_test + (config.train_per_class or 1000 - n_test))
    keep = idx[test_keep | train_keep]
    emulated = emulate_dataset(source.images[keep], source.labels[keep], tuple(source.classes), rec.steps, rec.frame_size,
                               DVSEmulator(sensor_size=64), seed=config.seed, batch_size=500, source_metadata=source.metadata,
                               dtype="float16")
    is_test = test_keep[test_keep | train_keep]
    pick = lambda mask: dataclasses.replace(emulated, frames=emulated.frames[mask], labels=emulated.labels[mask])  # noqa: E731
    return pick(~is_test), pick(is_test)


def compute_device(ctx: DistributedContext) -> torch.device:
    """The GPU of this rank when CUDA is available (the paper recipe), else the CPU (the fused numba neurons)."""
    if torch.cuda.is_available():
        return torch.device("cuda", ctx.rank % torch.cuda.device_count())
    return torch.device("cpu")


def device_neuron(config: SnnConfig) -> tuple[SignedLIFParams, dict[str, Any]]:
    """Fit the device's signed LIF now (one LLGS bank + fit, ~10 s) and return its network form and the fit summary."""
    fit, _, _ = fit_device(config.device, config.clock, seed=config.seed)
    params = fit.model.discrete(config.clock).with_variability(config.beta_spread, config.theta_spread, config.read_noise)
    if config.device_reset == "zero":
        params = dataclasses.replace(params, reset_value=0.0)
    return params, fit.summary()


def run(config: SnnConfig, out_root: str | Path = "results", resume: str | Path | None = None) -> dict[str, Any]:
    """Train every neuron type of ``config`` with the same network and schedule; metrics side by side."""
    ctx = distributed_context()
    if resume is not None:
        config = _config_from_json(saved_config(resume, config.dataset))
        out = reopen_run_folder(resume, config.dataset) if ctx.main else Path(resume)
    rec = config.recipe_settings()
    started = time.perf_counter()
    data = load_data(config, rec)
    if data.train.y.shape[0] < rec.train.batch_size:
        raise ValueError(f"batch_size = {rec.train.batch_size} exceeds the {data.train.y.shape[0]} training samples "
                         f"(train_per_class = {config.train_per_class}); allowed: batch_size <= training samples")
    if resume is None:  # the folder is made only once the inputs are known to be good
        out = results_dir(config.dataset, out_root) if ctx.main else None
        if ctx.world > 1:
            out = _broadcast_path(out, ctx)
        if ctx.main:
            write_config(out, config.dataset, config)
    params, fit_summary = device_neuron(config) if "device" in config.neurons else (None, None)
    metrics: dict[str, Any] = {"dataset": config.dataset, "data": data.metadata, "recipe": dataclasses.asdict(rec),
                               "emulated": bool(data.metadata.get("emulated", False)), "device_fit": fit_summary,
                               "device_neuron": None if params is None else dataclasses.asdict(params), "runs": {}}
    if metrics["emulated"]:
        print(f"NOTE: {data.metadata.get('description', 'emulated event data')}")
    for name in config.neurons:
        seed_everything(config.seed)
        model = build_model(rec.arch, neuron_factory(name, params, seed=config.seed), in_channels=data.train.x.shape[-3],
                            num_classes=len(data.classes), steps=rec.steps).to(compute_device(ctx))
        run_dir = out / name
        run_dir.mkdir(exist_ok=True)
        history = train(model, data.train, data.val, rec.train, run_dir, ctx=ctx)
        n_test = int(data.test.y.shape[0])
        record = {"history": history, "test_acc_final": Estimate.proportion(evaluate(model, data.test), n_test),
                  "parameters": sum(p.numel() for p in model.parameters())}
        best = run_dir / "best_val_model.pt"
        if best.exists():
            final_state = {k: v.clone() for k, v in model.state_dict().items()}
            model.load_state_dict(torch.load(best, map_location=compute_device(ctx)))
            record["test_acc_best_val_epoch"] = Estimate.proportion(evaluate(model, data.test), n_test)
            model.load_state_dict(final_state)
        record["spike_statistics"] = spike_statistics(model, data.test.batch(slice(0, 256)).to(compute_device(ctx)))
        metrics["runs"][name] = record
        if ctx.main:
            save_json(out / "metrics.json", metrics)
    metrics["wall_time_s"] = time.perf_counter() - started
    if ctx.main:
        save_json(out / "metrics.json", metrics)
        from .snn_plots import plot_learning_curves, plot_spike_statistics

        plot_learning_curves(metrics, out / "learning_curves.png")
        plot_spike_statistics(metrics, out / "spike_statistics.png")
        print(summary_table(_summary_rows(metrics), f"{config.dataset} ({config.recipe} recipe) -> {out}"))
    return metrics


def _summary_rows(m: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("data", ("EMULATED " if m["emulated"] else "") + m["dataset"]), ("network", f"{m['recipe']['arch']}, T = {m['recipe']['steps']}")]
    for name, r in m["runs"].items():
        h = r["history"]
        best = r["test_acc_best_val_epoch"].mean if "test_acc_best_val_epoch" in r else float("nan")
        rows.append((f"{name} neuron", f"test {100 * r['test_acc_final'].mean:.2f} % (final), best-val epoch {h['best_val']['epoch']}: "
                                       f"test {100 * best:.2f} %; {len(h['epochs'])} epochs, "
                                       f"{h['wall_time_s'] / 60:.1f} min" + (f" ({h['stopped']})" if h["stopped"] else "")))
    if "device" in m["runs"] and "ideal" in m["runs"]:
        gap = 100 * (m["runs"]["ideal"]["test_acc_final"].mean - m["runs"]["device"]["test_acc_final"].mean)
        rows.append(("ideal - device", f"{gap:+.2f} points (paper: 1.2)"))
    return rows


def _config_from_json(saved: dict[str, Any]) -> SnnConfig:
    saved = dict(saved)
    saved["device"] = OrthogonalMTJ(**{k: v for k, v in saved["device"].items()})
    saved["neurons"] = tuple(saved["neurons"])
    return SnnConfig(**saved)


def _broadcast_path(out: Path | None, ctx: DistributedContext) -> Path:
    import torch.distributed as dist

    holder = [str(out) if out is not None else None]
    dist.broadcast_object_list(holder, src=0)
    return Path(holder[0])

