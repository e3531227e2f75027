"""The threading model of the neuron kernels (``circuits.neuron_circuit_fused.run_ranges``): splitting the batch
over threads changes nothing, to the last bit."""

from __future__ import annotations

import torch

from mtjnn.circuits.neuron_circuit import simulate_circuit
from mtjnn.nn.spike_timing import SpikeTimingConfig, forward
from mtjnn.nn.xor_training import TrainConfig, XorTask, init_weights


def test_thread_split_is_bit_identical() -> None:
    gates = torch.linspace(0.6, 1.4, 7, dtype=torch.float64)
    cfg = SpikeTimingConfig(window=3e-9)
    wh, wo = init_weights(5, cfg, TrainConfig(), torch.Generator().manual_seed(3))
    times = XorTask().patterns()[0]
    before = torch.get_num_threads()
    runs = []
    try:
        for threads in (1, 3):
            torch.set_num_threads(threads)
            trace = simulate_circuit(gates, duration=1e-9, dt=5e-12, backend="fused")
            w = wh.clone().requires_grad_()
            out = forward(w, wo, times, cfg, backend="fused")
            out.time.sum().backward()
            runs.append((trace.phi, trace.energy, trace.spikes.count, out.time, out.spiked, w.grad))
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*runs):
        assert torch.equal(a, b)
