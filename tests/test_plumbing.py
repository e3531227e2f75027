"""Shared plumbing: validation messages, drives/waveforms, results files, checkpoints, conformance suite."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.devices.mtj import tmr_resistance
from mtjnn.devices.variability import offset_spread, read_noise, spread
from mtjnn.experiments.common import Checkpoint, results_dir, save_json, seed_everything
from mtjnn.data.paths import dataset_dir
from mtjnn.physics.drive import Drive, Pulse, Sampled, evaluate_current, evaluate_field
from mtjnn.testing import check_device_model
from mtjnn.validation import check_positive, check_range


def test_validation_messages_name_parameter_value_and_range() -> None:
    with pytest.raises(ValueError, match=r"ms = -1.0 A/m is out of range; allowed: \(0, inf\]"):
        check_positive("ms", -1.0, unit="A/m")
    with pytest.raises(ValueError, match=r"x\[2\] = 5.0 is out of range; allowed: \[0, 1\]"):
        check_range("x", [0.1, 0.2, 5.0], 0.0, 1.0)
    with pytest.raises(ValueError, match="not finite"):
        check_positive("dt", float("nan"))


def test_pulse_and_sampled_waveforms() -> None:
    t = torch.tensor([0.0, 0.5e-9, 1.0e-9, 1.6e-9, 3.0e-9], dtype=torch.float64)
    pulse = Pulse(2e-3, start=0.5e-9, width=1e-9)
    assert pulse(t).tolist() == [0.0, 2e-3, 2e-3, 0.0, 0.0]
    ramp = Pulse(1.0, start=0.0, width=1e-9, rise=1e-9)
    assert ramp(t).tolist() == pytest.approx([0.0, 0.5, 1.0, 1.0, 0.0])
    per_junction = Pulse(torch.tensor([1.0, 2.0]), start=0.0, width=1e-9)
    assert per_junction(t).shape == (5, 2)
    field = Pulse((0.0, 0.0, 0.1), start=0.0, width=1e-9)
    assert evaluate_field(field, t, 4).shape == (5, 1, 3)
    sampled = Sampled(np.array([0.0, 1e-9, 2e-9]), np.array([0.0, 1.0, 0.0]))
    assert sampled(t).tolist() == pytest.approx([0.0, 0.5, 1.0, 0.4, 0.0])
    assert evaluate_current(3.0, t, 7).shape == (5, 1)
    assert evaluate_current(torch.ones(7), t, 7).shape == (5, 7)
    with pytest.raises(ValueError, match="batch size 3"):
        evaluate_current(torch.ones(7), t, 3)
    with pytest.raises(ValueError, match="width"):
        Pulse(1.0, start=0.0, width=-1e-9)
    with pytest.raises(ValueError, match="current"):
        Drive(current=float("nan"))


def test_tmr_law_regression_values() -> None:
    cos = torch.tensor([1.0, -1.0, 0.0, 0.5], dtype=torch.float64)
    r = tmr_resistance(cos, 1100.0, 1.2)
    assert r.tolist() == pytest.approx([1100.0, 2420.0, 1512.5, 1273.7], abs=0.05)


def test_variability_is_seeded_and_checked() -> None:
    a = spread(1.0, 0.05, 1000, torch.Generator().manual_seed(3))
    b = spread(1.0, 0.05, 1000, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and abs(float(a.std()) - 0.05) < 0.01
    assert offset_spread(2.0, 10, torch.Generator().manual_seed(0), shape=(3,)).shape == (10, 3)
    x = torch.zeros(10_000, dtype=torch.float64)
    assert abs(float(read_noise(x, 0.1, torch.Generator().manual_seed(1)).std()) - 0.1) < 0.005
    with pytest.raises(ValueError, match="relative_sigma"):
        spread(1.0, -0.1, 10)
    with pytest.raises(ValueError, match="relative_sigma"):
        spread(1.0, 2.0, 1000, torch.Generator().manual_seed(0))


def test_results_checkpoint_and_json(tmp_path) -> None:
    out = results_dir("demo", tmp_path)
    path = save_json(out / "m.json", {"a": torch.tensor([1.0]), "b": np.float64(2.0), "c": math.inf})
    assert path.read_text().count("null") == 1
    ck = Checkpoint(out / "state.pt")
    assert ck.load() is None
    ck.save({"epoch": 3, "w": torch.ones(2)})
    assert ck.load()["epoch"] == 3
    g1, g2 = seed_everything(5), seed_everything(5)
    assert torch.equal(torch.rand(3, generator=g1), torch.rand(3, generator=g2))


def test_dataset_dir_names_missing_files(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("MTJNN_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="MTJNN_DATA"):
        dataset_dir("mnist", ["a.gz"])
    (tmp_path / "mnist").mkdir()
    with pytest.raises(FileNotFoundError, match="a.gz"):
        dataset_dir("mnist", ["a.gz"], tmp_path)


class _Linear:
    fidelity, input_unit, output_unit = "compact", "A", "V"

    def response(self, inputs, generator=None):
        return 2.0 * inputs


class _Stateful(_Linear):
    calls = 0

    def response(self, inputs, generator=None):
        _Stateful.calls += 1
        return inputs * _Stateful.calls


def test_conformance_suite_accepts_good_and_rejects_hidden_state() -> None:
    x = torch.linspace(-1, 1, 5, dtype=torch.float64)[:, None]
    check_device_model(_Linear(), x)
    with pytest.raises(AssertionError, match="hidden state"):
        check_device_model(_Stateful(), x)
