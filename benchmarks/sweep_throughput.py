"""Sweep throughput vs the engine: junction-steps/s inside `mtjnn sweep switching`, side by side with one plain
thermal ``simulate`` call of the same junctions, in one run (interleaved rounds, best of each case).

    python benchmarks/sweep_throughput.py            # 4 x 4 points x 2000 trials, ~2-4 min on 2 cores
    python benchmarks/sweep_throughput.py --quick    # 2 x 2 points x 1000 trials

Cases (300 K, stochastic Heun, dt = 1 ps, the default in-plane ellipse of ``mtjnn simulate``, torch with one
thread per process):

* engine: ONE ``physics.simulate`` call of one task's junctions with a constant current over the longest
  pulse + relax (the engine's single-process thermal throughput on this junction);
* sweep in-process: ``sweep.execute`` with ``scheduler=None`` (pulse and relax phases, Parquet chunks, planning;
  junction-steps counted as integrated: each junction's own pulse + relax);
* sweep on a Dask LocalCluster of ``--workers`` processes, timed from the moment the cluster is up (its start
  time reported apart) — compared with ``workers`` x the engine's single-process throughput.

Writes ``benchmarks/results/sweep_throughput.json`` and prints the ratios and what the issue's target (32 x 32
points, 10^4 trials, pulses up to 8 ns + 2 ns relax) would take at the measured LocalCluster rate.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "sweep_throughput.json"
# 32 x 32 points, 10^4 trials, pulses 0.5-8 ns (mean 4.25 ns: each junction integrates its own pulse) + 2 ns relax, 1 ps
TARGET = {"points": 32 * 32, "trials": 10_000, "steps": 6_250}


def _engine(spec) -> float:
    """Wall time (s) of one thermal simulate call of one task's junctions under a constant current."""
    from mtjnn.experiments.switching import initial_state
    from mtjnn.physics.drive import Drive
    from mtjnn.physics.integrate import simulate

    junction = spec.junction()
    n = spec.task_junctions
    started = time.perf_counter()
    simulate(initial_state(n), junction.macrospin(), Drive(current=spec.currents[0], field=(junction.field, 0.0, 0.0)),
             duration=spec.duration, dt=spec.dt, method="heun", stop_when_switched=False, dt_check="error", sample_junctions=0)
    return time.perf_counter() - started


def _sweep(spec, scheduler, workers) -> tuple[float, float]:
    """(wall time of the tasks, s; time to start and warm the runner, s) of a whole sweep into a fresh folder."""
    from mtjnn.experiments.sweep import execute

    marks = [time.perf_counter()]
    with tempfile.TemporaryDirectory() as folder:
        for _ in execute(spec, folder, scheduler=scheduler, workers=workers, report=lambda line: marks.append(time.perf_counter())):
            end = time.perf_counter()  # the last chunk written (closing the cluster afterwards is not timed)
    return end - marks[1], marks[1] - marks[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    import numpy as np
    import torch

    from mtjnn.experiments.sweep import SweepSpec
    from mtjnn.experiments.sweep_task import task_junction_steps

    torch.set_num_threads(1)
    side, trials = (2, 1000) if args.quick else (4, 2000)
    spec = SweepSpec(currents=tuple(np.linspace(300e-6, 1200e-6, side)), pulses=tuple(np.linspace(0.5e-9, 4e-9, side)),
                     temperature=300.0, trials=trials, relax=1e-9, points_per_task=1, seed=0)
    steps_task = spec.task_junctions * spec.steps
    steps_sweep = sum(task_junction_steps(spec, t) for t in spec.first_round())
    _engine(spec)  # warm-up (numba kernels loaded / compiled)
    best = {"engine": np.inf, "in_process": np.inf, "local_cluster": np.inf}
    startup = []
    for _ in range(args.rounds):
        best["engine"] = min(best["engine"], _engine(spec))
        best["in_process"] = min(best["in_process"], _sweep(spec, None, None)[0])
        wall, start = _sweep(spec, "local", args.workers)
        best["local_cluster"], startup = min(best["local_cluster"], wall), startup + [start]
    rate = {"engine": steps_task / best["engine"], "in_process": steps_sweep / best["in_process"],
            "local_cluster": steps_sweep / best["local_cluster"]}
    target_steps = TARGET["points"] * TARGET["trials"] * TARGET["steps"]
    result = {
        "grid": f"{side} x {side} points, {trials} trials, {spec.steps} steps, one point per task",
        "junction_steps_per_s": rate, "workers": args.workers, "cluster_start_s": startup,
        "ratio_in_process_to_engine": rate["in_process"] / rate["engine"],
        "ratio_cluster_to_workers_x_engine": rate["local_cluster"] / (args.workers * rate["engine"]),
        "target_junction_steps": target_steps, "target_hours_at_cluster_rate": target_steps / rate["local_cluster"] / 3600,
        "load_average": os.getloadavg(), "cpu_count": os.cpu_count(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
