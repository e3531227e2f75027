"""One sweep task: its segments' junctions in ONE batched ``physics.simulate`` call (per-junction pulse).

The junction is the in-plane ellipse of ``experiments.switching`` (``mtjnn simulate``), started antiparallel;
a junction counts as switched when its final state (after its pulse and ``relax`` seconds at zero current)
has m_x > 0.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import torch

from ..physics.drive import Drive
from ..physics.integrate import simulate
from .sweep_spec import SweepSpec, Task, junction_keys
from .switching import initial_state

#: The engine draws each junction's thermal noise from its own key (counter-based, issue 13): then every
#: (point, trial) gets the key ``junction_keys(seed, point, trial)`` and its result does not depend on the task
#: layout; otherwise a task's noise comes from ``spec.task_seed(task)``.
KEYED_NOISE = "noise_keys" in inspect.signature(simulate).parameters
SEEDING = ("per-junction noise keys from (seed, point, trial index)" if KEYED_NOISE
           else "per-task seed from (seed, round, task index)")
#: Columns of a chunk (one row per segment of a task).
CHUNK_COLUMNS = ("round", "task", "point", "first_trial", "trials", "switched")


@dataclass(frozen=True)
class PulsePerJunction:
    """Rectangular current pulses from t = 0 with a per-junction amplitude (B,) in A and width (B,) in s."""

    amplitude: torch.Tensor
    width: torch.Tensor

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        on = t[:, None] < self.width.to(t)[None, :]
        return on.to(t.dtype) * self.amplitude.to(t)[None, :]


def run_task(spec: SweepSpec, task: Task) -> dict[str, np.ndarray]:
    """Simulate ``task``; returns its chunk rows (columns ``CHUNK_COLUMNS``), one per segment."""
    points = np.array([s.point for s in task.segments], dtype=np.int64)
    counts = np.array([s.trials for s in task.segments], dtype=np.int64)
    currents, pulses = spec.grid(points)
    junction = spec.junction()
    amplitude = torch.as_tensor(np.repeat(currents, counts), dtype=torch.float64)
    width = torch.as_tensor(np.repeat(pulses, counts), dtype=torch.float64)
    noise: dict = {"generator": torch.Generator().manual_seed(spec.task_seed(task))}
    if KEYED_NOISE:
        point_of = np.repeat(points, counts)
        trial_of = np.concatenate([np.arange(s.first, s.first + s.trials) for s in task.segments])
        noise = {"noise_keys": torch.from_numpy(junction_keys(spec.seed, point_of, trial_of))}
    traj = simulate(
        initial_state(amplitude.numel()), junction.macrospin(),
        Drive(current=PulsePerJunction(amplitude, width), field=(junction.field, 0.0, 0.0)),
        duration=spec.duration, dt=spec.dt, method="heun" if spec.temperature > 0 else "rk4",
        stop_when_switched=False, dt_check="error", sample_junctions=0, **noise,
    )
    flips = (traj.final[:, 0] > 0).numpy()
    switched = np.add.reduceat(flips.astype(np.int64), np.concatenate([[0], np.cumsum(counts)[:-1]]))
    return {"round": np.full(len(points), task.round, dtype=np.int64), "task": np.full(len(points), task.index, dtype=np.int64),
            "point": points, "first_trial": np.array([s.first for s in task.segments], dtype=np.int64),
            "trials": counts, "switched": switched.astype(np.int64)}
