"""Fused CPU path (numba) of the SV/MTJ-nMOS neuron circuit of ``circuits.neuron_circuit``: the Python side.

The kernels live in ``neuron_kernels.py`` (every numba function of the neuron circuits in one file, for
numba's cache). ``circuit_kernel`` integrates a batch of neuron circuits with RK4 and the spike-triggered
feedback, exactly as ``neuron_circuit.circuit_step`` does step by step in torch (the reference; tested
equal). ``fused_constants`` packs a ``NeuronCircuitParams`` for the kernels; ``run_ranges`` is the one
threading model of these kernels (``mtjnn.threads``, shared with the engine and the LIF kernels): contiguous
ranges of the batch on ``torch.get_num_threads()`` threads of one pool, the kernels releasing the GIL.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..threads import run_ranges as run_thread_ranges
from ..threads import thread_count
from .neuron_kernels import circuit_range


def run_ranges(kernel: Callable[..., int], n_items: int, args: tuple) -> None:
    """Call ``kernel(start, stop, *args)`` over contiguous ranges covering [0, n_items), one per thread
    (``torch.get_num_threads()``, at most one per item; ``mtjnn.threads``)."""
    run_thread_ranges(lambda lo, hi: kernel(lo, hi, *args), n_items, thread_count(n_items))


def fused_constants(circuit) -> np.ndarray:
    """Packed constants of a ``NeuronCircuitParams`` for the kernels (see ``stage``)."""
    k = circuit.device.coefficients
    n = circuit.nmos
    return np.array([
        k.omega_m, k.half_omega_k, k.damping, k.damping_anisotropy, k.drive_per_ampere, k.phase_drive_per_ampere,
        k.g_mean, k.g_swing, 1.0 if circuit.device.readout == "y" else 0.0, n.vt, n.k, n.lam, circuit.v_dd,
    ])


def circuit_kernel(vg: np.ndarray, circuit, dt: float, max_spikes: int = 256) -> dict[str, np.ndarray]:
    """Run ``neuron_kernels.circuit_range`` for gate voltages ``vg`` (2n+1, B) in V (float64) with the ``NeuronCircuitParams`` ``circuit``."""
    n = (vg.shape[0] - 1) // 2
    b = vg.shape[1]
    out = {
        "phi": np.zeros((n + 1, b)), "mz": np.zeros((n + 1, b)), "current": np.zeros((n + 1, b)), "energy": np.zeros(b),
        "t_spk": np.full((b, max_spikes), np.nan), "p_spk": np.zeros((b, max_spikes), dtype=np.int64),
        "n_spk": np.zeros(b, dtype=np.int64),
    }
    args = (np.ascontiguousarray(vg, dtype=np.float64), fused_constants(circuit), float(circuit.v_ref), float(circuit.tau_ref),
            float(circuit.v_adapt), float(circuit.tau_adapt), float(dt), int(n), out["phi"], out["mz"], out["current"],
            out["energy"], out["t_spk"], out["p_spk"], out["n_spk"])
    run_ranges(circuit_range, b, args)
    return out
