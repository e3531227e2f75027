"""Fast reproduction of seed 002 (one seeded split, compact fidelity) and a smoke run of `mtjnn run vowels`.

Split 0 of the default protocol (seed 0, 8 of 37 talkers held out: 203 train / 56 test samples),
measured: software training 94.6 % train / 82.1 % test, ±10 uA rule from -500 uA 93.6 % / 80.4 %; this
is the hardest of the 10 splits (the 10-split test mean is ~89 %, docs/vowels.md). The assertions keep a
margin below the measured values; the issue's 93 % test target for one split is not reached, and we do
not pick a luckier seed.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from typer.testing import CliRunner

from mtjnn.circuits.series_chain import SeriesChain
from mtjnn.cli import app
from mtjnn.data.vowels import load_vowels, make_splits
from mtjnn.devices.mtj import PAPER_SWITCHING_CURRENTS, MTJ, CompactSwitching
from mtjnn.nn.chain_classifier import HardwareRuleConfig, fit_smoothed, train_hardware


def test_one_split_trains_to_a_real_accuracy():
    data = load_vowels()
    tr, te = make_splits(data, 1, 0.2, seed=0)[0]  # 8 of 37 talkers held out
    chain = SeriesChain(MTJ(CompactSwitching()))
    soft, report = fit_smoothed(data.features[tr], data.labels[tr], PAPER_SWITCHING_CURRENTS)
    clf, hist = train_hardware(soft, chain, data.features[tr], data.labels[tr], HardwareRuleConfig(steps=80),
                               data.features[te], data.labels[te])
    assert soft.n_parameters == 32
    assert float(soft.accuracy(data.features[tr], data.labels[tr], chain)) >= 0.92
    assert float(soft.accuracy(data.features[te], data.labels[te], chain)) >= 0.78
    assert float(hist.train_accuracy[-1]) >= 0.90 and float(hist.test_accuracy[-1]) >= 0.75
    assert float(hist.train_accuracy[0]) < 0.6  # the untrained control currents (-500 uA) do not classify
    assert torch.all((clf.control >= -1.5e-3) & (clf.control <= 0.5e-3))


def test_cli_quick_run_writes_metrics_and_figures(tmp_path):
    result = CliRunner().invoke(app, ["run", "vowels", "--quick", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "vowels").iterdir())
    for name in ("config.json", "metrics.json", "confusion.png", "switching_map.png", "learning_curves.png"):
        assert (folder / name).exists(), name
    metrics = json.loads((folder / "metrics.json").read_text())
    acc = metrics["accuracy"]
    assert acc["rule"]["test"][0] > 0.8 and acc["mlp2"]["test"][0] > 0.5
    assert metrics["parameters"] == {"chain": 32, "mlp_12_1_7": 27, "mlp_12_2_7": 47}
    assert np.isclose(metrics["energy"]["paper_estimate_per_input_j"], 1.6e-12)
    assert "thermal_rule" in acc and "chain, ±10 uA rule" in result.output
    bad = CliRunner().invoke(app, ["run", "vowels", "--quick", "--vowels", "ae,zz", "--out", str(tmp_path)])
    assert bad.exit_code != 0 and "zz" in str(bad.exception)
