"""The recipes of docs/architecture.md "How to extend", followed step by step: a new switching device and a
new neuron, each written in a few lines, pass the conformance suite and run in the network that uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from mtjnn.circuits.nmos import NMOSGatedNeuron, NMOSParams, drain_current
from mtjnn.circuits.series_chain import SeriesChain
from mtjnn.devices.junction import device_view
from mtjnn.devices.mtj import MTJ
from mtjnn.devices.protocol import NeuronStep
from mtjnn.physics.rk4 import rk4_mean, rk4_step
from mtjnn.nn.chain_classifier import ChainClassifier, HardwareRuleConfig, InputMap, train_hardware
from mtjnn.nn.spike_timing import SpikeTimingConfig, forward
from mtjnn.testing import ModelEntry, parametrize_with_checks


# --- recipe "add a device": a SwitchingModel --------------------------------------------------------------
@dataclass(frozen=True)
class DelaySwitching:
    """Precessional switching with the charge law 1/t_sw = (I - I_c0)/Q (Sun, PRB 62, 570 (2000)): a junction
    switches at t = Q/(I - I_c0) if that is within the pulse. i_c0 (N,) or (D, N) in A, charge Q in C, pulse in s."""

    i_c0: torch.Tensor
    charge: float = 1e-12
    pulse: float = 10e-9
    fidelity: str = "compact"

    @property
    def n_devices(self) -> int:
        return int(self.i_c0.shape[-1])

    @property
    def n_realisations(self) -> int:
        return int(self.i_c0.shape[0]) if self.i_c0.ndim == 2 else 0

    def thresholds(self) -> torch.Tensor:
        return self.i_c0 + self.charge / self.pulse

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        current = torch.as_tensor(current, dtype=torch.float64)
        excess = current - device_view(self.i_c0, current)  # (N,) or (D, N) thresholds against (..., N) / (D, ..., N)
        t = self.charge / excess.clamp_min(1e-30)
        return torch.where((excess > 0) & (t <= self.pulse), t, torch.full_like(t, float("nan")))


DEVICE = ModelEntry("delay-switching", "switching", lambda: DelaySwitching(torch.tensor([100e-6, 200e-6], dtype=torch.float64)),
                    lambda: torch.tensor([[0.0, 0.0], [400e-6, 500e-6], [150e-6, 250e-6]], dtype=torch.float64))


# --- recipe "add a neuron": a NeuronModel -----------------------------------------------------------------
class IFState(NamedTuple):
    v: torch.Tensor  # membrane voltage, V


@dataclass(frozen=True)
class PerfectIF(NMOSGatedNeuron):  # gate_threshold = V_T, supply_voltage = v_dd
    """Non-leaky integrate-and-fire: C dv/dt = I_D(V_gate, V_DD) of an nMOS input, spike at v_th, reset to 0 (SI)."""

    capacitance: float = 10e-15
    v_th: float = 0.5
    v_dd: float = 1.0
    nmos: NMOSParams = NMOSParams()
    spike_phase = 1.0

    def rest(self, shape, dtype=torch.float64) -> IFState:
        return IFState(torch.zeros(shape, dtype=dtype))

    def step(self, state: IFState, v_gate, t: float, dt: float):
        cur = [drain_current(v, torch.full_like(v, self.v_dd), self.nmos) for v in v_gate]
        (v1,), stages = rk4_step(lambda s, i: (IFState(cur[i] / self.capacitance), cur[i]), state, dt)
        fired = (state.v < self.v_th) & (v1 >= self.v_th)
        frac = torch.where(fired, (self.v_th - state.v) / torch.where(fired, v1 - state.v, torch.ones_like(v1)), torch.zeros_like(v1))
        new = IFState(torch.where(fired, torch.zeros_like(v1), v1))
        return new, NeuronStep(stages[0], rk4_mean(stages, dt), fired.to(v1.dtype), t + frac * dt)

    def phase(self, state: IFState) -> torch.Tensor:
        return state.v / self.v_th


NEURON = ModelEntry("perfect-if", "neuron", PerfectIF, lambda: (25e-12, 200))


@parametrize_with_checks([DEVICE, NEURON])
def test_new_models_pass_the_conformance_suite(entry, check) -> None:
    check(entry.model(), entry.example_inputs())


def test_new_device_runs_the_chain_and_its_learning_rule() -> None:
    # one junction (I_c0 = 0, threshold 100 uA at 10 ns); class 0 below, class 1 above; the rule moves the control current
    chain = SeriesChain(MTJ(DelaySwitching(torch.tensor([0.0], dtype=torch.float64))))
    imap = InputMap(torch.tensor([[1e-6], [1e-6]], dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    clf = ChainClassifier.from_cells(imap, torch.full((2, 1), -300e-6), [0, 3], torch.tensor([100e-6]), spare="error")
    x, y = np.array([[100.0], [150.0]]), np.array([0, 1])  # features in "uA": 100 and 150 uA input currents
    trained, history = train_hardware(clf, chain, x, y, HardwareRuleConfig(steps=40, initial_control=None))
    assert float(history.train_accuracy[0]) == 0.5 and float(history.train_accuracy[-1]) == 1.0
    # D = 4 device realisations learn in parallel: the chain reports them, no fidelity string involved
    spread = SeriesChain(MTJ(DelaySwitching(torch.tensor([[0.0], [5e-6], [-5e-6], [10e-6]], dtype=torch.float64))))
    assert spread.n_realisations == 4
    _, hist = train_hardware(clf, spread, x, y, HardwareRuleConfig(steps=40, initial_control=None))
    assert hist.control.shape[1:] == (4, 2, 1) and bool((hist.train_accuracy[-1] == 1.0).all())


def test_new_neuron_runs_the_spike_timing_network_on_torch() -> None:
    cfg = SpikeTimingConfig(circuit=PerfectIF())
    times = torch.tensor([[0.5e-9, 0.5e-9, 0.5e-9], [1.5e-9, 0.5e-9, 0.5e-9]], dtype=torch.float64)
    wh = torch.full((1, 2, 3), 1.0, dtype=torch.float64, requires_grad=True)
    wo = torch.tensor([[1.2, 1.2, 0.0]], dtype=torch.float64)
    out = forward(wh, wo, times, cfg)  # "auto": no fused kernel for this neuron -> torch
    assert bool(out.spiked.all()) and bool(out.time[0, 0, -1] < out.time[0, 1, -1])  # coincident inputs fire earlier
    out.time[..., -1].sum().backward()
    assert bool((wh.grad[..., :2] < 0).all())  # stronger data synapses -> earlier output
