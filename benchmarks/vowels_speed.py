"""Speed of the seed-002 vowel classifier: one full 80/20 training, and the macrospin-fidelity evaluation.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/vowels_speed.py [--repeats 3] [--no-macrospin]

* training of one split (compact model, the target is < 10 s), both protocols on split 0 of the 37 x 7
  vowel set: ``paper`` = thresholds + table for the all-data map (``refit_thresholds``) and 80 steps of the
  ±10 uA rule from -500 uA; ``strict`` = map, table and thresholds with the regularization chosen by inner
  cross-validation (``select_by_validation``, 2 candidates x 3 folds + 1 fit) and the same rule; plus the
  one-time all-data fit of the paper map. Each repeat in the same process (the first includes one-time
  imports and caches); the fastest and the median are reported;
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

import numpy as np
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
    from mtjnn.nn.chain_classifier import HardwareRuleConfig, fit_smoothed, refit_thresholds, select_by_validation, train_hardware
    from mtjnn.nn.chain_software import STRICT_FIT

    data = load_vowels()
    x, y = data.features, data.labels
    tr, te = make_splits(data, 1, split_by="sample")[0]
    chain = SeriesChain(MTJ(CompactSwitching()))
    started = time.perf_counter()
    full, _ = fit_smoothed(x, y, PAPER_SWITCHING_CURRENTS)
    result = {"load_average": os.getloadavg(), "threads": torch.get_num_threads(), "paper_map_all_data_s": time.perf_counter() - started}

    def paper():
        return refit_thresholds(full, x[tr], y[tr])

    def strict():
        return select_by_validation(x[tr], y[tr], PAPER_SWITCHING_CURRENTS, STRICT_FIT, groups=np.asarray(data.speakers)[tr])[0]

    for name, software in (("paper", paper), ("strict", strict)):
        times, accs = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            clf, _ = train_hardware(software(), chain, x[tr], y[tr], HardwareRuleConfig())
            times.append(time.perf_counter() - started)
            accs.append(float(clf.accuracy(x[te], y[te], chain)))
        result[f"{name}_training_s"] = {"all": times, "min": min(times), "median": statistics.median(times)}
        result[f"{name}_test_accuracy"] = accs
        print(f"one split, {name} protocol (software + ±10 uA rule, compact): min {min(times):.2f} s, median {statistics.median(times):.2f} s")
    print(f"paper map on all 259 samples (once per run): {result['paper_map_all_data_s']:.2f} s")
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
