"""LLGS throughput: junction-steps per second of mtjnn (fused numba stepper and plain torch stepper) and cmtj.

    python benchmarks/llg_throughput.py            # full run (~3-5 min)
    python benchmarks/llg_throughput.py --quick    # < 1 min

One junction for every engine: a 100 x 50 x 1.4 nm in-plane ellipse (demagnetizing factors from
``mtjnn.physics.demag.ellipsoid_factors``), Ms = 1e6 A/m, alpha = 0.01, reference layer along the easy
axis x, a small bias field and a constant sub-threshold spin-polarized current; parameters mapped onto
cmtj's conventions exactly as in ``tests/test_cmtj_crosscheck.py`` (same trajectories). Cases:

* deterministic: RK4, dt = 1 ps, T = 0;  thermal: stochastic Heun, dt = 1 ps, T = 300 K (the default
  counter-based Philox noise; ``thermal_noise.py`` compares it with the bulk torch-generator noise);
* mtjnn: batch 1, 1 000, 10 000, 100 000 junctions, float64 and float32, both steppers, storing only
  the start and end states; cmtj (float64 only, one junction per call): one process, and a pool of two
  processes each integrating its own junction (cmtj's way to use two cores);
* memory: 10^6 junctions (fused, float64, RK4) integrated without storing the trajectory, in a fresh
  subprocess, with its peak resident memory.

Throughput = batch * steps / wall time of the whole ``simulate`` call (chunking, drives, noise
generation included); each number is the best of two timed runs whose length is set from a pilot run
(which also compiles / loads the numba kernels), and the whole set of cases is measured in ``--rounds``
interleaved rounds (default 3, cmtj and mtjnn alternating) keeping each case's best round. Writes ``benchmarks/results/llg_throughput.json``,
prints a markdown table and puts it into ``benchmarks/README.md``. The machine's load average is
recorded: numbers taken on a busy machine are low.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from _report import README, cpu_name, git_commit, version, write_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "llg_throughput.json"

DT = 1e-12  # s
SIZE = (100e-9, 50e-9, 1.4e-9)  # m, ellipse axes and thickness
MS, ALPHA, POLARIZATION = 1.0e6, 0.01, 0.6
CURRENT_DENSITY = 2e10  # A/m^2, below the switching threshold
FIELD_A_PER_M = (800.0, 0.0, 0.0)  # ~1 mT along the easy axis
M0 = (-0.95, 0.3, 0.05)


# ------------------------------------------------------------------------------------------ junction
def _area() -> float:
    return math.pi * SIZE[0] * SIZE[1] / 4


def _cmtj_constants():
    import cmtj

    c = cmtj.constants.PhysicalConstants
    return c.gyromagnetic_ratio(), c.magnetic_permeability(), c.hbar(), c.elementary_charge()


def mtjnn_junction(temperature: float):
    """The benchmark junction as (Macrospin, Drive), mapped onto cmtj's constants (see the cmtj cross-check)."""
    from mtjnn.constants import E_CHARGE, HBAR, MU0
    from mtjnn.physics import Drive, Macrospin
    from mtjnn.physics.demag import ellipsoid_factors

    try:
        gyro, mu0_c, hbar_c, e_c = _cmtj_constants()
    except ImportError:  # cmtj absent: the CODATA-based equivalents
        gyro, mu0_c, hbar_c, e_c = 1.76085963023e11 * MU0, MU0, HBAR, E_CHARGE
    eta = POLARIZATION / (1 + ALPHA**2) * (MU0 / mu0_c) * (hbar_c / HBAR) * (E_CHARGE / e_c)
    params = Macrospin(
        ms=MS, thickness=SIZE[2], area=_area(), alpha=ALPHA, demag=ellipsoid_factors(*SIZE),
        polarizer=(1.0, 0.0, 0.0), eta=eta, field_like=ALPHA, temperature=temperature, gamma=gyro / MU0,
    )
    drive = Drive(current=CURRENT_DENSITY * _area(), field=tuple(MU0 * h for h in FIELD_A_PER_M))
    return params, drive


