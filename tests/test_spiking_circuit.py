"""SV/MTJ-nMOS neuron circuit: no bias current, voltage in/out, fused == torch reference, fidelities agree, feedback, bad input."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from mtjnn.circuits.neuron_circuit import NeuronCircuitParams, simulate_circuit
from mtjnn.circuits.nmos import series_current
from mtjnn.physics import Pulse

P = NeuronCircuitParams()


def test_no_bias_current_at_rest():
    tr = simulate_circuit(torch.zeros(3, dtype=torch.float64), P, duration=1e-9, dt=10e-12)
    assert float(tr.current.abs().max()) == 0.0
    assert torch.all(tr.v_drain == P.v_dd)
    assert int(tr.spikes.count.sum()) == 0
    assert float(tr.energy.abs().max()) == 0.0


def test_gate_for_current_inverts_the_operating_point():
    r0 = 2 * P.device.r_p * P.device.r_p * (1 + P.device.tmr) / (P.device.r_p * (2 + P.device.tmr))  # R(m_z = 0)
    for target in (10e-6, 30e-6, 60e-6):
        v = P.gate_for_current(target)
        i = series_current(torch.tensor([v], dtype=torch.float64), P.v_dd, torch.tensor([r0], dtype=torch.float64), P.nmos)
        assert float(i) == pytest.approx(target, rel=1e-9)


def test_fused_kernel_equals_the_torch_reference():
    amps = torch.tensor([0.5, 0.81, 0.9, 1.2, 2.5], dtype=torch.float64)  # cutoff, threshold, trains, triode
    wave = Pulse(amps, start=0.2e-9, width=2.0e-9, rise=20e-12)
    a = simulate_circuit(wave, P, duration=4e-9, dt=10e-12, backend="fused")
    b = simulate_circuit(wave, P, duration=4e-9, dt=10e-12, backend="torch")
    assert torch.allclose(a.phi, b.phi, rtol=0, atol=1e-12)
    assert torch.allclose(a.current, b.current, rtol=0, atol=1e-15)
    assert torch.allclose(a.energy, b.energy, rtol=1e-12)
    assert torch.equal(a.spikes.count, b.spikes.count)
    assert torch.allclose(a.spikes.times.nan_to_num(), b.spikes.times.nan_to_num(), rtol=0, atol=1e-18)
    assert torch.equal(a.spikes.polarity, b.spikes.polarity)
    assert a.spikes.count.tolist()[0] == 0 and a.spikes.count.tolist()[-1] >= 2


def test_voltage_out_is_the_drain_node():
    tr = simulate_circuit(Pulse(torch.tensor([0.9]), start=0.2e-9, width=0.3e-9, rise=20e-12), P, duration=2e-9, dt=5e-12)
    assert torch.allclose(tr.v_drain, P.v_dd - tr.current * tr.resistance)
    assert int(tr.spikes.count[0]) == 1
    k = int(torch.argmax(tr.current[:, 0]))
    assert float(tr.v_drain[k, 0]) < P.v_dd - 0.03  # the input pulls the drain down: a voltage output


def test_compact_and_macrospin_circuits_agree():
    amps = torch.tensor([0.82, 0.86, 0.95, 1.1], dtype=torch.float64)
    wave = Pulse(amps, start=0.2e-9, width=0.3e-9, rise=20e-12)
    c = simulate_circuit(wave, P, duration=2.5e-9, dt=2e-12)
    m = simulate_circuit(wave, P, duration=2.5e-9, dt=2e-12, fidelity="macrospin")
    assert torch.equal(c.spikes.count, m.spikes.count)
    lat_c, lat_m = c.spikes.first - 0.2e-9, m.spikes.first - 0.2e-9
    assert torch.all((lat_c - lat_m).abs() / lat_m < 0.05)
    assert torch.allclose(c.energy, m.energy, rtol=0.05)


def test_step_coupled_macrospin_circuit_agrees_with_waveform_relaxation():
    """The two couplings of the macrospin circuit (physics.stepper with a state-dependent current inside each
    RK4 step vs whole-trajectory relaxation) solve the same equations: same spikes, first-spike times within
    1e-4 relative, energies within 1 % (the step coupling turns the feedback on at the end of the spike's step)."""
    amps = torch.tensor([0.82, 0.95, 1.1], dtype=torch.float64)
    wave = Pulse(amps, start=0.2e-9, width=0.3e-9, rise=20e-12)
    r = simulate_circuit(wave, P, duration=2.5e-9, dt=2e-12, fidelity="macrospin")
    s = simulate_circuit(wave, P, duration=2.5e-9, dt=2e-12, fidelity="macrospin", coupling="step")
    assert torch.equal(r.spikes.count, s.spikes.count) and s.spikes.count.tolist() == [1, 1, 2]
    assert torch.allclose(s.spikes.first, r.spikes.first, rtol=1e-4)
    assert torch.allclose(s.energy, r.energy, rtol=0.01)
    assert torch.allclose(s.mz, r.mz, atol=0.02)
    with pytest.raises(ValueError, match="coupling"):
        simulate_circuit(wave, P, duration=1e-10, dt=2e-12, fidelity="macrospin", coupling="iterate")


def test_refractory_feedback_suppresses_bursts():
    # 1.0 V: the bare junction makes two half-turns; the feedback cuts the drive after the first (it cannot
    # stop the inertial second half-turn of pulses above ~1.05 V, see docs/spiking_neuron.md)
    wave = Pulse(torch.tensor([1.0], dtype=torch.float64), start=0.2e-9, width=0.3e-9, rise=20e-12)
    bare = simulate_circuit(wave, replace(P, v_ref=0.0, v_adapt=0.0), duration=3e-9, dt=5e-12)
    fed = simulate_circuit(wave, P, duration=3e-9, dt=5e-12)
    assert int(bare.spikes.count[0]) >= 2  # the bare junction bursts under a strong pulse
    assert int(fed.spikes.count[0]) == 1
    assert float(fed.spikes.first[0]) == pytest.approx(float(bare.spikes.first[0]), abs=1e-15)  # first spike unaffected


def test_bad_input_gives_clear_errors():
    with pytest.raises(ValueError, match="v_in.*not finite"):
        simulate_circuit(torch.tensor([float("nan")]), P, duration=1e-10, dt=1e-11)
    with pytest.raises(ValueError, match="v_in.*not finite"):
        simulate_circuit(lambda t: torch.full_like(t, float("inf")), P, duration=1e-10, dt=1e-11)
    with pytest.raises(ValueError, match="backend"):
        simulate_circuit(0.5, P, duration=1e-10, dt=1e-11, backend="gpu")
    with pytest.raises(ValueError, match="fidelity"):
        simulate_circuit(0.5, P, duration=1e-10, dt=1e-11, fidelity="spice")
    with pytest.raises(ValueError, match="v_dd"):
        NeuronCircuitParams(v_dd=0.0)
    with pytest.raises(ValueError, match="tau_ref"):
        NeuronCircuitParams(tau_ref=-1e-9)
    with pytest.raises(ValueError, match="device"):
        NeuronCircuitParams(device="mtj")
