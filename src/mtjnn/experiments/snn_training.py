"""Training loop for the deep SNNs of seed 001: epochs of AdamW + cosine schedule, validation every epoch, a
checkpoint every epoch (an interrupted run resumes where it stopped, bit for bit on one process), an
optional wall-time budget, and PyTorch DistributedDataParallel when launched by ``torchrun``.

Distributed: under ``torchrun`` (RANK / WORLD_SIZE set) ``distributed_context`` joins a gloo (CPU) or nccl (GPU)
process group;
each epoch's seeded permutation is split across ranks, each rank takes ``batch_size / world`` samples of
every global batch, DDP averages the gradients, so one step sees the same global batch as one process.
Only rank 0 writes files. Batch norm statistics stay per rank (as in DDP without SyncBatchNorm).

Selection rule: the reported model is the last epoch's; the epoch with the best *validation* accuracy is
recorded too and its test accuracy reported beside it, named; nothing is chosen on test data.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..validation import check_non_negative, check_positive, check_range
from .common import Checkpoint

Transform = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


@dataclass(frozen=True)
class TrainSettings:
    """epochs (>= 1), batch_size (global, >= 1), lr (AdamW peak), weight_decay, warmup_epochs (linear warm-up, then
    cosine to 0), label_smoothing, time_budget_s (stop after the epoch that would exceed it; None = no budget), seed."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 1e-2
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    time_budget_s: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("epochs", self.epochs, 1, 100_000)
        check_range("batch_size", self.batch_size, 1, 1_000_000)
        check_positive("lr", self.lr)
        check_non_negative("weight_decay", self.weight_decay)
        check_range("warmup_epochs", self.warmup_epochs, 0, self.epochs)
        check_range("label_smoothing", self.label_smoothing, 0.0, 0.5)
        if self.time_budget_s is not None:
            check_positive("time_budget_s", self.time_budget_s, unit="s")


@dataclass
class Split:
    """Inputs ``x`` (N, ...) and integer labels ``y`` (N,) of one split; ``transform`` augments a training batch;
    ``prepare`` turns any batch of ``x`` into the network's input (e.g. counts -> time-major float frames)."""

    x: torch.Tensor
    y: torch.Tensor
    transform: Transform | None = None
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None

    def batch(self, index: torch.Tensor | slice, generator: torch.Generator | None = None) -> torch.Tensor:
        """The network input for samples ``index``: augmented (with ``generator``) when a transform is set, then prepared."""
        x = self.x[index]
        if generator is not None and self.transform is not None:
            x = self.transform(x, generator)
        return x if self.prepare is None else self.prepare(x)

    def __post_init__(self) -> None:
        if self.x.shape[0] != self.y.shape[0] or self.y.ndim != 1:
            raise ValueError(f"x has {self.x.shape[0]} samples, y has shape {tuple(self.y.shape)}; allowed: y (N,) with N = len(x)")


@dataclass(frozen=True)
class DistributedContext:
    """rank, world size and whether a process group was started here."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def distributed_context() -> DistributedContext:
    """Join the gloo process group when launched by torchrun (WORLD_SIZE > 1), else a single-process context."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistributedContext()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return DistributedContext(rank=dist.get_rank(), world=dist.get_world_size())


def epoch_batches(n: int, batch_size: int, epoch: int, seed: int, ctx: DistributedContext) -> list[torch.Tensor]:
    """This rank's index batches for ``epoch``: a permutation seeded by (seed, epoch), cut into global batches of
    ``batch_size`` (the last partial batch dropped so every rank takes the same number of steps), each split into
    ``world`` equal parts."""
    if batch_size % ctx.world:
        raise ValueError(f"batch_size = {batch_size} is not divisible by the {ctx.world} processes; allowed: a multiple of {ctx.world}")
    gen = torch.Generator().manual_seed(seed * 100_003 + epoch)
    perm = torch.randperm(n, generator=gen)
    per_rank = batch_size // ctx.world
    steps = n // batch_size
    if steps == 0:
        raise ValueError(f"batch_size = {batch_size} exceeds the {n} training samples; allowed: <= {n}")
    return [perm[s * batch_size + ctx.rank * per_rank: s * batch_size + (ctx.rank + 1) * per_rank] for s in range(steps)]


def learning_rate(step: int, total: int, warmup: int, peak: float) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to 0 at ``total``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(total - warmup, 1)
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


