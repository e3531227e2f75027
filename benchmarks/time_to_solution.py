"""Time to solution at equal accuracy: wall time to a 5 ns trajectory with max |dm| <= tol, mtjnn vs cmtj.

    python benchmarks/time_to_solution.py --quick               # smoke check, < 1 min (50 junctions, tol 1e-5)
    python benchmarks/time_to_solution.py                        # 1000 junctions
    python benchmarks/time_to_solution.py --junctions 10000      # the issue's target (cmtj on 1000 of them)

Random ``mtjnn.interop.CmtjJunction``s (in-plane and perpendicular, random size, Ms, K, damping, P, Lambda in
[1, 3], beta != 0, small bias field, 2-6 degrees off P or AP, a constant current 1.5-3.5 x the closed-form
critical current; T = 0, float64) run in cmtj one by one (``interop.build_cmtj``) and in mtjnn as ONE batched
``Macrospin`` of (B,) parameters stacked from ``interop.to_mtjnn``. Error = max over junctions, components and
the samples k * 50 ps of |m - m_ref|, m_ref = fused RK4 at a fine step. Per engine (mtjnn fused RK4, mtjnn
rk45 and dop853 with ``--adaptive-backend`` and with torch, cmtj RK4) the cheapest setting of a ladder meeting ``--tol``
is searched, then timed (best of interleaved rounds; mtjnn on 1 thread and on all cores); cmtj runs on the
first ``--cmtj-junctions`` and its time is scaled to the batch. Writes
``benchmarks/results/time_to_solution.json`` and its section of benchmarks/README.md, which explains the
method in full.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from _report import cpu_name, git_commit, version, write_section

from mtjnn.constants import MU0
from mtjnn.interop import CmtjJunction, build_cmtj, to_mtjnn
from mtjnn.physics import DivergenceError, Drive, Macrospin, simulate
from mtjnn.physics import analytic
from mtjnn.physics.demag import ellipsoid_factors

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "time_to_solution.json"
F64 = torch.float64
DURATION, SAMPLE = 5e-9, 50e-12  # s
FIXED_LADDER = [SAMPLE / n for n in (10, 20, 25, 40, 50, 80, 100, 125, 200, 250, 400, 500, 625, 800, 1000, 1250,
                                      2000)]  # dt, s, each dividing the sample interval
RTOL_LADDER = [c * 10.0**-e for e in range(5, 14) for c in (3, 1)][1:]  # 1e-5, 3e-6, ..., 1e-13
RK45_DT0 = 1e-12  # initial step of the adaptive methods, s
ADAPTIVE_METHODS = ("rk45", "dop853")  # Dormand-Prince 5(4) and DOP853 (8th order)


# ------------------------------------------------------------------------------------------ junctions
def random_junctions(n: int, seed: int) -> list[CmtjJunction]:
    """``n`` random junctions (cmtj units): alternately in-plane and perpendicular, random start P or AP."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        in_plane, start_ap = i % 2 == 0, bool(rng.random() < 0.5)
        axis = np.array([1.0, 0.0, 0.0] if in_plane else [0.0, 0.0, 1.0])
        ms_t, damping = rng.uniform(0.9, 1.3), rng.uniform(0.01, 0.03)
        if in_plane:
            a = rng.uniform(70e-9, 140e-9)
            size = (a, a * rng.uniform(0.4, 0.7), rng.uniform(1.0e-9, 2.0e-9))
            k = rng.uniform(2e3, 8e3)
            h = (rng.uniform(-2e3, 2e3), rng.uniform(-1e3, 1e3), 0.0)
        else:
            d = rng.uniform(30e-9, 80e-9)
            size = (d, d, rng.uniform(0.8e-9, 1.5e-9))
            k = rng.uniform(0.75, 0.9) * ms_t**2 / MU0  # H_K = 2K/Ms ~ 1.5-1.8 Ms: perpendicular
            h = (rng.uniform(-1e3, 1e3), rng.uniform(-1e3, 1e3), rng.uniform(-5e3, 5e3))
        tilt, phi = math.radians(rng.uniform(2.0, 6.0)), rng.uniform(0, 2 * math.pi)
        side = np.cross(axis, [0.0, 1.0, 0.0] if not in_plane else [0.0, 0.0, 1.0])
        m0 = (-1 if start_ap else 1) * axis * math.cos(tilt) + math.sin(tilt) * (
            math.cos(phi) * side + math.sin(phi) * np.cross(axis, side))
        vec = lambda v: tuple(float(x) for x in v)  # noqa: E731
        j = CmtjJunction(Ms=float(ms_t), thickness=float(size[2]), area=math.pi * size[0] * size[1] / 4,
                         damping=float(damping), demag=vec(ellipsoid_factors(*size)), K=float(k), anis=vec(axis),
                         reference=vec(axis), polarisation=float(rng.uniform(0.4, 0.7)),
                         beta=float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.4)), Lambda=float(rng.uniform(1, 3)),
                         H=vec(h), m0=vec(m0))
        ic = critical_current(j, in_plane, start_ap)
        out.append(dataclasses.replace(j, J=(1 if start_ap else -1) * rng.uniform(1.5, 3.5) * ic / j.area))
    return out


