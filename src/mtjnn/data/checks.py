"""Input checks shared by the data modules: each failure names the parameter, its value and what is allowed."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def check_count(name: str, value: Any, low: int = 1) -> int:
    """``value`` as an int >= ``low``; ValueError naming ``name``, the value and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} = {value!r} is not an integer; allowed: integers >= {low}")
    if value < low:
        raise ValueError(f"{name} = {int(value)} is out of range; allowed: integers >= {low}")
    return int(value)


def check_images(images: Any, name: str = "images", size: tuple[int, int] | None = None) -> np.ndarray:
    """``images`` as a uint8 numpy array (N, H, W, 3); ValueError naming ``name``, its shape/dtype and what is allowed.

    ``size`` = (H, W) additionally requires that image size.
    """
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    if not isinstance(images, np.ndarray):
        raise ValueError(f"{name} is a {type(images).__name__}; allowed: a uint8 numpy array (N, H, W, 3)")
    want = f"(N, {size[0]}, {size[1]}, 3)" if size else "(N, H, W, 3)"
    if images.dtype != np.uint8:
        raise ValueError(f"{name} has dtype {images.dtype}; allowed: uint8 RGB pixels 0-255, shape {want}")
    if images.ndim != 4 or images.shape[-1] != 3 or images.shape[0] < 1 or (size and images.shape[1:3] != tuple(size)):
        raise ValueError(f"{name} has shape {images.shape}; allowed: {want} uint8 RGB with N >= 1")
    return images