def cmtj_run(steps: int, thermal: bool, seed: int = 0) -> float:
    """Integrate one cmtj junction for ``steps`` steps; returns the wall time in s (logs only the start)."""
    import cmtj

    from mtjnn.physics.demag import ellipsoid_factors

    _, mu0_c, _, _ = _cmtj_constants()
    n = ellipsoid_factors(*SIZE)
    tensor = [cmtj.CVector(n[0], 0, 0), cmtj.CVector(0, n[1], 0), cmtj.CVector(0, 0, n[2])]
    m0 = np.asarray(M0) / np.linalg.norm(M0)
    layer = cmtj.Layer.createSTTLayer("free", cmtj.CVector(*m0), cmtj.CVector(1, 0, 0), mu0_c * MS, SIZE[2], _area(),
                                      tensor, ALPHA, 1.0, 0.0, POLARIZATION)
    layer.setReferenceLayer(cmtj.CVector(1, 0, 0))
    junction = cmtj.Junction([layer])
    junction.setLayerExternalFieldDriver("free", cmtj.AxialDriver(*FIELD_A_PER_M))
    junction.setLayerCurrentDriver("free", cmtj.constantDriver(CURRENT_DENSITY))
    if thermal:
        junction.setLayerTemperatureDriver("free", cmtj.constantDriver(300.0))
        junction.setLayerSeed("free", seed)
    start = time.perf_counter()
    junction.runSimulation(steps * DT, DT, steps * DT, solverMode=cmtj.Heun if thermal else cmtj.RK4)
    return time.perf_counter() - start


# --------------------------------------------------------------------------------------- measurement
def _mtjnn_seconds(backend: str, method: str, dtype: torch.dtype, batch: int, steps: int,
                   noise_source: str = "philox") -> float:
    """Wall time (s) of one ``simulate`` call of ``batch`` junctions over ``steps`` steps, end state only;
    thermal noise from ``noise_source`` ("philox": counter-based, in the kernel; "generator": bulk torch)."""
    from mtjnn.physics import simulate

    params, drive = mtjnn_junction(300.0 if method == "heun" else 0.0)
    m0 = torch.tensor(M0, dtype=dtype).expand(batch, 3).contiguous()
    gen = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    simulate(m0, params, drive, duration=steps * DT, dt=DT, method=method, backend=backend, generator=gen,
             noise_source=noise_source)
    return time.perf_counter() - start


def _mtjnn_rate(backend: str, method: str, dtype: torch.dtype, batch: int, steps: int,
                noise_source: str = "philox") -> float:
    return batch * steps / _mtjnn_seconds(backend, method, dtype, batch, steps, noise_source)


