"""Few-neuron spike-timing networks of SV/MTJ-nMOS neurons and their spike-timing gradient rule (seed S000).

Network (SEEDS_SPEC 2.5): I data inputs plus one always-early bias input -> H hidden neurons -> one
output neuron; the output also receives the bias. Every input is a single spike (time coding: early =
logical 1, late = logical 0); every neuron is, by default, the SV/MTJ-nMOS circuit of
``circuits.neuron_circuit`` (compact pendulum + level-1 nMOS) -- any ``devices.protocol.NeuronModel``
fits (``SpikeTimingConfig.circuit``; e.g. ``circuits.theta_neuron``) -- and each neuron forwards its
*first* spike only (a one-shot pulse generator per pattern window: absolute refraction at the network level).

Synapse = voltage-controlled amplifier: a spike at t_f of a presynaptic neuron is shaped into the
alpha pulse k(t - t_f) = (u/tau) exp(1 - u/tau), u = t - t_f > 0 (peak 1 V at u = tau), and the gate of
neuron j receives V_j(t) = sum_i w_ji k(t - t_i), so a weight is a voltage gain (negative =
inhibitory). No bias current: a neuron draws current only while its gate is above V_T.

Learning rule (our choice, documented): exact gradients of the output's first-spike time with respect to
every weight, computed from the neuron's own dynamics (SpikeProp's quantity dt_out/dw, here without
its linearization): the spike time is the linearly interpolated saddle crossing of the simulated
angle, which is a differentiable function of the weights. Two equal implementations:
``backend="torch"`` (the reference: autograd through the RK4 simulation) and ``backend="fused"``
(``nn.spike_timing_fused``: the same simulation in numba with forward-mode sensitivities; tested
equal to autograd). Silent neurons have no spike time; their maximum phase advance max(-phi) (which
reaches pi/2 at a spike) gives them a gradient toward firing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from ..circuits.neuron_circuit import NeuronCircuitParams
from ..devices.protocol import NeuronModel
from ..validation import check_choice, check_finite, check_range

BACKENDS = ("auto", "torch", "fused")


@dataclass(frozen=True)
class SpikeTimingConfig:
    """Network and simulation settings (SI units).

    Attributes:
        n_inputs: data inputs I (a bias input is added), 1..16.
        n_hidden: hidden neurons H, 1..64.
        kernel_tau: alpha-kernel time constant of the synaptic pulse, s, in (0, 10 ns].
        window: simulated time per pattern, s, in (0, 1 us].
        dt: RK4 step, s, in (0, 100 ps]; ``window`` must be a multiple.
        circuit: the neuron shared by all neurons, any ``devices.protocol.NeuronModel`` (default the
            SV/MTJ-nMOS circuit; ``circuits.theta_neuron.ThetaNeuronParams`` is a second one). The fused
            backend exists for the SV/MTJ-nMOS circuit; other neurons run on the torch backend.
    """

    n_inputs: int = 2
    n_hidden: int = 2
    kernel_tau: float = 0.25e-9
    window: float = 5e-9
    dt: float = 25e-12
    circuit: NeuronModel = field(default_factory=NeuronCircuitParams)

    def __post_init__(self) -> None:
        check_range("n_inputs", self.n_inputs, 1, 16)
        check_range("n_hidden", self.n_hidden, 1, 64)
        check_range("kernel_tau", self.kernel_tau, 0.0, 10e-9, low_inclusive=False, unit="s")
        check_range("window", self.window, 0.0, 1e-6, low_inclusive=False, unit="s")
        check_range("dt", self.dt, 0.0, 100e-12, low_inclusive=False, unit="s")
        if abs(self.steps * self.dt - self.window) > 1e-6 * self.window:
            raise ValueError(f"window = {self.window!r} s is not a multiple of dt = {self.dt!r} s; allowed: integer multiples")
        if not isinstance(self.circuit, NeuronModel):
            raise ValueError(f"circuit = {self.circuit!r}; allowed: a NeuronModel (e.g. NeuronCircuitParams, ThetaNeuronParams)")

    @property
    def steps(self) -> int:
        return int(round(self.window / self.dt))

    @property
    def n_weights(self) -> int:
        """Number of weights D = H (I + 1) + H + 1."""
        return self.n_hidden * (self.n_inputs + 1) + self.n_hidden + 1


class NetworkOutput(NamedTuple):
    """Per (network N, pattern P, neuron [hidden..., output]): first-spike ``time`` (s; the window end
    if none), ``spiked`` (bool), ``max_phase`` the maximum of the neuron's ``phase`` up to the first spike
    (>= its ``spike_phase`` if it spiked; max(-phi) in rad, pi/2 at a spike, for the SV/MTJ-nMOS neuron)
    and ``max_gate``, the largest gate voltage (V, sampled at the steps) up to the first spike.
    ``time``, ``max_phase`` and ``max_gate`` are differentiable in the weights."""

    time: torch.Tensor
    spiked: torch.Tensor
    max_phase: torch.Tensor
    max_gate: torch.Tensor


def alpha_kernel(u: torch.Tensor, tau: float) -> torch.Tensor:
    """Synaptic pulse shape k(u) = (u/tau) exp(1 - u/tau) for u > 0, else 0 (peak 1 at u = tau)."""
    x = (u / tau).clamp_min(0.0)
    return x * torch.exp(1.0 - x)


def check_network_inputs(wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig) -> None:
    """ValueError naming the weight or input-time tensor whose shape or values do not fit ``config``."""
    h, i = config.n_hidden, config.n_inputs + 1
    if wh.ndim != 3 or tuple(wh.shape[1:]) != (h, i):
        raise ValueError(f"wh has shape {tuple(wh.shape)}; allowed: (N, {h}, {i}) (hidden x [inputs..., bias])")
    if wo.ndim != 2 or tuple(wo.shape) != (wh.shape[0], h + 1):
        raise ValueError(f"wo has shape {tuple(wo.shape)}; allowed: ({wh.shape[0]}, {h + 1}) ([hidden..., bias])")
    if input_times.ndim != 2 or input_times.shape[1] != i:
        raise ValueError(f"input_times has shape {tuple(input_times.shape)}; allowed: (P, {i}) (last column: bias)")
    check_finite("wh", wh)
    check_finite("wo", wo)
    check_range("input_times", input_times, 0.0, config.window, unit="s")


def forward(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, *, backend: str = "auto"
) -> NetworkOutput:
    """First-spike times of a batch of N networks on P input patterns.

    Args:
        wh: (N, H, I + 1) hidden weights (gains; last column: bias input).
        wo: (N, H + 1) output weights ([hidden..., bias]).
        input_times: (P, I + 1) input spike times, s (last column: the bias spike).
        config: network settings.
        backend: "torch" (autograd reference, any neuron), "fused" (numba + forward sensitivities, for the
            neurons ``spike_timing_fused.supports``) or "auto" (fused where supported, else torch).
    """
    from . import spike_timing_fused

    check_choice("backend", backend, BACKENDS)
    check_network_inputs(wh, wo, input_times, config)
    fused = spike_timing_fused.supports(config.circuit)
    if backend == "fused" and not fused:
        raise ValueError(f"backend = 'fused' for a {type(config.circuit).__name__} neuron; allowed: 'torch' or 'auto' "
                         "(the fused kernel exists for NeuronCircuitParams)")
    if backend == "torch" or not fused:
        return _forward_torch(wh, wo, input_times, config)[0]
    time, max_phase, max_gate, spiked = _FusedNetwork.apply(wh, wo, input_times, config)
    return NetworkOutput(time, spiked, max_phase, max_gate)


def data_pulse_gates(
    wh: torch.Tensor, wo: torch.Tensor, out: NetworkOutput, input_times: torch.Tensor, config: SpikeTimingConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Gate voltage of every neuron at the peaks of its data-driven presynaptic pulses, with their mask.

    The data pulses of a hidden neuron are the I data inputs (peaks at t_i + kernel_tau); those of the
    output are the hidden neurons that spiked (peaks at t_h + kernel_tau); the bias pulse is not a
    reference. The gate is the full synaptic sum (bias and inhibitory synapses included), so the values
    are differentiable in every weight whose pulse overlaps a reference peak and, for the output, in the
    hidden spike times; unlike ``out.max_gate`` (whose maximum may sit at t = 0, before any pulse) they
    give a silent neuron with inhibitory or weak synapses a gradient toward firing from its data.

    Args:
        wh, wo, input_times, config: as for ``forward``; ``out``: its result for them.

    Returns:
        (gates, valid): (N, P, H + 1, R) gate voltages in V and bool reference masks, R = max(I, H);
        hidden neuron j uses references 0..I-1, the output (last) references 0..H-1 where that hidden
        neuron spiked.
    """
    check_network_inputs(wh, wo, input_times, config)
    tau, n_hid, n_in = config.kernel_tau, config.n_hidden, config.n_inputs
    n_ref = max(n_in, n_hid)
    tin = input_times.to(wh.dtype)
    # hidden: gate at the peak of each data input's pulse, (N, P, H, I)
    k_in = alpha_kernel(tin[:, :n_in, None] + tau - tin[:, None, :], tau)  # (P, ref I, source I + 1)
    v_hid = torch.einsum("nhs,prs->nphr", wh, k_in)
    # output: gate at the peak of each hidden spike's pulse, (N, P, H)
    spiked = out.spiked[..., :n_hid]
    pre = torch.cat([out.time[..., :n_hid], tin[None, :, -1:].expand(wh.shape[0], -1, 1)], -1)  # (N, P, H + 1) s
    on = torch.cat([spiked, torch.ones_like(spiked[..., :1])], -1)
    k_out = alpha_kernel(pre[..., :n_hid, None] + tau - pre[..., None, :], tau) * on[..., None, :]  # (N, P, ref H, source H + 1)
    v_out = (k_out * wo[:, None, None, :]).sum(-1)
    pad = torch.nn.functional.pad
    gates = torch.cat([pad(v_hid, (0, n_ref - n_in)), pad(v_out, (0, n_ref - n_hid))[..., None, :]], 2)
    valid = torch.zeros(gates.shape, dtype=torch.bool, device=gates.device)
    valid[..., :n_hid, :n_in] = True
    valid[..., n_hid, :n_hid] = spiked
    return gates, valid