def critical_current(j: CmtjJunction, in_plane: bool, start_ap: bool) -> float:
    """Closed-form T = 0 critical current (A) to leave the start state (Sun, with Slonczewski's Lambda)."""
    p, _ = to_mtjnn(j)
    nx, ny, nz = j.demag
    ms, hk, alpha = float(p.ms), float(p.anisotropy_field), float(p.alpha)
    eta = float(p.eta) * (1 + alpha * float(p.field_like))  # damping-like efficiency (Gilbert eta, xi)
    state = np.asarray(j.reference) * (-1 if start_ap else 1)
    b_along = MU0 * float(np.dot(j.H, state))  # a field along the start state stabilizes it
    volume = j.area * j.thickness
    if in_plane:
        ic0 = analytic.critical_current_in_plane(alpha, ms, volume, eta, b_along, hk + MU0 * ms * (ny - nx),
                                        MU0 * ms * (nz - nx))
    else:
        ic0 = analytic.critical_current_perpendicular(alpha, ms, volume, eta, hk - MU0 * ms * (nz - nx) + b_along)
    return analytic.critical_current_asymmetric(ic0, eta, "AP" if start_ap else "P", j.Lambda)


def batch_of(junctions: list[CmtjJunction]) -> tuple[Macrospin, Drive, torch.Tensor]:
    """ONE batched (Macrospin, Drive, m0): every parameter of ``to_mtjnn`` stacked into a (B,) / (B, 3) tensor."""
    pairs = [to_mtjnn(j) for j in junctions]
    stack = lambda values: torch.tensor(np.array([np.asarray(v, dtype=float) for v in values]), dtype=F64)  # noqa: E731
    names = [f.name for f in dataclasses.fields(Macrospin) if f.name != "spin_torque_angular"]
    params = Macrospin(**{name: stack(getattr(p, name) for p, _ in pairs) for name in names})
    drive = Drive(current=stack(d.current for _, d in pairs), field=stack(d.field for _, d in pairs))
    return params, drive, torch.tensor([j.m0 for j in junctions], dtype=F64)


def check_batch(junctions: list[CmtjJunction], params: Macrospin, drive: Drive, m0: torch.Tensor, k: int = 4) -> float:
    """max |dm| between the batched run and per-junction ``to_mtjnn`` runs of the first ``k`` junctions (RK4, 1 ps)."""
    kw = {"duration": 1e-9, "dt": 1e-12, "sample_every": SAMPLE, "backend": "fused"}
    batched = simulate(m0, params, drive, **kw).m
    return max(float((simulate(m0[i:i + 1], *to_mtjnn(j), **kw).m[:, 0] - batched[:, i]).abs().max())
               for i, j in enumerate(junctions[:k]))


# ---------------------------------------------------------------------------------------------- runs
def run_mtjnn(batch, method: str, backend: str, dt: float, tol: float | None = None):
    """(samples (S, B, 3) at k * SAMPLE, trajectory) of one ``simulate`` call; tol: the adaptive rtol = atol."""
    params, drive, m0 = batch
    kw = {} if tol is None else {"rtol": tol, "atol": tol}
    traj = simulate(m0, params, drive, duration=DURATION, dt=dt, method=method, backend=backend, sample_every=SAMPLE,
                    dt_check="off", **kw)
    expected = SAMPLE * np.arange(round(DURATION / SAMPLE) + 1)
    assert np.allclose(traj.times.numpy(), expected, rtol=0, atol=1e-6 * SAMPLE), "samples off the 50 ps grid"
    return traj.m.numpy(), traj


