"""Software baselines of seed 002: multilayer perceptrons with as few parameters as the chain.

López et al. (2024) compare their 32-parameter chain with MLPs of 27 and 47 trained parameters, i.e.
12-1-7 (12*1 + 1 + 1*7 + 7 = 27) and 12-2-7 (12*2 + 2 + 2*7 + 7 = 47) networks with biases; the 47-parameter
one reaches ~95 %. The seed gives no training details (its supplement S6 is unavailable); our choice
(SEEDS_SPEC 1.7): z-scored inputs (training-set statistics), tanh hidden units, softmax + cross-entropy,
full-batch Adam (lr 3e-2, 3000 epochs; the best of lr 1e-2/3e-2, 2000-5000 epochs, weight decay 0/1e-3 in
our sweep), ``restarts`` random initialisations of which the one with the lowest final *training* loss
is kept (the test set never selects anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..validation import check_range


def mlp_parameter_count(n_inputs: int, hidden: int, n_outputs: int) -> int:
    """Weights + biases of an n_inputs-hidden-n_outputs perceptron."""
    return n_inputs * hidden + hidden + hidden * n_outputs + n_outputs


@dataclass(frozen=True)
class MLPConfig:
    """hidden: hidden units (1 -> 27 parameters, 2 -> 47 for 12 inputs and 7 classes); epochs of
    full-batch Adam at learning rate ``lr``; ``restarts`` initialisations; ``record_every`` epochs
    between points of the learning curve; ``seed`` of the initialisations."""

    hidden: int = 2
    epochs: int = 3000
    lr: float = 3e-2
    weight_decay: float = 0.0
    restarts: int = 10
    record_every: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("hidden", self.hidden, 1, 100_000)
        check_range("epochs", self.epochs, 1, 10_000_000)
        check_range("lr", self.lr, 0.0, 10.0, low_inclusive=False)
        check_range("weight_decay", self.weight_decay, 0.0, 10.0)
        check_range("restarts", self.restarts, 1, 10_000)
        check_range("record_every", self.record_every, 1, 10_000_000)


class MLPResult(NamedTuple):
    """train/test accuracy of the kept network, its parameter count, and learning curves (epochs, acc)."""

    train_accuracy: float
    test_accuracy: float
    n_parameters: int
    epochs: np.ndarray
    train_curve: np.ndarray
    test_curve: np.ndarray


def train_mlp(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray, config: MLPConfig = MLPConfig()
) -> MLPResult:
    """Train ``config.restarts`` MLPs in parallel (one batched tensor program) and keep the best on training loss."""
    x_train = np.asarray(x_train, dtype=np.float64)
    x_test = np.asarray(x_test, dtype=np.float64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train {x_train.shape}, x_test {x_test.shape}; allowed: (S, F) arrays with the same F")
    y_train = np.asarray(y_train, dtype=np.int64)
    y_test = np.asarray(y_test, dtype=np.int64)
    k = int(max(y_train.max(), y_test.max())) + 1
    mu, sd = x_train.mean(0), x_train.std(0)
    sd[sd == 0] = 1.0
    xt = torch.as_tensor((x_train - mu) / sd)
    xe = torch.as_tensor((x_test - mu) / sd)
    yt, ye = torch.as_tensor(y_train), torch.as_tensor(y_test)
    f, h, r = xt.shape[1], config.hidden, config.restarts
    gen = torch.Generator().manual_seed(config.seed)

    def init(fan_in: int, shape: tuple[int, ...]) -> torch.Tensor:
        bound = 1.0 / np.sqrt(fan_in)
        return ((torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound).requires_grad_()

    w1, b1 = init(f, (r, f, h)), init(f, (r, 1, h))
    w2, b2 = init(h, (r, h, k)), init(h, (r, 1, k))
    params = [w1, b1, w2, b2]
    opt = torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)

    def logits(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ w1 + b1) @ w2 + b2  # (R, S, K)

    epochs, tr_curve, te_curve = [], [], []
    for epoch in range(1, config.epochs + 1):
        out = logits(xt)
        loss = torch.nn.functional.cross_entropy(out.reshape(-1, k), yt.repeat(r), reduction="none").reshape(r, -1).mean(1)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        if epoch % config.record_every == 0 or epoch == config.epochs:
            with torch.no_grad():
                epochs.append(epoch)
                tr_curve.append((logits(xt).argmax(-1) == yt).to(torch.float64).mean(1).numpy())
                te_curve.append((logits(xe).argmax(-1) == ye).to(torch.float64).mean(1).numpy())
    with torch.no_grad():
        final = torch.nn.functional.cross_entropy(logits(xt).reshape(-1, k), yt.repeat(r), reduction="none").reshape(r, -1).mean(1)
    best = int(torch.argmin(final))
    tr, te = np.array(tr_curve)[:, best], np.array(te_curve)[:, best]
    return MLPResult(float(tr[-1]), float(te[-1]), mlp_parameter_count(f, h, k), np.array(epochs), tr, te)
