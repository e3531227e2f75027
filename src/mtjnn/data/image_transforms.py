"""Image batches as tensors, and training augmentation as batched torch ops (no per-image Python loop).

``to_tensor`` turns uint8 RGB images (N, H, W, 3) into float32 (N, 3, H, W), scaled to [0, 1] and
optionally normalized per channel; ``random_crop_flip`` is the standard CIFAR-10 augmentation (random
crop of the original size from the image zero-padded by ``padding`` pixels, then a horizontal flip
with probability 1/2), done for the whole batch with one gather. It works on any (B, ..., H, W)
tensor, so event frames (B, T, 2, S, S) are augmented the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..validation import check_non_negative
from .checks import check_images


def to_tensor(
    images: np.ndarray, mean: Sequence[float] | None = None, std: Sequence[float] | None = None
) -> torch.Tensor:
    """uint8 (N, H, W, 3) RGB -> float32 (N, 3, H, W): pixel / 255, then ``(x - mean) / std`` per channel if given.

    ``mean`` and ``std`` are in the same [0, 1] units (see ``cifar10.channel_stats``).
    """
    images = check_images(images)
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float().div_(255.0)
    if (mean is None) != (std is None):
        raise ValueError(f"mean = {mean!r}, std = {std!r}; allowed: both given (3 values each) or both None")
    if mean is not None:
        m = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(-1)
        s = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(-1)
        if m.numel() != 3 or s.numel() != 3 or (s <= 0).any():
            raise ValueError(f"mean = {list(m.tolist())}, std = {list(s.tolist())}; allowed: 3 values each, std > 0")
        x = (x - m.view(1, 3, 1, 1)) / s.view(1, 3, 1, 1)
    return x


def random_crop_flip(
    x: torch.Tensor,
    padding: int = 4,
    flip: bool = True,
    fill: float | Sequence[float] = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Random crop (after padding by ``padding`` px) and random horizontal flip of every sample in a batch.

    Args:
        x: (B, ..., H, W) tensor, any dtype (images (B, C, H, W), event frames (B, T, 2, H, W)).
        padding: pixels added on each side before cropping back to (H, W); 0 = no crop.
        flip: flip each sample left-right with probability 1/2.
        fill: value of the padded border; for (B, C, H, W) input one value per channel is allowed
            (e.g. ``-mean/std`` pads with black after normalization).
        generator: torch generator for the crop offsets and flips (reproducible augmentation).

    Returns a new tensor of the same shape and dtype.
    """
    if not isinstance(x, torch.Tensor) or x.ndim < 3:
        raise ValueError(f"x has shape {tuple(getattr(x, 'shape', ()))}; allowed: a tensor (B, ..., H, W) with ndim >= 3")
    if isinstance(padding, bool) or not isinstance(padding, int):
        raise ValueError(f"padding = {padding!r}; allowed: an integer >= 0 (pixels)")
    check_non_negative("padding", padding)
    b, h, w = x.shape[0], x.shape[-2], x.shape[-1]
    flat = x.reshape(b, -1, h, w)
    fill_t = torch.as_tensor(fill, dtype=x.dtype).reshape(-1)
    if fill_t.numel() not in (1, flat.shape[1]):
        raise ValueError(f"fill has {fill_t.numel()} values; allowed: 1 or one per channel ({flat.shape[1]})")
    padded = fill_t.view(1, -1, 1, 1).expand(b, flat.shape[1], h + 2 * padding, w + 2 * padding).clone()
    padded[:, :, padding : padding + h, padding : padding + w] = flat
    dy = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (b,), generator=generator)
    cols = torch.arange(w).expand(b, w)
    if flip:
        mirrored = torch.rand(b, generator=generator) < 0.5
        cols = torch.where(mirrored[:, None], w - 1 - cols, cols)
    rows = dy[:, None] + torch.arange(h)
    cols = dx[:, None] + cols
    out = padded[torch.arange(b)[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (B, H, W, C)
    return out.permute(0, 3, 1, 2).reshape(x.shape).contiguous()
