"""Signed leaky integrate-and-fire neuron: the compact fidelity of the orthogonal-easy-axis MTJ (seed 001).

Discrete time, one step = one clock period ``dt`` of the device (s):

    u_t = beta * u_{t-1} + gain * x_t                       (integrate, leak)
    s_t = +1 if u_t >= theta_pos,  -1 if u_t <= -theta_neg,  else 0
    reset after a spike:  "value":    u_t <- s_t * reset_value   (0 = hard reset to rest)
                          "subtract": u_t <- u_t - theta_pos (s = +1) or u_t + theta_neg (s = -1)
    |u_t| <= u_clip (saturation of the magnetization angle), when u_clip is set.

``x_t`` is the input current of step t in units of ``current_scale`` (A), so ``gain * current_scale``
is the membrane change per ampere. ``SignedLIFParams.ideal()`` is the software neuron of the
paper's baseline (beta 0.5, threshold 1, hard reset); the device-fitted parameters come from
``signed_lif_fit.fit_signed_lif`` on the LLGS traces of ``signed_lif_macrospin.OrthogonalMTJ``.

Device-to-device variability (relative spread of beta and of the thresholds, fixed per neuron) and
read noise (Gaussian, fresh every step, in units of theta_pos, added to u before the threshold test)
are part of the model, so networks take them from here, not from copied constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import ClassVar

import torch

from ..validation import check_choice, check_non_negative, check_positive, check_range
from .variability import spread

RESETS = ("value", "subtract")


@dataclass(frozen=True)
class SignedLIFParams:
    """Parameters of the discrete-time signed LIF (module docstring has the equations).

    beta: membrane retention per step, (0, 1]. gain: membrane change per unit input (> 0).
    theta_pos, theta_neg: thresholds for +1 and -1 spikes (> 0). reset: "value" or "subtract".
    reset_value: u after a spike of sign s is s * reset_value ("value" reset); |reset_value| < theta.
    u_clip: saturation of |u| (None: none; else > max(theta_pos, theta_neg)).
    dt: clock period of one step, s (> 0). current_scale: A per unit input (> 0).
    beta_spread, theta_spread: relative device-to-device sigma (>= 0, <= 0.3).
    read_noise: sigma of the Gaussian noise on u at each threshold test, in units of theta_pos (>= 0).
    """

    beta: float = 0.5
    gain: float = 1.0
    theta_pos: float = 1.0
    theta_neg: float = 1.0
    reset: str = "value"
    reset_value: float = 0.0
    u_clip: float | None = None
    dt: float = 1e-10
    current_scale: float = 1e-3
    beta_spread: float = 0.0
    theta_spread: float = 0.0
    read_noise: float = 0.0

    fidelity: ClassVar[str] = "compact"
    input_unit: ClassVar[str] = "current / current_scale (per step)"
    output_unit: ClassVar[str] = "spike sign (-1, 0, +1)"

    def __post_init__(self) -> None:
        check_range("beta", self.beta, 0.0, 1.0, low_inclusive=False)
        check_positive("gain", self.gain)
        check_positive("theta_pos", self.theta_pos)
        check_positive("theta_neg", self.theta_neg)
        check_choice("reset", self.reset, RESETS)
        theta_min = min(self.theta_pos, self.theta_neg)
        check_range("reset_value", self.reset_value, -theta_min, theta_min, low_inclusive=False, high_inclusive=False)
        if self.u_clip is not None:
            check_range("u_clip", self.u_clip, max(self.theta_pos, self.theta_neg), math.inf, low_inclusive=False)
        check_positive("dt", self.dt, unit="s")
        check_positive("current_scale", self.current_scale, unit="A")
        check_range("beta_spread", self.beta_spread, 0.0, 0.3)
        check_range("theta_spread", self.theta_spread, 0.0, 0.3)
        check_non_negative("read_noise", self.read_noise)

    @classmethod
    def ideal(cls, beta: float = 0.5) -> "SignedLIFParams":
        """The ideal software signed LIF: symmetric unit thresholds, hard reset, no noise."""
        return cls(beta=beta)

    @property
    def tau(self) -> float:
        """Membrane time constant, s: dt / ln(1/beta) (inf for beta = 1)."""
        return math.inf if self.beta == 1.0 else self.dt / math.log(1.0 / self.beta)

    def normalized(self) -> "SignedLIFParams":
        """The same neuron with u in units of theta_pos (theta_pos = 1, gain / theta_pos): the form networks
        use, since a layer's weights absorb the input scale."""
        s = self.theta_pos
        return replace(self, gain=self.gain / s, theta_pos=1.0, theta_neg=self.theta_neg / s,
                       reset_value=self.reset_value / s, u_clip=None if self.u_clip is None else self.u_clip / s)

    def with_variability(self, beta_spread: float = 0.0, theta_spread: float = 0.0, read_noise: float = 0.0) -> "SignedLIFParams":
        """A copy with device-to-device spread and read noise set."""
        return replace(self, beta_spread=beta_spread, theta_spread=theta_spread, read_noise=read_noise)

    def per_neuron(self, n: int, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float32) -> dict[str, torch.Tensor]:
        """Per-neuron (n,) tensors beta, theta_pos, theta_neg: the nominal values with the fabrication spread
        drawn once from ``generator`` (beta capped at 1: a junction cannot gain energy at rest)."""
        check_range("n", n, 1, 1e12)
        beta = spread(self.beta, self.beta_spread, n, generator, dtype=dtype).clamp(max=1.0)
        theta_pos = spread(self.theta_pos, self.theta_spread, n, generator, dtype=dtype)
        theta_neg = spread(self.theta_neg, self.theta_spread, n, generator, dtype=dtype)
        return {"beta": beta, "theta_pos": theta_pos, "theta_neg": theta_neg}

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Spikes (B, T) in {-1, 0, +1} of B neurons driven by input sequences ``inputs`` (B, T) in units of
        ``current_scale`` (the ``DeviceModel`` contract: batch first; nominal parameters, read noise from
        ``generator``)."""
        return simulate_signed_lif(inputs, self, generator=generator)[1]


def simulate_signed_lif(
    inputs: torch.Tensor, params: SignedLIFParams, *, u0: torch.Tensor | None = None, generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Membrane (B, T) and spikes (B, T) of the signed LIF for inputs (B, T) (reference loop, no autograd
    tricks: networks use ``mtjnn.nn`` layers). ``u0``: initial membrane (B,), default 0."""
    if inputs.ndim != 2:
        raise ValueError(f"inputs has shape {tuple(inputs.shape)}; allowed: (B, T) input sequences")
    u = torch.zeros(inputs.shape[0], dtype=inputs.dtype, device=inputs.device) if u0 is None else u0.to(inputs)
    us, ss = [], []
    for t in range(inputs.shape[1]):
        u = params.beta * u + params.gain * inputs[:, t]
        if params.u_clip is not None:
            u = u.clamp(-params.u_clip, params.u_clip)
        seen = u
        if params.read_noise > 0:
            seen = u + params.read_noise * params.theta_pos * torch.randn(u.shape, generator=generator, dtype=u.dtype, device=u.device)
        s = (seen >= params.theta_pos).to(u.dtype) - (seen <= -params.theta_neg).to(u.dtype)
        u = _reset(u, s, params)
        us.append(u)
        ss.append(s)
    return torch.stack(us, 1), torch.stack(ss, 1)


def _reset(u: torch.Tensor, s: torch.Tensor, params: SignedLIFParams) -> torch.Tensor:
    if params.reset == "value":
        return torch.where(s != 0, s * params.reset_value, u)
    return u - torch.where(s > 0, params.theta_pos, torch.where(s < 0, -params.theta_neg, 0.0)) * s.abs()
