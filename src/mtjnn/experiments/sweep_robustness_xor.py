"""`mtjnn sweep robustness xor`: the trained three-neuron spiking XOR with every neuron drawn from a spread.

Training (once): ``nn.xor_training.train_xor`` on ``inits`` broad initialisations (the ``mtjnn run xor``
network: 2 inputs + bias -> 2 hidden -> 1 output SV/MTJ-nMOS neurons, time coding, 30 epochs) with the
nominal circuit; of the networks that classify all four patterns, the one whose output spike times lie
furthest from the class boundary (largest worst-case margin) is deployed, as a designer would.

Device draws: each of the three neurons gets its own circuit, the parameters that differ from device to
device drawn as nominal x (1 + sigma N(0, 1)) (``devices.variability.spread``):

* junction ``hk`` (mu0 H_K): sets the spin-torque threshold current I_th ~ H_K and the pendulum frequency;
* junction ``r_p`` and ``tmr``: the resistance in series with the transistor, hence the drive current;
* transistor ``vt`` (V_T): threshold-voltage mismatch of the nMOS, which shifts the gate voltage at which
  the neuron starts to draw current.

Each draw's network is re-simulated layer by layer with the compact circuit model (``circuits.
neuron_circuit.simulate_circuit``, one call per neuron and draw, the four patterns batched), and scored
as the fraction of the four patterns classified correctly (``XorTask.correct``). The neuron has no
thermal model (the compact pendulum and the circuit are deterministic), so temperature is not a sweep axis.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from ..circuits.neuron_circuit import NeuronCircuitParams, simulate_circuit
from ..devices.variability import spread
from ..nn.spike_timing import NetworkOutput, SpikeTimingConfig, alpha_kernel, evaluate_layerwise
from ..nn.xor_training import TrainConfig, XorTask, train_xor

#: The varied parameters: (part of NeuronCircuitParams, field).
VARIED = (("device", "hk"), ("device", "r_p"), ("device", "tmr"), ("nmos", "vt"))
#: Largest sigma: keeps a drawn parameter above 5 % of nominal (``variability.spread``) with near certainty.
MAX_SIGMA = 0.2
EPOCHS = 30


def train_xor_network(seed: int, inits: int = 8, epochs: int = EPOCHS) -> dict[str, Any]:
    """Train ``inits`` initialisations once and keep the converged one with the largest margin (module docstring)."""
    net, task = SpikeTimingConfig(), XorTask()
    res = train_xor(inits, net, TrainConfig(epochs=epochs, init="broad"), task, generator=torch.Generator().manual_seed(seed))
    times, labels, _ = task.patterns()
    out = evaluate_layerwise(res.wh, res.wo, times, net, fidelity="compact")
    correct = task.correct(out, labels)  # (N, 4)
    ok = correct.all(-1)
    if not bool(ok.any()):
        raise ValueError(f"inits = {inits}: no initialisation learned XOR in {epochs} epochs (seed {seed}); allowed: more inits or another seed")
    margin = (out.time[..., -1] - task.boundary).abs().amin(-1).masked_fill(~ok, -1.0)
    best = int(margin.argmax())
    return {"wh": res.wh[best : best + 1], "wo": res.wo[best : best + 1], "network": net, "task": task,
            "nominal_accuracy": float(correct[best].double().mean()), "margin_s": float(margin[best]), "converged": int(ok.sum()), "inits": inits}


def draw_circuits(nominal: NeuronCircuitParams, draws: int, neurons: int, sigma: float, generator: torch.Generator) -> list[list[NeuronCircuitParams]]:
    """``draws`` x ``neurons`` circuits, each ``VARIED`` parameter nominal x (1 + sigma N(0, 1)) (drawn in ``VARIED`` order)."""
    if not 0.0 <= sigma <= MAX_SIGMA:
        raise ValueError(f"sigma = {sigma!r}; allowed: [0, {MAX_SIGMA}] for xor (module sweep_robustness_xor)")
    values = {key: spread(getattr(getattr(nominal, key[0]), key[1]), sigma, draws * neurons, generator).reshape(draws, neurons)
              for key in VARIED}
    circuits = []
    for d in range(draws):
        row = []
        for j in range(neurons):
            parts = {part: dataclasses.replace(getattr(nominal, part), **{f: float(values[(p, f)][d, j]) for p, f in VARIED if p == part})
                     for part in {p for p, _ in VARIED}}
            row.append(dataclasses.replace(nominal, **parts))
        circuits.append(row)
    return circuits


def simulate_per_neuron(wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig,
                        circuits: list[NeuronCircuitParams]) -> NetworkOutput:
    """First-spike times of ONE network (wh (1, H, I + 1), wo (1, H + 1)) whose neuron k has circuit ``circuits[k]``
    ([hidden..., output]), layer by layer like ``spike_timing.simulate_layerwise`` (compact circuit, P patterns batched)."""
    tau, window, dt, h = config.kernel_tau, config.window, config.dt, config.n_hidden
    tin = input_times.to(torch.float64)
    whd, wod = wh.detach().double()[0], wo.detach().double()[0]

    def first_spike(gate, circuit: NeuronCircuitParams) -> torch.Tensor:
        return simulate_circuit(gate, circuit, duration=window, dt=dt, batch=tin.shape[0]).spikes.first  # (P,), NaN if silent

    t_h = torch.stack([first_spike(lambda t, j=j: alpha_kernel(t.double()[:, None, None] - tin[None], tau) @ whd[j], circuits[j])
                       for j in range(h)], -1)  # (P, H)
    fired = ~torch.isnan(t_h)

    def output_gate(t: torch.Tensor) -> torch.Tensor:
        tt = t.double()[:, None, None]
        k_h = torch.where(fired[None], alpha_kernel(tt - t_h.nan_to_num(window)[None], tau), torch.zeros(()))
        return (k_h * wod[:h]).sum(-1) + wod[h] * alpha_kernel(tt[..., 0] - tin[None, :, -1], tau)

    times = torch.cat([t_h, first_spike(output_gate, circuits[h])[:, None]], -1)[None]  # (1, P, H + 1)
    spiked = ~torch.isnan(times)
    zeros = torch.zeros_like(times)
    return NetworkOutput(torch.where(spiked, times, torch.full_like(times, window)), spiked, zeros, zeros)


def xor_accuracy_draws(trained: dict[str, Any], draws: int, sigma: float, seed: int) -> np.ndarray:
    """(draws,) fraction of the four XOR patterns classified correctly by each drawn set of neurons."""
    net, task = trained["network"], trained["task"]
    times, labels, _ = task.patterns()
    circuits = draw_circuits(net.circuit, draws, net.n_hidden + 1, sigma, torch.Generator().manual_seed(seed))
    return np.array([float(task.correct(simulate_per_neuron(trained["wh"], trained["wo"], times, net, row), labels).double().mean())
                     for row in circuits])
