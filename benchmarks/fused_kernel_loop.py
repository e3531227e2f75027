"""What bounds the fused RK4 loop: the compiled loop under llvm-mca, the core clock, and the kernel's own speed.

    python benchmarks/fused_kernel_loop.py [--reps 10] [--no-write]

Three measurements, for the shared-parameter (uniform) RK4 step of ``physics/fused_kernel.py``:

* **compiled loop** (needs ``llvm-mca`` on PATH): the kernel is compiled afresh in a child process with
  an empty numba cache (cached code cannot be inspected), the four-lane loop of ``_rk4_uniform`` (the
  largest loop of its assembly) is cut out and given to ``llvm-mca -mcpu=<host CPU>``. Reported per
  dtype: vector width, junctions per loop iteration (from the stores to the block's state rows: 3 values
  per junction), multiply-class instructions (FMA, MUL) per junction-step and llvm-mca's cycles per
  junction-step;
* **clock**: a dependent chain of floating-point additions (3 cycles latency each on AMD Zen 3,
  ``--add-latency``) gives the core clock;
* **kernel speed**: ``fused.fused_chunk`` called directly (no ``simulate`` around it) on 10 000 junctions,
  2048 steps, float64 and float32, 1 and 2 threads, ``--reps`` timed calls each: best and median.

Writes ``benchmarks/results/fused_kernel_loop.json`` and its section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "fused_kernel_loop.json"
BATCH, STEPS = 10_000, 2048
HEADING = ("## The fused RK4 loop (`fused_kernel_loop.py`)\n\n```\npython benchmarks/fused_kernel_loop.py\n```\n\n"
           "The compiled four-lane RK4 loop under llvm-mca, the core clock, and `fused_chunk` called directly "
           "(10 000 junctions of the throughput benchmark, 2048 steps).")


def _chunk_args(dtype):
    """Arguments of one ``fused_chunk`` call on the throughput benchmark's junction."""
    import torch

    import llg_throughput as lt

    params, drive = lt.mtjnn_junction(0.0)
    m0 = torch.tensor(lt.M0, dtype=dtype).expand(BATCH, 3).contiguous()
    m0 = m0 / m0.norm(dim=-1, keepdim=True)
    p = params.resolve(BATCH, dtype, m0.device)
    cur = torch.full((1, 1), float(drive.current), dtype=dtype)
    fld = torch.tensor(drive.field, dtype=dtype).reshape(1, 1, 3)
    sw = torch.full((BATCH,), float("nan"), dtype=dtype)
    return m0, p, cur, fld, lt.DT, sw


def _run_chunk(args, steps: int) -> None:
    from mtjnn.physics import fused

    m0, p, cur, fld, dt, sw = args
    fused.fused_chunk(m0, p, cur, fld, None, 0, dt, steps, "rk4", steps, None, sw, True)


