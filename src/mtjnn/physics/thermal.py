"""Brown's stochastic thermal field (Brown, Phys. Rev. 130, 1677 (1963)).

Each Cartesian component is an independent Gaussian, constant over one step dt, added to the
effective field (Stratonovich interpretation, integrate with stochastic Heun):

    sigma_B^2 = 2 alpha k_B T / (gamma Ms V dt)       (tesla, gamma in rad s^-1 T^-1)

Example: alpha = 0.01, T = 300 K, Ms = 1e6 A/m, V = 1.885e-24 m^3, dt = 1 ps -> sigma_B = 15.80 mT.

Two sources of the unit normals: ``CounterNoise`` (default of ``simulate``): Philox4x32-10 keyed per
junction, so a junction's noise depends only on (its key, the step) — not on the batch, the chunking or
the thread count — and the fused kernel draws it in place; ``thermal_noise``: bulk draws from a torch
generator per chunk (``noise_source="generator"``, the previous reference).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..constants import K_B
from .philox import thermal_normals


def thermal_sigma(
    alpha: torch.Tensor, temperature: torch.Tensor, gamma: torch.Tensor, ms: torch.Tensor, volume: torch.Tensor, dt: float
) -> torch.Tensor:
    """Standard deviation (T) of each thermal-field component for a step of ``dt`` seconds."""
    return torch.sqrt(2.0 * alpha * K_B * temperature / (gamma * ms * volume * dt))


def thermal_noise(
    shape: tuple[int, ...], dtype: torch.dtype, device: torch.device, generator: torch.Generator | None
) -> torch.Tensor:
    """Unit normal deviates for the thermal field, drawn in bulk from an explicit generator.

    Drawn in float32 (twice the generator's throughput; ample resolution for a noise term) and cast
    to ``dtype``, so float32 and float64 runs with the same seed see the same noise.
    """
    return torch.randn(shape, dtype=torch.float32, device=device, generator=generator).to(dtype)


@dataclass(frozen=True)
class CounterNoise:
    """Thermal field from the counter-based generator of ``philox.py``: junction j's field at global step s
    is sigma_j N(keys_j, s), three unit normals that depend only on (its key, s).

    keys: (B,) int64, one 64-bit key per junction; sigma: (B|1, 1) standard deviation per component, T.
    Chunk steppers take it in place of a noise buffer: the fused kernel draws the field per junction
    and step itself; ``block`` materializes the same field for the torch stepper.
    """

    keys: torch.Tensor
    sigma: torch.Tensor

    def block(self, step0: int, n: int, dtype: torch.dtype) -> torch.Tensor:
        """Thermal field (n, B, 3) in T at global steps step0 .. step0+n-1, computed in float64, cast to ``dtype``."""
        return (self.sigma.to(torch.float64) * thermal_normals(self.keys, step0, n)).to(dtype)

    def rows(self, lo: int, hi: int) -> CounterNoise:
        """The junctions lo .. hi-1 (a shared sigma stays shared)."""
        sigma = self.sigma[lo:hi] if self.sigma.shape[0] > 1 else self.sigma
        return CounterNoise(self.keys[lo:hi], sigma)
