"""A type-I (theta / quadratic integrate-and-fire) neuron with an nMOS transconductance input: a second ``NeuronModel``.

The theta neuron (Ermentrout & Kopell, SIAM J. Appl. Math. 46, 233 (1986)) is the normal form of a
saddle-node on invariant circle bifurcation -- the excitability class of the SV/MTJ pendulum neuron,
whose spike is the passage over a saddle. Its phase theta obeys

    tau dtheta/dt = (1 - cos theta) + (1 + cos theta) (I / I_rh - 1),

with I = I_D(V_g, V_DD) the saturation current of an nMOS transistor driven by the gate voltage V_g (the
synaptic sum, V; level 1, ``circuits.nmos``). Without input the neuron rests at theta = -pi/2 (a stable
node; the saddle is at +pi/2); a spike is theta crossing pi (time linearly interpolated within the RK4
step, differentiable in the weights), after which theta returns to rest through 3pi/2 = -pi/2 with no
reset. Through v = tan(theta/2) it is the quadratic integrate-and-fire neuron tau dv/dt = v^2 + I/I_rh - 1
with spike at v -> infinity. Spike latency grows without bound as the input approaches the rheobase
``i_rh`` (type I), so first-spike times carry a graded code. Parameters in SI units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from ..devices.protocol import NeuronStep
from ..physics.rk4 import rk4_mean, rk4_step
from ..validation import check_range
from .nmos import NMOSGatedNeuron, NMOSParams, drain_current


class ThetaState(NamedTuple):
    """Phase ``theta`` (rad) of a batch of theta neurons (rest: -pi/2)."""

    theta: torch.Tensor


@dataclass(frozen=True)
class ThetaNeuronParams(NMOSGatedNeuron):
    """The nMOS-input theta neuron (SI units).

    Attributes:
        tau: time constant of the phase dynamics, s, in (0, 1 us]. Default 0.25 ns.
        i_rh: rheobase current (the dc input at which repetitive firing starts), A, in (0, 1 A]. Default 20 uA.
        v_dd: supply (the transistor's drain), V, in (0, 5]. Default 1.0 V.
        nmos: the input transistor (``NMOSParams``; default V_T = 0.45 V, K = 0.5 mA/V^2).
    """

    tau: float = 0.25e-9
    i_rh: float = 20e-6
    v_dd: float = 1.0
    nmos: NMOSParams = field(default_factory=NMOSParams)

    def __post_init__(self) -> None:
        check_range("tau", self.tau, 0.0, 1e-6, low_inclusive=False, unit="s")
        check_range("i_rh", self.i_rh, 0.0, 1.0, low_inclusive=False, unit="A")
        check_range("v_dd", self.v_dd, 0.0, 5.0, low_inclusive=False, unit="V")
        if not isinstance(self.nmos, NMOSParams):
            raise ValueError(f"nmos = {self.nmos!r}; allowed: an NMOSParams")

    def input_current(self, v_gate: torch.Tensor) -> torch.Tensor:
        """Drain current (A) for gate voltage ``v_gate`` (V): I_D(V_g, V_DD)."""
        return drain_current(v_gate, torch.full_like(v_gate, self.v_dd), self.nmos)

    def rhs(self, state: ThetaState, current: torch.Tensor) -> ThetaState:
        """dtheta/dt (rad/s) for input ``current`` (A)."""
        c = torch.cos(state.theta)
        return ThetaState(((1.0 - c) + (1.0 + c) * (current / self.i_rh - 1.0)) / self.tau)

    # --- the NeuronModel protocol (devices.protocol) ---
    @property
    def spike_phase(self) -> float:
        """phase = theta + pi/2 (0 at rest) reaches 3 pi/2 at a spike."""
        return 1.5 * math.pi

    def rest(self, shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> ThetaState:
        """Neurons at rest (theta = -pi/2), of ``shape``."""
        return ThetaState(torch.full(shape, -0.5 * math.pi, dtype=dtype))

    def step(
        self, state: ThetaState, v_gate: tuple[torch.Tensor, torch.Tensor, torch.Tensor], t: float, dt: float
    ) -> tuple[ThetaState, NeuronStep]:
        """One RK4 step of dt s from t s for gate voltages (V) at t, t + dt/2, t + dt; spike = theta crossing
        pi + 2 pi k upward (pure, differentiable)."""
        currents = [self.input_current(v) for v in v_gate]
        new, stage_currents = rk4_step(lambda s, i: (self.rhs(s, currents[i]), currents[i]), state, dt)
        th0, th1 = state.theta, new.theta
        q0 = torch.floor((th0 - math.pi) / (2 * math.pi))
        q1 = torch.floor((th1 - math.pi) / (2 * math.pi))
        spiked = q1 > q0
        level = math.pi + 2 * math.pi * q1
        safe = torch.where(spiked, th1 - th0, torch.ones_like(th1))
        frac = torch.where(spiked, ((level - th0) / safe).clamp(0.0, 1.0), torch.zeros_like(th1))
        return new, NeuronStep(stage_currents[0], rk4_mean(stage_currents, dt), spiked.to(th1.dtype), t + frac * dt)

    def phase(self, state: ThetaState) -> torch.Tensor:
        """Progress from rest, theta + pi/2 (rad)."""
        return state.theta + 0.5 * math.pi
