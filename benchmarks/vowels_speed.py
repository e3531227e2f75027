"""Speed of the seed-002 vowel classifier: one full 80/20 training, and the macrospin-fidelity evaluation.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vowels_speed.py [--repeats 3] [--no-macrospin]

* training (compact model, the target is < 10 s): software training of map + cells + control currents
  (``fit_smoothed``) followed by 80 steps of the ±10 uA rule from -500 uA, on split 0 of the 37 x 7
  vowel set; each repeat in the same process (the first includes one-time imports and caches), the
  fastest and the median are reported;
* macrospin evaluation: all 259 samples x 3 junctions through the LLGS engine, one batched ``simulate``
  call per input (2 calls, 777 junctions, 50 ns at 5 ps = 10 000 steps each), with the junction-steps/s;
  and the one-time calibration of the junctions.
Writes ``benchmarks/results/vowels_speed.json``. The load average is recorded (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-macrospin", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    from mtjnn.circuits.series_chain import SeriesChain
    from mtjnn.data.vowels import load_vowels, make_splits
    from mtjnn.devices.mtj import MTJ, PAPER_SWITCHING_CURRENTS, CompactSwitching, MacrospinSwitching
    from mtjnn.nn.chain_classifier import HardwareRuleConfig, fit_smoothed, train_hardware

    data = load_vowels()
    tr, te = make_splits(data, 1)[0]
    chain = SeriesChain(MTJ(CompactSwitching()))
    times, accs = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        soft, _ = fit_smoothed(data.features[tr], data.labels[tr], PAPER_SWITCHING_CURRENTS)
        clf, _ = train_hardware(soft, chain, data.features[tr], data.labels[tr], HardwareRuleConfig())
        times.append(time.perf_counter() - started)
        accs.append(float(clf.accuracy(data.features[te], data.labels[te], chain)))
    result = {
        "load_average": os.getloadavg(),
        "threads": torch.get_num_threads(),
        "training_s": {"all": times, "min": min(times), "median": statistics.median(times)},
        "test_accuracy": accs,
    }
    print(f"one full training (software + ±10 uA rule, compact): min {min(times):.2f} s, median {statistics.median(times):.2f} s")
    if not args.no_macrospin:
        started = time.perf_counter()
        macro = MacrospinSwitching.calibrate(PAPER_SWITCHING_CURRENTS, pulse=50e-9, dt=5e-12)
        calib = time.perf_counter() - started
        mchain = SeriesChain(MTJ(macro))
        runs = []
        for _ in range(2):
            started = time.perf_counter()
            out = clf.run(data.features, mchain)
            runs.append(time.perf_counter() - started)
        steps = round(50e-9 / 5e-12)
        junction_steps = 2 * data.n_samples * 3 * steps
        result["macrospin"] = {"calibration_s": calib, "evaluation_s": min(runs), "junctions_per_call": data.n_samples * 3,
                               "steps_per_call": steps, "junction_steps_per_s_upper": junction_steps / min(runs),
                               "agreement_with_compact": float((out.configuration == clf.run(data.features, chain).configuration)
                                                               .double().mean())}
        print(f"macrospin: calibration {calib:.1f} s; evaluation of {data.n_samples} samples x 3 junctions "
              f"(2 engine calls) {min(runs):.2f} s")
    path = Path(__file__).parent / "results" / "vowels_speed.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average {result['load_average']}; wrote {path}")


if __name__ == "__main__":
    main()
