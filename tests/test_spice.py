"""ngspice cross-check of the SV/MTJ-nMOS neuron (real ngspice; install with `apt-get install ngspice`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from mtjnn.circuits.neuron_circuit import NeuronCircuitParams, simulate_circuit
from mtjnn.circuits.spice import neuron_netlist, ngspice_available, simulate_spice
from mtjnn.devices.spiking_neuron import SpikingNeuronParams
from mtjnn.physics import Pulse

needs_ngspice = pytest.mark.skipif(not ngspice_available(), reason="ngspice is not installed (apt-get install ngspice)")
BARE = replace(NeuronCircuitParams(), v_ref=0.0, v_adapt=0.0)


def _compare(a, b, rel: float = 0.05, onset: float = 0.0) -> int:
    """Assert equal spike counts and spike times (from ``onset``) within ``rel``; return spikes compared."""
    assert torch.equal(a.count, b.count), (a.count, b.count)
    n = 0
    for j in range(a.count.numel()):
        k = int(a.count[j])
        ta, tb = a.times[j, :k] - onset, b.times[j, :k] - onset
        assert torch.all((ta - tb).abs() / tb < rel), (j, ta, tb)
        assert torch.equal(a.polarity[j, :k], b.polarity[j, :k])
        n += k
    return n


def test_netlist_has_the_level1_nmos_and_the_behavioural_junction():
    net = neuron_netlist(np.array([0.0, 1e-9]), np.array([[0.0, 0.9], [0.0, 0.9]]), BARE, 1e-9)
    assert ".model nsh nmos (level=1 vto=0.45 kp=0.0005 lambda=0.05" in net
    assert sum(line.startswith("X") for line in net.splitlines()) == 2 and "Bmtj vdd d I=" in net and "Cphi phi 0 1e-12" in net
    assert "wrdata out.data" in net and ".tran" in net


@needs_ngspice
def test_ngspice_spike_times_match_ours_within_5_percent():
    amps = torch.tensor([0.78, 0.82, 0.9, 1.0, 1.2], dtype=torch.float64)  # none, one, one, burst of 2, burst of 4
    wave = Pulse(amps, start=0.2e-9, width=0.3e-9, rise=20e-12)
    ours = simulate_circuit(wave, BARE, duration=3e-9, dt=2e-12)
    spice = simulate_spice(wave, BARE, duration=3e-9, sample_dt=5e-12, max_step=2e-12)
    assert spice.spikes.count.tolist() == [0, 1, 1, 2, 4]
    assert _compare(spice.spikes, ours.spikes, rel=0.05, onset=0.2e-9) == 8
    # in fact far closer than 5 %: within 1 ps
    k = ~torch.isnan(ours.spikes.times)
    assert float((spice.spikes.times[k] - ours.spikes.times[k]).abs().max()) < 1e-12
    # the output (drain) voltage agrees too
    t = ours.times.numpy()
    for j in range(len(amps)):
        vd = np.interp(t, spice.times.numpy(), spice.v_drain[:, j].numpy())
        assert np.max(np.abs(vd - ours.v_drain[:, j].numpy())) < 2e-3


@needs_ngspice
def test_ngspice_dc_spike_train_and_y_readout():
    params = replace(BARE, device=SpikingNeuronParams(readout="y"))
    gate = torch.tensor([0.72, 0.8], dtype=torch.float64)
    wave = Pulse(gate, start=0.1e-9, width=10e-9, rise=50e-12)
    ours = simulate_circuit(wave, params, duration=6e-9, dt=2e-12)
    spice = simulate_spice(wave, params, duration=6e-9, sample_dt=10e-12, max_step=2e-12)
    assert int(ours.spikes.count.min()) >= 2
    _compare(spice.spikes, ours.spikes, rel=0.05, onset=0.1e-9)


@needs_ngspice
def test_first_spikes_match_with_the_feedback_on():
    full = NeuronCircuitParams()
    wave = Pulse(torch.tensor([0.85, 1.0], dtype=torch.float64), start=0.2e-9, width=0.3e-9, rise=20e-12)
    ours = simulate_circuit(wave, full, duration=1.5e-9, dt=2e-12)
    spice = simulate_spice(wave, full, duration=1.5e-9, sample_dt=5e-12, max_step=2e-12, ignore_feedback=True)
    assert torch.allclose(spice.spikes.first, ours.spikes.first, rtol=2e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="feedback"):
        neuron_netlist(np.array([0.0, 1e-9]), np.array([0.0, 0.9]), NeuronCircuitParams(), 1e-9)
    with pytest.raises(ValueError, match="gate_values.*not finite"):
        neuron_netlist(np.array([0.0, 1e-9]), np.array([0.0, np.nan]), BARE, 1e-9)
    with pytest.raises(ValueError, match="increasing"):
        neuron_netlist(np.array([1e-9, 0.0]), np.array([0.0, 0.9]), BARE, 1e-9)
    with pytest.raises(ValueError, match="duration"):
        neuron_netlist(np.array([0.0, 1e-9]), np.array([0.0, 0.9]), BARE, -1e-9)
