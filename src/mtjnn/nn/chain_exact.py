"""Exact training-optimal thresholds and cell table of the chain classifier for fixed input directions.

For a chain of N junctions each input j has N thresholds, so its projection u_j = v_j . z falls into
one of L = N + 1 *levels* (how many thresholds lie below it); a sample's configuration is the pair of
levels, and a lookup table maps configurations to classes. With the directions fixed and the levels of
the other input given, the training accuracy of the best table is additive over the levels of this
input: a level (an interval of u between two neighbouring thresholds) contributes
sum over the other input's levels of max over classes of the number of training samples of that class
in the cell. Cutting the sorted projection into at most L intervals is therefore a dynamic program
(``solve_axis``, O(L P^2) for P candidate cut positions), and alternating the two inputs
(``solve_exact``) reaches a fixed point in a few sweeps. Thresholds sit at midpoints between
neighbouring training points; an unused level puts its threshold beyond the data (a junction that no
class needs stays unswitched, or switched, on every training sample). The table takes the majority
class of each cell (ties: lower class index); cells without training samples stay unowned (-1).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..validation import check_range

#: Largest number of candidate cut positions per axis (evenly thinned beyond it).
MAX_CUTS = 600
#: An unused level's threshold lies this fraction of the data range beyond the data.
OUTSIDE = 0.1


class AxisSolution(NamedTuple):
    """Optimal cut of one axis: ``thresholds`` (L - 1,) sorted, in the units of u; ``correct`` the number of
    training samples the best table classifies correctly; ``levels`` (S,) the level of every sample."""

    thresholds: np.ndarray
    correct: int
    levels: np.ndarray


class ExactSolution(NamedTuple):
    """Thresholds (2, L - 1) of both axes, the cell table (L * L,) (class or -1, index = l_A * L + l_B),
    the training accuracy and the number of alternating sweeps used."""

    thresholds: np.ndarray
    table: np.ndarray
    accuracy: float
    sweeps: int


def levels_of(u: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Level (number of thresholds strictly below u) of every entry of ``u`` (S,) for sorted ``thresholds``."""
    return np.searchsorted(np.sort(np.asarray(thresholds)), np.asarray(u), side="left").astype(np.int64)


def majority_table(level_a: np.ndarray, level_b: np.ndarray, labels: np.ndarray, n_levels: int, n_classes: int) -> np.ndarray:
    """Cell table (L * L,): the majority class of the training samples in each cell, -1 where none."""
    counts = np.zeros((n_levels * n_levels, n_classes), dtype=np.int64)
    np.add.at(counts, (level_a * n_levels + level_b, labels), 1)
    return np.where(counts.sum(1) > 0, counts.argmax(1), -1)


def _cut_positions(us: np.ndarray) -> np.ndarray:
    """Positions j in 0..S where a cut between sorted points j - 1 and j separates different values."""
    s = us.shape[0]
    inner = np.flatnonzero(np.diff(us) > 0) + 1
    if inner.size > MAX_CUTS:
        inner = inner[np.linspace(0, inner.size - 1, MAX_CUTS).round().astype(np.int64)]
    return np.concatenate([[0], inner, [s]])


def solve_axis(u: np.ndarray, other_levels: np.ndarray, labels: np.ndarray, n_levels: int, n_classes: int) -> AxisSolution:
    """Training-optimal L - 1 thresholds on ``u`` (S,) given the other axis's levels (S,) (module docstring)."""
    u = np.asarray(u, dtype=np.float64)
    order = np.argsort(u, kind="stable")
    us = u[order]
    cell = np.asarray(other_levels)[order] * n_classes + np.asarray(labels)[order]
    onehot = np.zeros((us.shape[0], n_levels * n_classes))
    onehot[np.arange(us.shape[0]), cell] = 1.0
    cum = np.concatenate([np.zeros((1, onehot.shape[1])), np.cumsum(onehot, 0)])
    pos = _cut_positions(us)
    c = cum[pos].reshape(len(pos), n_levels, n_classes)
    value = (c[None, :] - c[:, None]).max(-1).sum(-1)  # (P, P): [i, j] = best count of interval pos_i..pos_j
    value = np.where(np.triu(np.ones_like(value, dtype=bool)), value, -np.inf)
    best = value[0].copy()  # one interval from 0 to j
    back = []
    for _ in range(n_levels - 1):
        total = best[:, None] + value
        back.append(total.argmax(0))
        best = total.max(0)
    cuts = [len(pos) - 1]
    for arg in reversed(back):
        cuts.append(int(arg[cuts[-1]]))
    cuts = [pos[i] for i in reversed(cuts[1:])]  # L - 1 cut positions, ascending
    span = max(us[-1] - us[0], 1e-12)
    thresholds = np.array([
        us[0] - OUTSIDE * span if j == 0 else us[-1] + OUTSIDE * span if j == us.shape[0] else 0.5 * (us[j - 1] + us[j])
        for j in cuts
    ])
    return AxisSolution(thresholds, int(round(best[-1])), levels_of(u, thresholds))


def solve_exact(
    u: np.ndarray, labels: np.ndarray, thresholds: np.ndarray, n_classes: int, max_sweeps: int = 8
) -> ExactSolution:
    """Alternate ``solve_axis`` on both axes of ``u`` (S, 2) from initial ``thresholds`` (2, L - 1) until
    the training accuracy stops improving (at most ``max_sweeps`` sweeps of both axes)."""
    u = np.asarray(u, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    th = np.sort(np.asarray(thresholds, dtype=np.float64), axis=1)
    if u.ndim != 2 or u.shape[1] != 2 or labels.shape != (u.shape[0],) or th.shape[0] != 2:
        raise ValueError(f"u {u.shape}, labels {labels.shape}, thresholds {th.shape}; allowed: (S, 2), (S,), (2, L - 1)")
    check_range("max_sweeps", max_sweeps, 1, 1000)
    n_levels = th.shape[1] + 1
    levels = np.stack([levels_of(u[:, 0], th[0]), levels_of(u[:, 1], th[1])])
    best = -1
    sweeps = 0
    for sweeps in range(1, max_sweeps + 1):
        for axis in (0, 1):
            sol = solve_axis(u[:, axis], levels[1 - axis], labels, n_levels, n_classes)
            th[axis], levels[axis] = sol.thresholds, sol.levels
        if sol.correct <= best:
            break
        best = sol.correct
    return grid_solution(u, labels, th, n_classes, sweeps)


def grid_solution(u: np.ndarray, labels: np.ndarray, thresholds: np.ndarray, n_classes: int, sweeps: int = 0) -> ExactSolution:
    """The majority table and training accuracy of given ``thresholds`` (2, L - 1) for projections ``u`` (S, 2)."""
    n_levels = thresholds.shape[1] + 1
    level_a, level_b = levels_of(u[:, 0], thresholds[0]), levels_of(u[:, 1], thresholds[1])
    table = majority_table(level_a, level_b, labels, n_levels, n_classes)
    return ExactSolution(thresholds, table, float(np.mean(table[level_a * n_levels + level_b] == labels)), sweeps)
