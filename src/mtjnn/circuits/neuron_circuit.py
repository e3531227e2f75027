"""The SV/MTJ-nMOS neuron: voltage in (gate), voltage out (drain), so neurons chain through voltage gains.

Topology (SEEDS_SPEC 2.3): V_DD -> SV/MTJ -> drain; nMOS source to ground; gate voltage V_in = the sum of
the synaptic voltage-controlled-amplifier (VCA) outputs. The drain current is the junction's drive
current (no bias current: I = 0 while V_in < V_T), found from I = I_D(V_GS, V_DD - I R_MTJ(m))
(``circuits.nmos.series_current``); the drain voltage V_D = V_DD - I R_MTJ is the output, and each
spike is a resistance excursion of the junction.

Two circuit elements of our own (SEEDS_SPEC 6 items 14: the sources do not name a mechanism) act on the
gate through the same kind of VCA as a synapse, driven by the neuron's own spikes (an inhibitory
autapse; every spike, detected at the saddle crossing, starts an exponentially decaying gate offset):

    V_GS(t) = V_in(t) - V_ref r_ref(t) - V_adapt r_adapt(t),
    dr_x/dt = -r_x / tau_x + sum_f delta(t - t_f)      (x = ref, adapt)

* refractory feedback (``v_ref``, ``tau_ref``): a large, short offset that gives an absolute refractory
  period (a second pulse up to 3x threshold cannot fire the neuron) followed by a relative one;
* adaptation feedback (``v_adapt``, ``tau_adapt``): a small offset with a long time constant that
  accumulates over a spike train, so inter-spike intervals lengthen under sustained drive and
  saturate (spike-frequency adaptation; parameter ``v_adapt`` = gate-voltage step per spike).

Both are off when their amplitude is 0. ``simulate_circuit`` integrates the compact (pendulum) device
coupled to the circuit with RK4 (differentiable); ``fidelity="macrospin"`` solves the same circuit
around the LLGS engine by waveform relaxation (iterate: current -> macrospin trajectory -> current).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Union

import numpy as np
import torch

from ..devices.spiking_neuron import (
    FIDELITIES,
    NeuronState,
    SpikingNeuronParams,
    Spikes,
    unwrap_angle,
    detect_spikes,
    junction_resistance,
    pendulum_rhs,
    step_crossing,
)
from ..devices.protocol import NeuronStep
from ..physics.rk4 import rk4_mean, rk4_step
from ..physics import Drive, Sampled, simulate
from ..physics.stepper import stepper
from ..physics.drive import evaluate_finite
from ..physics.integrate import sample_stride, step_count
from ..validation import check_choice, check_positive, check_range
from .nmos import NMOSGatedNeuron, NMOSParams, series_current

COUPLINGS = ("relaxation", "step")
VoltageLike = Union[float, int, np.ndarray, torch.Tensor, Callable[[torch.Tensor], torch.Tensor]]


@dataclass(frozen=True)
class NeuronCircuitParams(NMOSGatedNeuron):
    """The SV/MTJ-nMOS neuron circuit (SI units).

    Attributes:
        device: the SV/MTJ junction (``SpikingNeuronParams``).
        nmos: the transistor (``NMOSParams``).
        v_dd: supply voltage, V, in (0, 5]. Default 1.0 V.
        v_ref: refractory feedback amplitude, V, in [0, 5] (0 = off). Default 1.0 V.
        tau_ref: refractory feedback time constant, s, in (0, 1e-6]. Default 0.5 ns.
        v_adapt: adaptation feedback per spike, V, in [0, 5] (0 = off). Default 0.02 V.
        tau_adapt: adaptation time constant, s, in (0, 1e-6]. Default 5 ns.
    """

    device: SpikingNeuronParams = field(default_factory=SpikingNeuronParams)
    nmos: NMOSParams = field(default_factory=NMOSParams)
    v_dd: float = 1.0
    v_ref: float = 1.0
    tau_ref: float = 0.5e-9
    v_adapt: float = 0.02
    tau_adapt: float = 5e-9

    def __post_init__(self) -> None:
        if not isinstance(self.device, SpikingNeuronParams):
            raise ValueError(f"device = {self.device!r}; allowed: a SpikingNeuronParams")
        if not isinstance(self.nmos, NMOSParams):
            raise ValueError(f"nmos = {self.nmos!r}; allowed: an NMOSParams")
        check_range("v_dd", self.v_dd, 0.0, 5.0, low_inclusive=False, unit="V")
        check_range("v_ref", self.v_ref, 0.0, 5.0, unit="V")
        check_range("tau_ref", self.tau_ref, 0.0, 1e-6, low_inclusive=False, unit="s")
        check_range("v_adapt", self.v_adapt, 0.0, 5.0, unit="V")
        check_range("tau_adapt", self.tau_adapt, 0.0, 1e-6, low_inclusive=False, unit="s")

    def gate_for_current(self, current: float) -> float:
        """Gate voltage (V) that drives ``current`` (A) through the junction at rest (saturation, R = R(m_z = 0))."""
        check_range("current", current, 0.0, 1.0, unit="A")
        r = float(junction_resistance(NeuronState(torch.zeros(1, dtype=torch.float64), torch.zeros(1, dtype=torch.float64)), self.device))
        lo, hi = self.nmos.vt, self.nmos.vt + 5.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            i = float(series_current(torch.tensor([mid], dtype=torch.float64), self.v_dd, torch.tensor([r], dtype=torch.float64), self.nmos))
            lo, hi = (mid, hi) if i < current else (lo, mid)
        return 0.5 * (lo + hi)

    # --- the NeuronModel protocol (devices.protocol), what the spike-timing network calls ---
    @property
    def spike_phase(self) -> float:
        """phase = -phi reaches pi/2 (rad) at a spike (the saddle crossing)."""
        return 0.5 * math.pi

    def rest(self, shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> "CircuitState":
        """Neurons at rest (phi = 0, m_z = 0, no feedback), every field of ``shape``."""
        z = torch.zeros(shape, dtype=dtype)
        return CircuitState(z, z.clone(), z.clone(), z.clone())

    def step(self, state: "CircuitState", v_gate: tuple[torch.Tensor, torch.Tensor, torch.Tensor], t: float, dt: float):
        """``circuit_step`` with these parameters."""
        return circuit_step(state, v_gate, self, t, dt)

    def phase(self, state: "CircuitState") -> torch.Tensor:
        """Phase advance -phi (rad)."""
        return -state.phi


class CircuitState(NamedTuple):
    """State of a batch of neuron circuits, each (B,): angle ``phi`` (rad), ``mz``, feedback traces ``r_ref``, ``r_adapt``."""

    phi: torch.Tensor
    mz: torch.Tensor
    r_ref: torch.Tensor
    r_adapt: torch.Tensor


def circuit_rest(batch: int, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> CircuitState:
    """Neurons at rest: phi = 0, m_z = 0, no feedback."""
    z = torch.zeros(batch, dtype=dtype, device=device)
    return CircuitState(z, z.clone(), z.clone(), z.clone())


def junction_current(
    v_gate: torch.Tensor, state: NeuronState, r_ref: torch.Tensor, r_adapt: torch.Tensor, params: NeuronCircuitParams
) -> torch.Tensor:
    """Junction (= drain) current (A) for the applied gate voltage (V), the magnetic state and the feedback traces."""
    v_gs = v_gate - params.v_ref * r_ref - params.v_adapt * r_adapt
    return series_current(v_gs, params.v_dd, junction_resistance(state, params.device), params.nmos)


StepOutput = NeuronStep
"""Per-step outputs of ``circuit_step``: the ``NeuronStep`` of ``devices.protocol`` (current, charge, polarity, time)."""


def circuit_step(
    state: CircuitState,
    v_gate: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    params: NeuronCircuitParams,
    t: float,
    dt: float,
) -> tuple[CircuitState, StepOutput]:
    """Advance the coupled junction + circuit by one RK4 step (pure, differentiable).

    ``v_gate`` = applied gate voltages (V) at t, t + dt/2, t + dt. The feedback traces decay exactly
    between spikes; a spike detected in the step adds exp(-(t + dt - t_f)/tau) to each trace.
    """
    dev = params.device
    r_ref, r_ad = _feedback_stages(state.r_ref, state.r_adapt, params, dt)
    s0 = NeuronState(state.phi, state.mz)

    def rhs(s: NeuronState, i: int) -> tuple[NeuronState, torch.Tensor]:
        cur = junction_current(v_gate[i], s, r_ref[i], r_ad[i], params)
        return pendulum_rhs(s, cur, dev), cur

    (phi, mz), currents = rk4_step(rhs, s0, dt)
    polarity, t_f = step_crossing(s0.phi, phi, t, dt)
    new_ref, new_ad = _feedback_after(r_ref[2], r_ad[2], polarity, t_f, t + dt, params)
    return CircuitState(phi, mz, new_ref, new_ad), StepOutput(currents[0], rk4_mean(currents, dt), polarity, t_f)


def _feedback_stages(r_ref: torch.Tensor, r_adapt: torch.Tensor, params: NeuronCircuitParams, dt: float):
    """The feedback traces at the RK4 points t, t + dt/2, t + dt (exact decay between spikes)."""
    e_ref, e_ad = math.exp(-0.5 * dt / params.tau_ref), math.exp(-0.5 * dt / params.tau_adapt)
    return (r_ref, r_ref * e_ref, r_ref * e_ref * e_ref), (r_adapt, r_adapt * e_ad, r_adapt * e_ad * e_ad)


def _feedback_after(r_ref: torch.Tensor, r_adapt: torch.Tensor, polarity: torch.Tensor, t_f: torch.Tensor, t_end: float,
                    params: NeuronCircuitParams) -> tuple[torch.Tensor, torch.Tensor]:
    """The traces at the step's end ``t_end`` (s): a spike at ``t_f`` inside the step adds exp(-(t_end - t_f)/tau)."""
    spiked = (polarity != 0).to(r_ref.dtype)
    after = t_end - t_f
    return r_ref + spiked * torch.exp(-after / params.tau_ref), r_adapt + spiked * torch.exp(-after / params.tau_adapt)


