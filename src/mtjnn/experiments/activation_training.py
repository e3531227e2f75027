"""`mtjnn run iris` / `mtjnn run mnist`: MTJ-activation MLPs trained with device-measured gradients (seed 003).

Reproduces Jenkins et al., "Trainable neuromorphic spintronic hardware via analog finite-difference
gradient methods" (arXiv 2603.03947; SEEDS_SPEC section 4): hidden neurons are sensor MTJs
(``devices.activation``) with 5 % device-to-device spread and read noise; backpropagation uses the
derivative measured on each device by a central finite difference (``nn.analog_mlp``). Compared with
the exact derivative of each device and with a tanh network of the same size.

Iris: z-scored features, stratified 5-fold cross-validation (120/30) repeated for several seeds.
MNIST: pixels scaled to [0, 1], the standard 60k/10k split, Adam with a cosine learning-rate schedule,
a checkpoint every epoch (``--resume`` continues an interrupted run). Both write
``results/<name>/<stamp>/{config.json, metrics.json, *.png}``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..data.iris import load_iris
from ..data.mnist import load_mnist
from ..devices.activation import SensorMTJ, Variability
from ..nn.analog_mlp import AnalogMLP, AnalogMLPConfig
from ..validation import check_positive, check_range
from .activation_figures import plot_learning_curves, plot_sweep, plot_transfer_curves
from .common import Checkpoint, open_run, save_json, seed_everything, summary_table


@dataclass(frozen=True)
class TrainConfig:
    """One network and its training (SI units for the device; ``delta`` in pre-activation units).

    ``spread`` is the relative sigma of H_K, TMR, R_P and of the offset field (fraction of H_K);
    ``read_noise`` the sigma of each read as a fraction of the full swing.
    """

    hidden: tuple[int, ...] = (256,)
    activation: str = "mtj"
    gradient: str = "fd"
    delta: float = 0.1
    spread: float = 0.05
    read_noise: float = 0.005
    fidelity: str = "compact"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 1e-3
    seed: int = 0
    device: SensorMTJ = field(default_factory=SensorMTJ)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        check_range("epochs", self.epochs, 1, 1e6)
        check_range("batch_size", self.batch_size, 1, 1e7)
        check_positive("lr", self.lr)
        self.model_config(1, 2)  # validates hidden, activation, gradient, delta, spread, read_noise, fidelity

    def model_config(self, in_features: int, out_features: int) -> AnalogMLPConfig:
        return AnalogMLPConfig(
            in_features, self.hidden, out_features, self.activation, self.gradient, self.delta, self.device,
            Variability.uniform(self.spread, self.read_noise), self.fidelity,
        )

    @property
    def label(self) -> str:
        kind = "tanh" if self.activation == "tanh" else f"MTJ {self.gradient}"
        return f"{kind} {'-'.join(map(str, self.hidden))}"


def fit(
    train: TrainConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    checkpoint: Checkpoint | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train one ``AnalogMLP`` with Adam + cosine schedule; evaluate on the test set every epoch.

    Seeds: ``train.seed`` draws the weights and the devices; a second generator draws the shuffles and
    every read noise; test reads use a generator seeded per epoch. With ``checkpoint`` the state is
    saved after every epoch and a saved state is resumed. Returns the history and final numbers.
    """
    n_classes = int(max(int(y_train.max()), int(y_test.max())) + 1)
    model = AnalogMLP(train.model_config(x_train.shape[1], n_classes), torch.Generator().manual_seed(train.seed))
    gen = torch.Generator().manual_seed(train.seed + 7919)
    opt = torch.optim.Adam(model.parameters(), lr=train.lr)
    steps_per_epoch = math.ceil(x_train.shape[0] / train.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, train.epochs * steps_per_epoch) / (train.epochs * steps_per_epoch)))
    )
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": [], "epoch_s": []}
    start = 0
    state = checkpoint.load() if checkpoint is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        history, start = state["history"], state["epoch"]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.epochs * steps_per_epoch, initial=start * steps_per_epoch, desc=train.label, unit="batch")
    for epoch in range(start, train.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(x_train.shape[0], generator=gen)
        loss_sum, correct = 0.0, 0
        for i in range(0, x_train.shape[0], train.batch_size):
            idx = perm[i : i + train.batch_size]
            logits = model(x_train[idx], gen)
            loss = F.cross_entropy(logits, y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * idx.numel()
            correct += int((logits.argmax(1) == y_train[idx]).sum())
            if bar is not None:
                bar.update(1)
        history["epoch_s"].append(time.perf_counter() - t0)
        history["train_loss"].append(loss_sum / x_train.shape[0])
        history["train_acc"].append(correct / x_train.shape[0])
        test_loss, test_acc = evaluate(model, x_test, y_test, torch.Generator().manual_seed(train.seed * 1000 + epoch))
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        if bar is not None:
            bar.set_postfix(test_acc=f"{test_acc:.4f}")
        if checkpoint is not None:
            checkpoint.save({"epoch": epoch + 1, "model": model.state_dict(), "opt": opt.state_dict(),
                             "sched": sched.state_dict(), "gen": gen.get_state(), "history": history, "train": train})
    if bar is not None:
        bar.close()
    return {"test_acc": history["test_acc"][-1], "history": history, "model": model,
            "seconds_per_epoch": float(np.mean(history["epoch_s"])) if history["epoch_s"] else math.nan}


@torch.no_grad()
def evaluate(model: AnalogMLP, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, chunk: int = 2000) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) with one noisy read per device and input."""
    model.eval()
    loss, correct = 0.0, 0
    for i in range(0, x.shape[0], chunk):
        logits = model(x[i : i + chunk], generator)
        loss += float(F.cross_entropy(logits, y[i : i + chunk], reduction="sum"))
        correct += int((logits.argmax(1) == y[i : i + chunk]).sum())
    return loss / x.shape[0], correct / x.shape[0]


# ----------------------------------------------------------------------------------------------- Iris
@dataclass(frozen=True)
class IrisConfig:
    """``mtjnn run iris``: ``seeds`` x ``folds`` cross-validated runs of ``train`` (+ baselines, sweeps)."""

    train: TrainConfig = field(default_factory=lambda: TrainConfig(hidden=(4,), epochs=200, batch_size=8, lr=1e-2))
    seeds: int = 10
    folds: int = 5
    compare: bool = True
    sweep: bool = True
    sweep_seeds: int = 1
    deltas: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0)
    spreads: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    read_noises: tuple[float, ...] = (0.0, 0.005, 0.02, 0.05)

    def __post_init__(self) -> None:
        check_range("seeds", self.seeds, 1, 1000)
        check_range("folds", self.folds, 2, 50)
        check_range("sweep_seeds", self.sweep_seeds, 1, 1000)


def iris_folds(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified k-fold (train, test) index pairs, shuffled by ``seed``."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(folds)]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        for k, chunk in enumerate(np.array_split(idx, folds)):
            parts[k].extend(chunk.tolist())
    everything = np.arange(y.shape[0])
    return [(np.setdiff1d(everything, np.array(p)), np.sort(np.array(p))) for p in parts]


class RunStore:
    """Finished runs of a multi-run experiment, saved after each run so that a restart skips them."""

    def __init__(self, checkpoint: Checkpoint | None = None, config: Any = None) -> None:
        self.checkpoint = checkpoint
        self.config = config
        saved = checkpoint.load() if checkpoint is not None else None
        self.done: dict[str, dict[str, Any]] = {} if saved is None else saved["done"]

    def get(self, key: str) -> dict[str, Any] | None:
        return self.done.get(key)

    def put(self, key: str, result: dict[str, Any]) -> None:
        self.done[key] = result
        if self.checkpoint is not None:
            self.checkpoint.save({"config": self.config, "done": self.done})


def iris_cross_validation(
    train: TrainConfig, seeds: int, folds: int, *, max_folds: int | None = None, progress: bool = False,
    store: RunStore | None = None,
) -> dict[str, Any]:
    """Mean test accuracy over ``seeds`` x ``folds`` Iris runs (seeds train.seed, train.seed + 1, ...;
    at most ``max_folds`` folds per seed). Runs already in ``store`` are not repeated."""
    data = load_iris()
    accs, histories = [], []
    n_folds = folds if max_folds is None else min(folds, max_folds)
    runs = [(train.seed + s, k) for s in range(seeds) for k in range(n_folds)]
    iterator = runs
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(runs, desc=train.label, unit="run")
    for seed, k in iterator:
        key = repr((dataclasses.replace(train, seed=0), folds, seed, k))
        res = store.get(key) if store is not None else None
        if res is None:
            tr, te = iris_folds(data.y, folds, seed)[k]
            mu, sd = data.x[tr].mean(0), data.x[tr].std(0)
            x = torch.tensor((data.x - mu) / sd, dtype=torch.float32)
            y = torch.tensor(data.y)
            fitted = fit(dataclasses.replace(train, seed=seed * 100 + k), x[tr], y[tr], x[te], y[te])
            res = {"test_acc": fitted["test_acc"], "history": fitted["history"]}
            if store is not None:
                store.put(key, res)
        accs.append(res["test_acc"])
        histories.append(res["history"])
    return {"mean_test_acc": float(np.mean(accs)), "std_test_acc": float(np.std(accs)), "n_runs": len(accs),
            "test_accs": accs, "history_mean": _mean_history(histories)}


def run_iris(config: IrisConfig, out_root: str | Path = "results", *, resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Cross-validated Iris training (FD gradients), baselines and sweeps; writes metrics and figures.

    Every finished run is checkpointed; ``resume`` = a previous run folder continues where it stopped.
    """
    out, config = open_run("iris", config, out_root, resume)
    seed_everything(config.train.seed)
    store = RunStore(Checkpoint(out / "checkpoint.pt"), config)
    started = time.perf_counter()
    models = {"fd": config.train}
    if config.compare and config.train.activation == "mtj":
        models["exact"] = dataclasses.replace(config.train, gradient="exact")
        models["tanh"] = dataclasses.replace(config.train, activation="tanh")
    results = {name: iris_cross_validation(t, config.seeds, config.folds, progress=progress, store=store) for name, t in models.items()}
    metrics: dict[str, Any] = {"models": {n: {k: v for k, v in r.items() if k != "history_mean"} for n, r in results.items()}}
    plot_learning_curves({models[n].label: r["history_mean"] for n, r in results.items()}, out / "learning_curves.png",
                         title="Iris, mean over seeds and folds")
    plot_transfer_curves(config.train, out / "transfer_curves.png")
    if config.sweep:
        metrics["sweeps"] = _iris_sweeps(config, progress, store)
        for key, xlabel in (("delta", "finite-difference step delta (pre-activation units)"),
                            ("spread", "device-to-device spread (relative sigma)"),
                            ("read_noise", "read noise (sigma / full swing)")):
            plot_sweep(metrics["sweeps"][key], xlabel, out / f"accuracy_vs_{key}.png", title=f"Iris, FD gradients, vs {key}")
    metrics["wall_time_s"] = time.perf_counter() - started
    save_json(out / "metrics.json", metrics)
    rows = [(f"{models[n].label}", f"{100 * r['mean_test_acc']:.2f} % +- {100 * r['std_test_acc']:.2f} ({r['n_runs']} runs)")
            for n, r in results.items()]
    print(summary_table(rows + [("results", str(out))], "mtjnn run iris: MTJ-activation MLP, device-in-the-loop FD training"))
    metrics["output_dir"] = str(out)
    return metrics


def _iris_sweeps(config: IrisConfig, progress: bool, store: RunStore | None = None) -> dict[str, Any]:
    """Accuracy vs delta (FD only: the exact gradient does not depend on it), vs spread and vs read noise
    (FD and exact), each point ``sweep_seeds`` x ``folds`` runs."""
    t = config.train
    grids = {
        "delta": [(d, dataclasses.replace(t, delta=d), ("fd",)) for d in config.deltas],
        "spread": [(s, dataclasses.replace(t, spread=s), ("fd", "exact")) for s in config.spreads],
        "read_noise": [(r, dataclasses.replace(t, read_noise=r), ("fd", "exact")) for r in config.read_noises],
    }
    sweeps = {}
    for key, grid in grids.items():
        points = []
        for value, train, gradients in grid:
            for gradient in gradients:
                r = iris_cross_validation(dataclasses.replace(train, gradient=gradient), config.sweep_seeds, config.folds,
                                          progress=progress, store=store)
                points.append({"value": value, "gradient": gradient, "mean_test_acc": r["mean_test_acc"],
                               "std_test_acc": r["std_test_acc"], "n_runs": r["n_runs"]})
        sweeps[key] = points
    return sweeps


def _mean_history(histories: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    return {k: np.mean([h[k] for h in histories], axis=0).tolist() for k in histories[0]}


# ----------------------------------------------------------------------------------------------- MNIST
@dataclass(frozen=True)
class MnistConfig:
    """``mtjnn run mnist``: one network on MNIST (+ optional short sweeps over delta, spread and read noise)."""

    train: TrainConfig = field(default_factory=TrainConfig)
    data_dir: str | None = None
    train_subset: int = 0
    test_subset: int = 0
    sweep: bool = False
    sweep_train_subset: int = 10_000
    sweep_epochs: int = 3
    deltas: tuple[float, ...] = (0.01, 0.1, 0.3, 1.0, 3.0)
    spreads: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    read_noises: tuple[float, ...] = (0.0, 0.005, 0.02, 0.05, 0.1)
    figures: bool = True

    def __post_init__(self) -> None:
        check_range("train_subset", self.train_subset, 0, 60_000)
        check_range("test_subset", self.test_subset, 0, 10_000)
        check_range("sweep_train_subset", self.sweep_train_subset, 1, 60_000)
        check_range("sweep_epochs", self.sweep_epochs, 1, 1000)


def mnist_tensors(config: MnistConfig) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flattened float32 pixels in [0, 1] and int64 labels, cut to the configured subsets (first N)."""
    data = load_mnist(config.data_dir)
    n_tr = config.train_subset or data.x_train.shape[0]
    n_te = config.test_subset or data.x_test.shape[0]
    x_tr = torch.tensor(data.x_train[:n_tr].reshape(n_tr, -1), dtype=torch.float32) / 255.0
    x_te = torch.tensor(data.x_test[:n_te].reshape(n_te, -1), dtype=torch.float32) / 255.0
    return x_tr, torch.tensor(data.y_train[:n_tr]), x_te, torch.tensor(data.y_test[:n_te])


def run_mnist(config: MnistConfig, out_root: str | Path = "results", *, resume: str | Path | None = None, progress: bool = True) -> dict[str, Any]:
    """Train on MNIST with a checkpoint per epoch; ``resume`` = a previous run folder to continue."""
    out, config = open_run("mnist", config, out_root, resume)
    seed_everything(config.train.seed)
    checkpoint = _ConfigCheckpoint(out / "checkpoint.pt", config)
    x_tr, y_tr, x_te, y_te = mnist_tensors(config)
    started = time.perf_counter()
    res = fit(config.train, x_tr, y_tr, x_te, y_te, checkpoint=checkpoint, progress=progress)
    hist = res["history"]
    metrics: dict[str, Any] = {
        "model": config.train.label, "test_acc": res["test_acc"], "best_test_acc": max(hist["test_acc"]),
        "seconds_per_epoch": res["seconds_per_epoch"], "epochs": len(hist["test_acc"]), "history": hist,
        "n_train": int(x_tr.shape[0]), "n_test": int(x_te.shape[0]), "torch_threads": torch.get_num_threads(),
    }
    if config.figures:
        plot_learning_curves({config.train.label: hist}, out / "learning_curves.png", title="MNIST")
        plot_transfer_curves(config.train, out / "transfer_curves.png")
    if config.sweep:
        metrics["sweeps"] = _mnist_sweeps(config, x_tr, y_tr, x_te, y_te, progress)
        for key, xlabel in (("delta", "finite-difference step delta (pre-activation units)"),
                            ("spread", "device-to-device spread (relative sigma)"),
                            ("read_noise", "read noise (sigma / full swing)")):
            plot_sweep(metrics["sweeps"][key], xlabel, out / f"accuracy_vs_{key}.png",
                       title=f"MNIST ({config.sweep_train_subset} train, {config.sweep_epochs} epochs) vs {key}")
    metrics["wall_time_s"] = time.perf_counter() - started
    save_json(out / "metrics.json", metrics)
    print(summary_table([
        ("model", config.train.label),
        ("test accuracy", f"{100 * res['test_acc']:.2f} % (best {100 * metrics['best_test_acc']:.2f} %)"),
        ("time per epoch", f"{res['seconds_per_epoch']:.1f} s ({torch.get_num_threads()} threads)"),
        ("results", str(out)),
    ], "mtjnn run mnist: MTJ-activation MLP, device-in-the-loop training"))
    metrics["output_dir"] = str(out)
    return metrics


class _ConfigCheckpoint(Checkpoint):
    """A checkpoint that also stores the run's config (so ``--resume`` needs only the folder)."""

    def __init__(self, path: Path, config: MnistConfig) -> None:
        super().__init__(path)
        self.config = config

    def save(self, state: dict[str, Any]) -> None:
        super().save({**state, "config": self.config})


def _mnist_sweeps(config: MnistConfig, x_tr, y_tr, x_te, y_te, progress: bool) -> dict[str, Any]:
    """Short runs (``sweep_epochs`` on the first ``sweep_train_subset`` images): accuracy vs delta (FD; the
    exact gradient does not depend on it), vs spread and vs read noise (FD and exact)."""
    n = config.sweep_train_subset
    base = dataclasses.replace(config.train, epochs=config.sweep_epochs, activation="mtj")
    sweeps: dict[str, Any] = {}
    for key, values, gradients in (("delta", config.deltas, ("fd",)), ("spread", config.spreads, ("fd", "exact")),
                                   ("read_noise", config.read_noises, ("fd", "exact"))):
        sweeps[key] = []
        for value in values:
            for gradient in gradients:
                t = dataclasses.replace(base, gradient=gradient, **{key: value})
                r = fit(t, x_tr[:n], y_tr[:n], x_te, y_te, progress=progress)
                sweeps[key].append({"value": value, "gradient": gradient, "mean_test_acc": r["test_acc"], "std_test_acc": 0.0, "n_runs": 1})
    return sweeps
