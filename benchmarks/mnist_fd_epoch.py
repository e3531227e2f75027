"""Seconds per MNIST epoch: finite-difference (device-in-the-loop) vs exact-gradient MTJ MLP vs tanh.

    MTJNN_DATA=../shared/data OMP_NUM_THREADS=1 .venv/bin/python benchmarks/mnist_fd_epoch.py [--hidden 256] [--batches 0]

Runs the same training loop as ``mtjnn run mnist`` (Adam, batch 64, 5 % spread, 0.5 % read noise) for
one epoch per mode, interleaving the modes ``--repeats`` times and keeping each mode's fastest epoch
(the machine may be shared). ``--batches N`` times N batches and scales to a full epoch. The target of
issue #5: FD epoch <= 2 x exact-gradient epoch.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import torch
import torch.nn.functional as F

from mtjnn.experiments.activation_training import MnistConfig, TrainConfig, mnist_tensors
from mtjnn.nn.analog_mlp import AnalogMLP


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="256", help="comma-separated hidden widths")
    parser.add_argument("--batches", type=int, default=0, help="batches to time (0 = the full epoch)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None, help="also write the numbers to this file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    hidden = tuple(int(h) for h in args.hidden.split(","))
    x, y, _, _ = mnist_tensors(MnistConfig())
    modes = {
        "mtj_fd": TrainConfig(hidden=hidden, gradient="fd"),
        "mtj_exact": TrainConfig(hidden=hidden, gradient="exact"),
        "tanh": TrainConfig(hidden=hidden, activation="tanh"),
    }
    best = {name: math.inf for name in modes}
    for _ in range(args.repeats):
        for name, train in modes.items():
            best[name] = min(best[name], epoch_seconds(train, x, y, args.batches))
    ratio = best["mtj_fd"] / best["mtj_exact"]
    result = {"hidden": hidden, "threads": args.threads, "batches_timed": args.batches or "full epoch",
              "seconds_per_epoch": best, "fd_over_exact": ratio, "fd_over_tanh": best["mtj_fd"] / best["tanh"],
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__}
    for name, s in best.items():
        print(f"{name:10s} {s:8.2f} s/epoch")
    print(f"FD / exact = {ratio:.2f}  (target <= 2)    FD / tanh = {result['fd_over_tanh']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