@dataclass
class CircuitTrace:
    """Result of ``simulate_circuit``. Time series are (S, B): ``v_in`` applied gate voltage (V),
    ``current`` junction/drain current (A), ``phi`` (rad), ``mz``; ``spikes`` detected at every step;
    ``energy`` (B,) supply energy V_DD * integral I dt (J) over the run."""

    times: torch.Tensor
    v_in: torch.Tensor
    current: torch.Tensor
    phi: torch.Tensor
    mz: torch.Tensor
    spikes: Spikes
    energy: torch.Tensor
    params: NeuronCircuitParams
    fidelity: str

    @property
    def resistance(self) -> torch.Tensor:
        """(S, B) junction resistance, ohm."""
        return junction_resistance(NeuronState(self.phi, self.mz), self.params.device)

    @property
    def v_drain(self) -> torch.Tensor:
        """(S, B) output (drain) voltage V_DD - I R, V."""
        return self.params.v_dd - self.current * self.resistance

    @property
    def power(self) -> torch.Tensor:
        """(S, B) supply power V_DD I, W."""
        return self.params.v_dd * self.current

    @property
    def junction_power(self) -> torch.Tensor:
        """(S, B) Joule power in the junction I^2 R, W."""
        return self.current**2 * self.resistance


def simulate_circuit(
    v_in: VoltageLike,
    params: NeuronCircuitParams | None = None,
    *,
    duration: float,
    dt: float = 2e-12,
    fidelity: str = "compact",
    batch: int | None = None,
    sample_every: float | None = None,
    max_iterations: int = 6,
    backend: str = "auto",
    coupling: str = "relaxation",
    dtype: torch.dtype = torch.float64,
) -> CircuitTrace:
    """Simulate a batch of SV/MTJ-nMOS neurons driven by gate voltages ``v_in`` (V) for ``duration`` s.

    Args:
        v_in: gate voltage, V: scalar, (B,), or a waveform ``f(t) -> (T,) | (T, B)`` (t in s).
        params: circuit parameters (default ``NeuronCircuitParams()``).
        duration: simulated time, s (> 0, a multiple of ``dt``).
        dt: RK4 step, s (> 0).
        fidelity: "compact" (pendulum, coupled RK4, differentiable) or "macrospin" (LLGS engine,
            coupled to the circuit as ``coupling`` says).
        batch: number of neurons (default from ``v_in``).
        sample_every: keep every this many seconds (multiple of dt); default every step.
        backend: "torch" (the reference ``circuit_step`` loop; differentiable), "fused" (the numba kernel of
            ``neuron_circuit_fused``; CPU, no autograd) or "auto" (fused unless ``v_in`` requires grad).
        coupling: macrospin only: "relaxation" (default: whole-trajectory passes of the fused engine under the
            circuit current of the previous pass, at most ``max_iterations``, until the current changes by
            < 1e-6 relative; fast) or "step" (the circuit inside every RK4 step through ``physics.stepper`` with
            a state-dependent current: no iteration, a Python loop over steps, torch, differentiable).
    """
    params = params or NeuronCircuitParams()
    check_choice("fidelity", fidelity, FIDELITIES)
    check_positive("duration", duration, unit="s")
    check_positive("dt", dt, unit="s")
    n = step_count(duration, dt)
    stride = 1 if sample_every is None else sample_stride(sample_every, dt)
    grid = dt * torch.arange(2 * n + 1, dtype=dtype) / 2
    vg = evaluate_finite(v_in, grid, name="v_in")
    batch = batch or vg.shape[1]
    if vg.shape[1] not in (1, batch):
        raise ValueError(f"v_in gives {vg.shape[1]} values per time; allowed: 1 or the batch size {batch}")
    vg = vg.expand(-1, batch)
    check_choice("backend", backend, ("auto", "torch", "fused"))
    check_choice("coupling", coupling, COUPLINGS)
    times = grid[::2]
    if fidelity == "macrospin" and coupling == "step":
        phi, mz, current, energy = _macrospin_coupled(vg, params, n, dt, batch, dtype)
        sl = slice(None, None, stride)
        return CircuitTrace(times[sl], vg[::2][sl], current[sl], phi[sl], mz[sl], detect_spikes(times, phi), energy, params,
                            fidelity)
    use_fused = backend == "fused" or (backend == "auto" and not vg.requires_grad and vg.device.type == "cpu")
    if use_fused:
        from .neuron_circuit_fused import circuit_kernel

        if vg.requires_grad:
            raise ValueError("backend = 'fused' has no autograd; use backend = 'torch' for gradients")
        res = circuit_kernel(vg.detach().cpu().double().numpy(), params, dt)
        width = int(res["n_spk"].max()) if batch else 0
        if width > res["t_spk"].shape[1]:
            res = circuit_kernel(vg.detach().cpu().double().numpy(), params, dt, max_spikes=width)
        phi, mz = torch.from_numpy(res["phi"]).to(dtype), torch.from_numpy(res["mz"]).to(dtype)
        current = torch.from_numpy(res["current"]).to(dtype)
        energy = torch.from_numpy(res["energy"]).to(dtype)
        spikes = Spikes(torch.from_numpy(res["t_spk"][:, :width]).to(dtype), torch.from_numpy(res["p_spk"][:, :width]),
                        torch.from_numpy(res["n_spk"]))
        if not torch.isfinite(phi).all():
            raise FloatingPointError("the circuit simulation diverged; reduce dt")
    else:
        phi, mz, current, energy = _torch_loop(vg, params, n, dt, batch, dtype)
        spikes = detect_spikes(times, phi)
    if fidelity == "macrospin":
        phi, mz, current, spikes, energy = _macrospin_relaxation(grid, vg, phi, mz, spikes, params, dt, max_iterations)
    sl = slice(None, None, stride)
    return CircuitTrace(times[sl], vg[::2][sl], current[sl], phi[sl], mz[sl], spikes, energy, params, fidelity)


