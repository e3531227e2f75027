"""Software baselines of seed 002: multilayer perceptrons with as few parameters as the chain.

López et al. (2024) compare their 32-parameter chain with MLPs of 27 and 47 trained parameters, i.e.
12-1-7 (12*1 + 1 + 1*7 + 7 = 27) and 12-2-7 (12*2 + 2 + 2*7 + 7 = 47) networks with biases; the 47-parameter
one reaches ~95 %. The seed gives no training details (its supplement S6 is unavailable). Our choice, the
training a careful user would give them (SEEDS_SPEC 1.7 plus model selection):
z-scored inputs (training-set statistics), tanh hidden units, softmax + cross-entropy + an L2 penalty
``weight_decay * |W|^2`` on the weights (not the biases), full-batch Adam (lr 3e-2). The penalty (from
``weight_decays``) and the number of epochs (early stopping, every ``record_every`` epochs up to
``epochs``) are chosen by ``inner_folds``-fold cross-validation *inside the training set* (folds by
talker when ``groups`` is given): for each fold, penalty and epoch the restart with the lowest training
objective is kept, and the pair with the lowest mean validation error (cross-entropy breaks ties) wins. The final network is
trained on the whole training set with that penalty, stopped at that epoch, and of its ``restarts``
initialisations the one with the lowest training objective is kept. The test set selects nothing. All
folds x penalties x restarts train in parallel as one batched tensor program.
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
    """hidden: hidden units (1 -> 27 parameters, 2 -> 47 for 12 inputs and 7 classes); at most ``epochs``
    of full-batch Adam at learning rate ``lr``; ``weight_decays``: the L2 penalties tried (a single value
    and ``inner_folds = 0`` skip the selection: fixed penalty, all ``epochs``); ``inner_folds``: folds of
    the inner cross-validation (0 = none); ``restarts`` initialisations; ``record_every`` epochs between
    points of the learning curve (and candidate stopping epochs); ``seed`` of initialisations and folds."""

    hidden: int = 2
    epochs: int = 2000
    lr: float = 3e-2
    weight_decays: tuple[float, ...] = (0.0, 1e-4, 1e-3)
    inner_folds: int = 3
    restarts: int = 6
    record_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("hidden", self.hidden, 1, 100_000)
        check_range("epochs", self.epochs, 1, 10_000_000)
        check_range("lr", self.lr, 0.0, 10.0, low_inclusive=False)
        if not self.weight_decays:
            raise ValueError("weight_decays is empty; allowed: one or more penalties >= 0")
        check_range("weight_decays", self.weight_decays, 0.0, 10.0)
        check_range("inner_folds", self.inner_folds, 0, 100)
        if self.inner_folds == 1:
            raise ValueError("inner_folds = 1; allowed: 0 (no selection) or >= 2")
        if self.inner_folds == 0 and len(self.weight_decays) > 1:
            raise ValueError(f"weight_decays = {self.weight_decays} needs inner_folds >= 2 to choose among them")
        check_range("restarts", self.restarts, 1, 10_000)
        check_range("record_every", self.record_every, 1, 10_000_000)


class MLPResult(NamedTuple):
    """train/test accuracy of the kept network (test: NaN without a test set), its parameter count, learning
    curves (epochs, acc) of the kept penalty and initialisation (test curve empty without a test set), what
    the inner cross-validation chose (penalty, stopping epoch), and the kept network's two layers
    (``mlp_logits(first_layer, output_layer, x)`` evaluates it)."""

    train_accuracy: float
    test_accuracy: float
    n_parameters: int
    epochs: np.ndarray
    train_curve: np.ndarray
    test_curve: np.ndarray
    weight_decay: float = 0.0
    stopped_epoch: int = 0
    first_layer: "FirstLayer | None" = None
    output_layer: "OutputLayer | None" = None


class FirstLayer(NamedTuple):
    """The input layer of a trained MLP with its normalization: hidden = tanh(((x - mean) / std) @ weight + bias),
    x in Hz; mean, std (F,) in Hz, weight (F, H), bias (H,)."""

    mean: np.ndarray
    std: np.ndarray
    weight: np.ndarray
    bias: np.ndarray


class OutputLayer(NamedTuple):
    """The output layer of a trained MLP: logits = hidden @ weight + bias; weight (H, K), bias (K,)."""

    weight: np.ndarray
    bias: np.ndarray


def mlp_logits(first_layer: FirstLayer, output_layer: OutputLayer, x: np.ndarray) -> np.ndarray:
    """Logits (S, K) of a trained MLP for inputs ``x`` (S, F) in the units of training (Hz), in float64."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != np.shape(first_layer.weight)[0]:
        raise ValueError(f"x has shape {x.shape}; allowed: (S, {np.shape(first_layer.weight)[0]})")
    hidden = np.tanh(((x - first_layer.mean) / first_layer.std) @ first_layer.weight + first_layer.bias)
    return hidden @ output_layer.weight + output_layer.bias


