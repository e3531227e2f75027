"""The theta (type-I) neuron, the second ``NeuronModel``: its dc firing period against the closed form, bad
input, and the three-neuron XOR network trained with it on the torch backend."""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.circuits.theta_neuron import ThetaNeuronParams
from mtjnn.nn.spike_timing import SpikeTimingConfig, forward
from mtjnn.nn.spike_timing_fused import supports
from mtjnn.nn.xor_training import TrainConfig, XorTask, train_xor


def _spike_times(neuron: ThetaNeuronParams, gate: torch.Tensor, dt: float, steps: int) -> list[list[float]]:
    state = neuron.rest(tuple(gate.shape))
    times = [[] for _ in range(gate.numel())]
    for k in range(steps):
        state, out = neuron.step(state, (gate, gate, gate), k * dt, dt)
        for j in (out.polarity != 0).nonzero().flatten().tolist():
            times[j].append(float(out.time[j]))
    return times


def test_dc_period_is_pi_tau_over_sqrt_of_the_excess_drive() -> None:
    # tau dtheta/dt = (1 - cos) + (1 + cos) eta, eta = I/I_rh - 1 > 0: period T = pi tau / sqrt(eta)
    neuron = ThetaNeuronParams()
    gate = torch.tensor([0.8, 1.0, 1.3], dtype=torch.float64)
    eta = neuron.input_current(gate) / neuron.i_rh - 1.0
    assert bool((eta > 0).all())
    times = _spike_times(neuron, gate, 1e-12, 6000)
    for j in range(3):
        period = times[j][-1] - times[j][-2]
        assert period == pytest.approx(math.pi * neuron.tau / math.sqrt(float(eta[j])), rel=1e-4)
    # below the rheobase (eta < 0) it settles and never fires
    below = torch.tensor([0.5], dtype=torch.float64)
    assert float(neuron.input_current(below)) < neuron.i_rh
    assert _spike_times(neuron, below, 5e-12, 1000) == [[]]


def test_bad_parameters_name_themselves() -> None:
    for kwargs, name in (({"tau": 0.0}, "tau"), ({"i_rh": -1e-6}, "i_rh"), ({"v_dd": 9.0}, "v_dd"), ({"nmos": 1}, "nmos")):
        with pytest.raises(ValueError, match=name):
            ThetaNeuronParams(**kwargs)


def test_network_with_theta_neurons_runs_on_torch_and_refuses_the_fused_kernel() -> None:
    cfg = SpikeTimingConfig(circuit=ThetaNeuronParams())
    assert not supports(cfg.circuit)
    times, _, _ = XorTask().patterns()
    wh = torch.full((1, 2, 3), 1.2, dtype=torch.float64)
    wo = torch.tensor([[1.5, 1.5, 0.0]], dtype=torch.float64)
    auto = forward(wh, wo, times, cfg)  # "auto" falls back to torch
    assert torch.equal(auto.time, forward(wh, wo, times, cfg, backend="torch").time)
    with pytest.raises(ValueError, match="fused"):
        forward(wh, wo, times, cfg, backend="fused")
    with pytest.raises(ValueError, match="NeuronModel"):
        SpikeTimingConfig(circuit="theta")


def test_xor_trains_with_theta_neurons() -> None:
    cfg = SpikeTimingConfig(circuit=ThetaNeuronParams())
    res = train_xor(4, cfg, TrainConfig(init="favourable", epochs=20), generator=torch.Generator().manual_seed(1))
    conv = res.epochs_to_converge
    assert bool((conv > 0).any()), conv.tolist()  # learnt, not correct by chance at initialisation
    assert bool((conv >= 0).all()), conv.tolist()
    task = XorTask()
    times, labels, _ = task.patterns()
    out = forward(res.wh, res.wo, times, cfg)
    assert bool(task.correct(out, labels).all())
