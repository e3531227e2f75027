"""One sweep task: its segments' junctions in a few batched ``physics.simulate`` calls with constant drives.

The junction is the in-plane ellipse of ``experiments.switching`` (``mtjnn simulate``), started antiparallel;
a junction counts as switched when its final state — after its pulse and then ``relax`` seconds at zero
current — has m_x > 0. A pulse width is rounded to a whole number of steps (at least one).

The task runs in two phases, both with constant (per-junction) currents, the engine's fastest path: the pulse
phase, one ``simulate`` call per distinct pulse width of the task (all its junctions at their own amplitude),
then the relax phase, one call for every junction of the task. With a device axis (``SweepSpec.axis_name``) the
junctions are grouped by axis value, each group with its own device parameters, and both phases run per group. A junction therefore integrates its own pulse
plus ``relax``, not the longest pulse of the grid.

Noise: every junction's thermal field comes from its own counter-based stream (``physics.simulate``
``noise_keys``), keyed by ``junction_keys(seed, point, trial, phase)``, so a junction's trajectory — and a
point's result — does not depend on the task it ran in, the task sizes, the scheduler or a resume.
"""

from __future__ import annotations

import numpy as np
import torch

from ..physics.drive import Drive
from ..physics.integrate import simulate
from .sweep_spec import SweepSpec, Task, junction_keys
from .switching import initial_state

SEEDING = "per-junction philox noise keys from (seed, point, trial index, phase); pulse, then relax"
#: Columns of a chunk (one row per segment of a task).
CHUNK_COLUMNS = ("round", "task", "point", "first_trial", "trials", "switched")


def pulse_steps(spec: SweepSpec, pulses: np.ndarray) -> np.ndarray:
    """Whole steps of each pulse width (>= 1)."""
    return np.maximum(1, np.rint(np.asarray(pulses) / spec.dt)).astype(np.int64)


def run_task(spec: SweepSpec, task: Task) -> dict[str, np.ndarray]:
    """Simulate ``task``; returns its chunk rows (columns ``CHUNK_COLUMNS``), one per segment."""
    points = np.array([s.point for s in task.segments], dtype=np.int64)
    counts = np.array([s.trials for s in task.segments], dtype=np.int64)
    currents, pulses = spec.grid(points)
    point_of = np.repeat(points, counts)
    trial_of = np.concatenate([np.arange(s.first, s.first + s.trials) for s in task.segments])
    steps_of = np.repeat(pulse_steps(spec, pulses), counts)
    amplitude_of = torch.as_tensor(np.repeat(currents, counts), dtype=torch.float64)
    axis_of = spec.axis_index(point_of)
    method = "heun" if spec.temperature > 0 else "rk4"
    m = initial_state(len(point_of)).clone()
    for a in np.unique(axis_of):  # one device per axis value (its junctions' parameters are shared scalars)
        junction = spec.junction(spec.axis_values[a] if spec.axis_values else None)
        params, field = junction.macrospin(), (junction.field, 0.0, 0.0)
        group = np.flatnonzero(axis_of == a)
        for steps in np.unique(steps_of[group]):  # pulse phase, one call per pulse width
            rows = group[steps_of[group] == steps]
            keys = torch.from_numpy(junction_keys(spec.seed, point_of[rows], trial_of[rows], phase=0))
            m[rows] = simulate(m[rows], params, Drive(current=amplitude_of[rows], field=field), duration=int(steps) * spec.dt,
                               dt=spec.dt, method=method, stop_when_switched=False, dt_check="error", sample_junctions=0,
                               noise_keys=keys).final
        if spec.relax > 0:  # relax phase: every junction of the group at zero current
            keys = torch.from_numpy(junction_keys(spec.seed, point_of[group], trial_of[group], phase=1))
            m[group] = simulate(m[group], params, Drive(current=0.0, field=field), duration=spec.relax_steps * spec.dt,
                                dt=spec.dt, method=method, stop_when_switched=False, dt_check="error", sample_junctions=0,
                                noise_keys=keys).final
    flips = (m[:, 0] > 0).numpy().astype(np.int64)
    switched = np.add.reduceat(flips, np.concatenate([[0], np.cumsum(counts)[:-1]]))
    return {"round": np.full(len(points), task.round, dtype=np.int64), "task": np.full(len(points), task.index, dtype=np.int64),
            "point": points, "first_trial": np.array([s.first for s in task.segments], dtype=np.int64),
            "trials": counts, "switched": switched.astype(np.int64)}


def task_junction_steps(spec: SweepSpec, task: Task) -> int:
    """Junction-steps ``task`` integrates (its pulses plus the relax of every junction)."""
    _, pulses = spec.grid(np.array([s.point for s in task.segments]))
    counts = np.array([s.trials for s in task.segments])
    return int(np.sum(counts * (pulse_steps(spec, pulses) + spec.relax_steps)))
