"""`mtjnn sweep switching`: switching probability over a (current, pulse width) grid at a temperature.

The junction is the in-plane ellipse of ``experiments.switching`` (``mtjnn simulate``), started antiparallel;
a junction counts as switched when its final state (after the pulse and ``relax`` seconds at zero current)
has m_x > 0. Every point of the grid is ``trials`` independent thermal junctions.

Work is split into *tasks* of ``points_per_task`` grid points x ``trials`` junctions, each ONE batched
``physics.simulate`` call (per-junction amplitude and width), so a task amortizes the Python overhead over
many junctions. Each task's thermal noise comes from a seed derived from (``seed``, task index) alone, so a
task's result does not depend on which process ran it, in which order, or whether the sweep was interrupted
and resumed. (The noise of one batched call comes from one generator, so the grouping itself —
``points_per_task`` — is part of the spec; per-point independence from the grouping needs a per-junction
noise stream in ``physics`` and is left for later, see docs/sweeps.md.) At T = 0 the result of a point does
not depend on the grouping at all.

Finished tasks are written one file each (``chunks/chunk-<k>.npz``, written to a temporary name and renamed
atomically) next to ``sweep.json`` (the spec, the task seeds and the library versions); a resumed sweep
skips the tasks whose files exist. Tasks run in-process by default, or on a Dask cluster
(``scheduler="local"`` for a LocalCluster of ``workers`` processes, or a scheduler address) when
``dask.distributed`` is installed.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import torch

from ..physics.drive import Drive
from ..physics.integrate import simulate
from ..validation import check_non_negative, check_positive, check_range
from .common import pyplot, results_dir, save_json, summary_table
from .results import provenance, reopen_run_folder, saved_config, write_config
from .switching import SwitchingConfig, initial_state

JOB = "sweep-switching"
#: Device fields of ``SwitchingConfig`` a sweep may override (SI units, as there).
DEVICE_FIELDS = ("field", "length", "width", "thickness", "ms", "alpha", "eta")
MANIFEST = "sweep.json"
CHUNKS = "chunks"
TABLE_COLUMNS = ("point", "current", "pulse", "trials", "switched", "probability")


def parse_range(name: str, text: str, scale: float = 1.0) -> tuple[float, ...]:
    """``"A:B:N"`` -> N values evenly spaced from A to B (inclusive), times ``scale``; ``"A"`` -> (A,).

    ValueError naming ``name`` for malformed text, N < 1, or A > B (an empty range).
    """
    parts = text.split(":")
    try:
        if len(parts) == 1:
            return (float(parts[0]) * scale,)
        if len(parts) != 3:
            raise ValueError
        start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"{name} = {text!r}; allowed: 'START:STOP:COUNT' (e.g. '100:900:16') or a single value") from None
    if count < 1 or stop < start or (count > 1 and stop == start):
        raise ValueError(f"{name} = {text!r} is an empty range; allowed: START <= STOP, COUNT >= 1 (START < STOP when COUNT > 1)")
    return tuple(float(v) * scale for v in np.linspace(start, stop, count))


@dataclass(frozen=True)
class SweepSpec:
    """A switching-probability sweep (SI units): every ``currents`` (A) x ``pulses`` (s) point, ``trials`` junctions.

    ``device`` overrides fields of ``SwitchingConfig`` (names in ``DEVICE_FIELDS``), e.g. ``(("alpha", 0.02),)``.
    """

    currents: tuple[float, ...]  # pulse amplitudes, A
    pulses: tuple[float, ...]  # pulse widths, s
    temperature: float = 300.0  # K
    trials: int = 1000  # junctions per point
    dt: float = 1e-12  # integration step, s
    relax: float = 2e-9  # zero-current time after the longest pulse before the state is read, s
    seed: int = 0
    points_per_task: int = 16  # grid points per batched simulate call (part of the noise layout)
    device: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "currents", tuple(float(c) for c in self.currents))
        object.__setattr__(self, "pulses", tuple(float(p) for p in self.pulses))
        object.__setattr__(self, "device", tuple((str(k), float(v)) for k, v in self.device))
        for name in ("currents", "pulses"):
            if not getattr(self, name):
                raise ValueError(f"{name} is empty; allowed: at least one value")
        for c in self.currents:
            check_range("currents", c, -0.1, 0.1, unit="A")
        check_positive("dt", self.dt, unit="s")
        for p in self.pulses:
            if not p >= self.dt:
                raise ValueError(f"pulses contains {p!r} s, shorter than dt = {self.dt!r} s; allowed: pulse widths >= dt")
        check_non_negative("temperature", self.temperature, unit="K")
        if isinstance(self.trials, bool) or not isinstance(self.trials, int) or self.trials < 1:
            raise ValueError(f"trials = {self.trials!r}; allowed: an integer >= 1")
        check_non_negative("relax", self.relax, unit="s")
        check_range("points_per_task", self.points_per_task, 1, 1_000_000)
        unknown = sorted({k for k, _ in self.device} - set(DEVICE_FIELDS))
        if unknown:
            raise ValueError(f"device parameters {unknown} are unknown; allowed: {list(DEVICE_FIELDS)}")
        self.junction()  # the device's own checks

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SweepSpec":
        """The spec saved by ``dataclasses.asdict`` / ``config.json`` (lists become tuples)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def points(self) -> int:
        return len(self.currents) * len(self.pulses)

    @property
    def tasks(self) -> int:
        return math.ceil(self.points / self.points_per_task)

    @property
    def duration(self) -> float:
        """Simulated time of every junction: the longest pulse plus ``relax``, s."""
        return max(self.pulses) + self.relax

    @property
    def steps(self) -> int:
        return math.ceil(self.duration / self.dt - 1e-9)

    def junction(self) -> SwitchingConfig:
        """The device of ``mtjnn simulate`` with this spec's temperature, step, duration and overrides."""
        return SwitchingConfig(pulse=max(self.pulses), duration=self.duration, dt=self.dt, temperature=self.temperature,
                               seed=self.seed, dt_check="error", **dict(self.device))

    def grid(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(current A, pulse s) of the point indices ``points`` (current-major order)."""
        n = len(self.pulses)
        return np.asarray(self.currents)[points // n], np.asarray(self.pulses)[points % n]

    def task_points(self, task: int) -> np.ndarray:
        return np.arange(task * self.points_per_task, min((task + 1) * self.points_per_task, self.points))

    def task_seed(self, task: int) -> int:
        """The noise seed of ``task``: a function of (seed, task) only."""
        return int(np.random.SeedSequence([self.seed, task]).generate_state(1, np.uint64)[0] >> np.uint64(1))


@dataclass(frozen=True)
class _PulsePerJunction:
    """Rectangular current pulses from t = 0 with a per-junction amplitude (B,) in A and width (B,) in s."""

    amplitude: torch.Tensor
    width: torch.Tensor

    def __call__(self, t: torch.Tensor) -> torch.Tensor:
        on = t[:, None] < self.width.to(t)[None, :]
        return on.to(t.dtype) * self.amplitude.to(t)[None, :]


def run_task(spec: SweepSpec, task: int) -> dict[str, np.ndarray]:
    """One task: its points x ``trials`` junctions in one batched ``simulate`` call; returns its table rows."""
    points = spec.task_points(task)
    currents, pulses = spec.grid(points)
    junction = spec.junction()
    amplitude = torch.as_tensor(np.repeat(currents, spec.trials), dtype=torch.float64)
    width = torch.as_tensor(np.repeat(pulses, spec.trials), dtype=torch.float64)
    generator = torch.Generator().manual_seed(spec.task_seed(task))
    traj = simulate(
        initial_state(amplitude.numel()), junction.macrospin(),
        Drive(current=_PulsePerJunction(amplitude, width), field=(junction.field, 0.0, 0.0)),
        duration=spec.duration, dt=spec.dt, method="heun" if spec.temperature > 0 else "rk4",
        stop_when_switched=False, generator=generator, dt_check="error", sample_junctions=0,
    )
    switched = (traj.final[:, 0] > 0).reshape(len(points), spec.trials).sum(dim=1).numpy().astype(np.int64)
    return {"point": points.astype(np.int64), "current": currents, "pulse": pulses,
            "trials": np.full(len(points), spec.trials, dtype=np.int64), "switched": switched,
            "probability": switched / spec.trials}


def _chunk_path(folder: Path, task: int) -> Path:
    return folder / CHUNKS / f"chunk-{task:06d}.npz"


def _write_chunk(folder: Path, task: int, rows: dict[str, np.ndarray]) -> None:
    path = _chunk_path(folder, task)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, **rows)
    os.replace(tmp, path)


def _open_manifest(folder: Path, spec: SweepSpec) -> None:
    """Write ``sweep.json`` for a new sweep, or check that a resumed folder holds the same spec."""
    path = folder / MANIFEST
    spec_data = json.loads(json.dumps(dataclasses.asdict(spec)))
    if path.exists():
        saved = json.loads(path.read_text())["spec"]
        if saved != spec_data:
            raise ValueError(f"resume = {str(folder)!r} holds a different sweep spec; allowed: the spec saved in {MANIFEST}")
        return
    (folder / CHUNKS).mkdir(parents=True, exist_ok=True)
    save_json(path, {"spec": spec_data, "tasks": spec.tasks, "task_seeds": [spec.task_seed(k) for k in range(spec.tasks)],
                     "columns": list(TABLE_COLUMNS), "chunk_format": "npz, one file per finished task",
                     "versions": provenance()})


def missing_tasks(folder: str | Path, spec: SweepSpec) -> list[int]:
    """Tasks of ``spec`` without a finished chunk file in ``folder``."""
    return [k for k in range(spec.tasks) if not _chunk_path(Path(folder), k).exists()]


def read_table(folder: str | Path, spec: SweepSpec) -> dict[str, np.ndarray]:
    """The tidy table (one row per point, columns ``TABLE_COLUMNS``) from the finished chunks of ``folder``."""
    missing = missing_tasks(folder, spec)
    if missing:
        raise ValueError(f"{str(folder)!r}: tasks {missing[:5]} not finished; allowed: a complete sweep (resume it)")
    parts = []
    for k in range(spec.tasks):
        with np.load(_chunk_path(Path(folder), k)) as data:
            parts.append({c: data[c] for c in TABLE_COLUMNS})
    return {c: np.concatenate([p[c] for p in parts]) for c in TABLE_COLUMNS}


def _dask_client(scheduler: str, workers: int | None) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError(f"scheduler = {scheduler!r} needs dask.distributed, which is not installed; allowed: "
                         "None (in-process), or install dask[distributed]") from None
    if scheduler == "local":
        return Client(LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True))
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise ValueError(f"scheduler = {scheduler!r} is unreachable ({err}); allowed: the address of a running "
                         "Dask scheduler, 'local', or None") from None


def _check_scheduler(scheduler: str | None, workers: int | None) -> None:
    if workers is not None:
        check_range("workers", workers, 1, 4096)
    if scheduler is None or scheduler == "local":
        return
    if not isinstance(scheduler, str) or "://" not in scheduler:
        raise ValueError(f"scheduler = {scheduler!r}; allowed: None (in-process), 'local', or an address like 'tcp://host:8786'")


def _check_dask(scheduler: str | None) -> None:
    """ValueError before any work when a Dask scheduler is asked for but dask.distributed is not installed."""
    if scheduler is None:
        return
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ValueError(f"scheduler = {scheduler!r} needs dask.distributed, which is not installed; allowed: "
                         "None (in-process), or install dask[distributed]") from None


def execute(spec: SweepSpec, folder: str | Path, *, scheduler: str | None = None, workers: int | None = None,
            max_tasks: int | None = None) -> Iterator[int]:
    """Run the unfinished tasks of ``spec`` into ``folder``, yielding each task index once its chunk is written.

    ``scheduler``: None runs in this process; "local" a Dask LocalCluster of ``workers`` processes (default:
    all cores); else a Dask scheduler address. ``max_tasks`` stops after that many tasks (tests, budgets).
    """
    _check_scheduler(scheduler, workers)
    folder = Path(folder)
    _open_manifest(folder, spec)
    todo = missing_tasks(folder, spec)[:max_tasks]
    if scheduler is None:
        for k in todo:
            _write_chunk(folder, k, run_task(spec, k))
            yield k
        return
    client = _dask_client(scheduler, workers)
    try:
        from distributed import as_completed

        futures = {client.submit(run_task, spec, k, pure=False): k for k in todo}
        for future in as_completed(futures):
            k = futures[future]
            _write_chunk(folder, k, future.result())
            yield k
    finally:
        cluster = getattr(client, "cluster", None)
        client.close()
        if scheduler == "local" and cluster is not None:
            cluster.close()


def run(spec: SweepSpec | None, out_root: str | Path = "results", *, scheduler: str | None = None,
        workers: int | None = None, resume: str | Path | None = None) -> dict:
    """Run (or, with ``resume`` = a previous run folder, finish) a sweep; write ``table.csv``, ``switching_map.png``
    and ``metrics.json`` (wall time, throughput in junction-steps/s). With ``resume`` the saved spec is used
    (``spec`` may be None; a different one is refused). Returns the metrics plus ``output_dir``."""
    _check_scheduler(scheduler, workers)
    _check_dask(scheduler)
    if resume is None:
        if spec is None:
            raise ValueError("spec is None without resume; allowed: a SweepSpec, or resume = a run folder")
        out = results_dir(JOB, out_root)
        write_config(out, JOB, spec)
    else:
        saved = SweepSpec.from_dict(saved_config(resume, JOB))
        if spec is not None and spec != saved:
            raise ValueError(f"resume = {str(resume)!r} holds a different sweep spec; allowed: the saved one (omit the grid options)")
        spec = saved
        out = reopen_run_folder(resume, JOB)
    already = spec.tasks - len(missing_tasks(out, spec)) if (out / MANIFEST).exists() else 0
    started = time.perf_counter()
    done = sum(len(spec.task_points(k)) for k in execute(spec, out, scheduler=scheduler, workers=workers))
    wall = time.perf_counter() - started
    table = read_table(out, spec)
    _write_csv(out / "table.csv", table)
    _plot_map(table, spec, out / "switching_map.png")
    junction_steps = done * spec.trials * spec.steps
    metrics = {
        "points": spec.points, "tasks": spec.tasks, "tasks_resumed_from_disk": already,
        "points_simulated_this_session": done, "junction_steps": junction_steps,
        "junction_steps_per_s": junction_steps / wall if wall > 0 else None, "wall_time_s": wall,
        "scheduler": scheduler or "in-process", "workers": workers,
        "probability_min": float(table["probability"].min()), "probability_max": float(table["probability"].max()),
    }
    save_json(out / "metrics.json", metrics)
    metrics["output_dir"] = str(out)
    rate = "-" if metrics["junction_steps_per_s"] is None else f"{metrics['junction_steps_per_s'] / 1e6:.1f} M junction-steps/s"
    print(summary_table([
        ("grid", f"{len(spec.currents)} currents x {len(spec.pulses)} pulses, {spec.trials} trials, T = {spec.temperature:g} K"),
        ("tasks", f"{spec.tasks} ({already} found on disk)"),
        ("P range", f"{metrics['probability_min']:.3f} .. {metrics['probability_max']:.3f}"),
        ("speed", f"{rate}, {wall:.1f} s"),
        ("results", str(out)),
    ], "mtjnn sweep switching: switching probability over (current, pulse width)"))
    return metrics


def _write_csv(path: Path, table: dict[str, np.ndarray]) -> None:
    """The tidy table as CSV (current in A, pulse in s)."""
    rows = zip(*(table[c] for c in TABLE_COLUMNS))
    lines = [",".join(TABLE_COLUMNS)] + [f"{int(p)},{c!r},{w!r},{int(n)},{int(s)},{pr!r}" for p, c, w, n, s, pr in
                                         ((r[0], float(r[1]), float(r[2]), r[3], r[4], float(r[5])) for r in rows)]
    path.write_text("\n".join(lines) + "\n")


def _plot_map(table: dict[str, np.ndarray], spec: SweepSpec, path: Path) -> None:
    """Heat map of P over (pulse width, current) with the P = 0.5 contour where the grid crosses it."""
    plt = pyplot()
    prob = table["probability"].reshape(len(spec.currents), len(spec.pulses))
    pulses_ns, currents_ua = np.asarray(spec.pulses) * 1e9, np.asarray(spec.currents) * 1e6
    fig, ax = plt.subplots(figsize=(6, 4.5))
    mesh = ax.pcolormesh(pulses_ns, currents_ua, prob, shading="nearest", cmap="viridis", vmin=0, vmax=1)
    fig.colorbar(mesh, ax=ax, label="switching probability P")
    if prob.shape[0] > 1 and prob.shape[1] > 1 and prob.min() < 0.5 < prob.max():
        ax.contour(pulses_ns, currents_ua, prob, levels=[0.5], colors="w", linewidths=1.5)
    ax.set_xlabel("pulse width (ns)")
    ax.set_ylabel("current (µA)")
    ax.set_title(f"P(AP→P), T = {spec.temperature:g} K, {spec.trials} trials per point; white: P = 0.5", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