class _FusedNetwork(torch.autograd.Function):
    """Autograd wrapper of the fused kernel: the backward pass contracts the forward sensitivities."""

    @staticmethod
    def forward(ctx, wh, wo, input_times, config):  # type: ignore[override]
        from .spike_timing_fused import fused_constants, run_network

        out = run_network(
            wh.detach().cpu().double().numpy(), wo.detach().cpu().double().numpy(), input_times.detach().cpu().double().numpy(),
            fused_constants(config.circuit), config.kernel_tau, config.steps, config.dt,
        )
        ctx.shapes = (wh.shape, wo.shape)
        ctx.save_for_backward(torch.from_numpy(out["dt"]), torch.from_numpy(out["dmp"]), torch.from_numpy(out["dmg"]))
        spiked = torch.from_numpy(out["spiked"]).to(wh.device)
        ctx.mark_non_differentiable(spiked)
        cast = dict(dtype=wh.dtype, device=wh.device)
        return (torch.from_numpy(out["t"]).to(**cast), torch.from_numpy(out["mp"]).to(**cast),
                torch.from_numpy(out["mg"]).to(**cast), spiked)

    @staticmethod
    def backward(ctx, grad_t, grad_mp, grad_mg, _grad_spiked):  # type: ignore[override]
        d_t, d_mp, d_mg = ctx.saved_tensors
        g = sum((gr.double().cpu()[..., None] * jac).sum((1, 2)) for gr, jac in ((grad_t, d_t), (grad_mp, d_mp), (grad_mg, d_mg)))
        (shape_h, shape_o) = ctx.shapes
        n_h = shape_h[1] * shape_h[2]
        g_h = g[:, :n_h].reshape(shape_h).to(grad_t.dtype)
        g_o = g[:, n_h:].reshape(shape_o).to(grad_t.dtype)
        return g_h.to(grad_t.device), g_o.to(grad_t.device), None, None


