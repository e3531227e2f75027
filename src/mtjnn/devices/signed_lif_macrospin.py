"""Orthogonal-easy-axis MTJ (seed 001, Zheng, Liu & Yang, arXiv:2606.03796): the macrospin fidelity of the
signed spiking neuron.

Geometry (SEEDS_SPEC 3.1): a W x L x T free-layer prism, 10 x 45 x 50 nm. Shape anisotropy alone sets the
axes (Aharoni prism factors N_x = 0.684 > N_y = 0.167 > N_z = 0.149): the 50 nm height z is the free
layer's easy axis, the 10 nm width x its hard axis, and the reference layer is pinned along x (the short
axis), orthogonal to the free easy axis. Current flows along z through the W x L cross-section.

Physics of the neuron (LLGS, SEEDS_SPEC 5.1). With p = x the damping-like field a_J (m x p) lies in the
free layer's easy (y-z) plane, so a current turns m within that plane: the in-plane angle psi from the
easy axis is the membrane. Eliminating the small hard-axis tilt m_x (Gilbert form, B_x = mu0 Ms (N_x - N_z),
a_c = mu0 Ms (N_y - N_z) / 2) gives a damped pendulum

    psi'' / (gamma B_x) + alpha psi' = gamma (a_J - a_c sin 2 psi),      m_x ~ psi' / (gamma B_x),

overdamped when zeta = (alpha / 2) sqrt((N_x - N_z) / (N_y - N_z)) > 1 (alpha > 0.36 for 10 x 45 x 50 nm).
Then alpha psi' = gamma (a_J - a_c sin 2 psi): below I_c = a_c / (a_J per ampere) the angle settles at
sin 2 psi = I / I_c (leaky integration, time constant alpha / (gamma mu0 Ms (N_y - N_z)) for small psi); a
signed input that drives psi past the saddle (m along +-y) flips m to the other, equivalent easy direction
(+-z): that is the spike. Its sign is the sense of rotation, which the reference layer reads as a pulse of
m.p = m_x of the same sign (the TMR output); landing in the other well is the reset. A sustained current
above I_c rotates m continuously, one spike per half turn, with period pi alpha / (gamma sqrt(a_J^2 - a_c^2))
(the Adler equation). An underdamped junction (realistic CoFeB alpha ~ 0.01) rings and, once kicked over,
keeps rotating: it is a resonator, not an integrator — ``docs/signed_lif.md`` maps where the signed LIF holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from ..constants import GAMMA_E, K_B, MU0
from ..physics.demag import prism_factors
from ..physics.drive import Drive, Sampled
from ..physics.integrate import simulate
from ..physics.params import Macrospin
from ..physics.torques import stt_coefficient
from ..validation import check_positive, check_range
from .junction import tmr_resistance

#: Longest interval between the samples used to follow the rotation of m (a half turn takes >= ~50 ps), s.
TRACKING_INTERVAL = 10e-12
#: Directions in the device frame: reference (pinned) layer along the short axis, free easy axis along the height.
REFERENCE_AXIS = (1.0, 0.0, 0.0)
EASY_AXIS = (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class OrthogonalMTJ:
    """The orthogonal-easy-axis junction (SI units; defaults: SEEDS_SPEC 3.2, alpha discussed in docs/signed_lif.md).

    width (x, along the reference layer, hard axis), length (y), height (z, free easy axis; the current
    flows along it through width x length): m, each in [2 nm, 1 um], with width < length < height so the
    axes keep their roles. ms: A/m. alpha: Gilbert damping. eta: spin polarization (efficiency).
    field_like: b_J / a_J. temperature: K (> 0 adds the Brown thermal field). ra: resistance-area product of
    the barrier, ohm m^2 (1e-12 = 1 ohm um^2). tmr: TMR ratio (1.0 = 100 %).
    """

    width: float = 10e-9
    length: float = 45e-9
    height: float = 50e-9
    ms: float = 1.0e6
    alpha: float = 0.5
    eta: float = 0.6
    field_like: float = 0.0
    temperature: float = 0.0
    ra: float = 1e-12
    tmr: float = 1.0

    fidelity: ClassVar[str] = "macrospin"
    input_unit: ClassVar[str] = "A (current per clock step)"
    output_unit: ClassVar[str] = "spike sign (-1, 0, +1)"

    def __post_init__(self) -> None:
        for name in ("width", "length", "height"):
            check_range(name, getattr(self, name), 2e-9, 1e-6, unit="m")
        if not self.width < self.length < self.height:
            raise ValueError(
                f"width, length, height = {self.width!r}, {self.length!r}, {self.height!r} m; allowed: width < length < height "
                "(hard axis along the reference layer, easy axis along the height)"
            )
        check_range("ms", self.ms, 1e4, 1e7, unit="A/m")
        check_range("alpha", self.alpha, 1e-4, 10.0)
        check_range("eta", self.eta, 0.01, 1.0)
        check_range("field_like", self.field_like, -1.0, 1.0)
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        check_positive("ra", self.ra, unit="ohm m^2")
        check_range("tmr", self.tmr, 0.0, 20.0)

    # --- geometry and closed forms -------------------------------------------------------------
    @property
    def demag(self) -> tuple[float, float, float]:
        """Aharoni prism factors (N_x, N_y, N_z)."""
        return prism_factors(self.width, self.length, self.height)

    @property
    def area(self) -> float:
        """Cross-section the current flows through, m^2 (width x length)."""
        return self.width * self.length

    @property
    def volume(self) -> float:
        """Free-layer volume, m^3."""
        return self.area * self.height

    @property
    def stt_per_ampere(self) -> float:
        """a_J per ampere, T/A: hbar eta / (2 e Ms t_F area), t_F = height."""
        return float(stt_coefficient(torch.tensor(self.ms), torch.tensor(self.height), torch.tensor(self.area), torch.tensor(self.eta)))

    @property
    def in_plane_field(self) -> float:
        """a_c = mu0 Ms (N_y - N_z) / 2, T: the largest in-plane restoring torque field (at psi = 45 deg)."""
        n = self.demag
        return MU0 * self.ms * (n[1] - n[2]) / 2

    @property
    def hard_axis_field(self) -> float:
        """B_x = mu0 Ms (N_x - N_z), T: the stiffness against tilting out of the easy plane."""
        n = self.demag
        return MU0 * self.ms * (n[0] - n[2])

    def critical_current(self) -> float:
        """Rheobase I_c = a_c / (a_J per ampere), A: the dc current above which m rotates (fires) at 0 K."""
        return self.in_plane_field / self.stt_per_ampere

    def damping_ratio(self) -> float:
        """zeta = (alpha / 2) sqrt((N_x - N_z) / (N_y - N_z)) of the linearized pendulum (> 1: overdamped)."""
        return self.alpha * math.sqrt(self.hard_axis_field / (2 * self.in_plane_field)) / 2

    def time_constant(self) -> float:
        """Membrane time constant, s: the slow relaxation of the linearized pendulum
        2 / (alpha gamma B_x (1 - sqrt(1 - 1/zeta^2))) (-> alpha / (gamma mu0 Ms (N_y - N_z)) for zeta >> 1);
        for an underdamped junction (zeta <= 1), the envelope decay 2 / (alpha gamma B_x)."""
        zeta = self.damping_ratio()
        rate = self.alpha * GAMMA_E * self.hard_axis_field / 2
        return 1.0 / (rate * (1.0 - math.sqrt(1.0 - 1.0 / zeta**2))) if zeta > 1 else 1.0 / rate

    def spike_period(self, current: float) -> float:
        """Period of sustained firing (one half turn of m), s, at dc ``current`` (A) > I_c, overdamped limit
        (Adler equation): pi alpha / (gamma sqrt(a_J^2 - a_c^2))."""
        a_j, a_c = abs(current) * self.stt_per_ampere, self.in_plane_field
        if a_j <= a_c:
            raise ValueError(f"current = {current!r} A is below the rheobase {self.critical_current():.4g} A; allowed: |current| > I_c")
        return math.pi * self.alpha / (GAMMA_E * math.sqrt(a_j**2 - a_c**2))

    def thermal_stability(self, temperature: float | None = None) -> float:
        """Delta = mu0 Ms^2 (N_y - N_z) V / (2 k_B T): barrier between the easy directions over the saddle (+-y)."""
        temp = self.temperature if temperature is None else temperature
        check_positive("temperature", temp, unit="K")
        return self.in_plane_field * self.ms * self.volume / (K_B * temp)

    def resistance(self, mp: torch.Tensor) -> torch.Tensor:
        """Junction resistance (ohm) at m.p = ``mp``: TMR law with R_P = ra / area."""
        return tmr_resistance(mp, self.ra / self.area, self.tmr)

    def macrospin(self) -> Macrospin:
        """Engine parameters of this junction (shape anisotropy only, reference along x)."""
        return Macrospin(
            ms=self.ms, thickness=self.height, area=self.area, alpha=self.alpha, demag=self.demag, anisotropy_field=0.0,
            easy_axis=EASY_AXIS, polarizer=REFERENCE_AXIS, eta=self.eta, field_like=self.field_like, temperature=self.temperature,
        )

    # --- simulation ---------------------------------------------------------------------------------
    def drive(self, currents: torch.Tensor, clock: float, rise: float = 2e-12) -> Sampled:
        """Piecewise-constant current (A): ``currents`` (B, K) held for K clock periods of ``clock`` s, with linear
        edges of ``rise`` s (a real driver's edge; keeps the drive continuous for the integrator)."""
        check_positive("clock", clock, unit="s")
        check_range("rise", rise, 0.0, clock / 4, unit="s")
        values = torch.as_tensor(currents, dtype=torch.float64)
        if values.ndim != 2 or values.shape[1] < 1:
            raise ValueError(f"currents has shape {tuple(values.shape)}; allowed: (B, K) with K >= 1 clock steps")
        k = values.shape[1]
        edges = np.arange(1, k) * clock
        half = rise / 2 if rise > 0 else 1e-6 * clock
        times = np.concatenate([[0.0], np.repeat(edges, 2) + np.tile([-half, half], k - 1), [k * clock]])
        return Sampled(times, values.T.repeat_interleave(2, dim=0).numpy())

    def run(
        self,
        currents: torch.Tensor,
        clock: float,
        *,
        samples_per_clock: int = 1,
        dt: float = 1e-12,
        generator: torch.Generator | None = None,
        m0: torch.Tensor | None = None,
    ) -> "NeuronTraces":
        """Drive B junctions with current sequences ``currents`` (B, K) in A, one value per clock period of ``clock``
        s, in ONE batched ``simulate`` call; m starts along +z (or ``m0`` (B, 3)). Returns the traces sampled
        ``samples_per_clock`` times per clock period (the last sample of each period is its end)."""
        check_range("samples_per_clock", samples_per_clock, 1, 10_000)
        values = torch.as_tensor(currents, dtype=torch.float64)
        drive = Drive(current=self.drive(values, clock))
        batch, steps = values.shape
        start = torch.tensor([EASY_AXIS], dtype=torch.float64).expand(batch, 3) if m0 is None else m0
        sample = clock / samples_per_clock
        if abs(sample / dt - round(sample / dt)) > 1e-6:
            raise ValueError(f"clock / samples_per_clock = {sample!r} s is not a multiple of dt = {dt!r} s; allowed: integer multiples")
        # flips are counted by unwrapping the in-plane angle, which needs samples much closer than a half turn:
        # integrate with samples every <= TRACKING_INTERVAL and keep every `sub`-th
        sub = _tracking_substeps(round(sample / dt), dt)
        method = "heun" if self.temperature > 0 else "rk4"
        traj = simulate(start, self.macrospin(), drive, duration=steps * clock, dt=dt, method=method,
                        sample_every=sample / sub, generator=generator)
        return NeuronTraces.from_magnetization(traj.times, traj.m, values, clock, samples_per_clock, self, keep_every=sub)

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None, *, clock: float = 1e-10) -> torch.Tensor:
        """Spikes (B, K) of B junctions for current sequences ``inputs`` (B, K) in A (``DeviceModel`` contract; the
        spikes come back as a tensor of the inputs' dtype)."""
        return torch.as_tensor(self.run(inputs, clock, generator=generator).spikes, dtype=inputs.dtype)


