"""The ±ΔI hardware rule of seed 002 (``train_hardware``): control currents learnt with devices in the loop.

See the docstring of ``mtjnn.nn.chain_classifier`` for the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from ..validation import check_range
from .chain_model import ChainClassifier, ChainLike


@dataclass(frozen=True)
class HardwareRuleConfig:
    """Settings of the ±ΔI rule: ``steps`` steps of one random sample per class, ``step_current`` in A,
    control currents clipped to ``control_range`` (A), started at ``initial_control`` (A; None = keep
    the classifier's own, e.g. from ``fit_smoothed``)."""

    steps: int = 80
    step_current: float = 10e-6
    control_range: tuple[float, float] = (-1.5e-3, 0.5e-3)
    initial_control: float | None = -500e-6
    seed: int = 0

    def __post_init__(self) -> None:
        check_range("steps", self.steps, 0, 1_000_000)
        check_range("step_current", self.step_current, 0.0, 1e-3, low_inclusive=False, unit="A")
        check_range("control_range", self.control_range, -0.1, 0.1, unit="A")
        if not self.control_range[0] < self.control_range[1]:
            raise ValueError(f"control_range = {self.control_range!r}; allowed: (low, high) with low < high")
        if self.initial_control is not None:
            check_range("initial_control", self.initial_control, *self.control_range, unit="A")


def rule_votes(
    switched: torch.Tensor, counts: torch.Tensor, targets: torch.Tensor, wrong: torch.Tensor, thresholds: torch.Tensor
) -> torch.Tensor:
    """Votes (..., N) of one input for a batch of presented samples (see module docstring).

    switched (..., S, N) bool, counts/targets (..., S) int, wrong (..., S) bool (sample misclassified),
    thresholds (..., N) estimated input thresholds of the junctions (A). Returns the summed votes.
    """
    excess = (counts - targets).clamp_min(0) * wrong  # junctions to un-switch
    missing = (targets - counts).clamp_min(0) * wrong  # junctions to switch
    th = thresholds[..., None, :].expand_as(switched)
    inf = torch.full_like(th, float("inf"))
    # rank among switched junctions by descending threshold; among non-switched by ascending threshold
    down_key = torch.where(switched, -th, inf)
    up_key = torch.where(~switched, th, inf)
    down_rank = down_key.argsort(-1).argsort(-1)
    up_rank = up_key.argsort(-1).argsort(-1)
    down = switched & (down_rank < excess[..., None])
    up = ~switched & (up_rank < missing[..., None])
    return (up.to(torch.int64) - down.to(torch.int64)).sum(-2)


class HardwareHistory(NamedTuple):
    """Learning curves of ``train_hardware``: control (steps+1, ..., 2, N) in A after every step;
    accuracies (E, ...) measured after the steps listed in ``evaluated`` (E,) (0 = before training)."""

    control: torch.Tensor
    train_accuracy: torch.Tensor
    test_accuracy: torch.Tensor
    evaluated: torch.Tensor


def train_hardware(
    classifier: ChainClassifier,
    chain: ChainLike,
    x_train: np.ndarray,
    y_train: np.ndarray,
    config: HardwareRuleConfig = HardwareRuleConfig(),
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    generator: torch.Generator | None = None,
    progress: bool = False,
    eval_every: int = 1,
) -> tuple[ChainClassifier, HardwareHistory]:
    """Learn the control currents with the ±ΔI rule on ``chain`` (devices in the loop; any fidelity).

    The map and the cell table stay fixed. With (D, N) device realisations in the chain, the D chains
    learn in parallel (same presented samples, own control currents). Accuracies are measured on the
    whole training (and test) set before training, every ``eval_every`` steps (0 = only at the end)
    and after the last step; random draws come from ``generator``.
    """
    check_range("eval_every", eval_every, 0, 1_000_000)
    y_train = np.asarray(y_train, dtype=np.int64)
    d = chain.n_realisations
    control = classifier.control if config.initial_control is None else torch.full((2, classifier.n_devices), config.initial_control)
    control = control.to(torch.float64)
    if d and control.ndim == 2:
        control = control.expand(d, 2, classifier.n_devices).clone()
    clf = classifier.with_control(control)
    rng = np.random.default_rng(config.seed)
    by_class = [np.flatnonzero(y_train == c) for c in range(clf.n_classes)]
    if any(len(ix) == 0 for ix in by_class):
        raise ValueError("every class needs at least one training sample for the hardware rule")
    lo, hi = config.control_range
    history_c, history_tr, history_te, evaluated = [control.clone()], [], [], []

    def evaluate(model: ChainClassifier, step: int) -> None:
        evaluated.append(step)
        history_tr.append(model.accuracy(x_train, y_train, chain, generator))
        if x_test is not None:
            history_te.append(model.accuracy(x_test, y_test, chain, generator))

    evaluate(clf, 0)
    steps = range(1, config.steps + 1)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc="±ΔI rule", leave=False)
    for step in steps:
        pick = np.array([rng.choice(ix) for ix in by_class])
        out = clf.run(x_train[pick], chain, generator)
        labels = torch.as_tensor(y_train[pick])
        # unowned configurations count as errors in training; a class that owns no cell has no target
        wrong = (clf.table[out.configuration] != labels) & (clf.table == labels[:, None]).any(-1)
        t_a, t_b = clf.targets(clf.input_map(x_train[pick]), labels)
        th = clf.thresholds()
        votes = torch.stack(
            [
                rule_votes(out.switched_a, out.n_a, t_a, wrong, th[..., 0, :]),
                rule_votes(out.switched_b, out.n_b, t_b, wrong, th[..., 1, :]),
            ],
            -2,
        )
        control = (clf.control + config.step_current * torch.sign(votes.to(torch.float64))).clamp(lo, hi)
        clf = clf.with_control(control)
        history_c.append(control.clone())
        if step == config.steps or (eval_every and step % eval_every == 0):
            evaluate(clf, step)
    empty = torch.zeros(0)
    return clf, HardwareHistory(
        torch.stack(history_c), torch.stack(history_tr), torch.stack(history_te) if history_te else empty, torch.tensor(evaluated)
    )
