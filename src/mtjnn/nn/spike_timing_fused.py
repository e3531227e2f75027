"""Fused CPU path (numba) of the spike-timing network of ``nn.spike_timing``: forward pass plus exact
forward-mode sensitivities of every first-spike time with respect to every weight. This is the Python
side; the kernel (``network_range``) lives with the neuron's own kernels in ``circuits.neuron_kernels``
(one file for numba's cache), on the threading model of ``circuits.neuron_circuit_fused.run_ranges``.

It integrates the same equations as the torch reference (``spike_timing.forward`` with
``backend="torch"``: the compact SV/MTJ pendulum, the level-1 nMOS in series with the junction,
alpha-kernel synapses, RK4 with the same half-step grid, linearly interpolated saddle crossings) and
propagates the tangent-linear model alongside: for each weight theta, d(phi, m_z)/d theta through
every RK4 stage, dI/d theta of the nMOS operating point by implicit differentiation (saturation closed
form, triode Newton solution), and d t_f / d theta of each interpolated crossing. The result equals
autograd through the reference simulation (tested to 1e-6 relative), at a small fraction of its cost.

The spike-triggered feedback of the neuron circuit acts only after a neuron's first spike, and the
network forwards first spikes only, so the feedback cannot change any output and is omitted here.
"""

from __future__ import annotations

import numpy as np

from ..circuits.neuron_circuit import NeuronCircuitParams
from ..circuits.neuron_circuit_fused import fused_constants, run_ranges
from ..circuits.neuron_kernels import network_range

__all__ = ["fused_constants", "run_network", "supports"]


def supports(neuron: object) -> bool:
    """Whether the fused kernel simulates networks of ``neuron`` (the SV/MTJ-nMOS circuit); others run on torch."""
    return type(neuron) is NeuronCircuitParams


def run_network(
    wh: np.ndarray, wo: np.ndarray, tin: np.ndarray, consts: np.ndarray, tau: float, n_steps: int, dt: float
) -> dict[str, np.ndarray]:
    """Run the fused kernel (float64 numpy in, numpy out); see ``circuits.neuron_kernels.network_range`` for shapes and meaning."""
    n_net, n_hid, n_in = wh.shape
    n_pat = tin.shape[0]
    nd = n_hid * n_in + n_hid + 1
    shape = (n_net, n_pat, n_hid + 1)
    out = {
        "t": np.zeros(shape), "dt": np.zeros(shape + (nd,)), "mp": np.zeros(shape), "dmp": np.zeros(shape + (nd,)),
        "mg": np.zeros(shape), "dmg": np.zeros(shape + (nd,)),
        "spiked": np.zeros(shape, dtype=np.bool_),
    }
    args = (
        np.ascontiguousarray(wh, dtype=np.float64), np.ascontiguousarray(wo, dtype=np.float64),
        np.ascontiguousarray(tin, dtype=np.float64), np.ascontiguousarray(consts, dtype=np.float64),
        float(tau), int(n_steps), float(dt), out["t"], out["dt"], out["mp"], out["dmp"], out["mg"], out["dmg"], out["spiked"],
    )
    run_ranges(network_range, n_net * n_pat, args)
    return out
