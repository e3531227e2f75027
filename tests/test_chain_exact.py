"""Exact threshold/table solver of the chain classifier against brute force on small random problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mtjnn.nn.chain_exact import levels_of, majority_table, solve_axis, solve_exact


def _brute_force(u, other, y, n_levels, n_classes) -> int:
    """Best number of correct samples over every placement of the L - 1 thresholds (midpoints or outside)."""
    vals = np.unique(u)
    cands = np.concatenate([[vals[0] - 1], (vals[1:] + vals[:-1]) / 2, [vals[-1] + 1]])
    best = 0
    for th in itertools.combinations_with_replacement(cands, n_levels - 1):
        lv = levels_of(u, np.array(th))
        table = majority_table(lv, other, y, n_levels, n_classes)
        best = max(best, int((table[lv * n_levels + other] == y).sum()))
    return best


def test_axis_solver_matches_brute_force_on_random_problems():
    rng = np.random.default_rng(1)
    for _ in range(150):
        s, n_levels, k = int(rng.integers(4, 14)), int(rng.integers(2, 5)), int(rng.integers(2, 4))
        u = rng.integers(0, 8, s).astype(float)  # repeated values: cuts only between distinct ones
        other = rng.integers(0, n_levels, s)
        y = rng.integers(0, k, s)
        sol = solve_axis(u, other, y, n_levels, k)
        table = majority_table(sol.levels, other, y, n_levels, k)
        achieved = int((table[sol.levels * n_levels + other] == y).sum())
        assert sol.correct == achieved == _brute_force(u, other, y, n_levels, k)
        assert np.all(np.diff(sol.thresholds) >= 0)


def test_alternating_solve_separates_a_grid_and_keeps_unused_levels_outside_the_data():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    u = np.concatenate([c + 0.05 * rng.standard_normal((20, 2)) for c in centers])
    y = np.repeat(np.arange(4), 20)
    sol = solve_exact(u, y, np.array([[0.2, 0.5, 0.8], [0.2, 0.5, 0.8]]), 4)
    assert sol.accuracy == 1.0 and sol.table.shape == (16,)
    # two levels per axis suffice: of the three thresholds, two sit outside the data on each axis
    for axis in (0, 1):
        outside = (sol.thresholds[axis] < u[:, axis].min()) | (sol.thresholds[axis] > u[:, axis].max())
        assert outside.sum() == 2
    assert (sol.table >= 0).sum() == 4  # the cells without training samples stay unowned


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match="allowed"):
        solve_exact(np.zeros((5, 3)), np.zeros(5, dtype=int), np.zeros((2, 3)), 2)
