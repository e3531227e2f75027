"""Input checks shared by every layer: each failure names the parameter, its value and the allowed range."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch


def _values(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy().reshape(-1)
    return np.asarray(value, dtype=float).reshape(-1)


def _first_bad(name: str, value: Any, bad: np.ndarray, values: np.ndarray) -> str:
    idx = int(np.flatnonzero(bad)[0])
    where = f"{name}[{idx}]" if values.size > 1 else name
    return f"{where} = {float(values[idx])!r}"


def check_finite(name: str, value: Any) -> None:
    """Raise ``ValueError`` if any element of ``value`` is NaN or infinite."""
    values = _values(value)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{_first_bad(name, value, bad, values)} is not finite; allowed: finite real numbers")


def check_range(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    unit: str = "",
) -> None:
    """Raise ``ValueError`` unless every element of ``value`` lies in the interval [low, high].

    The interval ends are open or closed as requested; the message states the interval.
    """
    check_finite(name, value)
    values = _values(value)
    bad = (values < low) | (values > high)
    if not low_inclusive:
        bad |= values == low
    if not high_inclusive:
        bad |= values == high
    if bad.any():
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        unit_text = f" {unit}" if unit else ""
        raise ValueError(
            f"{_first_bad(name, value, bad, values)}{unit_text} is out of range; "
            f"allowed: {left}{low:g}, {high:g}{right}{unit_text}"
        )


def check_positive(name: str, value: Any, *, unit: str = "") -> None:
    """Raise ``ValueError`` unless every element of ``value`` is > 0 (and finite)."""
    check_range(name, value, 0.0, math.inf, low_inclusive=False, unit=unit)


def check_non_negative(name: str, value: Any, *, unit: str = "") -> None:
    """Raise ``ValueError`` unless every element of ``value`` is >= 0 (and finite)."""
    check_range(name, value, 0.0, math.inf, unit=unit)


def check_choice(name: str, value: Any, choices: tuple[Any, ...] | list[Any]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} = {value!r} is not allowed; allowed: {', '.join(map(repr, choices))}")