class NetworkTrace(NamedTuple):
    """Recorded run of ``simulate_network`` (torch reference): ``times`` (S,) s; ``v_gate`` (V), ``current``
    (A) as (S, N, P, H + 1); ``state`` the neuron's state NamedTuple with every field (S, N, P, H + 1);
    ``energy`` (N, P) supply energy of all neurons per pattern (J). ``phi`` and ``mz`` are the state's
    fields of the SV/MTJ-nMOS neuron."""

    times: torch.Tensor
    v_gate: torch.Tensor
    current: torch.Tensor
    state: NamedTuple
    energy: torch.Tensor

    @property
    def phi(self) -> torch.Tensor:
        return self.state.phi

    @property
    def mz(self) -> torch.Tensor:
        return self.state.mz


def simulate_network(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig
) -> tuple[NetworkOutput, NetworkTrace]:
    """Reference simulation with recorded traces (for figures and the energy per inference)."""
    check_network_inputs(wh, wo, input_times, config)
    with torch.no_grad():
        return _forward_torch(wh, wo, input_times, config, record=True)


def _forward_torch(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, record: bool = False
) -> tuple[NetworkOutput, NetworkTrace | None]:
    neuron, dt, tau = config.circuit, config.dt, config.kernel_tau
    n_net, n_hid = wh.shape[0], config.n_hidden
    n_pat = input_times.shape[0]
    dtype = wh.dtype
    tin = input_times.to(dtype)
    zero = torch.zeros(n_net, n_pat, n_hid + 1, dtype=dtype)
    state = neuron.rest(tuple(zero.shape), dtype)
    t_first = torch.full((n_net, n_pat, n_hid + 1), config.window, dtype=dtype)
    has = torch.zeros(n_net, n_pat, n_hid + 1, dtype=torch.bool)
    max_phase = zero.clone()
    max_gate = torch.full_like(zero, -1e300)
    rec: dict[str, list] = {"v": [], "i": [], "state": [state]}
    energy = torch.zeros(n_net, n_pat, dtype=dtype)
    for k in range(config.steps):
        t = k * dt
        volts = []
        for frac in (0.0, 0.5, 1.0):
            tt = t + frac * dt
            k_in = alpha_kernel(tt - tin, tau)  # (P, I + 1)
            v_hid = torch.einsum("nhi,pi->nph", wh, k_in)
            k_hid = torch.where(has[..., :n_hid], alpha_kernel(tt - t_first[..., :n_hid], tau), torch.zeros_like(t_first[..., :n_hid]))
            v_out = (wo[:, None, :n_hid] * k_hid).sum(-1) + wo[:, None, n_hid] * k_in[None, :, -1]
            volts.append(torch.cat([v_hid, v_out[..., None]], -1))
        max_gate = torch.where(has, max_gate, torch.maximum(max_gate, volts[0]))
        state, out = neuron.step(state, (volts[0], volts[1], volts[2]), t, dt)
        new = (out.polarity != 0) & ~has
        t_first = torch.where(new, out.time, t_first)
        max_phase = torch.where(has, max_phase, torch.maximum(max_phase, neuron.phase(state)))
        has = has | new
        if record:
            rec["v"].append(volts[0])
            rec["i"].append(out.current)
            rec["state"].append(state)
            energy = energy + neuron.supply_voltage * out.charge.sum(-1)
    output = NetworkOutput(t_first, has, max_phase, max_gate)
    if not record:
        return output, None
    rec["v"].append(volts[2])
    rec["i"].append(out.current)
    times = dt * torch.arange(config.steps + 1, dtype=dtype)
    states = type(state)(*(torch.stack(field) for field in zip(*rec["state"])))
    trace = NetworkTrace(times, torch.stack(rec["v"]), torch.stack(rec["i"]), states, energy)
    return output, trace


