"""Spikes of a phase neuron: a spike is the angle phi passing a saddle (phi = pi/2 + q pi) of the pendulum
potential; its polarity is the direction. Detection per step (differentiable spike times, interpolated
inside the step) and over sampled trajectories, shared by the compact and macrospin neuron, the circuits
and the networks."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


def saddle_index(phi: torch.Tensor) -> torch.Tensor:
    """Index q of the well phi lies in: q = floor((phi - pi/2) / pi); a change of q is a spike."""
    return torch.floor((phi - 0.5 * math.pi) / math.pi)


def step_crossing(phi0: torch.Tensor, phi1: torch.Tensor, t0: float | torch.Tensor, dt: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Spike detection over one step from ``phi0`` to ``phi1`` (same shape).

    Returns (polarity, time): polarity is +1 (phi decreased through a saddle), -1 (increased) or 0, as
    the input dtype; time (s) is the linearly interpolated crossing of the first saddle passed (NaN-free:
    ``t0`` where there is none). Differentiable in ``phi0``/``phi1`` (the spike-time gradient).
    """
    q0, q1 = saddle_index(phi0), saddle_index(phi1)
    polarity = torch.sign(q0 - q1)
    level = 0.5 * math.pi + math.pi * torch.where(q1 < q0, q0, q1)
    delta = phi1 - phi0
    safe = torch.where(polarity != 0, delta, torch.ones_like(delta))
    frac = torch.where(polarity != 0, ((level - phi0) / safe).clamp(0.0, 1.0), torch.zeros_like(delta))
    return polarity, t0 + frac * dt


@dataclass
class Spikes:
    """Detected spikes of a batch: ``times`` (B, K) in s and ``polarity`` (B, K) in {+1, -1}, padded with
    NaN / 0 beyond ``count`` (B,) spikes per neuron."""

    times: torch.Tensor
    polarity: torch.Tensor
    count: torch.Tensor

    @property
    def first(self) -> torch.Tensor:
        """(B,) time of the first spike, s (NaN if none)."""
        if self.times.shape[1] == 0:
            return torch.full((self.times.shape[0],), math.nan, dtype=self.times.dtype)
        return self.times[:, 0]

    def of(self, j: int) -> list[tuple[float, int]]:
        """Spikes of neuron ``j`` as a list of (time in s, polarity)."""
        n = int(self.count[j])
        return [(float(self.times[j, k]), int(self.polarity[j, k])) for k in range(n)]


def detect_spikes(times: torch.Tensor, phi: torch.Tensor) -> Spikes:
    """All saddle crossings of the sampled angles ``phi`` (S, B) at ``times`` (S,) (s), per neuron."""
    if phi.ndim != 2 or phi.shape[0] != times.shape[0]:
        raise ValueError(f"phi has shape {tuple(phi.shape)}; allowed: (S, B) with S = len(times) = {times.shape[0]}")
    batch = phi.shape[1]
    q = saddle_index(phi)
    step, neuron = torch.nonzero(q[1:] != q[:-1], as_tuple=True)
    order = torch.argsort(neuron * (phi.shape[0] + 1) + step)
    step, neuron = step[order], neuron[order]
    pol, t = step_crossing(phi[step, neuron], phi[step + 1, neuron], times[step], 1.0)
    t = times[step] + (t - times[step]) * (times[step + 1] - times[step])
    count = torch.bincount(neuron, minlength=batch)
    width = int(count.max()) if count.numel() and step.numel() else 0
    out_t = torch.full((batch, width), math.nan, dtype=phi.dtype, device=phi.device)
    out_p = torch.zeros((batch, width), dtype=torch.int64, device=phi.device)
    if step.numel():
        start = torch.cumsum(count, 0) - count
        slot = torch.arange(step.numel(), device=phi.device) - start[neuron]
        out_t[neuron, slot] = t
        out_p[neuron, slot] = pol.to(torch.int64)
    return Spikes(out_t, out_p, count)


def unwrap_angle(angle: torch.Tensor) -> torch.Tensor:
    """Unwrap (S, B) angles along time (dim 0)."""
    d = torch.diff(angle, dim=0)
    d = torch.remainder(d + math.pi, 2 * math.pi) - math.pi
    return torch.cat([angle[:1], angle[:1] + torch.cumsum(d, dim=0)], dim=0)