def run_cmtj(junction: CmtjJunction, dt: float, dense: bool) -> np.ndarray | float:
    """cmtj RK4 of one junction. dense: m at k * SAMPLE (k = 0..100), logging every step (row i = m((i+1) dt));
    else: the wall time (s) of ``runSimulation`` logging every SAMPLE + ``getLog`` (the timed run)."""
    import cmtj

    jc = build_cmtj(junction)
    start = time.perf_counter()
    jc.runSimulation(DURATION, dt, dt if dense else SAMPLE, solverMode=cmtj.RK4)
    log = jc.getLog()
    if not dense:
        return time.perf_counter() - start
    t = np.asarray(log["time"])
    want = SAMPLE * np.arange(1, round(DURATION / SAMPLE) + 1) - dt  # logged under i dt: m((i + 1) dt)
    rows = np.searchsorted(t, want - dt / 4)
    assert np.allclose(t[rows], want, rtol=0, atol=dt / 4), f"cmtj log misses sample times (dt = {dt})"
    m = np.stack([np.asarray(log[f"free_m{c}"])[rows] for c in "xyz"], -1)
    return np.concatenate([np.asarray(junction.m0)[None], m])


def error(samples: np.ndarray, ref: np.ndarray, judged: np.ndarray) -> float:
    """max over samples, ``judged`` junctions (bool (B,)) and components of |m - m_ref| (non-finite: inf)."""
    e = float(np.abs(samples[:, judged] - ref[:, judged]).max(initial=0.0))
    return e if math.isfinite(e) else math.inf


# -------------------------------------------------------------------------------------------- search
def engines(adaptive_backend: str, n: int, torch_rk45_max: int, have_cmtj: bool) -> list[dict]:
    """What is searched and timed: mtjnn fixed RK4, adaptive rk45 and dop853 (``adaptive_backend``, then torch), cmtj RK4."""
    out = [{"name": "fixed", "label": "mtjnn fused RK4", "method": "rk4", "backend": "fused", "param": "dt",
            "ladder": FIXED_LADDER, "pilot": SAMPLE / 100, "order": 4.0}]
    for method in ADAPTIVE_METHODS:
        for backend in dict.fromkeys([adaptive_backend, "torch"]):
            if backend == "torch" and n > torch_rk45_max:
                print(f"torch {method} skipped: {n} junctions > --torch-rk45-max {torch_rk45_max}")
            elif backend == "torch" or adaptive_available(backend, method):
                out.append({"name": f"{method}-{backend}", "label": f"mtjnn {backend} {method}", "method": method,
                            "backend": backend, "param": "rtol", "ladder": RTOL_LADDER, "pilot": 1e-8,
                            "order": 1.0})
    if have_cmtj:  # its pilot: mtjnn's fixed dt (the same RK4), set once that is known
        out.append({"name": "cmtj", "label": "cmtj RK4, 1 process", "param": "dt", "ladder": FIXED_LADDER,
                    "order": 4.0})
    return out


def adaptive_available(backend: str, method: str) -> bool:
    """Does ``simulate(method=method, backend=backend)`` run with per-junction steps (``junction_steps``)?"""
    try:
        traj = run_mtjnn(batch_of(random_junctions(2, 0)), method, backend, RK45_DT0, 1e-6)[1]
        why = None if getattr(traj, "junction_steps", None) is not None else "no junction_steps (batch-wide path)"
    except (ValueError, NotImplementedError) as exc:
        why = str(exc)
    if why:
        print(f"{method} with backend {backend!r} not measured: {why}")
    return why is None


def run(engine: dict, value: float, batch, cmtj_set, dense: bool = True):
    """One run of ``engine`` at its setting ``value``: mtjnn: (samples, trajectory); cmtj: samples (S, K, 3)
    (dense) or its wall time (s)."""
    if engine["name"] == "cmtj":
        out = [run_cmtj(j, value, dense) for j in cmtj_set]
        return np.stack(out, 1) if dense else sum(out)
    dt, tol = (value, None) if engine["param"] == "dt" else (RK45_DT0, value)
    return run_mtjnn(batch, engine["method"], engine["backend"], dt, tol)


def shown(engine: dict, value: float, name: bool = True) -> str:
    """A ladder setting as text: "dt = 0.1 ps" / "rtol = atol = 1e-08" (``name=False``: "0.1 ps" / "1e-08")."""
    if engine["param"] == "dt":
        return f"{'dt = ' * name}{value * 1e12:.4g} ps"
    return f"{'rtol = atol = ' * name}{value:g}"


