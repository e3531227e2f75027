"""Thermal LLGS throughput, side by side: mtjnn's counter-based noise (Philox in the fused kernel), mtjnn's
bulk torch-generator noise (the previous path) and cmtj, in one run.

    python benchmarks/thermal_noise.py             # ~2-3 min
    python benchmarks/thermal_noise.py --quick     # < 1 min

The junction, drive and step of ``llg_throughput.py`` (in-plane ellipse, stochastic Heun, dt = 1 ps,
300 K, float64 unless noted), parameters mapped onto cmtj's conventions as there. mtjnn: one
``simulate(..., backend="fused")`` call of ``--batch`` junctions (default 10^4), with
``noise_source="philox"`` (default) and ``noise_source="generator"``, on one torch thread and on all
cores; cmtj: one junction per ``runSimulation`` call, one process, and a pool of two processes.
Every case is measured once per round (cmtj and mtjnn interleaved) and its best round kept, as in
``llg_throughput.py``. Writes ``benchmarks/results/thermal_noise.json`` and the README section.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import multiprocessing as mp
import os
import time
from pathlib import Path

import torch
from _report import cpu_name, git_commit, version, write_section
from llg_throughput import _fmt, measure_cmtj, measure_mtjnn

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "thermal_noise.json"
SOURCES = ("philox", "generator")


def _cases(cores: int, quick: bool) -> list[tuple[str, torch.dtype, int]]:
    """(noise source, dtype, torch threads) of every mtjnn case."""
    threads = sorted({1, cores})
    dtypes = (torch.float64,) if quick else (torch.float64, torch.float32)
    return [(src, dt, th) for dt in dtypes for th in threads for src in SOURCES]


def markdown(result: dict) -> str:
    cm = result["cmtj"]
    c1, c2 = cm.get("rate_1proc"), cm.get("rate_2proc")
    lines = ["| noise | dtype | torch threads | mtjnn fused (M/s) | / cmtj 1 proc | / cmtj 2 procs |",
             "|---|---|---:|---:|---:|---:|"]
    for r in result["mtjnn"]:
        ratio1 = f"{r['rate'] / c1:.0f}x" if c1 else "–"
        ratio2 = f"{r['rate'] / c2:.0f}x" if c2 else "–"
        lines.append(f"| {r['noise_source']} | {r['dtype']} | {r['threads']} | {_fmt(r['rate'])} | {ratio1} | {ratio2} |")
    meta = result["meta"]
    return "\n".join(lines) + (
        f"\n\nStochastic Heun, 300 K, dt = 1 ps, batch {meta['batch']:,}; cmtj {meta['cmtj']} (float64, one junction "
        f"per call): {_fmt(c1)} M/s in one process, {_fmt(c2)} M/s in two. Measured {meta['timestamp']} on "
        f"{meta['cpu']} ({meta['cores']} cores), load average {', '.join(f'{x:.2f}' for x in meta['loadavg_start'])} at "
        f"the start and {', '.join(f'{x:.2f}' for x in meta['loadavg_end'])} at the end; best of {meta['rounds']} "
        f"interleaved rounds{' (--quick)' if meta['quick'] else ''}; commit {meta['git_commit']}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="float64 only, shorter runs, 2 rounds")
    parser.add_argument("--rounds", type=int, default=3, help="measure every case this many times, keep the best")
    parser.add_argument("--batch", type=int, default=10_000, help="mtjnn junctions per simulate call")
    args = parser.parse_args()
    if args.rounds < 1 or args.batch < 1:
        parser.error("--rounds and --batch: allowed: 1 or more")
    rounds = min(args.rounds, 2) if args.quick else args.rounds
    target_s = 0.3 if args.quick else 0.8
    cores = os.cpu_count() or 1
    load_start = os.getloadavg()
    started = time.perf_counter()
    try:
        import cmtj  # noqa: F401

        have_cmtj = True
    except ImportError:
        have_cmtj = False
        print("cmtj is not installed: only mtjnn is measured (pip install cmtj)")
    pool = mp.get_context("spawn").Pool(2) if have_cmtj and cores >= 2 else None
    best_cmtj: dict = {"rate_1proc": 0.0, "rate_2proc": 0.0}
    best: dict = {}
    try:
        for rnd in range(rounds):
            print(f"round {rnd + 1} of {rounds}")
            if have_cmtj:
                c = measure_cmtj(True, target_s, pool)
                best_cmtj = {k: max(best_cmtj[k], c[k]) for k in best_cmtj}
                print(f"  cmtj heun: {_fmt(c['rate_1proc'])} M/s (1 process), {_fmt(c['rate_2proc'])} M/s (2 processes)")
            for src, dtype, threads in _cases(cores, args.quick):
                torch.set_num_threads(threads)
                r = measure_mtjnn("fused", "heun", dtype, args.batch, target_s, noise_source=src)
                r["threads"] = threads
                key = (src, r["dtype"], threads)
                if key not in best or r["rate"] > best[key]["rate"]:
                    best[key] = r
                print(f"  mtjnn fused heun {r['dtype']} {src:9s} {threads} thread(s): {_fmt(r['rate'])} M/s")
    finally:
        if pool is not None:
            pool.close()
    result = {
        "cmtj": best_cmtj if have_cmtj else {},
        "mtjnn": list(best.values()),
        "meta": {"timestamp": _dt.datetime.now().isoformat(timespec="seconds"), "quick": args.quick, "batch": args.batch,
                 "cpu": cpu_name(), "cores": cores, "rounds": rounds, "torch": torch.__version__,
                 "numba": version("numba"), "cmtj": version("cmtj") if have_cmtj else "absent",
                 "git_commit": git_commit(), "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
                 "wall_s": round(time.perf_counter() - started, 1)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    print()
    print(table)
    write_section("thermal_noise", table, "## Thermal noise: counter-based vs bulk generator vs cmtj (`thermal_noise.py`)")


if __name__ == "__main__":
    main()
