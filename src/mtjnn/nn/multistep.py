"""Multi-step plumbing shared by the spiking networks: per-step layers over (T, B, ...) and the two input forms.

A spiking network's tensors are time-major, (T, B, ...). Stateless layers (conv, BN, linear, pooling) run on
all T steps at once by folding T into the batch (``SeqToANN``, SpikingJelly's ``SeqToANNContainer``).

Inputs come in two forms (``split_input``):
* a static image batch (B, C, H, W): direct encoding, the image is the input current at every step. The
  network's first stateless stage (conv + BN) is then computed once and repeated over T (``stem_over_time``),
  as SpikingJelly's CIFAR-10 examples do: identical steps give identical results, at 1/T of the cost;
* an event-frame tensor (T, B, C, H, W) (e.g. ON/OFF polarity counts of an event camera, C = 2): every step
  differs, so the stem runs on all T frames.
"""

from __future__ import annotations

import torch
from torch import nn


class SeqToANN(nn.Module):
    """Apply stateless ``layers`` to every step of x (T, B, ...) at once: (T * B, ...) -> (T, B, ...)."""

    def __init__(self, *layers: nn.Module) -> None:
        super().__init__()
        self.body = layers[0] if len(layers) == 1 else nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = self.body(x.flatten(0, 1))
        return y.view(x.shape[0], x.shape[1], *y.shape[1:])


def split_input(x: torch.Tensor, in_channels: int, name: str = "x") -> bool:
    """True for a static batch (B, C, H, W), False for event frames (T, B, C, H, W); ``ValueError`` otherwise
    (wrong number of dims, C != in_channels, an empty axis, a non-floating dtype)."""
    if x.ndim not in (4, 5):
        raise ValueError(f"{name} has shape {tuple(x.shape)}; allowed: (B, C, H, W) images or (T, B, C, H, W) event frames")
    if x.shape[-3] != in_channels:
        raise ValueError(f"{name} has C = {x.shape[-3]} channels (shape {tuple(x.shape)}); allowed: C = {in_channels}")
    if x.numel() == 0:
        raise ValueError(f"{name} has shape {tuple(x.shape)}, an empty axis (T <= 0 or B = 0); allowed: every axis >= 1")
    if not x.is_floating_point():
        raise ValueError(f"{name} has dtype {x.dtype}; allowed: a floating dtype (normalize images before the network)")
    return x.ndim == 4


def stem_over_time(stem: nn.Module, x: torch.Tensor, steps: int, in_channels: int, *, channels_last: bool = False) -> torch.Tensor:
    """The stem's output (T, B, ...): a static batch goes through ``stem`` once and is repeated ``steps`` times;
    event frames (T, B, ...) go through it frame by frame (T taken from the data)."""
    static = split_input(x, in_channels)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last) if static else x
    if static:
        y = stem(x)
        if y.ndim == 4 and y.is_contiguous(memory_format=torch.channels_last):  # keep the layout for the convs after
            return torch.cat([y] * steps).view(steps, *y.shape)
        return y.unsqueeze(0).expand(steps, *y.shape)
    frames = x.flatten(0, 1)
    if channels_last:
        frames = frames.contiguous(memory_format=torch.channels_last)
    y = stem(frames)
    return y.view(x.shape[0], x.shape[1], *y.shape[1:])
