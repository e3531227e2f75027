"""Brown's stochastic thermal field (Brown, Phys. Rev. 130, 1677 (1963)).

Each Cartesian component is an independent Gaussian, constant over one step dt, added to the
effective field (Stratonovich interpretation, integrate with stochastic Heun):

    sigma_B^2 = 2 alpha k_B T / (gamma Ms V dt)       (tesla, gamma in rad s^-1 T^-1)

Example: alpha = 0.01, T = 300 K, Ms = 1e6 A/m, V = 1.885e-24 m^3, dt = 1 ps -> sigma_B = 15.80 mT.
"""

from __future__ import annotations

import torch

from ..constants import K_B


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
