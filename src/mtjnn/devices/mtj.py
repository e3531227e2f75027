"""Magnetic tunnel junction: resistance (TMR law, bias dependence) and AP->P switching in two fidelities.

Resistance: ``devices.junction`` (TMR law, bias-dependent R_AP, ``JunctionParams``), re-exported here.

Switching (López et al., Phys. Rev. Applied 22, 014082 (2024), seed 002): a junction starts
antiparallel (AP); a dc current I (positive = electrons polarizer -> free layer, favours P) applied for
``pulse`` seconds switches it to P above a device threshold I_sw. Two fidelities implement one
interface, ``devices.protocol.SwitchingModel`` (``switching_time(current (..., N), generator) -> s``,
NaN = none; ``thresholds``, ``n_devices``, ``n_realisations``, ``pulse``), chosen with one argument of
``make_mtj``; ``MTJ`` accepts any other ``SwitchingModel`` as well:

* ``CompactSwitching`` — thresholds given directly (the paper's: I_th,input = 724, 434, 696 uA at a
  control current of -500 uA, i.e. device currents I_sw = 224, -66, 196 uA). At 0 K switched = I > I_sw;
  at T > 0 Néel–Brown escape, P = 1 - exp(-t/tau), tau = tau0 exp(Delta (1 - x)^beta), with x linear in
  I and offset so that P(I_sw, pulse) = 1/2 (the measured room-temperature thresholds are 50 % points).
* ``MacrospinSwitching`` (``devices.mtj_macrospin``) — the LLGS engine, one batched ``simulate`` call for
  every sample x junction, each junction's H_K calibrated so that its threshold equals the compact one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
import torch

from ..validation import check_choice, check_positive, check_range
from .junction import (
    PAPER_CONTROL_CURRENT,
    PAPER_INPUT_THRESHOLDS,
    PAPER_SWITCHING_CURRENTS,
    JunctionParams,
    as_currents,
    bias_tmr,
    device_view,
    paper_switching_currents,
    tmr_resistance,
)
from .mtj_macrospin import MacrospinSwitching
from .protocol import SwitchingModel

__all__ = [
    "MTJ", "CompactSwitching", "JunctionParams", "MacrospinSwitching", "PAPER_CONTROL_CURRENT", "PAPER_INPUT_THRESHOLDS",
    "PAPER_SWITCHING_CURRENTS", "SwitchingModel", "bias_tmr", "make_mtj", "paper_switching_currents", "tmr_resistance",
]


@dataclass(frozen=True)
class CompactSwitching:
    """Threshold model of AP->P switching; ``i_sw`` (N,) or (D, N) per-device thresholds in A.

    Attributes:
        i_sw: device-current threshold of each junction (50 % point at ``pulse``), A.
        pulse: input duration, s (the seed's dc inputs; 300 ns pulses in its energy estimate).
        temperature: K. 0 = noise-free (switched iff I > I_sw); > 0 = Néel–Brown escape (see below).
        delta: thermal stability factor Delta of the Néel–Brown law (>= 1).
        i_c: current scale of the barrier lowering, A: x = (I - I_sw)/i_c + x50.
        tau0: attempt time, s. beta: barrier exponent (1 common for STT, 2 also used).

    Néel–Brown: P(I, t) = 1 - exp(-t/tau), tau = tau0 exp(Delta (1 - x)^beta) for x < 1 (tau0 above),
    x50 = 1 - (ln(pulse / (tau0 ln 2)) / Delta)^(1/beta) so that P(I_sw, pulse) = 1/2 (SEEDS_SPEC 5.8).
    The 10-90 % width of the transition is about 3.1 i_c / (beta Delta (1 - x50)^(beta-1)).
    """

    i_sw: torch.Tensor | tuple[float, ...] = PAPER_SWITCHING_CURRENTS
    pulse: float = 300e-9
    temperature: float = 0.0
    delta: float = 40.0
    i_c: float = 200e-6
    tau0: float = 1e-9
    beta: float = 1.0
    fidelity: str = field(default="compact", init=False)

    def __post_init__(self) -> None:
        i_sw = as_currents(self.i_sw, "i_sw")
        if i_sw.ndim > 2:
            raise ValueError(f"i_sw has shape {tuple(i_sw.shape)}; allowed: (N,) or (D, N)")
        object.__setattr__(self, "i_sw", i_sw)
        check_range("pulse", self.pulse, 1e-12, 1.0, unit="s")
        check_range("temperature", self.temperature, 0.0, 1000.0, unit="K")
        check_range("delta", self.delta, 1.0, 1000.0)
        check_positive("i_c", self.i_c, unit="A")
        check_positive("tau0", self.tau0, unit="s")
        check_range("beta", self.beta, 0.5, 4.0)
        if self.temperature > 0 and self.pulse <= self.tau0 * math.log(2):
            raise ValueError(f"pulse = {self.pulse!r} s; allowed: pulse > tau0 ln 2 = {self.tau0 * math.log(2):g} s at T > 0")

    @property
    def n_devices(self) -> int:
        return int(self.i_sw.shape[-1])

    @property
    def n_realisations(self) -> int:
        """D for (D, N) thresholds (device realisations), 0 for (N,)."""
        return int(self.i_sw.shape[0]) if self.i_sw.ndim == 2 else 0

    def thresholds(self) -> torch.Tensor:
        """Device-current thresholds (A), shape of ``i_sw`` (50 % points at ``pulse``)."""
        return self.i_sw.clone()

    def probability(self, current: torch.Tensor, duration: float | None = None) -> torch.Tensor:
        """Switching probability of each junction for dc ``current`` (..., N) in A over ``duration`` s."""
        current = torch.as_tensor(current, dtype=torch.float64)
        i_sw = device_view(self.i_sw, current)
        if self.temperature == 0:
            return (current > i_sw).to(current.dtype)
        t = self.pulse if duration is None else duration
        x50 = 1.0 - (math.log(self.pulse / (self.tau0 * math.log(2))) / self.delta) ** (1.0 / self.beta)
        x = (current - i_sw) / self.i_c + x50
        exponent = -self.delta * (1.0 - x).clamp_min(0.0) ** self.beta
        return -torch.expm1(-(t / self.tau0) * torch.exp(exponent))

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switching time (s) of each junction under dc ``current`` (..., N) in A; NaN where it does not switch.

        At 0 K the compact model has no dynamics: a junction above threshold switches at t = 0 (so an
        I^2 R t estimate is a lower bound). At T > 0 the switching is drawn from ``generator`` and the time
        is the escape time of the Poisson process, conditioned on switching within the pulse.
        """
        current = torch.as_tensor(current, dtype=torch.float64)
        prob = self.probability(current)
        if self.temperature == 0:
            return torch.where(prob > 0.5, torch.zeros_like(current), torch.full_like(current, math.nan))
        u = torch.rand(current.shape, generator=generator, dtype=torch.float64)
        # inverse CDF of the escape time: t = -tau ln(1 - u), which is inside the pulse exactly when u < P
        rate = -torch.log1p(-prob.clamp(max=1 - 1e-15)) / self.pulse
        time = -torch.log1p(-u.clamp(max=1 - 1e-15)) / rate.clamp_min(1e-300)
        return torch.where(u < prob, time, torch.full_like(time, math.nan))

    def switch(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Boolean (..., N): did each junction switch during its input (random draws from ``generator`` at T > 0)."""
        return ~torch.isnan(self.switching_time(current, generator))

    def with_offsets(self, offsets: torch.Tensor) -> "CompactSwitching":
        """A copy with thresholds i_sw + offsets (A); (D, N) offsets give D device realisations."""
        return replace(self, i_sw=self.i_sw + torch.as_tensor(offsets, dtype=torch.float64))


@dataclass(frozen=True)
class MTJ:
    """N junctions of one chain: electrical parameters + a switching model (any ``SwitchingModel``).

    Implements the ``DeviceModel`` protocol: ``response(device currents (B, N) in A)`` -> bool (B, N)
    "switched AP->P during the input"; ``switching_time`` is what the chain calls (``response`` is
    derived from it). ``fidelity`` is that of ``switching``.
    """

    switching: SwitchingModel = field(default_factory=CompactSwitching)
    junction: JunctionParams = field(default_factory=JunctionParams)
    input_unit: str = field(default="A", init=False)
    output_unit: str = field(default="1 (switched AP->P)", init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.switching, SwitchingModel):
            raise ValueError(f"switching is {type(self.switching).__name__}; allowed: a SwitchingModel (CompactSwitching, "
                             "MacrospinSwitching or any object with the members of devices.protocol.SwitchingModel)")

    @property
    def fidelity(self) -> str:
        return self.switching.fidelity

    @property
    def n_devices(self) -> int:
        return self.switching.n_devices

    @property
    def n_realisations(self) -> int:
        """Device realisations D held by ``switching`` (0 for one set of junctions)."""
        return self.switching.n_realisations

    @property
    def pulse(self) -> float:
        """Input duration, s."""
        return self.switching.pulse

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switching time (s) of each junction under device currents ``current`` (..., N) in A; NaN where none."""
        return self.switching.switching_time(current, generator)

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switched (bool) for device currents ``inputs`` (B, N) (or (B,) when N = 1), A."""
        x = torch.as_tensor(inputs)
        if self.n_devices == 1 and (x.ndim == 1 or x.shape[-1] != 1):
            return ~torch.isnan(self.switching_time(x.to(torch.float64)[..., None], generator))[..., 0]
        return ~torch.isnan(self.switching_time(x.to(torch.float64), generator))


def make_mtj(
    fidelity: str = "compact",
    switching_currents: tuple[float, ...] | torch.Tensor = PAPER_SWITCHING_CURRENTS,
    *,
    pulse: float | None = None,
    temperature: float = 0.0,
    junction: JunctionParams | None = None,
    **kwargs,
) -> MTJ:
    """The seed-002 junctions in the requested ``fidelity`` ("compact" or "macrospin").

    Both fidelities have threshold ``switching_currents`` (A) at their ``pulse`` (compact default 300 ns,
    the seed's pulse width; macrospin default 5 ns, calibrated here with the LLGS engine).
    ``kwargs`` go to the switching model (e.g. delta, i_c for compact; dt, meff, alpha for macrospin).
    """
    check_choice("fidelity", fidelity, ("compact", "macrospin"))
    junction = junction or JunctionParams()
    if fidelity == "compact":
        switching = CompactSwitching(i_sw=switching_currents, temperature=temperature, **({"pulse": pulse} if pulse else {}), **kwargs)
    else:
        switching = MacrospinSwitching.calibrate(
            switching_currents, junction=junction, temperature=temperature, **({"pulse": pulse} if pulse else {}), **kwargs
        )
    return MTJ(switching=switching, junction=junction)
