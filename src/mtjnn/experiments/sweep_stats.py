"""Per-point statistics of a switching sweep: the tidy table, Wilson intervals, adaptive write-error-rate trials.

Write-error rate WER = 1 - P (the fraction of junctions that did not switch). Its 95 % interval is Wilson's
score interval (Wilson, J. Am. Stat. Assoc. 22, 209 (1927)), which stays inside [0, 1] and behaves at 0
and n failures. A point's WER is *resolved* when the interval lies within a factor ``ci_factor`` of the
estimate on both sides (lower >= WER / f, upper <= f WER), or when its upper end is below ``wer_floor`` (the
point is confidently better than the rates of interest). Adaptive rounds add trials only to unresolved
points, sized from the failures seen so far, so the trials go where the estimate is uncertain.
"""

from __future__ import annotations

import math

import numpy as np

from .sweep_spec import Segment, SweepSpec, Task, pack_tasks

Z95 = 1.959963984540054  # two-sided 95 % normal quantile
#: Failures aimed for at an unresolved point: enough for a Wilson interval within a factor 2.
TARGET_FAILURES = 16
#: Columns of the per-point table (A, s; probability and WER as fractions).
TABLE_COLUMNS = ("point", "current", "pulse", "trials", "switched", "probability", "wer", "wer_low", "wer_high")


def table_columns(spec: SweepSpec) -> tuple[str, ...]:
    """``TABLE_COLUMNS``, with the device axis column (named ``spec.axis_name``) after "point" when there is one."""
    return TABLE_COLUMNS[:1] + ((spec.axis_name,) if spec.axis_name else ()) + TABLE_COLUMNS[1:]


def wilson_interval(failures: np.ndarray, trials: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) Wilson score interval of the binomial proportion ``failures / trials`` (arrays)."""
    k = np.asarray(failures, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(n <= 0) or np.any(k < 0) or np.any(k > n):
        raise ValueError("wilson_interval needs 0 <= failures <= trials and trials > 0")
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def point_table(spec: SweepSpec, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Sum the chunk rows of every round per grid point: the tidy table (``table_columns(spec)``), point order."""
    points = np.arange(spec.points)
    trials = np.bincount(rows["point"], weights=rows["trials"], minlength=spec.points).astype(np.int64)
    switched = np.bincount(rows["point"], weights=rows["switched"], minlength=spec.points).astype(np.int64)
    if np.any(trials == 0):
        raise ValueError(f"points {np.flatnonzero(trials == 0)[:5].tolist()} have no trials; allowed: a complete sweep")
    currents, pulses = spec.grid(points)
    low, high = wilson_interval(trials - switched, trials)
    axis = {spec.axis_name: np.asarray(spec.axis_values)[spec.axis_index(points)]} if spec.axis_name else {}
    return {"point": points, **axis, "current": currents, "pulse": pulses, "trials": trials, "switched": switched,
            "probability": switched / trials, "wer": (trials - switched) / trials, "wer_low": low, "wer_high": high}


def map_tables(table: dict[str, np.ndarray], spec: SweepSpec) -> list[tuple[float | None, dict[str, np.ndarray]]]:
    """(axis value, the rows of its (current, pulse) map) per device-axis value; [(None, table)] without an axis."""
    if not spec.axis_name:
        return [(None, table)]
    n = spec.map_points
    return [(v, {k: col[a * n:(a + 1) * n] for k, col in table.items()}) for a, v in enumerate(spec.axis_values)]


def resolved(table: dict[str, np.ndarray], spec: SweepSpec) -> np.ndarray:
    """(points,) bool: is the WER interval within ``ci_factor`` of the estimate, or below ``wer_floor``."""
    wer, low, high = table["wer"], table["wer_low"], table["wer_high"]
    tight = (wer > 0) & (low >= wer / spec.ci_factor) & (high <= wer * spec.ci_factor)
    return tight | (high < spec.wer_floor)


def plan_more_trials(spec: SweepSpec, table: dict[str, np.ndarray], round_: int) -> list[Task]:
    """The tasks of adaptive round ``round_`` (>= 1) from the table of the rounds before; [] when done.

    An unresolved point with k failures in n trials grows to about n * TARGET_FAILURES / k trials (k = 0:
    4 n), at least 1.5 n and at most 8 n and ``max_trials``; new trials continue its trial numbering.
    """
    if spec.wer_floor <= 0 or round_ > spec.max_rounds:
        return []
    todo = np.flatnonzero(~resolved(table, spec) & (table["trials"] < spec.max_trials))
    segments = []
    for p in todo:
        n = int(table["trials"][p])
        k = n - int(table["switched"][p])
        target = 4 * n if k == 0 else math.ceil(n * TARGET_FAILURES / k)
        target = min(max(target, math.ceil(1.5 * n)), 8 * n, spec.max_trials)
        if target > n:
            segments.append(Segment(int(p), n, target - n))
    return pack_tasks(round_, segments, spec.task_junctions)
