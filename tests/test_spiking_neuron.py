"""SV/MTJ spiking neuron: compact pendulum vs full LLGS macrospin, the SEEDS_SPEC 2.2 regression, protocol, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.devices.spiking_neuron import (
    SpikingNeuron,
    SpikingNeuronParams,
    detect_spikes,
    junction_resistance,
    NeuronState,
    simulate_neuron,
    step_crossing,
)
from mtjnn.devices.mtj import tmr_resistance
from mtjnn.physics import Pulse


def test_derived_parameters_of_the_default_regime():
    p = SpikingNeuronParams()
    assert p.f0 == pytest.approx(0.8775e9, rel=1e-3)
    assert p.q_factor == pytest.approx(math.sqrt(0.005 / 0.2) / 0.1)
    assert p.relaxation_time == pytest.approx(0.2868e-9, rel=1e-3)
    # I_th = (mu0 H_K / 2) 2 e Ms t_F A / (hbar eta)
    assert p.threshold_current == pytest.approx(0.0025 * 2 * 1.602176634e-19 * (0.2 / 1.25663706212e-6) * 1.5e-9 * p.area / (1.054571817e-34 * 0.5), rel=1e-9)
    assert p.threshold_current == pytest.approx(14.24e-6, rel=1e-3)


def test_resistance_matches_the_tmr_law():
    p = SpikingNeuronParams()
    mz = torch.linspace(-1, 1, 11, dtype=torch.float64)
    phi = torch.linspace(-3, 3, 11, dtype=torch.float64)
    r = junction_resistance(NeuronState(phi, mz), p)
    assert torch.allclose(r, tmr_resistance(mz, p.r_p, p.tmr))
    py = SpikingNeuronParams(readout="y")
    ry = junction_resistance(NeuronState(phi, torch.zeros_like(phi)), py)
    assert torch.allclose(ry, tmr_resistance(torch.sin(phi), p.r_p, p.tmr))


def test_spec_regression_pendulum_and_macrospin():
    """SEEDS_SPEC 2.2 table (mu0 M_eff = 1 T, mu0 H_K = 10 mT, alpha = 0.01, 0.2 ns pulses)."""
    p = SpikingNeuronParams(meff=1.0, hk=0.01, alpha=0.01, area=3.93e-15, corrections=False)
    assert p.f0 == pytest.approx(2.80e9, rel=2e-3)
    assert p.q_factor == pytest.approx(10.0)
    assert p.relaxation_time == pytest.approx(0.568e-9, rel=2e-3)
    assert p.threshold_current == pytest.approx(142e-6, rel=5e-3)
    a_j = torch.tensor([4.55, 1.05 * 4.58, 1.5 * 4.58, 3 * 4.58], dtype=torch.float64) * 1e-3
    current = a_j / p.stt_per_ampere
    for fidelity in ("compact", "macrospin"):
        tr = simulate_neuron(Pulse(current, start=0.0, width=0.2e-9), p, duration=1.2e-9, dt=1e-12, fidelity=fidelity)
        assert tr.spikes.count.tolist() == [0, 1, 4, 12]  # below threshold; one half-turn; bursts
        first = tr.spikes.first
        assert first[1] == pytest.approx(0.24e-9, abs=0.01e-9)
        assert first[2] == pytest.approx(0.156e-9, abs=0.003e-9)
        assert first[3] == pytest.approx(0.097e-9, abs=0.002e-9)
        assert float(tr.mz[:, 1].abs().max()) == pytest.approx(0.096, abs=0.002)


@pytest.fixture(scope="module")
def agreement():
    """Compact vs macrospin for 0.2 and 0.5 ns pulses from just above threshold to 3x, and dc trains."""
    p = SpikingNeuronParams()
    ith = p.threshold_current
    out = {}
    for width in (0.2e-9, 0.5e-9):
        amps = torch.logspace(0.0, math.log10(6.0), 181, dtype=torch.float64) * ith  # 1 % steps
        wave = Pulse(amps, start=0.1e-9, width=width)
        c = simulate_neuron(wave, p, duration=3e-9, dt=2e-12, fidelity="compact")
        m = simulate_neuron(wave, p, duration=3e-9, dt=2e-12, fidelity="macrospin")
        out[width] = (amps, c.spikes, m.spikes)
    dc = torch.tensor([1.2, 1.5, 2.0, 3.0], dtype=torch.float64) * ith
    out["dc"] = (dc, simulate_neuron(dc, p, duration=10e-9, dt=2e-12).spikes,
                 simulate_neuron(dc, p, duration=10e-9, dt=2e-12, fidelity="macrospin").spikes)
    return out


@pytest.mark.parametrize("width", [0.2e-9, 0.5e-9])
def test_reduced_model_agrees_with_macrospin_within_5_percent(agreement, width):
    amps, c, m = agreement[width]
    fired_m = m.count > 0
    th_m = amps[fired_m][0]
    th_c = amps[c.count > 0][0]
    assert float(th_c / th_m) == pytest.approx(1.0, abs=0.021)  # pulse thresholds within 2 % (two grid steps)
    # operating range: 1.1 x threshold up to 3 x threshold (and below 6 I_th)
    sel = (amps >= 1.1 * th_m) & (amps <= 3.0 * th_m)
    assert int(sel.sum()) >= 10
    # spike counts agree except within one grid step (~1 %) of a burst transition of the macrospin
    near_transition = torch.zeros_like(sel)
    jumps = torch.nonzero(torch.diff(m.count) != 0).flatten()
    for j in jumps.tolist():
        near_transition[max(j - 1, 0) : j + 3] = True
    assert torch.equal(c.count[sel & ~near_transition], m.count[sel & ~near_transition])
    # every spike's latency diverges where that spike appears (the k-th spike at the k-spike threshold
    # a_k); compare spike k wherever the amplitude is >= 1.1 a_k
    onset = 0.1e-9
    appear = [amps[m.count > k][0] for k in range(int(m.count[sel].max()))]
    compared = 0
    for j in torch.nonzero(sel).flatten().tolist():
        n = min(int(m.count[j]), int(c.count[j]))
        for k in range(n):
            if amps[j] >= 1.1 * appear[k]:
                lat_c, lat_m = c.times[j, k] - onset, m.times[j, k] - onset
                assert abs(lat_c - lat_m) / lat_m < 0.05, (j, k, lat_c, lat_m)
                compared += 1
        assert torch.equal(c.polarity[j, :n], m.polarity[j, :n])
    assert compared >= 50


def test_dc_spike_trains_agree(agreement):
    dc, c, m = agreement["dc"]
    assert torch.all(m.count >= 3)
    for j in range(len(dc)):
        n = min(int(c.count[j]), int(m.count[j]), 8)
        assert abs(int(c.count[j]) - int(m.count[j])) <= 1
        rel = (c.times[j, :n] - m.times[j, :n]).abs() / m.times[j, :n]
        assert torch.all(rel < 0.05), (j, rel)
        assert torch.all(m.polarity[j, :n] == 1)  # positive current: phi decreases, m_z > 0


def test_spike_detection_and_crossing_gradient():
    times = torch.linspace(0, 4, 5, dtype=torch.float64)
    phi = torch.tensor([[0.0, 0.0], [-1.0, 1.0], [-2.0, 2.0], [-5.0, 1.0], [-5.0, 1.0]], dtype=torch.float64)
    s = detect_spikes(times, phi)
    assert s.count.tolist() == [2, 2]
    (t1, p1), (t2, p2) = s.of(0)
    assert (p1, p2) == (1, 1)
    assert t1 == pytest.approx(1 + (math.pi / 2 - 1.0))
    assert t2 == pytest.approx(2 + (3 * math.pi / 2 - 2.0) / 3.0)
    assert [pol for _, pol in s.of(1)] == [-1, 1]  # up through pi/2, then back down through it
    phi0 = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    pol, t = step_crossing(phi0, torch.tensor([2.0], dtype=torch.float64), 0.0, 1.0)
    t.sum().backward()
    assert pol.item() == -1 and t.item() == pytest.approx(math.pi / 2 - 1.0)
    assert phi0.grad.item() == pytest.approx(-1.0 + (math.pi / 2 - 1.0))  # d/dphi0 of (L - phi0)/(phi1 - phi0)


def test_below_threshold_pulse_gives_no_spike_in_both_fidelities():
    # the DeviceModel contract of both fidelities: tests/test_conformance.py (registry entries sv-mtj-neuron-*)
    ith = SpikingNeuronParams().threshold_current
    inputs = torch.tensor([0.5, 2.0, 3.0, 6.0], dtype=torch.float64) * ith
    for fidelity in ("compact", "macrospin"):
        model = SpikingNeuron(fidelity=fidelity, duration=1.5e-9, dt=5e-12)
        assert model.response(inputs).tolist()[0] == 0.0


def test_autograd_through_the_compact_model():
    p = SpikingNeuronParams()
    amp = torch.tensor([3.0 * p.threshold_current], dtype=torch.float64, requires_grad=True)
    wave = lambda t: ((t >= 0.1e-9) & (t < 0.4e-9)).to(t.dtype)[:, None] * amp  # noqa: E731
    tr = simulate_neuron(wave, p, duration=1.5e-9, dt=5e-12)
    # first spike time from the stored trajectory, differentiable
    k = int(torch.nonzero(torch.diff(torch.floor((tr.phi[:, 0] - math.pi / 2) / math.pi)) != 0)[0])
    _, t = step_crossing(tr.phi[k], tr.phi[k + 1], tr.times[k], 5e-12)
    t.sum().backward()
    assert amp.grad.item() < 0  # more current, earlier spike
    h = 1e-3 * amp.item()
    def first(a):
        return simulate_neuron(lambda t: ((t >= 0.1e-9) & (t < 0.4e-9)).to(t.dtype)[:, None] * a, p, duration=1.5e-9, dt=5e-12).spikes.first
    fd = (first(torch.tensor([amp.item() + h])) - first(torch.tensor([amp.item() - h]))) / (2 * h)
    assert amp.grad.item() == pytest.approx(fd.item(), rel=1e-3)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"alpha": 0.0}, "alpha"),
        ({"alpha": float("nan")}, "alpha"),
        ({"hk": -1e-3}, "hk"),
        ({"meff": 0.0}, "meff"),
        ({"readout": "x"}, "readout"),
        ({"eta": 1.5}, "eta"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpikingNeuronParams(**kwargs)


def test_bad_drive_gives_clear_errors():
    p = SpikingNeuronParams()
    with pytest.raises(ValueError, match="width"):
        Pulse(1e-5, start=0.0, width=-0.1e-9)
    with pytest.raises(ValueError, match="current.*not finite"):
        simulate_neuron(torch.tensor([float("nan")]), p, duration=1e-10, dt=1e-12)
    with pytest.raises(ValueError, match="current.*not finite"):
        simulate_neuron(lambda t: torch.full_like(t, float("inf")), p, duration=1e-10, dt=1e-12)
    with pytest.raises(ValueError, match="fidelity"):
        simulate_neuron(1e-5, p, duration=1e-10, dt=1e-12, fidelity="spice")
    with pytest.raises(ValueError, match="multiple"):
        simulate_neuron(1e-5, p, duration=1.05e-10, dt=1e-11)
    with pytest.raises(ValueError, match="pulse_width"):
        SpikingNeuron(pulse_width=-1e-9)
