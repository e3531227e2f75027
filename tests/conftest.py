"""Shared fixtures of the test suite (kept small: helpers that several physics tests need)."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest


def _batched_threshold(
    switches: Callable[[np.ndarray], np.ndarray], lo, hi, n: int = 16, rounds: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Batched bisection for the threshold of a monotone yes/no test, for G groups at once.

    ``switches(values)`` takes a (G, n) array of candidate values (one row per group, e.g. a field angle)
    and returns a (G, n) boolean array, computed in ONE batched simulation of G*n junctions. Each round
    evaluates an n-point grid per group between ``lo`` and ``hi`` (arrays of shape (G,)), checks that the
    bracket holds (no switch at lo, switch at hi) and that the answers are monotone, and narrows the
    bracket to the two grid points around the first "yes". Returns the threshold estimate (mid-point)
    and its half-width, both (G,).
    """
    lo = np.atleast_1d(np.asarray(lo, dtype=float)).copy()
    hi = np.atleast_1d(np.asarray(hi, dtype=float)).copy()
    for _ in range(rounds):
        grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, n)[None, :]
        yes = np.asarray(switches(grid), dtype=bool).reshape(grid.shape)
        assert not yes[:, 0].any(), f"bracket too high: switched already at {grid[yes[:, 0], 0]}"
        assert yes[:, -1].all(), f"bracket too low: no switch at {grid[~yes[:, -1], -1]}"
        assert (np.diff(yes.astype(int), axis=1) >= 0).all(), f"non-monotone switching pattern:\n{yes.astype(int)}"
        first = yes.argmax(axis=1)
        rows = np.arange(grid.shape[0])
        lo, hi = grid[rows, first - 1], grid[rows, first]
    return (lo + hi) / 2, (hi - lo) / 2


@pytest.fixture(scope="session")
def threshold_search():
    """The batched bisection helper ``(switches, lo, hi, n=16, rounds=2) -> (threshold, half_width)``."""
    return _batched_threshold