@torch.no_grad()
def evaluate(model: torch.nn.Module, split: Split, batch_size: int = 500) -> float:
    """Top-1 accuracy of ``model`` (eval mode) on ``split``."""
    model.eval()
    device = _device_of(model)
    correct = 0
    for start in range(0, split.y.shape[0], batch_size):
        logits = model(split.batch(slice(start, start + batch_size)).to(device))
        correct += int((logits.argmax(-1).cpu() == split.y[start:start + batch_size]).sum())
    return correct / split.y.shape[0]


def train(
    model: torch.nn.Module,
    train_split: Split,
    val_split: Split,
    settings: TrainSettings,
    run_dir: str | Path | None,
    *,
    ctx: DistributedContext | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` (logits = model(x)) and return the history {epochs: [...], best_val: ..., stopped: ...}.

    With ``run_dir``, the state after every epoch goes to ``run_dir/checkpoint.pt`` and a later call with the same
    arguments resumes from it. ``on_epoch`` receives each epoch's record (rank 0).
    """
    ctx = ctx or DistributedContext()
    device = _device_of(model)
    net: torch.nn.Module = model
    if ctx.world > 1:
        net = torch.nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    n = train_split.y.shape[0]
    steps_per_epoch = n // settings.batch_size
    total = settings.epochs * steps_per_epoch
    warmup = int(settings.warmup_epochs * steps_per_epoch)
    ckpt = Checkpoint(Path(run_dir) / "checkpoint.pt") if run_dir is not None else None
    history: dict[str, Any] = {"epochs": [], "best_val": None, "stopped": None, "wall_time_s": 0.0}
    start_epoch = 0
    saved = ckpt.load() if ckpt is not None else None
    if saved is not None:
        model.load_state_dict(saved["model"])  # (load_state_dict copies into the model's own device)
        opt.load_state_dict(saved["optimizer"])
        history = saved["history"]
        start_epoch = saved["epoch"] + 1
    aug = torch.Generator().manual_seed(settings.seed * 7919 + ctx.rank)
    if saved is not None:
        aug.set_state(saved["augment_state"])
        torch.set_rng_state(saved["torch_rng_state"])  # read noise and dropout draw from torch's global generator
    for epoch in range(start_epoch, settings.epochs):
        began = time.perf_counter()
        net.train()
        batches = epoch_batches(n, settings.batch_size, epoch, settings.seed, ctx)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{settings.epochs}", unit="batch", disable=not (progress and ctx.main), leave=False)
        loss_sum, correct, seen = 0.0, 0, 0
        for i, idx in enumerate(bar):
            for group in opt.param_groups:
                group["lr"] = learning_rate(epoch * steps_per_epoch + i, total, warmup, settings.lr)
            x, y = train_split.batch(idx, aug).to(device, non_blocking=True), train_split.y[idx].to(device)
            logits = net(x)
            loss = F.cross_entropy(logits, y, label_smoothing=settings.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * y.shape[0]
            correct += int((logits.argmax(-1) == y).sum())
            seen += y.shape[0]
            bar.set_postfix(loss=f"{loss_sum / seen:.3f}", acc=f"{correct / seen:.3f}")
        bar.close()
        val_acc = evaluate(model, val_split)
        elapsed = time.perf_counter() - began
        record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen, "val_acc": val_acc,
                  "epoch_time_s": elapsed, "lr_end": opt.param_groups[0]["lr"]}
        history["epochs"].append(record)
        history["wall_time_s"] += elapsed
        if history["best_val"] is None or val_acc > history["best_val"]["val_acc"]:
            history["best_val"] = {"epoch": epoch + 1, "val_acc": val_acc}
            if ckpt is not None and ctx.main:
                torch.save(model.state_dict(), Path(run_dir) / "best_val_model.pt")
        if ckpt is not None and ctx.main:
            ckpt.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "history": history, "epoch": epoch,
                       "augment_state": aug.get_state(), "torch_rng_state": torch.get_rng_state()})
        if on_epoch is not None and ctx.main:
            on_epoch(record)
        budget = settings.time_budget_s
        if budget is not None and epoch + 1 < settings.epochs and history["wall_time_s"] + elapsed > budget:
            history["stopped"] = f"time budget {budget:.0f} s: the next epoch would exceed it"
            break
    return history


def _device_of(model: torch.nn.Module) -> torch.device:
    """Where the model's parameters live (batches are moved there)."""
    return next(model.parameters()).device
