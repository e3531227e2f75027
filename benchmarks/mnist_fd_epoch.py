"""Seconds per MNIST epoch: finite-difference (device-in-the-loop) vs exact-gradient MTJ MLP vs tanh.

    MTJNN_DATA=../shared/data OMP_NUM_THREADS=1 python benchmarks/mnist_fd_epoch.py [--hidden 256] [--batches 0]

Runs the training step of ``mtjnn run mnist`` (Adam, batch 64, 5 % spread, 0.5 % read noise) for one
epoch per mode, interleaving the modes ``--repeats`` times and keeping each mode's fastest epoch (the
machine may be shared; the load average is recorded). ``--batches N`` times N batches and scales to a
full epoch. Target of issue #5: FD epoch <= 2 x exact-gradient epoch. Writes
``benchmarks/results/mnist_fd_epoch.json`` (one entry per network) and its section of ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from mtjnn.data.mnist import load_mnist
from mtjnn.experiments.activation_training import TrainConfig
from mtjnn.nn.analog_mlp import AnalogMLP
from _report import README, cpu_name, write_section

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "mnist_fd_epoch.json"
HEADING = (
    "## MNIST epoch, finite-difference vs exact gradients (`mnist_fd_epoch.py`)\n\n"
    "```\nMTJNN_DATA=../shared/data python benchmarks/mnist_fd_epoch.py --hidden 256\n"
    "MTJNN_DATA=../shared/data python benchmarks/mnist_fd_epoch.py --hidden 256,256,256,256\n```\n\n"
    "Seconds per training epoch of the MTJ-activation MLP of `mtjnn run mnist` with device-measured "
    "finite-difference derivatives (three batched reads per layer), with the exact derivative of each "
    "device, and of a tanh network of the same size (see docs/activation.md)."
)


def epoch_seconds(train: TrainConfig, x: torch.Tensor, y: torch.Tensor, batches: int) -> float:
    model = AnalogMLP(train.model_config(784, 10), torch.Generator().manual_seed(0))
    gen = torch.Generator().manual_seed(1)
    opt = torch.optim.Adam(model.parameters(), lr=train.lr)
    perm = torch.randperm(x.shape[0], generator=gen)
    n_batches = math.ceil(x.shape[0] / train.batch_size)
    todo = n_batches if batches <= 0 else min(batches, n_batches)
    start = time.perf_counter()
    for b in range(todo):
        idx = perm[b * train.batch_size : (b + 1) * train.batch_size]
        loss = F.cross_entropy(model(x[idx], gen), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return (time.perf_counter() - start) * n_batches / todo


def _table(entries: dict) -> str:
    rows = ["| network | MTJ FD (s/epoch) | MTJ exact (s/epoch) | tanh (s/epoch) | FD / exact | FD / tanh | load average start / end | measured |",
            "|---|---:|---:|---:|---:|---:|---|---|"]
    for key, e in entries.items():
        s = e["seconds_per_epoch"]
        load = f"{e['loadavg_start'][0]:.2f} / {e['loadavg_end'][0]:.2f}"
        rows.append(f"| 784-{key}-10 | {s['mtj_fd']:.2f} | {s['mtj_exact']:.2f} | {s['tanh']:.2f} | "
                    f"**{e['fd_over_exact']:.2f}** | {e['fd_over_tanh']:.2f} | {load} | {e['timestamp']} |")
    first = next(iter(entries.values()))
    rows.append(f"\nOne full epoch of 60,000 images (batch 64) per mode unless noted, fastest of the interleaved repeats; "
                f"{first['cpu']}, {first['threads']} torch thread(s), torch {first['torch']}. Target: FD / exact <= 2.")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="256", help="comma-separated hidden widths")
    parser.add_argument("--batches", type=int, default=0, help="batches to time (0 = the full epoch)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="only print (no JSON, no README update)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    data = load_mnist()  # timing only: an epoch over all 60 000 training images, as in the recorded results
    x = torch.tensor(data.x_train.reshape(data.x_train.shape[0], -1), dtype=torch.float32) / 255.0
    y = torch.tensor(data.y_train)
    modes = {
        "mtj_fd": TrainConfig(hidden=hidden, gradient="fd"),
        "mtj_exact": TrainConfig(hidden=hidden, gradient="exact"),
        "tanh": TrainConfig(hidden=hidden, activation="tanh"),
    }
    load_start = os.getloadavg()
    best = {name: math.inf for name in modes}
    for _ in range(args.repeats):
        for name, train in modes.items():
            best[name] = min(best[name], epoch_seconds(train, x, y, args.batches))
    result = {
        "hidden": list(hidden), "threads": args.threads, "batches_timed": args.batches or "full epoch",
        "seconds_per_epoch": best, "fd_over_exact": best["mtj_fd"] / best["mtj_exact"],
        "fd_over_tanh": best["mtj_fd"] / best["tanh"], "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
        "cpu": cpu_name(), "torch": torch.__version__, "timestamp": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    for name, s in best.items():
        print(f"{name:10s} {s:8.2f} s/epoch")
    print(f"FD / exact = {result['fd_over_exact']:.2f}  (target <= 2)    FD / tanh = {result['fd_over_tanh']:.2f}")
    if not args.no_write:
        entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        entries["-".join(map(str, hidden))] = result
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(entries, indent=2) + "\n")
        write_section("mnist_fd_epoch", _table(entries), HEADING)
        print(f"wrote {RESULTS.relative_to(HERE.parent)} and {README.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