class LayerwiseResult(NamedTuple):
    """Result of ``simulate_layerwise``: the network ``output`` and the circuit traces of the ``hidden`` neurons
    (batch ordered (N, P, H)) and of the ``out`` neuron (batch ordered (N, P))."""

    output: NetworkOutput
    hidden: object
    out: object


def simulate_layerwise(
    wh: torch.Tensor,
    wo: torch.Tensor,
    input_times: torch.Tensor,
    config: SpikeTimingConfig,
    *,
    fidelity: str = "compact",
    dt: float | None = None,
) -> LayerwiseResult:
    """Simulate trained networks layer by layer with ``circuits.neuron_circuit.simulate_circuit`` at any fidelity.

    A feedforward network needs no co-simulation: the hidden gates depend only on the inputs, the output
    gate only on the hidden first spikes. With ``fidelity="macrospin"`` every neuron is the full LLGS
    macrospin (the same circuit around it), so a network trained on the compact model is checked against
    the physics; with "compact" the fused circuit kernel gives traces and supply energies quickly.
    ``max_phase``/``max_gate`` are not computed (zeros). No autograd. Needs the SV/MTJ-nMOS neuron.
    """
    from ..circuits.neuron_circuit import simulate_circuit

    check_network_inputs(wh, wo, input_times, config)
    if not isinstance(config.circuit, NeuronCircuitParams):
        raise ValueError(f"circuit is a {type(config.circuit).__name__}; allowed: NeuronCircuitParams (the layerwise "
                         "re-simulation runs the SV/MTJ-nMOS circuit; use simulate_network for other neurons)")
    dt = dt or config.dt
    n_net, n_hid = wh.shape[0], config.n_hidden
    n_pat = input_times.shape[0]
    tau, window = config.kernel_tau, config.window
    n_steps = int(round(window / dt))
    tin = input_times.to(torch.float64)
    whd, wod = wh.detach().double(), wo.detach().double()

    def hidden_gate(t: torch.Tensor) -> torch.Tensor:
        k = alpha_kernel(t.to(torch.float64)[:, None, None] - tin[None], tau)  # (T, P, I + 1)
        return torch.einsum("nhi,tpi->tnph", whd, k).reshape(t.shape[0], -1).to(t.dtype)

    hid = simulate_circuit(hidden_gate, config.circuit, duration=n_steps * dt, dt=dt, fidelity=fidelity, batch=n_net * n_pat * n_hid)
    t_h = hid.spikes.first.reshape(n_net, n_pat, n_hid)
    fired_h = ~torch.isnan(t_h)

    def output_gate(t: torch.Tensor) -> torch.Tensor:
        tt = t.to(torch.float64)[:, None, None, None]
        k_h = torch.where(fired_h[None], alpha_kernel(tt - t_h.nan_to_num(window)[None], tau), torch.zeros(()))
        v = (wod[None, :, None, :n_hid] * k_h).sum(-1)
        v = v + wod[None, :, None, n_hid] * alpha_kernel(tt[..., 0] - tin[None, None, :, -1], tau)
        return v.reshape(t.shape[0], -1).to(t.dtype)

    out = simulate_circuit(output_gate, config.circuit, duration=n_steps * dt, dt=dt, fidelity=fidelity, batch=n_net * n_pat)
    t_o = out.spikes.first.reshape(n_net, n_pat, 1)
    times = torch.cat([t_h, t_o], -1)
    spiked = ~torch.isnan(times)
    zeros = torch.zeros_like(times)
    output = NetworkOutput(torch.where(spiked, times, torch.full_like(times, window)), spiked, zeros, zeros)
    return LayerwiseResult(output, hid, out)


def evaluate_layerwise(
    wh: torch.Tensor, wo: torch.Tensor, input_times: torch.Tensor, config: SpikeTimingConfig, *, fidelity: str = "macrospin",
    dt: float | None = None,
) -> NetworkOutput:
    """First-spike times of trained networks re-simulated layer by layer (see ``simulate_layerwise``)."""
    return simulate_layerwise(wh, wo, input_times, config, fidelity=fidelity, dt=dt).output
