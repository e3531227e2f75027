"""The one training loop of ``AnalogMLP`` (device-in-the-loop backpropagation, seed 003).

Used by ``mtjnn run iris`` / ``mtjnn run mnist`` (``experiments.activation_training``) and by the
scikit-learn estimators (``estimators.activation``). Adam with a cosine learning-rate schedule over
``epochs``; softmax cross-entropy (classification) or mean squared error (regression); optional model
selection on a validation split (first best epoch) and early stopping after ``patience`` epochs without
improvement; optional checkpoint/resume.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch
import torch.nn.functional as F

from ..devices.activation import SensorMTJ, Variability
from ..validation import check_choice, check_positive, check_range
from .analog_mlp import AnalogMLP, AnalogMLPConfig

TASKS = ("classification", "regression")


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
        """The ``AnalogMLPConfig`` of this network for the given input and output widths."""
        return AnalogMLPConfig(
            in_features, self.hidden, out_features, self.activation, self.gradient, self.delta, self.device,
            Variability.uniform(self.spread, self.read_noise), self.fidelity,
        )

    @property
    def label(self) -> str:
        """Short name for tables and legends, e.g. ``MTJ fd 256``."""
        kind = "tanh" if self.activation == "tanh" else f"MTJ {self.gradient}"
        return f"{kind} {'-'.join(map(str, self.hidden))}"


TEST_READ_SEED_OFFSET = 999
"""Read-noise seed of the single test evaluation, ``train.seed * 1000 + 999`` (epochs use ``+ epoch``)."""


class CheckpointLike(Protocol):
    """Anything with ``save(state)`` and ``load() -> state | None`` (e.g. ``experiments.common.Checkpoint``)."""

    def save(self, state: dict[str, Any]) -> None: ...

    def load(self) -> dict[str, Any] | None: ...


def _metric(task: str) -> str:
    """History key suffix of the score that selects the model (higher is better)."""
    return "acc" if task == "classification" else "neg_mse"


def fit(
    train: TrainConfig,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    *,
    validation: tuple[torch.Tensor, torch.Tensor] | None = None,
    checkpoint: CheckpointLike | None = None,
    progress: bool = False,
    task: str = "classification",
    n_outputs: int | None = None,
    patience: int | None = None,
) -> dict[str, Any]:
    """Train one ``AnalogMLP`` with Adam + cosine schedule for ``train.epochs`` epochs.

    Args:
        x_train: float inputs (N, F). y_train: int64 class indices (N,) for ``task="classification"``,
            float targets (N, K) for ``task="regression"``.
        x_test, y_test: optional test set (both or neither).
        validation: (x_val, y_val) held out of the training data, or None.
        task: "classification" (softmax cross-entropy, score = accuracy) or "regression" (mean squared
            error, score = -MSE).
        n_outputs: width of the output layer; default: max label + 1 of training (and validation) labels
            (classification) or K (regression).
        patience: with ``validation``, stop after this many epochs without a better validation score
            (None: train all epochs).

    Without ``validation`` (a fixed-epoch protocol such as the Iris cross-validation): the test set (if
    any) is evaluated after every epoch for the learning curves only, and ``test_acc`` is the final epoch's.

    With ``validation``: the validation set is evaluated after every epoch and selects the model, the
    first epoch of highest validation score. The test set is not touched during training; afterwards it
    is evaluated once on that model (``test_acc_at_best_val_epoch``) and once on the final model
    (``test_acc``), with the same read-noise draws. Test labels cannot influence the selection. The
    selected model is returned as ``best_model``.

    Seeds: ``train.seed`` draws the weights and the devices; a second generator draws the shuffles and
    every read noise; evaluation reads use a generator seeded per epoch. With ``checkpoint`` the state
    (including the best validation model) is saved after every epoch and a saved state is resumed.
    """
    check_choice("task", task, TASKS)
    if (x_test is None) != (y_test is None):
        raise ValueError("x_test and y_test must be given together; got only one of them")
    if patience is not None:
        check_range("patience", patience, 1, 1e6)
        if validation is None:
            raise ValueError("patience needs a validation split; allowed: patience = None without validation")
    if n_outputs is None:
        if task == "classification":
            classes = [y_train] if validation is None else [y_train, validation[1]]
            n_outputs = int(max(int(y.max()) for y in classes) + 1)  # from training (and validation) labels only
        else:
            n_outputs = int(y_train.shape[1])
    model = AnalogMLP(train.model_config(x_train.shape[1], n_outputs), torch.Generator().manual_seed(train.seed))
    gen = torch.Generator().manual_seed(train.seed + 7919)
    opt = torch.optim.Adam(model.parameters(), lr=train.lr)
    steps_per_epoch = math.ceil(x_train.shape[0] / train.batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1.0 + math.cos(math.pi * min(step, train.epochs * steps_per_epoch) / (train.epochs * steps_per_epoch)))
    )
    metric = _metric(task)
    monitor = "val" if validation is not None else ("test" if x_test is not None else None)
    x_mon, y_mon = (x_test, y_test) if validation is None else validation
    history: dict[str, list[float]] = {"train_loss": [], f"train_{metric}": []}
    if monitor is not None:
        history.update({f"{monitor}_loss": [], f"{monitor}_{metric}": []})
    history["epoch_s"] = []
    best: dict[str, Any] = {"epoch": 0, f"val_{metric}": -math.inf if task == "regression" else -1.0, "model": None}
    start = 0
    state = checkpoint.load() if checkpoint is not None else None
    if state is not None:
        if f"{monitor}_{metric}" not in state["history"] or (validation is not None and "best" not in state):
            raise ValueError(
                f"{getattr(checkpoint, 'path', 'checkpoint')}: written by a run {'without' if validation is not None else 'with'} "
                f"a validation split (history {sorted(state['history'])}); it cannot be resumed under this protocol: start a new run"
            )
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        history, start = state["history"], state["epoch"]
        best = state.get("best", best)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=train.epochs * steps_per_epoch, initial=start * steps_per_epoch, desc=train.label, unit="batch")
    for epoch in range(start, train.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(x_train.shape[0], generator=gen)
        loss_sum, score_sum = 0.0, 0.0
        for i in range(0, x_train.shape[0], train.batch_size):
            idx = perm[i : i + train.batch_size]
            logits = model(x_train[idx], gen)
            loss = _loss(logits, y_train[idx], task)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * idx.numel()
            score_sum += _score_sum(logits.detach(), y_train[idx], task)
            if bar is not None:
                bar.update(1)
        history["epoch_s"].append(time.perf_counter() - t0)
        history["train_loss"].append(loss_sum / x_train.shape[0])
        history[f"train_{metric}"].append(score_sum / x_train.shape[0])
        if monitor is None:
            mon_score = math.nan
        else:
            mon_loss, mon_score = evaluate(model, x_mon, y_mon, torch.Generator().manual_seed(train.seed * 1000 + epoch), task=task)
            history[f"{monitor}_loss"].append(mon_loss)
            history[f"{monitor}_{metric}"].append(mon_score)
        if validation is not None and mon_score > best[f"val_{metric}"]:
            best = {"epoch": epoch + 1, f"val_{metric}": mon_score, "model": copy.deepcopy(model.state_dict())}
        if bar is not None and monitor is not None:
            bar.set_postfix({f"{monitor}_{metric}": f"{mon_score:.4f}"})
        if checkpoint is not None:
            checkpoint.save({"epoch": epoch + 1, "model": model.state_dict(), "opt": opt.state_dict(),
                             "sched": sched.state_dict(), "gen": gen.get_state(), "history": history, "train": train,
                             **({"best": best} if validation is not None else {})})
        if patience is not None and epoch + 1 - best["epoch"] >= patience:
            break
    if bar is not None:
        bar.close()
    result: dict[str, Any] = {"history": history, "model": model,
                              "seconds_per_epoch": float(np.mean(history["epoch_s"])) if history["epoch_s"] else math.nan}
    if validation is None:
        return {**result, **({f"test_{metric}": history[f"test_{metric}"][-1]} if monitor == "test" else {})}
    chosen = AnalogMLP(model.config, torch.Generator().manual_seed(train.seed))
    chosen.load_state_dict(best["model"])
    result.update({"best_val_epoch": best["epoch"], f"best_val_{metric}": best[f"val_{metric}"], "best_model": chosen})
    if x_test is None:
        return result
    test_seed = train.seed * 1000 + TEST_READ_SEED_OFFSET
    _, final = evaluate(model, x_test, y_test, torch.Generator().manual_seed(test_seed), task=task)
    _, at_best = evaluate(chosen, x_test, y_test, torch.Generator().manual_seed(test_seed), task=task)
    return {**result, f"test_{metric}": final, f"test_{metric}_at_best_val_epoch": at_best}


def _loss(logits: torch.Tensor, y: torch.Tensor, task: str, reduction: str = "mean") -> torch.Tensor:
    if task == "classification":
        return F.cross_entropy(logits, y, reduction=reduction)
    per = F.mse_loss(logits, y, reduction="none").mean(1)  # mean over targets, per sample
    return per.mean() if reduction == "mean" else per.sum()


def _score_sum(logits: torch.Tensor, y: torch.Tensor, task: str) -> float:
    """Summed per-sample score: correct predictions, or minus the squared error (mean over targets)."""
    if task == "classification":
        return float((logits.argmax(1) == y).sum())
    return -float(_loss(logits, y, task, "sum"))


@torch.no_grad()
def evaluate(
    model: AnalogMLP, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator, chunk: int = 2000, *,
    task: str = "classification",
) -> tuple[float, float]:
    """(mean loss, score) with one noisy read per device and input; score = accuracy (classification)
    or -MSE (regression)."""
    model.eval()
    loss, score = 0.0, 0.0
    for i in range(0, x.shape[0], chunk):
        logits = model(x[i : i + chunk], generator)
        loss += float(_loss(logits, y[i : i + chunk], task, "sum"))
        score += _score_sum(logits, y[i : i + chunk], task)
    return loss / x.shape[0], score / x.shape[0]


@torch.no_grad()
def predict_outputs(model: AnalogMLP, x: torch.Tensor, generator: torch.Generator | None, chunk: int = 2000) -> torch.Tensor:
    """Network outputs (N, out_features) with one noisy read per device and input, in chunks."""
    model.eval()
    return torch.cat([model(x[i : i + chunk], generator) for i in range(0, x.shape[0], chunk)])
