"""`mtjnn run iris` / `mtjnn run mnist`: MTJ-activation MLPs trained with device-measured gradients (seed 003).

Reproduces Jenkins et al., "Trainable neuromorphic spintronic hardware via analog finite-difference
gradient methods" (arXiv 2603.03947; SEEDS_SPEC section 4): hidden neurons are sensor MTJs
(``devices.activation``) with 5 % device-to-device spread and read noise; backpropagation uses the
derivative measured on each device by a central finite difference (``nn.analog_mlp``). Compared with
the exact derivative of each device and with a tanh network of the same size.

Iris: z-scored features, stratified 5-fold cross-validation (120/30) repeated for several seeds.
Iris reports the final epoch of a fixed epoch count (nothing is selected on the test folds).
MNIST: pixels scaled to [0, 1]; the last 5 000 training images are a validation split (the model is
trained on the first 55 000), the epoch is selected on validation accuracy and the 10k test set is
evaluated once, after training; Adam with a cosine learning-rate schedule (the loop is ``nn.analog_training.fit``,
shared with the scikit-learn estimators), a checkpoint every epoch
(``--resume`` continues an interrupted run). Both write
``results/<name>/<stamp>/{config.json, metrics.json, *.png}``.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.iris import load_iris
from ..data.mnist import load_mnist
from ..nn.analog_training import TEST_READ_SEED_OFFSET, TrainConfig, evaluate, fit  # noqa: F401 (the one loop, re-exported)
from ..validation import check_range
from .activation_figures import plot_learning_curves, plot_sweep, plot_transfer_curves
from .common import Checkpoint, open_run, save_json, seed_everything, summary_table
from .records import Estimate


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
    """Test accuracy (``test_acc``, an ``Estimate`` over the runs) of ``seeds`` x ``folds`` Iris runs (seeds
    train.seed, train.seed + 1, ...; at most ``max_folds`` folds per seed). Runs already in ``store`` are not repeated."""
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
    return {"test_acc": Estimate.of(accs, over="runs (seeds x folds)"), "test_accs": accs, "history_mean": _mean_history(histories)}


def run_iris(config: IrisConfig, out_root: str | Path = "results", resume: str | Path | None = None, *, progress: bool = True,
             changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cross-validated Iris training (FD gradients), baselines and sweeps; writes metrics and figures.

    Every finished run is checkpointed; ``resume`` = a previous run folder continues where it stopped, with
    its saved configuration and ``changes`` to ``seeds``, ``sweep_seeds``, ``compare`` or ``sweep`` (each run is
    keyed by its own settings, so the result equals an uninterrupted run with the changed values).
    """
    if changes and set(changes) - {"seeds", "sweep_seeds", "compare", "sweep"}:
        raise ValueError(f"changes = {sorted(changes)}: not safe on resume; allowed: seeds, sweep_seeds, compare, sweep")
    out, config = open_run("iris", config, out_root, resume, changes)
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
    rows = [(f"{models[n].label}", f"{r['test_acc'].text(100, '%', 2)} ({r['test_acc'].n} runs)")
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
                points.append({"value": value, "gradient": gradient, "test_acc": r["test_acc"]})
        sweeps[key] = points
    return sweeps


def _mean_history(histories: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    return {k: np.mean([h[k] for h in histories], axis=0).tolist() for k in histories[0]}


# ----------------------------------------------------------------------------------------------- MNIST
@dataclass(frozen=True)
class MnistConfig:
    """``mtjnn run mnist``: one network on MNIST (+ optional short sweeps over delta, spread and read noise).

    Protocol: the last ``val_size`` of the 60 000 training images are held out as the validation set (a
    fixed split, the same for every seed); the model is trained on the first ``train_subset`` (0 = all)
    of the remaining ones, the epoch is chosen on validation accuracy and the test set (the first
    ``test_subset`` of the 10 000, 0 = all) is evaluated once, after training.
    """

    train: TrainConfig = field(default_factory=TrainConfig)
    data_dir: str | None = None
    train_subset: int = 0
    test_subset: int = 0
    val_size: int = 5_000
    sweep: bool = False
    sweep_train_subset: int = 10_000
    sweep_epochs: int = 3
    deltas: tuple[float, ...] = (0.01, 0.1, 0.3, 1.0, 3.0)
    spreads: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    read_noises: tuple[float, ...] = (0.0, 0.005, 0.02, 0.05, 0.1)
    figures: bool = True

    def __post_init__(self) -> None:
        check_range("val_size", self.val_size, 1, 59_999)
        check_range("train_subset", self.train_subset, 0, 60_000 - self.val_size)
        check_range("test_subset", self.test_subset, 0, 10_000)
        check_range("sweep_train_subset", self.sweep_train_subset, 1, 60_000 - self.val_size)
        check_range("sweep_epochs", self.sweep_epochs, 1, 1000)


@dataclass(frozen=True)
class MnistSplits:
    """Flattened float32 pixels in [0, 1] (N, 784) and int64 labels of the three disjoint parts."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def mnist_splits(config: MnistConfig) -> MnistSplits:
    """Train (first ``train_subset`` of the images before the validation part), validation (the last
    ``val_size`` training images) and test (first ``test_subset``); ValueError if the files are too small."""
    data = load_mnist(config.data_dir)
    n_all = data.x_train.shape[0]
    n_fit = n_all - config.val_size
    if n_fit < 1 or config.train_subset > n_fit:
        raise ValueError(
            f"val_size = {config.val_size} and train_subset = {config.train_subset} do not fit the {n_all} training "
            f"images of {data.folder}; allowed: val_size < {n_all} and train_subset <= {n_all} - val_size"
        )
    n_tr = config.train_subset or n_fit
    n_te = config.test_subset or data.x_test.shape[0]

    def pixels(x: np.ndarray) -> torch.Tensor:
        return torch.tensor(x.reshape(x.shape[0], -1), dtype=torch.float32) / 255.0

    return MnistSplits(pixels(data.x_train[:n_tr]), torch.tensor(data.y_train[:n_tr]),
                       pixels(data.x_train[n_fit:]), torch.tensor(data.y_train[n_fit:]),
                       pixels(data.x_test[:n_te]), torch.tensor(data.y_test[:n_te]))


def run_mnist(config: MnistConfig, out_root: str | Path = "results", resume: str | Path | None = None, *,
              progress: bool = True) -> dict[str, Any]:
    """Train on MNIST with a checkpoint per epoch; ``resume`` = a previous run folder to continue.

    The epoch is selected on the validation split; the test set is evaluated once (see ``fit``).
    """
    out, config = open_run("mnist", config, out_root, resume)
    seed_everything(config.train.seed)
    checkpoint = _ConfigCheckpoint(out / "checkpoint.pt", config)
    d = mnist_splits(config)
    started = time.perf_counter()
    res = fit(config.train, d.x_train, d.y_train, d.x_test, d.y_test, validation=(d.x_val, d.y_val),
              checkpoint=checkpoint, progress=progress)
    hist = res["history"]
    n_val, n_test = int(d.x_val.shape[0]), int(d.x_test.shape[0])
    metrics: dict[str, Any] = {
        "model": config.train.label,
        "protocol": (f"validation = last {config.val_size} training images; epoch chosen on validation accuracy "
                     "(first maximum); test evaluated once after training"),
        "test_acc_at_best_val_epoch": Estimate.proportion(res["test_acc_at_best_val_epoch"], n_test),
        "best_val_epoch": res["best_val_epoch"], "best_val_acc": Estimate.proportion(res["best_val_acc"], n_val, over="validation samples"),
        "test_acc_final_epoch": Estimate.proportion(res["test_acc"], n_test),
        "seconds_per_epoch": res["seconds_per_epoch"], "epochs": len(hist["val_acc"]), "history": hist,
        "n_train": int(d.x_train.shape[0]), "n_val": int(d.x_val.shape[0]), "n_test": int(d.x_test.shape[0]),
        "torch_threads": torch.get_num_threads(),
    }
    if config.figures:
        plot_learning_curves({config.train.label: hist}, out / "learning_curves.png", title="MNIST", split="val")
        plot_transfer_curves(config.train, out / "transfer_curves.png")
    if config.sweep:
        metrics["sweeps"] = _mnist_sweeps(config, d, progress)
        for key, xlabel in (("delta", "finite-difference step delta (pre-activation units)"),
                            ("spread", "device-to-device spread (relative sigma)"),
                            ("read_noise", "read noise (sigma / full swing)")):
            plot_sweep(metrics["sweeps"][key], xlabel, out / f"accuracy_vs_{key}.png", split="val",
                       title=f"MNIST ({config.sweep_train_subset} train, {config.sweep_epochs} epochs) vs {key}")
    metrics["wall_time_s"] = time.perf_counter() - started
    save_json(out / "metrics.json", metrics)
    print(summary_table([
        ("model", config.train.label),
        ("test accuracy", f"{100 * res['test_acc_at_best_val_epoch']:.2f} % at the best validation epoch "
                          f"{res['best_val_epoch']}/{len(hist['val_acc'])} (validation {100 * res['best_val_acc']:.2f} %)"),
        ("final epoch", f"{100 * res['test_acc']:.2f} % test"),
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


def _mnist_sweeps(config: MnistConfig, d: MnistSplits, progress: bool) -> dict[str, Any]:
    """Short runs (``sweep_epochs`` on the first ``sweep_train_subset`` training images), each scored by its
    final-epoch accuracy on the validation split (the test set is kept for the one headline number):
    accuracy vs delta (FD; the exact gradient does not depend on it), vs spread and vs read noise (FD and exact)."""
    n = config.sweep_train_subset
    base = dataclasses.replace(config.train, epochs=config.sweep_epochs, activation="mtj")
    sweeps: dict[str, Any] = {}
    for key, values, gradients in (("delta", config.deltas, ("fd",)), ("spread", config.spreads, ("fd", "exact")),
                                   ("read_noise", config.read_noises, ("fd", "exact"))):
        sweeps[key] = []
        for value in values:
            for gradient in gradients:
                t = dataclasses.replace(base, gradient=gradient, **{key: value})
                r = fit(t, d.x_train[:n], d.y_train[:n], d.x_val, d.y_val, progress=progress)  # evaluation set: validation
                sweeps[key].append({"value": value, "gradient": gradient,
                                    "val_acc": Estimate.proportion(r["test_acc"], int(d.x_val.shape[0]), over="validation samples")})
    return sweeps