def _torch_loop(vg: torch.Tensor, params: NeuronCircuitParams, n: int, dt: float, batch: int, dtype: torch.dtype):
    """The reference time loop: ``circuit_step`` n times; returns phi, m_z, current (n+1, B) and energy (B,)."""
    state = circuit_rest(batch, dtype)
    phis, mzs, curs = [state.phi], [state.mz], []
    energy = torch.zeros(batch, dtype=dtype)
    for k in range(n):
        state, out = circuit_step(state, (vg[2 * k], vg[2 * k + 1], vg[2 * k + 2]), params, k * dt, dt)
        phis.append(state.phi)
        mzs.append(state.mz)
        curs.append(out.current)
        energy = energy + params.v_dd * out.charge
    phi, mz = torch.stack(phis), torch.stack(mzs)
    if not torch.isfinite(phi).all():
        raise FloatingPointError("the circuit simulation diverged; reduce dt")
    last = junction_current(vg[-1], NeuronState(state.phi, state.mz), state.r_ref, state.r_adapt, params)
    current = torch.stack(curs + [last])
    return phi, mz, current, energy


def current_from_trajectory(
    grid: torch.Tensor, v_gate: torch.Tensor, phi: torch.Tensor, mz: torch.Tensor, spikes: Spikes, params: NeuronCircuitParams
) -> torch.Tensor:
    """Circuit current (A) on the half-step ``grid`` (2n+1,) for a given trajectory (phi, mz at the n+1 steps)
    and spike list: the open-loop circuit equation used by the waveform relaxation."""
    phi_h = torch.repeat_interleave(phi, 2, dim=0)[:-1]
    mz_h = torch.repeat_interleave(mz, 2, dim=0)[:-1]
    phi_h[1::2] = 0.5 * (phi[:-1] + phi[1:])
    mz_h[1::2] = 0.5 * (mz[:-1] + mz[1:])
    lag = grid[:, None, None] - spikes.times[None, :, :]  # (T, B, K)
    on = (lag >= 0) & ~torch.isnan(lag)
    lag = torch.where(on, lag, torch.zeros_like(lag))
    r_ref = (on * torch.exp(-lag / params.tau_ref)).sum(-1)
    r_ad = (on * torch.exp(-lag / params.tau_adapt)).sum(-1)
    return junction_current(v_gate, NeuronState(phi_h, mz_h), r_ref, r_ad, params)


