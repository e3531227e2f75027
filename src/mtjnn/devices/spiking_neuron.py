"""The spin-valve / magnetic-tunnel-junction (SV/MTJ) spiking neuron (seed S000; Louis et al., IEEE Magn. Lett. 15 (2024)).

Device (SEEDS_SPEC 2.2): a thin in-plane free layer (easy axis x, weak in-plane anisotropy mu0 H_K,
strong easy-plane demagnetization mu0 M_eff = mu0 Ms) driven by a spin current polarized along z
(the spin-valve side, perpendicular polarizer) and read by tunnelling magnetoresistance (the MTJ side).
With m = (cos(lam) cos(phi), cos(lam) sin(phi), m_z), m_z = sin(lam), the LLGS equation (SEEDS_SPEC 5.1,
p = z) reduces, to first order in m_z, to a damped driven pendulum in the in-plane angle:

    dphi/dt = -omega_M m_z - c alpha gamma' a_J
    dm_z/dt = (omega_K / 2) sin(2 phi) - alpha omega_M m_z (1 + c (H_K / M_eff) cos^2 phi) + gamma' a_J

    omega_M = gamma' mu0 M_eff,  omega_K = gamma' mu0 H_K,  gamma' = gamma / (1 + alpha^2),
    a_J = hbar eta I / (2 e Ms t_F A)   (tesla; the Slonczewski damping-like amplitude).

With c = 0 this is exactly the pendulum of SEEDS_SPEC 2.2 (psi = 2 phi obeys the RCSJ equation
psi'' + (omega_p/Q) psi' + omega_p^2 sin psi = omega_p^2 i, omega_p = sqrt(omega_M omega_K),
Q = sqrt(omega_K/omega_M)/alpha, i = a_J / (mu0 H_K / 2)); c = 1 (default) keeps the two remaining
first-order terms, the in-plane part of the damping-like torque and the anisotropy share of the
damping, which brings the spike times within 1 % of the full macrospin from 1.1 to 3 x threshold (0.2-0.5 ns
pulses, dc up to 3 I_th). It breaks down near a threshold (diverging latency) and for a_J approaching
alpha mu0 M_eff, where |m_z| is no longer small and the macrospin leaves the plane (docs/spiking_neuron.md).

A spike is one half-turn of phi (the landscape is pi-periodic): its time is the crossing of a saddle
phi = pi/2 + k pi (linearly interpolated within a step) and its polarity is the sign of the rotation
(+1 for phi decreasing, i.e. m_z > 0, which positive current drives). The static threshold current is
I_th = (mu0 H_K / 2) / (a_J per ampere).

Readout: ``"z"`` (reference along z, cos theta = m_z: one unipolar resistance dip per spike, the
SEEDS_SPEC recommendation) or ``"y"`` (in-plane reference along the hard axis, cos theta = sin phi:
alternating resistance excursions). The resistance follows the TMR law (``devices.mtj.tmr_resistance``).

Two fidelities behind one interface, ``simulate_neuron(..., fidelity=...)``:
``"compact"`` integrates the pendulum above with RK4 in torch (batched, differentiable);
``"macrospin"`` runs the full LLGS engine (``physics.simulate``) with the same parameters
(Ms = M_eff / mu0, demag (0, 0, 1), uniaxial H_K along x, polarizer z).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, NamedTuple, Union

import numpy as np
import torch

from ..constants import E_CHARGE, GAMMA_E, HBAR, MU0
from ..physics import Drive, Macrospin, Sampled, simulate
from ..physics.drive import evaluate_finite
from ..physics.integrate import sample_stride, step_count
from ..validation import check_choice, check_finite, check_positive, check_range
from ..physics.rk4 import rk4_step as rk4
from .spikes import Spikes, detect_spikes, saddle_index, step_crossing, unwrap_angle  # noqa: F401 (public here too)

FIDELITIES = ("compact", "macrospin")
READOUTS = ("z", "y")
Waveform = Callable[[torch.Tensor], torch.Tensor]
CurrentLike = Union[float, int, np.ndarray, torch.Tensor, Waveform]


@dataclass(frozen=True)
class SpikingNeuronParams:
    """Parameters of the SV/MTJ neuron (SI units).

    Defaults (our choice, SEEDS_SPEC 2.2 [G] with the larger damping the spec recommends for clean
    single spikes): mu0 M_eff = 0.2 T, mu0 H_K = 5 mT, alpha = 0.1 -> f0 = 0.88 GHz, Q = 1.58,
    1/(alpha omega_M) = 0.29 ns, I_th = 14.3 uA, spikes about 0.5-1 ns wide.

    Attributes:
        meff: mu0 M_eff = mu0 Ms of the free layer, T (> 0; easy-plane demagnetization).
        hk: mu0 H_K of the in-plane uniaxial anisotropy (easy axis x), T (> 0).
        alpha: Gilbert damping, in (0, 1].
        thickness: free-layer thickness t_F, m (> 0).
        area: junction cross-section, m^2 (> 0); default an ellipse 100 nm x 50 nm.
        eta: spin-torque efficiency, in (0, 1].
        r_p: parallel resistance of the MTJ readout, ohm (> 0).
        tmr: TMR ratio (R_AP - R_P) / R_P, >= 0 (1.0 = 100 %).
        readout: reference-layer direction of the MTJ, "z" or "y" (see module docstring).
        corrections: keep the first-order correction terms in the compact model (c = 1) or not (c = 0).
        gamma: gyromagnetic ratio, rad/(s T).
    """

    meff: float = 0.2
    hk: float = 5e-3
    alpha: float = 0.1
    thickness: float = 1.5e-9
    area: float = math.pi / 4 * 100e-9 * 50e-9
    eta: float = 0.5
    r_p: float = 1e3
    tmr: float = 1.0
    readout: str = "z"
    corrections: bool = True
    gamma: float = GAMMA_E

    def __post_init__(self) -> None:
        check_range("meff", self.meff, 0.0, 5.0, low_inclusive=False, unit="T")
        check_range("hk", self.hk, 0.0, 1.0, low_inclusive=False, unit="T")
        check_range("alpha", self.alpha, 0.0, 1.0, low_inclusive=False)
        check_range("thickness", self.thickness, 0.0, 1e-6, low_inclusive=False, unit="m")
        check_range("area", self.area, 0.0, 1e-10, low_inclusive=False, unit="m^2")
        check_range("eta", self.eta, 0.0, 1.0, low_inclusive=False)
        check_positive("r_p", self.r_p, unit="ohm")
        check_range("tmr", self.tmr, 0.0, 10.0)
        check_choice("readout", self.readout, READOUTS)
        check_positive("gamma", self.gamma, unit="rad/(s T)")

    # --- derived quantities (SI) ---
    @property
    def ms(self) -> float:
        """Saturation magnetization Ms = M_eff, A/m."""
        return self.meff / MU0

    @property
    def gamma_ll(self) -> float:
        """gamma' = gamma / (1 + alpha^2), rad/(s T)."""
        return self.gamma / (1.0 + self.alpha**2)

    @property
    def omega_m(self) -> float:
        """omega_M = gamma' mu0 M_eff, rad/s."""
        return self.gamma_ll * self.meff

    @property
    def omega_k(self) -> float:
        """omega_K = gamma' mu0 H_K, rad/s."""
        return self.gamma_ll * self.hk

    @property
    def f0(self) -> float:
        """Small-signal (FMR) frequency omega_p / 2 pi = sqrt(omega_M omega_K) / 2 pi, Hz."""
        return math.sqrt(self.omega_m * self.omega_k) / (2 * math.pi)

    @property
    def q_factor(self) -> float:
        """Pendulum quality factor Q = sqrt(omega_K / omega_M) / alpha."""
        return math.sqrt(self.hk / self.meff) / self.alpha

    @property
    def relaxation_time(self) -> float:
        """m_z relaxation time 1 / (alpha omega_M), s."""
        return 1.0 / (self.alpha * self.omega_m)

    @property
    def stt_per_ampere(self) -> float:
        """a_J per ampere, hbar eta / (2 e Ms t_F A), T/A."""
        return HBAR * self.eta / (2.0 * E_CHARGE * self.ms * self.thickness * self.area)

    @property
    def threshold_current(self) -> float:
        """Static (slow-ramp) threshold I_th = (mu0 H_K / 2) / (a_J per ampere), A."""
        return 0.5 * self.hk / self.stt_per_ampere

    @cached_property
    def coefficients(self) -> "PendulumCoefficients":
        """Constants of the compact model, computed once (the hot loop uses only these)."""
        c = 1.0 if self.corrections else 0.0
        drive = self.gamma_ll * self.stt_per_ampere
        g_p, g_ap = 1.0 / self.r_p, 1.0 / (self.r_p * (1.0 + self.tmr))
        return PendulumCoefficients(
            omega_m=self.omega_m, half_omega_k=0.5 * self.omega_k, damping=self.alpha * self.omega_m,
            damping_anisotropy=c * self.hk / self.meff, drive_per_ampere=drive, phase_drive_per_ampere=c * self.alpha * drive,
            g_mean=0.5 * (g_p + g_ap), g_swing=0.5 * (g_p - g_ap),
        )

    def macrospin(self) -> Macrospin:
        """The same free layer for the LLGS engine: Ms = M_eff / mu0, demag (0, 0, 1), H_K along x, p = z."""
        return Macrospin(
            ms=self.ms, thickness=self.thickness, area=self.area, alpha=self.alpha, demag=(0.0, 0.0, 1.0),
            anisotropy_field=self.hk, easy_axis=(1.0, 0.0, 0.0), polarizer=(0.0, 0.0, 1.0), eta=self.eta,
            gamma=self.gamma,
        )


