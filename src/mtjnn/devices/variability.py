"""Device-to-device variability and read noise, drawn from an explicit generator.

Variability is a per-device tensor: ``spread(nominal, relative_sigma, n, generator)`` returns
``nominal * (1 + relative_sigma * N(0, 1))`` for ``n`` devices (a fabrication spread that stays fixed
for the life of a device); ``read_noise`` adds fresh Gaussian noise at every read.
"""

from __future__ import annotations

import torch

from ..validation import check_non_negative, check_range


def spread(
    nominal: float | torch.Tensor,
    relative_sigma: float,
    n: int,
    generator: torch.Generator | None = None,
    *,
    dtype: torch.dtype = torch.float64,
    min_fraction: float = 0.05,
) -> torch.Tensor:
    """Per-device values nominal * (1 + relative_sigma * N(0,1)), shape (n, *nominal.shape).

    A draw below ``min_fraction * nominal`` (an unphysical sign flip for a large sigma) raises
    ``ValueError`` rather than being clamped, so the distribution is always the one asked for.
    """
    check_non_negative("relative_sigma", relative_sigma)
    check_range("n", n, 1, 1e12)
    base = torch.as_tensor(nominal, dtype=dtype)
    noise = torch.randn((n, *base.shape), generator=generator, dtype=dtype)
    values = base * (1.0 + relative_sigma * noise)
    if relative_sigma > 0 and bool(((values / base) < min_fraction).any()):
        raise ValueError(
            f"relative_sigma = {relative_sigma!r} produces device values below {min_fraction:g} x nominal; "
            "allowed: relative_sigma small enough that parameters keep their sign (typically <= 0.3)"
        )
    return values


def offset_spread(
    sigma: float, n: int, generator: torch.Generator | None = None, *, shape: tuple[int, ...] = (), dtype: torch.dtype = torch.float64
) -> torch.Tensor:
    """Additive per-device offsets N(0, sigma^2), shape (n, *shape), in the unit of ``sigma``."""
    check_non_negative("sigma", sigma)
    return sigma * torch.randn((n, *shape), generator=generator, dtype=dtype)


def read_noise(values: torch.Tensor, sigma: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """``values`` plus fresh Gaussian read noise of standard deviation ``sigma`` (same unit)."""
    check_non_negative("sigma", sigma)
    if sigma == 0:
        return values
    return values + sigma * torch.randn(values.shape, generator=generator, dtype=values.dtype, device=values.device)
