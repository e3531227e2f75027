"""`mtjnn sweep switching`: switching probability over a (current, pulse width) grid at a temperature, optionally
times one device-parameter axis (``SweepSpec.axis_name``).

The pieces (one concept per module): ``sweep_spec`` (the spec, rounds, tasks, seeds), ``sweep_task`` (one
batched simulation), ``sweep_store`` (Parquet chunks + ``sweep.json``, resume), ``sweep_exec`` (in-process or
Dask), ``sweep_stats`` (per-point table, Wilson intervals, adaptive write-error-rate rounds), ``sweep_fits``
(Néel–Brown, Sun) and ``sweep_plots`` (the map). This module runs rounds of tasks until no point needs more
trials, then writes the tidy table, the fits, the figure and the metrics. docs/sweeps.md has the details.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .common import results_dir, save_json, summary_table
from .results import reopen_run_folder, saved_config, write_config
from .sweep_exec import check_scheduler, open_runner, resolve_scheduler
from .sweep_fits import fit_neel_brown, fit_sun, half_switching_pulses, neel_brown_probability
from .sweep_plots import plot_map
from .sweep_spec import DEVICE_FIELDS, Segment, SweepSpec, Task, parse_range, random_axis_values
from .sweep_stats import TABLE_COLUMNS, map_tables, plan_more_trials, point_table, table_columns
from .sweep_store import CHUNKS, MANIFEST, is_finished, open_manifest, read_chunks, write_chunk
from .sweep_task import run_task, task_junction_steps

JOB = "sweep-switching"
__all__ = ["CHUNKS", "DEVICE_FIELDS", "JOB", "MANIFEST", "TABLE_COLUMNS", "SweepSpec", "execute", "parse_range",
           "random_axis_values", "read_table", "run", "sweep_tasks"]


def sweep_tasks(spec: SweepSpec, folder: str | Path) -> tuple[list[Task], bool]:
    """(every task of the rounds planned so far, is the sweep complete), from the chunks in ``folder``.

    Round r + 1 is planned from the table of rounds 0..r, so it is known once round r is finished.
    """
    tasks, round_, planned = [], 0, spec.first_round()
    while planned:
        tasks += planned
        if not all(is_finished(folder, t) for t in planned):
            return tasks, False
        round_ += 1
        planned = plan_more_trials(spec, point_table(spec, read_chunks(folder, tasks)), round_)
    return tasks, True


def execute(spec: SweepSpec, folder: str | Path, *, scheduler: str | None = None, workers: int | None = None,
            max_tasks: int | None = None, connect_timeout: float = 5.0, progress: bool = False,
            report: Callable[[str], None] | None = None) -> Iterator[Task]:
    """Run the unfinished tasks of ``spec`` into ``folder`` round by round, yielding each task once its chunk is written.

    ``scheduler``: None in this process; "local" a Dask LocalCluster of ``workers`` processes (default: all
    cores); "auto" one of the two by size; else a Dask scheduler address. ``max_tasks`` stops after that many
    tasks (tests, budgets). ``report`` receives one line naming the runner and its dashboard.
    """
    folder = Path(folder)
    tasks, _ = sweep_tasks(spec, folder) if (folder / MANIFEST).exists() else (spec.first_round(), False)
    scheduler = resolve_scheduler(scheduler, workers, sum(task_junction_steps(spec, t) for t in tasks), len(tasks))
    open_manifest(folder, spec)
    budget = max_tasks
    with open_runner(scheduler, workers, connect_timeout) as runner:
        runner.warm(run_task, spec, Task(0, 0, (Segment(0, 0, 2),)))  # a 2-junction task: workers import and load kernels
        if report is not None:
            report(f"running on {runner.description}; dashboard: {runner.dashboard or 'none (needs bokeh)'}")
        round_, planned, done_tasks = 0, spec.first_round(), []
        while planned:
            done_tasks += planned
            todo = [t for t in planned if not is_finished(folder, t)]
            if budget is not None:
                todo, budget = todo[:budget], budget - len(todo[:budget])
            yield from _run_round(spec, folder, runner, todo, round_, progress)
            if not all(is_finished(folder, t) for t in planned):
                return
            round_ += 1
            planned = plan_more_trials(spec, point_table(spec, read_chunks(folder, done_tasks)), round_)


def _run_round(spec: SweepSpec, folder: Path, runner: Any, todo: list[Task], round_: int, progress: bool) -> Iterator[Task]:
    from tqdm.auto import tqdm

    if not todo:
        return
    bar = tqdm(total=sum(task_junction_steps(spec, t) for t in todo), unit="junction-step", unit_scale=True,
               desc=f"round {round_}: {len(todo)} tasks", disable=not progress, leave=False)
    try:
        for task, rows in runner.map(run_task, spec, todo):
            write_chunk(folder, spec, task, rows)
            bar.update(task_junction_steps(spec, task))
            yield task
    finally:
        bar.close()


def read_table(folder: str | Path, spec: SweepSpec) -> dict[str, np.ndarray]:
    """The tidy per-point table (``sweep_stats.TABLE_COLUMNS``) of a complete sweep in ``folder``."""
    tasks, complete = sweep_tasks(spec, folder)
    if not complete:
        missing = [t.name for t in tasks if not is_finished(folder, t)]
        raise ValueError(f"{str(folder)!r}: tasks {missing[:5]} not finished; allowed: a complete sweep (resume it)")
    return point_table(spec, read_chunks(folder, tasks))


def fit_map(table: dict[str, np.ndarray], spec: SweepSpec, tau0: float = 1e-9) -> dict[str, Any]:
    """Sun fit over the rows that cross P = 0.5, then Néel–Brown over the points below its Ic0 (all points
    when the Sun fit fails), with its mean |P_fit - P| (the map draws it only when < ``GOOD_FIT``); a fit that
    cannot be made reports why instead. With a device axis: {"axis_name", "by_axis": [{"value", fits of that
    value's map}, ...]}."""
    if spec.axis_name:
        return {"axis_name": spec.axis_name,
                "by_axis": [{"value": v, **_fit_one(sub, spec, tau0)} for v, sub in map_tables(table, spec)]}
    return _fit_one(table, spec, tau0)


def _fit_one(table: dict[str, np.ndarray], spec: SweepSpec, tau0: float) -> dict[str, Any]:
    fits: dict[str, Any] = {}
    t_half = half_switching_pulses(np.asarray(spec.currents), np.asarray(spec.pulses), table["probability"])
    try:
        fits["sun"] = fit_sun(np.asarray(spec.currents), t_half)
    except ValueError as err:
        fits["sun"] = {"error": str(err)}
    below = table["current"] < fits["sun"].get("ic0", np.inf)
    try:
        nb = fit_neel_brown(table["current"][below], table["pulse"][below], table["trials"][below], table["switched"][below], tau0=tau0)
        model = neel_brown_probability(table["current"][below], table["pulse"][below], nb["delta"], nb["ic0"], tau0)
        nb["mean_abs_error"] = float(np.mean(np.abs(model - table["probability"][below])))  # |P_fit - P| over the points used
        fits["neel_brown"] = nb
    except ValueError as err:
        fits["neel_brown"] = {"error": str(err)}
    fits["half_switching_pulse_s"] = [None if not np.isfinite(v) else float(v) for v in t_half]
    return fits


def _open(spec: SweepSpec | None, out_root: str | Path, resume: str | Path | None) -> tuple[SweepSpec, Path]:
    if resume is None:
        if spec is None:
            raise ValueError("spec is None without resume; allowed: a SweepSpec, or resume = a run folder")
        out = results_dir(JOB, out_root)
        write_config(out, JOB, spec)
        return spec, out
    saved = SweepSpec.from_dict(saved_config(resume, JOB))
    if spec is not None and spec != saved:
        raise ValueError(f"resume = {str(resume)!r} holds a different sweep spec; allowed: the saved one (omit the grid options)")
    return saved, reopen_run_folder(resume, JOB)


def run(spec: SweepSpec | None, out_root: str | Path = "results", *, scheduler: str | None = None,
        workers: int | None = None, resume: str | Path | None = None, connect_timeout: float = 5.0,
        progress: bool = False) -> dict:
    """Run (or, with ``resume`` = a previous run folder, finish) a sweep; write ``table.parquet`` / ``table.csv``
    (the tidy per-point table), ``fits.json``, ``switching_map.png`` and ``metrics.json`` (wall time, trials,
    throughput in junction-steps/s). With ``resume`` the saved spec is used (``spec`` may be None; a different
    one is refused). Returns the metrics plus ``output_dir``."""
    check_scheduler(scheduler, workers)  # before a run folder is made
    spec, out = _open(spec, out_root, resume)
    already = sum(is_finished(out, t) for t in sweep_tasks(spec, out)[0]) if (out / MANIFEST).exists() else 0
    lines: list[str] = []
    started = time.perf_counter()
    ran = list(execute(spec, out, scheduler=scheduler, workers=workers, connect_timeout=connect_timeout, progress=progress,
                       report=lambda line: (lines.append(line), print(line))))
    wall = time.perf_counter() - started
    table = read_table(out, spec)
    fits = fit_map(table, spec)
    _write_tables(out, table, spec)
    save_json(out / "fits.json", fits)
    plot_map(table, spec, fits, out / "switching_map.png")
    junction_steps = sum(task_junction_steps(spec, t) for t in ran)
    tasks = sweep_tasks(spec, out)[0]
    metrics = {
        "points": spec.points, "tasks": len(tasks), "rounds": 1 + max(t.round for t in tasks), "tasks_resumed_from_disk": already,
        "tasks_run_this_session": len(ran), "junction_steps": junction_steps,
        "junction_steps_per_s": junction_steps / wall if wall > 0 and junction_steps else None, "wall_time_s": wall,
        "runner": lines[0] if lines else None, "trials_total": int(table["trials"].sum()),
        "trials_per_point_min": int(table["trials"].min()), "trials_per_point_max": int(table["trials"].max()),
        "probability_min": float(table["probability"].min()), "probability_max": float(table["probability"].max()),
    }
    if spec.axis_name:
        metrics["axis"] = {"name": spec.axis_name, "values": list(spec.axis_values), "sampling": spec.axis_sampling}
        metrics["by_axis"] = [{"value": f["value"], "neel_brown": f["neel_brown"], "sun": f["sun"]} for f in fits["by_axis"]]
    else:
        metrics.update(neel_brown=fits["neel_brown"], sun=fits["sun"])
    save_json(out / "metrics.json", metrics)
    metrics["output_dir"] = str(out)
    print(_summary(spec, metrics, already, out))
    return metrics


def _fit_rows(nb: dict, sun: dict, label: str = "") -> list[tuple[str, str]]:
    nb_text = nb.get("error") or (f"Δ = {nb['delta']:.1f} ± {nb['delta_se']:.1f}, Ic0 = {nb['ic0'] * 1e6:.0f} ± {nb['ic0_se'] * 1e6:.0f} µA, "
                                  f"mean |P_fit - P| = {nb['mean_abs_error']:.3f}")
    sun_text = sun.get("error") or f"A = {sun['a'] * 1e9:.3f} ns, Ic0 = {sun['ic0'] * 1e6:.0f} µA ({sun['rows']} rows)"
    return [(f"Néel–Brown{label}", nb_text), (f"Sun{label}", sun_text)]


def _summary(spec: SweepSpec, m: dict, already: int, out: Path) -> str:
    rate = "-" if m["junction_steps_per_s"] is None else f"{m['junction_steps_per_s'] / 1e6:.1f} M junction-steps/s"
    grid = f"{len(spec.currents)} currents x {len(spec.pulses)} pulses, T = {spec.temperature:g} K"
    if spec.axis_name:
        grid = f"{spec.axis_count} {spec.axis_name} values ({spec.axis_sampling}) x " + grid
        fit_rows = [row for f in m["by_axis"] for row in _fit_rows(f["neel_brown"], f["sun"], f" ({spec.axis_name}={f['value']:.4g})")]
    else:
        fit_rows = _fit_rows(m["neel_brown"], m["sun"])
    return summary_table([
        ("grid", grid),
        ("trials", f"{m['trials_total']} ({m['trials_per_point_min']}..{m['trials_per_point_max']} per point, {m['rounds']} rounds)"),
        ("tasks", f"{m['tasks']} ({already} found on disk)"),
        ("P range", f"{m['probability_min']:.4f} .. {m['probability_max']:.4f}"),
        *fit_rows,
        ("speed", f"{rate}, {m['wall_time_s']:.1f} s"),
        ("results", str(out)),
    ], "mtjnn sweep switching: switching probability over (current, pulse width)")


def _write_tables(out: Path, table: dict[str, np.ndarray], spec: SweepSpec) -> None:
    """``table.parquet`` (spec in the metadata) and ``table.csv``: one row per point, SI units."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = table_columns(spec)
    arrow = pa.table({c: table[c] for c in columns})
    arrow = arrow.replace_schema_metadata({b"mtjnn.sweep": json.dumps({"spec": json.loads(json.dumps(spec.to_dict()))}).encode()})
    pq.write_table(arrow, out / "table.parquet")
    ints = {"point", "trials", "switched"}
    lines = [",".join(columns)]
    for r in range(len(table["point"])):
        lines.append(",".join(str(int(table[c][r])) if c in ints else repr(float(table[c][r])) for c in columns))
    (out / "table.csv").write_text("\n".join(lines) + "\n")
