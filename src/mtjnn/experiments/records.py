"""Typed records shared by the experiments' results (issue 11/12): one ``Estimate`` for every number that is a
mean over repetitions, samples or junctions.

In ``metrics.json`` an estimate is ``{"mean": .., "std": .., "n": .., "over": .., "unit": ..}``:
``mean`` and ``std`` (population standard deviation, ``ddof = 0``) of ``n`` values, ``over`` says what the
values are (``"runs"``, ``"splits"``, ``"test samples"``, ``"junctions"``...), ``unit`` is the unit of
``mean`` and ``std`` (``"1"`` for accuracies and other fractions). ``std`` is None when ``n < 2``; ``mean``
is None when ``n == 0``. The standard error of the mean is ``std / sqrt(n)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """``mean`` ± ``std`` of ``n`` values (``over`` says of what) in ``unit``."""

    mean: float | None
    std: float | None
    n: int
    over: str = "runs"
    unit: str = "1"

    def __post_init__(self) -> None:
        if self.n < 0:
            raise ValueError(f"n = {self.n} is negative; allowed: n >= 0")

    @classmethod
    def of(cls, values: Iterable[float] | np.ndarray, *, over: str = "runs", unit: str = "1") -> Estimate:
        """The estimate of ``values`` (any array-like; flattened)."""
        arr = np.asarray(list(values) if not hasattr(values, "__array__") else values, dtype=float).ravel()
        n = int(arr.size)
        return cls(float(arr.mean()) if n else None, float(arr.std()) if n > 1 else None, n, over, unit)

    @classmethod
    def proportion(cls, p: float, n: int, *, over: str = "test samples") -> Estimate:
        """A fraction ``p`` of ``n`` yes/no outcomes (e.g. an accuracy on ``n`` test samples): the mean and std
        of the 0/1 outcomes, std = sqrt(p (1 - p))."""
        p = float(p)
        return cls(p, math.sqrt(max(p * (1.0 - p), 0.0)) if n > 1 else None, int(n), over, "1")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Estimate:
        """Inverse of ``to_json``."""
        return cls(data["mean"], data["std"], int(data["n"]), data.get("over", "runs"), data.get("unit", "1"))

    def to_json(self) -> dict[str, Any]:
        """The named fields as a plain dict (what metrics.json holds)."""
        return {"mean": self.mean, "std": self.std, "n": self.n, "over": self.over, "unit": self.unit}

    def text(self, scale: float = 1.0, unit: str = "", digits: int = 1) -> str:
        """``"96.4 ± 1.2 %"`` style text with values multiplied by ``scale`` (e.g. 100 and "%")."""
        if self.mean is None:
            return "-"
        spread = "" if self.std is None else f" ± {self.std * scale:.{digits}f}"
        return f"{self.mean * scale:.{digits}f}{spread}{' ' + unit if unit else ''}"