def _macrospin_coupled(vg: torch.Tensor, params: NeuronCircuitParams, n: int, dt: float, batch: int, dtype: torch.dtype):
    """The circuit around the LLGS macrospin, coupled inside every RK4 step: the junction current is a function
    of the stage's magnetization (``physics.stepper`` with a state-dependent current), phi the unwrapped
    in-plane angle atan2(m_y, m_x). Returns phi, m_z, current (n+1, B), energy (B,) as ``_torch_loop``."""
    init, step = stepper(params.device.macrospin(), "rk4", batch=batch, dtype=dtype)
    m0 = torch.zeros(batch, 3, dtype=dtype)
    m0[:, 0] = 1.0
    state = init(m0)
    zero = torch.zeros(batch, dtype=dtype)
    phi, r_ref, r_ad, energy = zero, zero, zero, zero
    phis, mzs, curs = [phi], [state.m[:, 2]], []

    def angle(m: torch.Tensor) -> torch.Tensor:
        return torch.atan2(m[:, 1], m[:, 0])

    for k in range(n):
        rr, ra = _feedback_stages(r_ref, r_ad, params, dt)
        stage_currents: list[torch.Tensor] = []

        def current(m: torch.Tensor, i: int) -> torch.Tensor:
            # phi only enters through sin(phi) (the y readout), so the wrapped angle of the stage will do
            cur = junction_current(vg[2 * k + i], NeuronState(angle(m), m[:, 2]), rr[i], ra[i], params)
            stage_currents.append(cur)
            return cur

        new = step(state, dt, current=current)
        turn = torch.remainder(angle(new.m) - angle(state.m) + math.pi, 2 * math.pi) - math.pi
        new_phi = phi + turn
        polarity, t_f = step_crossing(phi, new_phi, k * dt, dt)
        r_ref, r_ad = _feedback_after(rr[2], ra[2], polarity, t_f, (k + 1) * dt, params)
        energy = energy + params.v_dd * rk4_mean(tuple(stage_currents), dt)
        curs.append(stage_currents[0])
        state, phi = new, new_phi
        phis.append(phi)
        mzs.append(state.m[:, 2])
    phi, mz = torch.stack(phis), torch.stack(mzs)
    if not torch.isfinite(phi).all():
        raise FloatingPointError("the circuit simulation diverged; reduce dt")
    curs.append(junction_current(vg[-1], NeuronState(angle(state.m), state.m[:, 2]), r_ref, r_ad, params))
    return phi, mz, torch.stack(curs), energy


def _macrospin_relaxation(grid, vg, phi, mz, spikes, params, dt, max_iterations):
    batch = vg.shape[1]
    current = current_from_trajectory(grid, vg, phi, mz, spikes, params)
    m0 = torch.zeros(batch, 3, dtype=vg.dtype)
    m0[:, 0] = 1.0
    macro = params.device.macrospin()
    n = (grid.numel() - 1) // 2
    for _ in range(max_iterations):
        traj = simulate(m0, macro, Drive(current=Sampled(grid, current)), duration=n * dt, dt=dt, sample_every=dt)
        phi = unwrap_angle(torch.atan2(traj.m[..., 1], traj.m[..., 0]))
        mz = traj.m[..., 2]
        spikes = detect_spikes(grid[::2], phi)
        new = current_from_trajectory(grid, vg, phi, mz, spikes, params)
        change = float((new - current).abs().max())
        current = new
        if change <= 1e-6 * max(float(current.abs().max()), 1e-12):
            break
    charge = (current[:-1:2] + 4 * current[1::2] + current[2::2]) * (dt / 6.0)  # Simpson per step
    energy = params.v_dd * charge.sum(0)
    return phi, mz, current[::2], spikes, energy