def inner_folds(y: np.ndarray, groups: np.ndarray | None, n_folds: int, seed: int) -> np.ndarray:
    """Fold index (S,) of every training sample: whole groups (talkers) per fold if ``groups`` is given,
    else stratified by class; seeded."""
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=np.int64)
    if groups is not None:
        names = rng.permutation(np.unique(np.asarray(groups)))
        for i, g in enumerate(names):
            fold[np.asarray(groups) == g] = i % n_folds
        return fold
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        fold[idx] = np.arange(len(idx)) % n_folds
    return fold


def train_mlp(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    config: MLPConfig = MLPConfig(),
    groups: np.ndarray | None = None,
    first_layer: FirstLayer | None = None,
    n_classes: int | None = None,
) -> MLPResult:
    """Train the MLP with penalty and stopping epoch chosen by inner cross-validation (module docstring).

    ``groups`` (S_train,): talker of every training sample, so that inner folds hold out whole talkers.
    ``first_layer``: a fixed input layer (with its normalization) fitted elsewhere, e.g. on all data as
    preprocessing; only the output layer then trains. The result's ``first_layer`` is the kept network's.
    ``x_test``, ``y_test``: optional, only measured (never used for a choice); without them the test
    accuracy is NaN. ``n_classes``: K, the output width (labels in 0..K-1); None = the largest label of
    the training and test labels + 1.
    """
    x_train = np.asarray(x_train, dtype=np.float64)
    y_train = np.asarray(y_train, dtype=np.int64)
    if (x_test is None) != (y_test is None):
        raise ValueError("x_test and y_test: pass both or neither")
    has_test = x_test is not None
    x_test = np.asarray(x_test if has_test else x_train[:0], dtype=np.float64)
    y_test = np.asarray(y_test if has_test else y_train[:0], dtype=np.int64)
    if x_train.ndim != 2 or x_test.ndim != 2 or x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_train {x_train.shape}, x_test {x_test.shape}; allowed: (S, F) arrays with the same F")
    if y_train.shape != (x_train.shape[0],) or y_test.shape != (x_test.shape[0],):
        raise ValueError(f"y_train {y_train.shape}, y_test {y_test.shape}; allowed: one label per sample of x_train, x_test")
    if groups is not None and len(groups) != len(y_train):
        raise ValueError(f"groups has {len(groups)} entries; allowed: one per training sample ({len(y_train)})")
    largest = int(max(y_train.max(), y_test.max(initial=0))) + 1
    k = largest if n_classes is None else int(n_classes)
    if k < largest or int(min(y_train.min(), y_test.min(initial=0))) < 0:
        raise ValueError(f"n_classes = {n_classes}, labels in [{int(y_train.min())}, {largest - 1}]; allowed: labels in 0..n_classes-1")
    if first_layer is None:
        mu, sd = x_train.mean(0), x_train.std(0)
        sd[sd == 0] = 1.0
    else:
        mu, sd = np.asarray(first_layer.mean), np.asarray(first_layer.std)
        if np.shape(first_layer.weight) != (x_train.shape[1], config.hidden):
            raise ValueError(f"first_layer.weight has shape {np.shape(first_layer.weight)}; allowed: ({x_train.shape[1]}, {config.hidden})")
    xt = torch.as_tensor((x_train - mu) / sd, dtype=torch.float32)
    xe = torch.as_tensor((x_test - mu) / sd, dtype=torch.float32)
    yt, ye = torch.as_tensor(y_train), torch.as_tensor(y_test)
    nf = config.inner_folds
    # training mask (F + 1, S): rows 0..F-1 leave fold f out, row F is the whole training set
    fold = torch.as_tensor(inner_folds(y_train, groups, nf, config.seed + 1)) if nf else torch.zeros(len(y_train), dtype=torch.int64)
    mask = torch.cat([fold[None, :] != torch.arange(nf)[:, None], torch.ones(1, len(y_train), dtype=torch.bool)]).to(torch.float32)
    wds = torch.as_tensor(config.weight_decays, dtype=torch.float32)
    f, h, r, nw, nm = xt.shape[1], config.hidden, config.restarts, len(config.weight_decays), nf + 1
    shape = (nm, nw, r)
    gen = torch.Generator().manual_seed(config.seed)

    def init(fan_in: int, tail: tuple[int, ...]) -> torch.Tensor:
        bound = 1.0 / np.sqrt(fan_in)
        return ((torch.rand((r,) + tail, generator=gen, dtype=torch.float32) * 2 - 1) * bound).expand(*shape, *tail).clone().requires_grad_()

    # the same r initialisations for every fold and penalty
    w1, b1 = init(f, (f, h)), init(f, (1, h))
    w2, b2 = init(h, (h, k)), init(h, (1, k))
    trained = [w1, b1, w2, b2]
    if first_layer is not None:
        w1 = torch.as_tensor(first_layer.weight, dtype=torch.float32).expand(*shape, f, h)
        b1 = torch.as_tensor(first_layer.bias, dtype=torch.float32).reshape(1, h).expand(*shape, 1, h)
        trained = [w2, b2]
    opt = torch.optim.Adam(trained, lr=config.lr)

    def logits(x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x @ w1 + b1) @ w2 + b2  # (M, W, R, S, K)

    def sample_ce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return -torch.log_softmax(out, -1).gather(-1, y.expand(*out.shape[:-2], -1)[..., None])[..., 0]  # (M, W, R, S)

    def objective(ce: torch.Tensor) -> torch.Tensor:
        data = (ce * mask[:, None, None, :]).sum(-1) / mask.sum(-1)[:, None, None]
        return data + wds[None, :, None] * ((w1 * w1).sum((-1, -2)) + (w2 * w2).sum((-1, -2)))  # (M, W, R)

    held = (1 - mask)[:nf]  # (F, S) validation masks
    epochs, obj_rec, val_rec, tr_rec, te_rec, layer_rec = [], [], [], [], [], []
    for epoch in range(1, config.epochs + 1):
        loss = objective(sample_ce(logits(xt), yt))
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
        if epoch % config.record_every == 0 or epoch == config.epochs:
            with torch.no_grad():
                out = logits(xt)
                ce = sample_ce(out, yt)
                epochs.append(epoch)
                obj_rec.append(objective(ce))
                if nf:  # validation error rate, cross-entropy as a tie-breaker
                    err = (out[:nf].argmax(-1) != yt).to(torch.float32)
                    val_rec.append(((err + 1e-3 * ce[:nf]) * held[:, None, None, :]).sum(-1) / held.sum(-1)[:, None, None])
                tr_rec.append((out[-1].argmax(-1) == yt).to(torch.float64).mean(-1))  # (W, R), whole training set
                if has_test:
                    te_rec.append((logits(xe)[-1].argmax(-1) == ye).to(torch.float64).mean(-1))
                # (W, R, F, H), (W, R, H), (W, R, H, K), (W, R, K)
                layer_rec.append(tuple(t[-1].detach().clone() for t in (w1, b1[..., 0, :], w2, b2[..., 0, :])))
    obj = torch.stack(obj_rec)  # (E, M, W, R)
    if nf:
        pick = obj[:, :nf].argmin(-1, keepdim=True)  # per fold, penalty, epoch: restart with lowest objective
        val = torch.stack(val_rec).gather(-1, pick)[..., 0].mean(1)  # (E, W)
        e_best, w_best = divmod(int(torch.argmin(val)), nw)
    else:
        e_best, w_best = len(epochs) - 1, 0
    r_best = int(torch.argmin(obj[e_best, -1, w_best]))
    tr = torch.stack(tr_rec)[:, w_best, r_best].numpy()
    te = torch.stack(te_rec)[:, w_best, r_best].numpy() if has_test else np.zeros(0)
    lw, lb, ow, ob = (t[w_best, r_best].double().numpy() for t in layer_rec[e_best])
    return MLPResult(float(tr[e_best]), float(te[e_best]) if has_test else float("nan"), mlp_parameter_count(f, h, k),
                     np.array(epochs), tr, te, float(config.weight_decays[w_best]), int(epochs[e_best]),
                     FirstLayer(mu, sd, lw, lb), OutputLayer(ow, ob))
