"""Seed 002 on the default vowel set: the fitter's reach, one split of each protocol, protocol separation,
and a smoke run of `mtjnn run vowels`.

Measured (seed 0, split 0 by sample: 203 train / 56 test): paper protocol software 100 % test, ±10 uA
rule from -500 uA 98.2 % test. The assertions keep a margin below the measured values.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import torch
from typer.testing import CliRunner

import mtjnn.experiments.vowels as vowels_experiment
from mtjnn.circuits.series_chain import SeriesChain
from mtjnn.cli import app
from mtjnn.data.vowels import VowelData, load_vowels, make_splits
from mtjnn.devices.mtj import PAPER_SWITCHING_CURRENTS, MTJ, CompactSwitching
from mtjnn.nn.chain_classifier import HardwareRuleConfig, fit_smoothed, refit_thresholds, train_hardware


def test_fitter_reaches_99_percent_on_all_259_samples():
    data = load_vowels()
    assert data.n_samples == 259 and data.vowels == ("eh", "ei", "ih", "iy", "oo", "uh", "uw")
    clf, report = fit_smoothed(data.features, data.labels, PAPER_SWITCHING_CURRENTS)
    chain = SeriesChain(MTJ(CompactSwitching()))
    assert report.train_accuracy >= 0.99
    assert float(clf.accuracy(data.features, data.labels, chain)) == report.train_accuracy  # the same in current space
    assert clf.n_parameters == 32


def test_paper_protocol_split_trains_the_rule_to_a_real_accuracy():
    data = load_vowels()
    x, y = data.features, data.labels
    tr, te = make_splits(data, 1, 0.2, seed=0, split_by="sample")[0]
    chain = SeriesChain(MTJ(CompactSwitching()))
    full, _ = fit_smoothed(x, y, PAPER_SWITCHING_CURRENTS)
    soft = refit_thresholds(full, x[tr], y[tr])
    clf, hist = train_hardware(soft, chain, x[tr], y[tr], HardwareRuleConfig(steps=80), x[te], y[te])
    assert float(soft.accuracy(x[tr], y[tr], chain)) >= 0.97
    assert float(hist.train_accuracy[0]) < 0.7  # the untrained control currents (-500 uA) classify poorly
    assert float(hist.train_accuracy[-1]) >= 0.93 and float(hist.test_accuracy[-1]) >= 0.93
    assert torch.all((clf.control >= -1.5e-3) & (clf.control <= 0.5e-3))


def _poisoned(data: VowelData, te: np.ndarray) -> VowelData:
    x, y = data.features.copy(), data.labels.copy()
    x[te] = 1e9
    y[te] = (y[te] + 1) % data.n_classes
    return replace(data, features=x, labels=y)


def test_protocols_never_see_the_test_samples_beyond_the_paper_map(monkeypatch):
    """Poisoned test features and labels change nothing that a protocol trains on the split."""
    monkeypatch.setattr(vowels_experiment, "STRICT_FIT", replace(vowels_experiment.STRICT_FIT, restarts=4, iterations=60, exact_top=2))
    data = load_vowels()
    tr, te = make_splits(data, 1, 0.2, seed=0, split_by="sample")[0]
    config = vowels_experiment.VowelsConfig()
    clean, bad = data, _poisoned(data, te)
    full_clf, _ = fit_smoothed(data.features, data.labels, PAPER_SWITCHING_CURRENTS)
    # the paper map: fitted on all data by design (no MLP input layers needed here)
    full = vowels_experiment.FullDataFits(vowels_experiment.classifier_record(full_clf), 0.0, 0.0, {}, {})
    for protocol in vowels_experiment.PROTOCOLS:
        a, _ = vowels_experiment._software(protocol, config, clean, tr, full, seed=3)
        b, _ = vowels_experiment._software(protocol, config, bad, tr, full, seed=3)
        assert torch.equal(a.table, b.table) and torch.allclose(a.control, b.control), protocol
        assert torch.allclose(a.input_map.weight, b.input_map.weight) and torch.allclose(a.input_map.bias, b.input_map.bias)


def test_cli_quick_run_writes_both_protocols(tmp_path):
    result = CliRunner().invoke(app, ["run", "vowels", "--quick", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folder = next((tmp_path / "vowels").iterdir())
    for name in ("config.json", "metrics.json", "confusion.png", "switching_map.png", "learning_curves.png"):
        assert (folder / name).exists(), name
    metrics = json.loads((folder / "metrics.json").read_text())
    acc = metrics["accuracy"]
    assert acc["paper_rule"]["test"]["mean"] > 0.85 and acc["strict_rule"]["test"]["mean"] > 0.75 and acc["paper_mlp2"]["test"]["mean"] > 0.5
    assert acc["paper_rule"]["test"]["n"] == 1 and acc["paper_rule"]["test"]["over"] == "splits"
    assert set(metrics["protocols"]) == {"paper", "strict"}
    assert metrics["parameters"] == {"chain": 32, "mlp_12_1_7": 27, "mlp_12_2_7": 47}
    assert np.isclose(metrics["energy"]["paper_estimate_per_input_j"], 1.6e-12)
    assert "thermal_rule" in acc and "[paper] chain, ±10 uA rule" in result.output and "[strict]" in result.output
    bad = CliRunner().invoke(app, ["run", "vowels", "--quick", "--vowels", "ae,zz", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "zz" in bad.output and "Traceback" not in bad.output
    bad = CliRunner().invoke(app, ["run", "vowels", "--quick", "--corpus", "timit", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "corpus" in bad.output