def search(engine: dict, batch, ref, judged, cmtj_set, tol: float) -> dict:
    """The cheapest rung of the engine's ladder meeting ``tol``: run its pilot, predict the rung from
    error ~ setting^order, then walk: loosen while passing, tighten while failing, so the next looser rung
    (when the ladder has one) is measured failing. Returns the engine with its setting, error and steps."""
    ladder, tried, runs = engine["ladder"], {}, {}
    if engine["name"] == "cmtj":
        ref, judged = ref[:, :len(cmtj_set)], judged[:len(cmtj_set)]

    def err(i: int) -> float:
        if i not in tried:
            start = time.perf_counter()
            try:
                out = run(engine, ladder[i], batch, cmtj_set)
                samples, runs[i] = out if isinstance(out, tuple) else (out, None)
                tried[i] = error(samples, ref, judged)
            except DivergenceError:
                tried[i], runs[i] = math.inf, None
            print(f"  {engine['label']}, {shown(engine, ladder[i])}: error {tried[i]:.3g} "
                  f"({time.perf_counter() - start:.1f} s)")
        return tried[i]

    pilot = ladder.index(engine["pilot"])
    e0 = err(pilot)
    if 0 < e0 < math.inf:
        guess = engine["pilot"] * (0.8 * tol / e0) ** (1 / engine["order"])
        i = next((r for r, v in enumerate(ladder) if v <= guess * (1 + 1e-9)), len(ladder) - 1)
    else:  # exact: from the top; diverged: two rungs tighter
        i = 0 if e0 == 0 else min(pilot + 2, len(ladder) - 1)
    passing = err(i) <= tol
    step = -1 if passing else 1
    while 0 <= i + step < len(ladder) and (err(i) <= tol) == passing:
        i += step
    ok = i if err(i) <= tol else (i + 1 if passing else None)
    if ok is None:
        raise RuntimeError(f"{engine['label']}: no {engine['param']} down to {ladder[-1]:g} meets tol {tol:g}")
    traj, looser = runs[ok], (ok - 1 if ok - 1 in tried else None)
    per = getattr(traj, "junction_steps", None)
    mean, most = (None, None) if per is None else (float(per.double().mean()), int(per.max()))
    steps = f"{round(DURATION / ladder[ok]):,}" if engine["param"] == "dt" else (
        f"{traj.steps:,} (batch-wide)" if per is None else f"mean {mean:,.0f}, max {most:,}")
    setting = shown(engine, ladder[ok])
    if looser is not None:
        setting += f" ({shown(engine, ladder[looser], False)}: {tried[looser]:.2g})"
    return {**engine, "value": ladder[ok], "error": tried[ok], "setting": setting, "steps": steps,
            "looser": None if looser is None else ladder[looser], "looser_error": tried.get(looser),
            "batch_steps": getattr(traj, "steps", None), "junction_steps_mean": mean, "junction_steps_max": most}


def own_steps(batch, ref, judged, tol: float, common_dt: float) -> dict:
    """Fixed RK4 steps per junction if each junction had its own ladder dt (the largest meeting tol for it):
    what per-junction step sizes alone can save over the common ``common_dt`` (mean, max, median dt)."""
    best = np.full(len(judged), common_dt)
    for dt in FIXED_LADDER[:FIXED_LADDER.index(common_dt)][::-1]:  # looser rungs, tightest first
        e = np.abs(run_mtjnn(batch, "rk4", "fused", dt)[0] - ref).max(axis=(0, 2))
        best = np.where((e <= tol) & (best == FIXED_LADDER[FIXED_LADDER.index(dt) + 1]), dt, best)
    steps = DURATION / best[judged]
    return {"mean_steps": float(steps.mean()), "max_steps": float(steps.max()),
            "median_dt": float(np.percentile(best, 50, method="lower"))}


# ---------------------------------------------------------------------------------------------- timing
def time_engines(found: list[dict], batch, cmtj_set, rounds: int, cores: int) -> dict:
    """Best-of-``rounds`` wall times (s), interleaved: {('cmtj', 1): s for its junctions, (name, threads): s}."""
    best: dict = {}
    for rnd in range(rounds):
        for e in found:
            for threads in [1] if e["name"] == "cmtj" else sorted({1, cores}):
                torch.set_num_threads(threads)
                start = time.perf_counter()
                wall = run(e, e["value"], batch, cmtj_set, dense=False)
                wall = wall if e["name"] == "cmtj" else time.perf_counter() - start
                best[e["name"], threads] = min(best.get((e["name"], threads), math.inf), wall)
        torch.set_num_threads(cores)
        print(f"  round {rnd + 1}: " + ", ".join(f"{k[0]} ({k[1]} thr) {v:.3g} s" for k, v in best.items()))
    return best