def _loop_child() -> None:
    """In a fresh process with an empty numba cache: print JSON describing the compiled four-lane loop."""
    import torch
    from llvmlite import binding

    from mtjnn.physics import fused_kernel

    cpu = binding.get_host_cpu_name()
    out = {"cpu": cpu}
    for dtype in (torch.float64, torch.float32):
        _run_chunk(_chunk_args(dtype), 4)
        sig = [s for s in fused_kernel._rk4_uniform.signatures if str(s[0].dtype) == str(dtype).replace("torch.", "")][0]
        lines = fused_kernel._rk4_uniform.inspect_asm(sig).splitlines()
        labels = {line.rstrip(":"): i for i, line in enumerate(lines) if re.match(r"^\.LBB\S+:$", line)}
        body: list[str] = []
        for i, line in enumerate(lines):  # a loop = a label and a later jump back to it; keep the largest
            m = re.match(r"^\s+j\w+\s+(\.LBB\S+)$", line)
            if m and labels.get(m.group(1), i) < i:
                cand = [x for x in lines[labels[m.group(1)] + 1:i + 1] if not x.strip().startswith(".")]
                body = cand if len(cand) > len(body) else body
        wide = sum("ymm" in x for x in body) > sum("xmm" in x for x in body)
        width_bits = 256 if wide else 128
        per_value = 8 if dtype == torch.float64 else 4
        # stores to the block rows (not to the stack): each writes width_bits / 8 / per_value state values
        stores = [x for x in body if re.match(r"\s+vmov\w*p[sd]\s+%[xy]mm\d+, -?\d*\(%r(?!sp)", x)]
        junctions = len(stores) * (width_bits // 8 // per_value) / 3
        mults = sum(1 for x in body if re.match(r"\s+v(fn?m(add|sub)\d+|mul)p[sd]", x))
        with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
            f.write("\n".join(body) + "\n")
        mca = subprocess.run(["llvm-mca", f"-mcpu={cpu}", "-iterations=300", f.name], capture_output=True, text=True).stdout
        os.unlink(f.name)
        cycles = int(re.search(r"Total Cycles:\s+(\d+)", mca).group(1)) / 300
        out[str(dtype).replace("torch.", "")] = {
            "instructions": len(body), "vector_bits": width_bits, "junctions_per_iteration": junctions,
            "multiply_class_per_junction_step": mults * (width_bits // 8 // per_value) / junctions,
            "llvm_mca_cycles_per_iteration": cycles, "llvm_mca_cycles_per_junction_step": cycles / junctions,
        }
    print(json.dumps(out))


def compiled_loop() -> dict | None:
    """The child's JSON, or None without llvm-mca."""
    if shutil.which("llvm-mca") is None:
        print("llvm-mca not found: the compiled-loop analysis is skipped")
        return None
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, __file__, "--loop-child"], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def clock_hz(latency_cycles: float) -> float:
    """Core clock from a dependent chain of float additions (best of 3 runs of 3e8 additions)."""
    from numba import njit

    @njit
    def chain(n, a):
        x = 0.0
        for _ in range(n):
            x = x + a
        return x

    chain(10, 1.0)
    n, best = 300_000_000, float("inf")
    for _ in range(3):
        start = time.perf_counter()
        chain(n, 1.0)
        best = min(best, time.perf_counter() - start)
    return latency_cycles * n / best


def kernel_speed(reps: int) -> dict:
    """Junction-steps per second of ``fused_chunk`` alone: best and median of ``reps`` calls."""
    import torch

    out = {}
    before = torch.get_num_threads()
    try:
        for dtype in (torch.float64, torch.float32):
            args = _chunk_args(dtype)
            _run_chunk(args, 4)
            for threads in (1, 2):
                torch.set_num_threads(threads)
                rates = []
                for _ in range(reps):
                    start = time.perf_counter()
                    _run_chunk(args, STEPS)
                    rates.append(BATCH * STEPS / (time.perf_counter() - start))
                out[f"{str(dtype).replace('torch.', '')}_{threads}_threads"] = {"best": max(rates), "median": statistics.median(rates)}
    finally:
        torch.set_num_threads(before)
    return out


def markdown(r: dict) -> str:
    rows = []
    loop = r.get("loop")
    if loop:
        rows += ["| dtype | vector width | junctions per iteration | multiply-class instructions per junction-step "
                 "| llvm-mca cycles per junction-step | = M/s per core at the measured clock |",
                 "|---|---:|---:|---:|---:|---:|"]
        for dt in ("float64", "float32"):
            d = loop[dt]
            rows.append(f"| {dt} | {d['vector_bits']} bit | {d['junctions_per_iteration']:.0f} | "
                        f"{d['multiply_class_per_junction_step']:.0f} | {d['llvm_mca_cycles_per_junction_step']:.1f} | "
                        f"{r['clock_hz'] / d['llvm_mca_cycles_per_junction_step'] / 1e6:.0f} |")
        rows.append("")
    rows += ["| `fused_chunk` alone | 1 thread best / median (M/s) | 2 threads best / median (M/s) |", "|---|---:|---:|"]
    for dt in ("float64", "float32"):
        one, two = r["kernel"][f"{dt}_1_threads"], r["kernel"][f"{dt}_2_threads"]
        rows.append(f"| {dt} | {one['best'] / 1e6:.0f} / {one['median'] / 1e6:.0f} | {two['best'] / 1e6:.0f} / {two['median'] / 1e6:.0f} |")
    rows.append(f"\nClock from the add chain: {r['clock_hz'] / 1e9:.2f} GHz ({r['add_latency']:g}-cycle add latency assumed); "
                f"CPU {r.get('loop', {}).get('cpu', '?') if loop else '?'}; {r['reps']} calls per case; measured {r['timestamp']}, "
                f"load average {r['loadavg'][0]:.2f}.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="timed calls per case")
    parser.add_argument("--add-latency", type=float, default=3.0, help="cycles of a dependent float add")
    parser.add_argument("--no-write", action="store_true", help="only print (no JSON, no README update)")
    parser.add_argument("--loop-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loop_child:
        _loop_child()
        return
    if args.reps < 1:
        parser.error(f"--reps {args.reps}: allowed: 1 or more")
    result = {"timestamp": _dt.datetime.now().isoformat(timespec="seconds"), "loadavg": os.getloadavg(), "reps": args.reps,
              "add_latency": args.add_latency, "loop": compiled_loop(), "clock_hz": clock_hz(args.add_latency),
              "kernel": kernel_speed(args.reps)}
    table = markdown(result)
    print(table)
    if not args.no_write:
        from _report import write_section

        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        write_section("fused_kernel_loop", table, HEADING)
        print(f"wrote {RESULTS.relative_to(HERE.parent)} and benchmarks/README.md")


if __name__ == "__main__":
    main()