def measure_mtjnn(backend: str, method: str, dtype: torch.dtype, batch: int, target_s: float,
                  noise_source: str = "philox") -> dict:
    """Best of two runs of about ``target_s`` seconds; the length comes from the marginal cost of a step
    (two pilot runs of s and 2s steps), so a fixed per-call cost cannot make the runs too short."""
    s1 = max(2, min(2000, 20_000 // batch))
    _mtjnn_seconds(backend, method, dtype, batch, s1, noise_source)  # compiles / loads kernels
    t1 = _mtjnn_seconds(backend, method, dtype, batch, s1, noise_source)
    t2 = _mtjnn_seconds(backend, method, dtype, batch, 2 * s1, noise_source)
    per_step = max((t2 - t1) / s1, t2 / (20 * s1), 1e-9)
    steps = int(max(2 * s1, min(2_000_000, target_s / per_step)))
    best, cpu_rate = 0.0, 0.0
    for _ in range(2):
        cpu = time.process_time()
        rate = _mtjnn_rate(backend, method, dtype, batch, steps, noise_source)
        cpu_rate = max(cpu_rate, batch * steps / max(time.process_time() - cpu, 1e-9))
        best = max(best, rate)
    # rate_per_cpu_s: junction-steps per second of process CPU time (all threads), a load-robust companion
    return {"backend": backend, "method": method, "dtype": str(dtype).replace("torch.", ""), "batch": batch,
            "steps": steps, "rate": best, "rate_per_cpu_s": cpu_rate, "noise_source": noise_source}


def _cmtj_worker(args):
    steps, thermal, seed = args
    return cmtj_run(steps, thermal, seed)


def measure_cmtj(thermal: bool, target_s: float, pool) -> dict:
    pilot = 20_000
    cmtj_run(pilot, thermal)
    rate = pilot / cmtj_run(pilot, thermal)
    steps = int(max(1000, target_s * rate))
    one = max(steps / cmtj_run(steps, thermal, seed=s) for s in range(2))
    two = 0.0
    if pool is not None:
        pool.map(_cmtj_worker, [(pilot, thermal, 0), (pilot, thermal, 1)])  # warm the workers
        for rep in range(2):
            start = time.perf_counter()
            pool.map(_cmtj_worker, [(steps, thermal, 2 * rep), (steps, thermal, 2 * rep + 1)])
            two = max(two, 2 * steps / (time.perf_counter() - start))
    return {"method": "heun" if thermal else "rk4", "steps": steps, "rate_1proc": one, "rate_2proc": two}


def _peak_rss_bytes() -> int:
    """Peak resident memory of this process image, bytes: VmHWM from /proc/self/status. (ru_maxrss would
    do elsewhere, but on Linux it survives exec and reports the forking parent's peak in a subprocess.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _memory_child(batch: int, steps: int) -> None:
    """Run in a fresh interpreter: print JSON with the rate and the peak RSS of a large batch."""
    torch.set_num_threads(os.cpu_count() or 1)
    _mtjnn_rate("fused", "rk4", torch.float64, 1000, 5)  # warm-up: kernels loaded, baseline RSS
    base = _peak_rss_bytes()
    rate = _mtjnn_rate("fused", "rk4", torch.float64, batch, steps)
    peak = _peak_rss_bytes()
    from mtjnn.physics import integrate

    try:  # steps per chunk that simulate used (a private helper: absent or changed -> not reported)
        chunk = integrate._chunk_length(batch, 0)
    except (AttributeError, TypeError):
        chunk = None
    print(json.dumps({"batch": batch, "steps": steps, "rate": rate, "chunk_steps": chunk, "baseline_rss_bytes": base,
                      "peak_rss_bytes": peak, "peak_minus_baseline_bytes": peak - base, "state_bytes": batch * 3 * 8,
                      "full_trajectory_would_be_bytes": batch * (steps + 1) * 3 * 8}))


def measure_memory(batch: int, steps: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(batch), str(steps)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------- report
def _fmt(rate: float | None) -> str:
    return "–" if not rate else (f"{rate / 1e6:.1f}" if rate >= 1e6 else f"{rate / 1e6:.3f}")


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "–"
    r = a / b
    return f"{r:.0f}x" if r >= 10 else (f"{r:.1f}x" if r >= 0.1 else f"{r:.3f}x")


def markdown(result: dict) -> str:
    cm = {c["method"]: c for c in result["cmtj"]}
    rows = {}
    for r in result["mtjnn"]:
        rows.setdefault((r["method"], r["dtype"], r["batch"]), {})[r["backend"]] = r["rate"]
    lines = [
        "| case | dtype | batch | mtjnn fused | mtjnn torch | cmtj 1 proc | cmtj 2 procs "
        "| fused / cmtj 1 | fused / cmtj 2 | torch / cmtj 1 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    order = lambda kv: (kv[0][0] != "rk4", kv[0][1] != "float64", kv[0][2])  # noqa: E731
    for (method, dtype, batch), r in sorted(rows.items(), key=order):
        c = cm.get(method, {})
        c1, c2 = c.get("rate_1proc"), c.get("rate_2proc")
        fused, plain = r.get("fused"), r.get("torch")
        case = "RK4, T = 0" if method == "rk4" else "Heun, 300 K"
        lines.append(f"| {case} | {dtype} | {batch:,} | {_fmt(fused)} | {_fmt(plain)} | {_fmt(c1)} | {_fmt(c2)} | "
                     f"{_ratio(fused, c1)} | {_ratio(fused, c2)} | {_ratio(plain, c1)} |")
    meta = result["meta"]
    mem = result.get("memory")
    text = "\n".join(lines)
    text += ("\n\nMillions of junction-steps per second (M/s); cmtj integrates float64 only, so float32 rows "
             "compare with its float64 numbers.")
    if mem:
        text += (f"\n\nMemory case: {mem['batch']:,} junctions x {mem['steps']} RK4 steps (fused, float64, only the "
                 f"end state stored): {_fmt(mem['rate'])} M/s, peak RSS {mem['peak_rss_bytes'] / 2**20:.0f} MiB "
                 f"({(mem['peak_minus_baseline_bytes']) / 2**20:.0f} MiB above the process baseline; the state is "
                 f"{mem['state_bytes'] / 2**20:.0f} MiB, a stored trajectory would be "
                 f"{mem['full_trajectory_would_be_bytes'] / 2**30:.1f} GiB).")
    text += (f"\n\nMeasured {meta['timestamp']} on {meta['cpu']} ({meta['cores']} cores, {meta['threads']} torch "
             f"threads), load average {', '.join(f'{x:.2f}' for x in meta['loadavg_start'])} at the start and "
             f"{', '.join(f'{x:.2f}' for x in meta['loadavg_end'])} at the end; torch {meta['torch']}, numba "
             f"{meta['numba']}, cmtj {meta['cmtj']}{' (--quick)' if meta['quick'] else ''}; best of "
             f"{meta.get('rounds', 1)} interleaved rounds per case.")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases and shorter runs (< 1 min)")
    parser.add_argument("--rounds", type=int, default=3, help="measure every case this many times, keep the best")
    parser.add_argument("--memory-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds {args.rounds}: allowed: 1 or more")
    if args.memory_child:
        _memory_child(*args.memory_child)
        return

    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    quick = args.quick
    batches = (1, 10_000) if quick else (1, 1_000, 10_000, 100_000)
    target_s = 0.2 if quick else 0.6
    load_start = os.getloadavg()
    started = time.perf_counter()
    result = {"meta": {}, "junction": {}, "cmtj": [], "mtjnn": [], "memory": None}

    try:
        import cmtj  # noqa: F401

        have_cmtj = True
    except ImportError:
        have_cmtj = False
        print("cmtj is not installed: only mtjnn is measured (pip install cmtj)")
    # Rounds: every case is measured once per round and its best round is kept, with cmtj and mtjnn
    # interleaved, so a slow spell of a shared machine cannot bias the ratios one way.
    best_cmtj: dict = {}
    best_mtjnn: dict = {}
    pool = mp.get_context("spawn").Pool(2) if have_cmtj and threads >= 2 else None
    try:
        for rnd in range(args.rounds):
            print(f"round {rnd + 1} of {args.rounds}")
            for thermal in (False, True) if have_cmtj else ():
                c = measure_cmtj(thermal, target_s, pool)
                old = best_cmtj.setdefault(c["method"], c)
                old.update({k: max(old[k], c[k]) for k in ("rate_1proc", "rate_2proc")})
                print(f"  cmtj {c['method']}: {_fmt(c['rate_1proc'])} M/s (1 process), "
                      f"{_fmt(c['rate_2proc'])} M/s (2 processes)")
            for method in ("rk4", "heun"):
                for dtype in (torch.float64, torch.float32):
                    for batch in batches:
                        for backend in ("fused", "torch"):
                            if quick and (dtype == torch.float32 and backend == "torch"):
                                continue
                            r = measure_mtjnn(backend, method, dtype, batch, target_s)
                            key = (backend, method, r["dtype"], batch)
                            if key not in best_mtjnn or r["rate"] > best_mtjnn[key]["rate"]:
                                best_mtjnn[key] = r
                            print(f"  mtjnn {backend:5s} {method} {r['dtype']} batch {batch:>7,}: "
                                  f"{_fmt(r['rate'])} M/s ({r['steps']} steps)")
    finally:
        if pool is not None:
            pool.close()
    result["cmtj"] = list(best_cmtj.values())
    result["mtjnn"] = list(best_mtjnn.values())

    result["memory"] = measure_memory(1_000_000, 20 if quick else 100)
    mem = result["memory"]
    print(f"memory: batch {mem['batch']:,}: {_fmt(mem['rate'])} M/s, peak RSS {mem['peak_rss_bytes'] / 2**20:.0f} MiB")

    params, _ = mtjnn_junction(0.0)
    result["junction"] = {
        "size_m": SIZE, "ms_A_per_m": MS, "alpha": ALPHA, "demag": list(map(float, params.demag)),
        "polarization": POLARIZATION, "current_density_A_per_m2": CURRENT_DENSITY, "field_A_per_m": FIELD_A_PER_M,
        "dt_s": DT, "thermal_temperature_K": 300.0,
    }
    result["meta"] = {
        "timestamp": _dt.datetime.now().isoformat(timespec="seconds"), "quick": quick, "cpu": cpu_name(),
        "cores": os.cpu_count(), "threads": threads, "python": platform.python_version(), "torch": torch.__version__,
        "numba": version("numba"), "numpy": np.__version__, "cmtj": version("cmtj") if have_cmtj else "absent",
        "git_commit": git_commit(), "omp_env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")},
        "loadavg_start": load_start, "loadavg_end": os.getloadavg(), "rounds": args.rounds,
        "wall_s": round(time.perf_counter() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    print()
    print(table)
    write_section("llg_throughput", table, "## LLGS throughput (`llg_throughput.py`)")
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)} and {README.relative_to(HERE.parent)} "
          f"({result['meta']['wall_s']} s)")


if __name__ == "__main__":
    main()