# ---------------------------------------------------------------------------------------------- report
def rows(found: list[dict], times: dict, n: int, k: int, cores: int) -> list[dict]:
    """Table rows: cmtj first (its time scaled from k to n junctions), then each mtjnn engine per thread count."""
    out = []
    cmtj_s = times[("cmtj", 1)] * n / k if ("cmtj", 1) in times else None
    for e in found:
        keep = {key: v for key, v in e.items() if key not in ("ladder", "pilot", "order")}
        for threads in [1] if e["name"] == "cmtj" else sorted({1, cores}):
            wall = cmtj_s if e["name"] == "cmtj" else times[e["name"], threads]
            label = e["label"] + (f" (extrapolated from {k:,})" if k < n else "") if e["name"] == "cmtj" else \
                f"{e['label']}, {threads} thread{'s' if threads > 1 else ''}"
            out.append({**keep, "label": label, "threads": threads, "wall_s": wall,
                        "speedup": None if cmtj_s is None else cmtj_s / wall})
            if e["name"] == "cmtj":
                out[-1].update(junctions_run=k, wall_s_measured=times[("cmtj", 1)])
    return sorted(out, key=lambda r: r["name"] != "cmtj")


def markdown(result: dict) -> str:
    meta, ref, info = result["meta"], result["reference"], result["junctions"]
    lines = ["| engine | setting (next looser: its error) | steps per junction | error | wall time (s) "
             "| cmtj / engine |", "|---|---|---|---:|---:|---:|"]
    for e in result["engines"]:
        r = e["speedup"]
        ratio = "–" if not r else (f"{r:.0f}x" if r >= 10 else f"{r:.2g}x")
        lines.append(f"| {e['label']} | {e['setting']} | {e['steps']} | {e['error']:.2g} | {e['wall_s']:.3g} "
                     f"| {ratio} |")
    text = "\n".join(lines) + (
        f"\n\n{meta['junctions']:,} random junctions (seed {meta['seed']}; {info['in_plane']:,} in-plane, "
        f"{info['switched']:,} switch within 5 ns), 5 ns, T = 0, float64; error = max |m - m_ref| over junctions, "
        f"components and the 100 samples, tolerance {meta['tol']:g}; m_ref: mtjnn fused RK4 at dt = "
        f"{ref['dt'] * 1e12:g} ps, which differs from the run at twice that step by {ref['halving_difference']:.1g}"
        + (f" (junctions {ref['excluded_junctions']} excluded: their reference moves by more than tol / 10)"
           if ref["excluded_junctions"] else "") + ".")
    own = result["fixed_rk4_own_dt"]
    text += (f" With each junction's own largest ladder dt (median {own['median_dt'] * 1e12:.3g} ps), fixed RK4 "
             f"would take {own['mean_steps']:,.0f} steps per junction on average (max {own['max_steps']:,.0f}).")
    if meta["cmtj_junctions"] < meta["junctions"]:
        text += (f" cmtj was searched and timed on the first {meta['cmtj_junctions']:,} junctions and its time scaled "
                 f"linearly to {meta['junctions']:,} (extrapolated: cmtj integrates each junction in its own call).")
    text += (f"\n\nMeasured {meta['timestamp']} on {meta['cpu']} ({meta['cores']} cores, shared), load average "
             f"{', '.join(f'{x:.2f}' for x in meta['loadavg_start'])} at the start and "
             f"{', '.join(f'{x:.2f}' for x in meta['loadavg_end'])} at the end; torch {meta['torch']}, numba "
             f"{meta['numba']}, cmtj {meta['cmtj']}{' (--quick)' if meta['quick'] else ''}; best of {meta['rounds']} "
             "interleaved rounds.")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--junctions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tol", type=float, default=1e-6, help="max |dm| allowed against the reference")
    parser.add_argument("--ref-dt", type=float, default=SAMPLE / 4000, help="reference RK4 step, s (checked at half)")
    parser.add_argument("--cmtj-junctions", type=int, default=1000, help="search/time cmtj on the first K junctions")
    parser.add_argument("--adaptive-backend", default="fused", help="backend of the adaptive row ('fused' or 'torch')")
    parser.add_argument("--torch-rk45-max", type=int, default=200, help="skip the torch adaptive methods above this many junctions")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="smoke check: 50 junctions, tol 1e-5, coarser reference, "
                        "1 round (< 1 min)")
    args = parser.parse_args()
    if args.quick:
        args.junctions, args.tol, args.rounds = min(args.junctions, 50), max(args.tol, 1e-5), 1
        args.ref_dt = SAMPLE / 1000
    if args.junctions < 1 or args.rounds < 1 or args.cmtj_junctions < 1 or not args.tol > 0:
        parser.error("allowed: --junctions, --rounds, --cmtj-junctions >= 1 and --tol > 0")
    cores = os.cpu_count() or 1
    torch.set_num_threads(cores)
    load_start, started = os.getloadavg(), time.perf_counter()
    have_cmtj = version("cmtj") != "absent"
    if not have_cmtj:
        print("cmtj is not installed: only mtjnn is measured (pip install cmtj)")

    junctions = random_junctions(args.junctions, args.seed)
    batch = batch_of(junctions)
    batch_diff = check_batch(junctions, *batch)
    print(f"batched build vs per-junction to_mtjnn (4 junctions, 1 ns): max |dm| = {batch_diff:.2g}")
    assert batch_diff < 1e-12, "the batched Macrospin does not reproduce the per-junction junctions"
    ref_coarse = run_mtjnn(batch, "rk4", "fused", args.ref_dt)[0]
    ref = run_mtjnn(batch, "rk4", "fused", args.ref_dt / 2)[0]
    per_junction = np.abs(ref_coarse - ref).max(axis=(0, 2))
    judged = per_junction <= 0.1 * args.tol  # junctions whose reference is known well enough to judge tol
    halving = float(per_junction[judged].max(initial=0.0))
    print(f"reference: RK4 dt = {args.ref_dt * 1e12:g} ps vs dt/2: max |dm| = {halving:.2g}")
    if not judged.all():
        print(f"WARNING: junctions {np.flatnonzero(~judged).tolist()} excluded: their reference moves by more than "
              f"tol / 10 between dt and dt/2 (ill-conditioned, or lower --ref-dt)")
    axes = np.array([j.reference for j in junctions])  # switched: m.p changed sign between 0 and 5 ns
    flips = np.sign((ref[0] * axes).sum(-1)) != np.sign((ref[-1] * axes).sum(-1))
    print(f"{int(flips.sum())} of {len(junctions)} junctions switch within 5 ns")

    k = min(args.junctions, args.cmtj_junctions)
    cmtj_set, found = junctions[:k], []
    for e in engines(args.adaptive_backend, args.junctions, args.torch_rk45_max, have_cmtj):
        if e["name"] == "cmtj":
            e["pilot"] = found[0]["value"]
        found.append(search(e, batch, ref, judged, cmtj_set, args.tol))
    own = own_steps(batch, ref, judged, args.tol, found[0]["value"])
    print(f"fixed RK4 with each junction's own ladder dt: mean {own['mean_steps']:,.0f} steps per junction")
    print("timing")
    times = time_engines(found, batch, cmtj_set, args.rounds, cores)
    result = {
        "meta": {"timestamp": _dt.datetime.now().isoformat(timespec="seconds"), "quick": args.quick,
                 "junctions": args.junctions, "cmtj_junctions": k if have_cmtj else 0, "seed": args.seed,
                 "tol": args.tol, "error_norm": "max-abs per component", "rounds": args.rounds, "cpu": cpu_name(),
                 "cores": cores, "python": platform.python_version(), "torch": torch.__version__,
                 "numba": version("numba"), "numpy": np.__version__, "cmtj": version("cmtj") if have_cmtj else "absent",
                 "git_commit": git_commit(), "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
                 "wall_s": round(time.perf_counter() - started, 1)},
        "junctions": {"in_plane": sum(j.anis[0] == 1.0 for j in junctions), "switched": int(flips.sum()),
                      "batch_vs_per_junction_max_dm": batch_diff},
        "fixed_rk4_own_dt": own, "reference": {"dt": args.ref_dt / 2, "halving_difference": halving,
                      "excluded_junctions": np.flatnonzero(~judged).tolist()},
        "engines": rows(found, times, args.junctions, k, cores),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=float) + "\n")
    table = markdown(result)
    print("\n" + table)
    write_section("time_to_solution", table, "## Time to solution at equal accuracy (`time_to_solution.py`)")
    print(f"\nwrote {RESULTS.relative_to(HERE.parent)} ({result['meta']['wall_s']} s)")


if __name__ == "__main__":
    main()
