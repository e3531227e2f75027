"""Benchmark: train 100 initialisations of the XOR spike-timing network in one batched run vs one by one.

    OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1 .venv/bin/python benchmarks/xor_batched.py [--inits 100] [--init broad] [--torch-epochs 1]

Fused path (numba forward + forward-mode sensitivities): the full training of ``--inits`` networks batched,
then the same networks (same initial weights, same pattern order) trained one at a time; the results must
agree network by network. Reference path (torch autograd through the RK4 simulation): the wall time of
``--torch-epochs`` epochs for the whole batch and for one network, extrapolated to one-by-one.
Writes results/xor_benchmark/<stamp>/metrics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch

from mtjnn.nn.spike_timing import SpikeTimingConfig
from mtjnn.nn.xor_training import TrainConfig, XorTask, init_weights, train_xor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inits", type=int, default=100)
    parser.add_argument("--init", default="broad", help="named initialisation: broad or favourable")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--torch-epochs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("results"))
    args = parser.parse_args()
    config, train, task = SpikeTimingConfig(), TrainConfig(init=args.init), XorTask()
    n = args.inits

    gen = torch.Generator().manual_seed(args.seed)
    train_xor(2, config, train, task, generator=torch.Generator().manual_seed(99))  # JIT warm-up
    t0 = time.perf_counter()
    batched = train_xor(n, config, train, task, generator=gen)
    t_batched = time.perf_counter() - t0

    t0 = time.perf_counter()
    single = []
    for k in range(n):
        init = (batched.wh0[k : k + 1], batched.wo0[k : k + 1])
        single.append(train_xor(1, config, train, task, generator=torch.Generator().manual_seed(args.seed), init=init))
    t_single = time.perf_counter() - t0
    conv_single = torch.cat([r.epochs_to_converge for r in single])
    same = bool(torch.equal(conv_single, batched.epochs_to_converge))

    # reference (autograd) path: epochs for the batch and for one network
    ref_train = TrainConfig(**{**train.__dict__, "epochs": args.torch_epochs, "stop_when_converged": False})
    t0 = time.perf_counter()
    train_xor(n, config, ref_train, task, generator=torch.Generator().manual_seed(args.seed), backend="torch")
    t_ref_batch = time.perf_counter() - t0
    wh0, wo0 = init_weights(1, config, train, torch.Generator().manual_seed(1))
    t0 = time.perf_counter()
    train_xor(1, config, ref_train, task, generator=torch.Generator().manual_seed(args.seed), init=(wh0, wo0), backend="torch")
    t_ref_one = time.perf_counter() - t0

    conv = batched.epochs_to_converge
    ok = (conv >= 0) & (conv <= 30)
    metrics = {
        "inits": n,
        "init": train.init,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} logical CPUs, torch {torch.__version__}",
        "threads": {"OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"), "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS")},
        "fused_batched_wall_s": t_batched,
        "fused_one_by_one_wall_s": t_single,
        "fused_speedup_batched": t_single / t_batched,
        "one_by_one_identical_results": same,
        "converged_within_30_epochs": float(ok.double().mean()),
        "epochs_to_converge": conv.tolist(),
        "reference_epochs_timed": args.torch_epochs,
        "reference_batched_wall_s": t_ref_batch,
        "reference_one_network_wall_s": t_ref_one,
        "reference_speedup_batched_extrapolated": n * t_ref_one / t_ref_batch,
    }
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = args.out / "xor_benchmark" / stamp
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"XOR training, {n} random initialisations ({train.init}), 30 epochs max ({metrics['machine']})")
    print(f"  fused, batched     : {t_batched:8.2f} s   ({ok.sum()}/{n} converged within 30 epochs)")
    print(f"  fused, one by one  : {t_single:8.2f} s   -> batched is {t_single / t_batched:.1f}x faster; identical results: {same}")
    print(f"  autograd reference : {t_ref_batch:8.2f} s for {args.torch_epochs} epoch(s) of all {n}; one network {t_ref_one:.2f} s "
          f"-> batched ~{n * t_ref_one / t_ref_batch:.0f}x faster than one by one")
    print(f"  results: {out}")


if __name__ == "__main__":
    main()