class PendulumCoefficients(NamedTuple):
    """Precomputed constants (SI): omega_M, omega_K/2, alpha omega_M (1/s); c H_K/M_eff; gamma' a_J per ampere
    and c alpha gamma' a_J per ampere (1/(s A)); TMR conductance G = g_mean + g_swing cos(theta) (S)."""

    omega_m: float
    half_omega_k: float
    damping: float
    damping_anisotropy: float
    drive_per_ampere: float
    phase_drive_per_ampere: float
    g_mean: float
    g_swing: float


class NeuronState(NamedTuple):
    """State of a batch of neurons: in-plane angle ``phi`` (rad) and ``mz`` (dimensionless), each (B,)."""

    phi: torch.Tensor
    mz: torch.Tensor


def rest_state(batch: int, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> NeuronState:
    """Neurons at rest along +x (phi = 0, m_z = 0)."""
    zeros = torch.zeros(batch, dtype=dtype, device=device)
    return NeuronState(zeros, zeros.clone())


def pendulum_rhs(state: NeuronState, current: torch.Tensor, params: SpikingNeuronParams) -> NeuronState:
    """Time derivatives (1/s) of the compact model for junction ``current`` (A), broadcast against the state."""
    k = params.coefficients
    dphi = -k.omega_m * state.mz - k.phase_drive_per_ampere * current
    damping = k.damping * state.mz
    if k.damping_anisotropy:
        damping = damping * (1.0 + k.damping_anisotropy * torch.cos(state.phi) ** 2)
    dmz = k.half_omega_k * torch.sin(2.0 * state.phi) - damping + k.drive_per_ampere * current
    return NeuronState(dphi, dmz)


def rk4_step(
    state: NeuronState,
    currents: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    params: SpikingNeuronParams,
    dt: float,
) -> NeuronState:
    """One RK4 step of the compact model; ``currents`` (A) at t, t + dt/2 and t + dt (pure, differentiable)."""
    return rk4(lambda s, i: (pendulum_rhs(s, currents[i], params), None), state, dt)[0]


def junction_resistance(state: NeuronState, params: SpikingNeuronParams) -> torch.Tensor:
    """MTJ resistance (ohm) for the readout direction (``params.readout``) from the TMR law
    (``devices.mtj.tmr_resistance``, written as G = g_mean + g_swing cos(theta) for the hot loops)."""
    k = params.coefficients
    if params.readout == "z":
        cos_theta = state.mz
    else:
        cos_theta = torch.sin(state.phi) * torch.sqrt((1.0 - state.mz**2).clamp_min(0.0))
    return 1.0 / (k.g_mean + k.g_swing * cos_theta)


@dataclass
class NeuronTrace:
    """Result of ``simulate_neuron``: ``times`` (S,) s; ``phi`` (rad), ``mz``, ``current`` (A) as (S, B);
    ``spikes`` detected at every integration step; ``fidelity`` used."""

    times: torch.Tensor
    phi: torch.Tensor
    mz: torch.Tensor
    current: torch.Tensor
    spikes: Spikes
    params: SpikingNeuronParams
    fidelity: str

    @property
    def resistance(self) -> torch.Tensor:
        """(S, B) junction resistance, ohm."""
        return junction_resistance(NeuronState(self.phi, self.mz), self.params)

    @property
    def voltage(self) -> torch.Tensor:
        """(S, B) voltage across the junction I R, V."""
        return self.current * self.resistance


def simulate_neuron(
    current: CurrentLike,
    params: SpikingNeuronParams | None = None,
    *,
    duration: float,
    dt: float = 1e-12,
    fidelity: str = "compact",
    batch: int | None = None,
    state0: NeuronState | None = None,
    sample_every: float | None = None,
    dtype: torch.dtype = torch.float64,
) -> NeuronTrace:
    """Simulate a batch of SV/MTJ neurons driven by ``current`` (A) for ``duration`` s.

    Args:
        current: junction current in A: a scalar, a (B,) tensor, or a waveform ``f(t) -> (T,) | (T, B)``
            (t in s), e.g. ``physics.Pulse``. Positive current drives m_z > 0 (phi decreasing).
        params: neuron parameters (default ``SpikingNeuronParams()``).
        duration: simulated time, s (> 0, a multiple of ``dt``).
        dt: integration step, s (> 0). 1 ps is accurate to < 1e-4 in spike time for the defaults.
        fidelity: "compact" (pendulum, RK4 in torch; differentiable) or "macrospin" (LLGS engine).
        batch: number of neurons (default: from the current, else 1).
        state0: initial state (compact only; default rest, phi = 0, m_z = 0).
        sample_every: store every this many seconds (multiple of dt); default every step.
        dtype: float32 or float64.
    Spikes are always detected at every step.
    """
    params = params or SpikingNeuronParams()
    check_choice("fidelity", fidelity, FIDELITIES)
    check_positive("duration", duration, unit="s")
    check_positive("dt", dt, unit="s")
    n = step_count(duration, dt)
    stride = 1 if sample_every is None else sample_stride(sample_every, dt)
    grid = dt * torch.arange(2 * n + 1, dtype=dtype) / 2
    cur = evaluate_finite(current, grid, name="current")
    if batch is None:
        batch = cur.shape[1] if state0 is None else state0.phi.shape[0]
    if cur.shape[1] not in (1, batch):
        raise ValueError(f"current gives {cur.shape[1]} values per time; allowed: 1 or the batch size {batch}")
    cur = cur.expand(-1, batch)
    if fidelity == "compact":
        state = state0 or rest_state(batch, dtype)
        phis, mzs = [state.phi], [state.mz]
        for k in range(n):
            state = rk4_step(state, (cur[2 * k], cur[2 * k + 1], cur[2 * k + 2]), params, dt)
            phis.append(state.phi)
            mzs.append(state.mz)
        phi, mz = torch.stack(phis), torch.stack(mzs)
        if not torch.isfinite(phi).all():
            raise FloatingPointError("the compact neuron model diverged; reduce dt or the current")
    else:
        if state0 is not None:
            raise ValueError("state0 is only supported for fidelity = 'compact'; the macrospin starts at rest (+x)")
        m0 = torch.zeros(batch, 3, dtype=dtype)
        m0[:, 0] = 1.0
        wave = Sampled(grid, cur)
        traj = simulate(m0, params.macrospin(), Drive(current=wave), duration=n * dt, dt=dt, sample_every=dt, backend="auto")
        m = traj.m
        phi = unwrap_angle(torch.atan2(m[..., 1], m[..., 0]))
        mz = m[..., 2]
    times = grid[::2]
    spikes = detect_spikes(times, phi)
    sl = slice(None, None, stride)
    return NeuronTrace(times[sl], phi[sl], mz[sl], cur[::2][sl], spikes, params, fidelity)


class SpikingNeuron:
    """``DeviceModel`` view of the neuron: input = amplitude (A) of a rectangular current pulse of
    ``pulse_width`` s starting at ``pulse_start`` s, output = number of spikes within ``duration`` s.

    Swap ``fidelity`` between "compact" and "macrospin" without changing anything else.
    """

    input_unit = "A"
    output_unit = "spikes"

    def __init__(
        self,
        params: SpikingNeuronParams | None = None,
        *,
        fidelity: str = "compact",
        pulse_width: float = 0.3e-9,
        pulse_start: float = 0.1e-9,
        duration: float = 4e-9,
        dt: float = 2e-12,
    ) -> None:
        check_choice("fidelity", fidelity, FIDELITIES)
        check_positive("pulse_width", pulse_width, unit="s")
        check_range("pulse_start", pulse_start, 0.0, duration, unit="s")
        self.params = params or SpikingNeuronParams()
        self.fidelity = fidelity
        self.pulse_width, self.pulse_start, self.duration, self.dt = pulse_width, pulse_start, duration, dt

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Spike counts (B,) (in the input's dtype) for pulse amplitudes ``inputs`` (B,) in A; deterministic."""
        amp = inputs.reshape(-1).to(torch.float64)
        check_finite("inputs", amp)

        def wave(t: torch.Tensor) -> torch.Tensor:
            on = ((t >= self.pulse_start) & (t < self.pulse_start + self.pulse_width)).to(t.dtype)
            return on[:, None] * amp[None, :].to(t.dtype)

        trace = simulate_neuron(wave, self.params, duration=self.duration, dt=self.dt, fidelity=self.fidelity, batch=amp.numel())
        return trace.spikes.count.to(inputs.dtype if inputs.is_floating_point() else torch.float64)
