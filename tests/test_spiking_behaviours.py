"""The seven behaviours of the SV/MTJ-nMOS neuron (SEEDS_SPEC 2.4), each a quantitative test, and `mtjnn neuron`."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.experiments.neuron_behaviours import MEASURES, BehaviourConfig, pulses

CFG = BehaviourConfig(quick=True, dt=10e-12, train_duration=25e-9)


@pytest.fixture(scope="module")
def measured():
    return {name: fn(CFG) for name, fn in MEASURES.items()}


def test_threshold_spiking(measured):
    m = measured["threshold"]
    assert m["spikes_at_0.95"] == 0 and m["spikes_at_1.05"] == 1
    assert m["resting_current_a"] == 0.0  # no bias current
    assert m["peak_power_w"] <= 50e-6  # source: <= 50 uW
    assert 0.3e-9 < m["spike_fwhm_s"] < 1.5e-9  # source: ~1 ns spikes
    # shorter pulses need more current (the threshold falls with width)
    assert all(a > b for a, b in zip(m["threshold_a_vs_width"], m["threshold_a_vs_width"][1:]))


def test_latency_falls_with_amplitude_and_diverges_at_threshold(measured):
    m = measured["latency"]
    lat = np.array(m["latency_s"])
    assert np.all(np.isfinite(lat))
    assert np.all(np.diff(lat) < 0)  # monotonic decrease with amplitude
    f = np.array(m["factors"]) - 1
    # logarithmic divergence: latency grows by > 0.1 ns per decade of (A/A_th - 1) as A -> A_th+
    per_decade = (lat[0] - lat[3]) / (np.log10(f[3]) - np.log10(f[0]))
    assert per_decade > 0.1e-9
    assert lat[0] > 4 * lat[-1]


def test_temporal_and_spatial_integration(measured):
    m = measured["integration"]
    assert m["single_pulse_spikes"] == 0  # each pulse alone is sub-threshold
    gaps, fired = np.array(m["gaps_s"]), np.array(m["spiked"])
    assert fired[gaps <= 0.4e-9].all()  # close pulses integrate to a spike
    assert not fired[gaps >= 1.0e-9].any()  # far apart: no spike
    assert 0.3e-9 <= m["t_int_s"] < 1.0e-9
    assert m["spatial_pair_spikes"] == 1 and m["spatial_single_spikes"] == 0


def test_refraction(measured):
    m = measured["refraction"]
    after, ratio = np.array(m["delay_after_spike_s"]), np.array(m["pair_threshold_ratio"])
    assert m["t_abs_s"] > 0.0
    assert np.all(np.isinf(ratio[after <= m["t_abs_s"]]))  # absolute: no 2nd spike up to 3x threshold
    rel = (after > m["t_abs_s"]) & (after <= 1.5e-9)
    assert np.all(ratio[rel] > 1.0)  # relative: a larger pulse is needed
    assert np.all(np.isfinite(ratio[after > 1.0e-9]))
    assert ratio[-1] <= 1.25  # recovery toward 1
    assert m["t_rel_s"] > m["t_abs_s"]


def test_inhibition(measured):
    m = measured["inhibition"]
    assert m["spikes_without_inhibition"] == 1 and m["spikes_with_inhibition"] == 0
    assert m["threshold_slope"] == pytest.approx(1.0, abs=0.05)  # gate voltages add: slope 1 V/V
    assert np.all(np.diff(m["threshold_v"]) > 0)


def test_adaptation(measured):
    m = measured["adaptation"]
    for ratio, ratio0, sat, isi in zip(m["ratio_last_first"], m["ratio_last_first_control"], m["saturation_change"], m["isi_s"]):
        assert ratio > 1.05  # SEEDS_SPEC 2.4: ISI_last / ISI_1 > 1.05
        assert abs(ratio0 - 1) < 0.03  # without the adaptation feedback the train is regular
        assert sat < 0.02  # and the intervals saturate
        assert np.all(np.diff(isi) > -0.01e-9)


def test_spike_trains_and_rate_vs_current(measured):
    m = measured["spike_train"]
    i_th = m["threshold_current_a"]
    cur, rate = np.array(m["currents_a"]), np.array(m["rate_hz"])
    assert np.all(rate[cur < 0.99 * i_th] == 0)  # no train below the static threshold
    above = cur > 1.05 * i_th
    assert np.all(rate[above] > 0) and np.all(np.diff(rate[above]) > 0)
    assert np.all(np.array(m["isi_cv"])[above][1:] < 0.1)  # periodic
    # the bare junction approaches the large-drive pendulum rate gamma' a_J / (pi alpha) at 4 I_th
    assert m["bare_rate_hz"][-1] == pytest.approx(m["large_drive_formula_hz"][-1], rel=0.05)


def test_pulses_helper_and_bad_names():
    import torch

    wave = pulses(torch.tensor([[1.0, -0.5]]), torch.tensor([[0.0, 1e-9]]), 0.5e-9, rise=0.1e-9)
    v = wave(torch.tensor([0.3e-9, 1.3e-9, 3e-9]))
    assert v[:, 0].tolist() == pytest.approx([1.0, -0.5, 0.0])
    with pytest.raises(ValueError, match="behaviour"):
        BehaviourConfig(behaviour="bursting")
    with pytest.raises(ValueError, match="pulse_width"):
        BehaviourConfig(pulse_width=-0.3e-9)
    with pytest.raises(ValueError, match="width"):
        pulses(torch.tensor([[1.0]]), torch.tensor([[0.0]]), -1e-9)


def test_cli_neuron_command(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["neuron", "--behaviour", "inhibition", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "inhibition" in res.output
    run_dir = next((tmp_path / "neuron").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["inhibition"]["spikes_with_inhibition"] == 0
    assert (run_dir / "inhibition.png").exists() and (run_dir / "config.json").exists()
    bad = runner.invoke(app, ["neuron", "--behaviour", "bursting", "--out", str(tmp_path)])
    assert bad.exit_code != 0
    assert "behaviour" in bad.output and "bursting" in bad.output
    assert math.isfinite(metrics["wall_time_s"])