@dataclass(frozen=True)
class NeuronTraces:
    """What a bank of driven junctions did, as numpy arrays (B junctions, S = K * samples_per_clock + 1 samples).

    times (S,), s. mp (S, B): m.p = m_x, the reference-layer projection the TMR reads (bipolar spikes).
    angle (S, B): in-plane angle psi from the nearest easy direction, rad, in (-pi/2, pi/2] (the membrane).
    turns (S, B): net half turns since the start (the flip count, signed). spikes (B, K): net flips in each
    clock period (+1 / -1; rarely |.| > 1 when a strong drive fires twice in one period). currents (B, K), A.
    energy (B,): Joule energy I^2 R(m.p) dt over the whole sequence, J.
    """

    times: np.ndarray
    mp: np.ndarray
    angle: np.ndarray
    turns: np.ndarray
    spikes: np.ndarray
    currents: np.ndarray
    clock: float
    samples_per_clock: int
    energy: np.ndarray

    @classmethod
    def from_magnetization(cls, times: torch.Tensor, m: torch.Tensor, currents: torch.Tensor, clock: float,
                           samples_per_clock: int, device: OrthogonalMTJ, keep_every: int = 1) -> "NeuronTraces":
        """Traces from sampled magnetizations (S', B, 3) dense enough to unwrap the in-plane angle; every
        ``keep_every``-th sample is kept."""
        mm_dense = m.detach().cpu().double().numpy()
        psi = np.unwrap(np.arctan2(mm_dense[..., 1], mm_dense[..., 2]), axis=0)[::keep_every]
        mm = mm_dense[::keep_every]
        times = times[::keep_every]
        turns = np.floor(psi / np.pi + 0.5)
        angle = psi - turns * np.pi
        per_clock = turns[::samples_per_clock]
        spikes = np.diff(per_clock, axis=0).T
        cur = currents.detach().cpu().double().numpy()
        # energy: current of each sample interval (its clock period) times the resistance at the interval's end
        t = times.detach().cpu().double().numpy()
        step = np.minimum((t[1:] - 0.5 * np.diff(t)) // clock, cur.shape[1] - 1).astype(int)
        resistance = device.resistance(torch.as_tensor(mm[1:, :, 0])).numpy()
        energy = np.sum(cur[:, step].T ** 2 * resistance * np.diff(t)[:, None], axis=0)
        return cls(times=t, mp=mm[..., 0], angle=angle, turns=turns, spikes=spikes, currents=cur, clock=clock,
                   samples_per_clock=samples_per_clock, energy=energy)

    def at_clock(self, values: np.ndarray) -> np.ndarray:
        """(B, K) values at the end of each clock period from a (S, B) trace."""
        return values[self.samples_per_clock::self.samples_per_clock].T


def _tracking_substeps(steps_per_sample: int, dt: float) -> int:
    """Smallest divisor ``sub`` of ``steps_per_sample`` with (steps_per_sample / sub) * dt <= TRACKING_INTERVAL."""
    for sub in range(1, steps_per_sample + 1):
        if steps_per_sample % sub == 0 and steps_per_sample // sub * dt <= TRACKING_INTERVAL * (1 + 1e-9):
            return sub
    return steps_per_sample
