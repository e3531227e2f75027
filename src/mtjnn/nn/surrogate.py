"""Surrogate gradient of a spike: the Heaviside step forward, a scaled arctan-type derivative backward.

A spike is H(z) (z = u - theta), H(z) = 1 for z >= 0 else 0. Its derivative is replaced by

    g(z) = 1 / (w * (1 + (pi z / w)^2))        (width w > 0; w = 1: g(z) = 1 / (1 + (pi z)^2))

the exact derivative of the smooth step S(z) = 1/2 + arctan(pi z / w) / pi, so g integrates to 1 for every
width (S goes from 0 to 1) and g(0) = 1/w is the slope of S at the threshold. SpikingJelly's
``surrogate.ATan(alpha)`` is the same function with w = 2 / alpha. ``smooth_step`` is S itself: the model
whose exact gradient the surrogate gradient is (used by the finite-difference test).

Units: z is a membrane potential in units of theta_pos (networks use ``SignedLIFParams.normalized()``), so
w is too.
"""

from __future__ import annotations

import math

import torch

from ..validation import check_positive


def surrogate_slope(z: torch.Tensor, width: float = 1.0) -> torch.Tensor:
    """g(z) = 1 / (w (1 + (pi z / w)^2)), the surrogate dH/dz (module docstring)."""
    k = math.pi / width
    return (1.0 / width) / (1.0 + (k * z) ** 2)


def smooth_step(z: torch.Tensor, width: float = 1.0) -> torch.Tensor:
    """S(z) = 1/2 + arctan(pi z / w) / pi, whose derivative is ``surrogate_slope``."""
    return 0.5 + torch.atan((math.pi / width) * z) / math.pi


class _Heaviside(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z: torch.Tensor, width: float) -> torch.Tensor:  # noqa: D102
        ctx.save_for_backward(z)
        ctx.width = width
        return (z >= 0).to(z.dtype)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        (z,) = ctx.saved_tensors
        return grad * surrogate_slope(z, ctx.width), None


def spike(z: torch.Tensor, width: float = 1.0, *, smooth: bool = False) -> torch.Tensor:
    """H(z) forward with the surrogate derivative g(z) backward (``smooth=True``: S(z) both ways, the smoothed
    model). ``width``: w of g, > 0, in the unit of z."""
    check_positive("surrogate_width", width)
    if smooth:
        return smooth_step(z, width)
    return _Heaviside.apply(z, width)
