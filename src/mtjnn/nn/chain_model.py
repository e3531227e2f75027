"""Chain classifier of seed 002, the trained state: linear input map, control currents, cell table.

See ``mtjnn.nn.chain_classifier`` for the model and its training (``chain_software``, ``chain_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import torch

from ..devices.mtj import MTJ
from ..validation import check_choice, check_range


class SeriesChain(Protocol):
    """What the classifier needs of a chain (``mtjnn.circuits.series_chain.SeriesChain`` provides it;
    ``nn`` does not import ``circuits``): its junctions and ``apply(i_a, i_b, control, generator)``
    returning an output with ``configuration``, ``n_a``, ``n_b``, ``switched_a``, ``switched_b``."""

    device: MTJ

    @property
    def n_devices(self) -> int: ...

    def apply(self, i_a: torch.Tensor, i_b: torch.Tensor, control: torch.Tensor, generator: torch.Generator | None = None) -> Any: ...


@dataclass(frozen=True)
class InputMap:
    """Linear map from features (Hz) to the two input currents (A): I = weight @ x + bias.

    weight: (2, F) in A/Hz; bias: (2,) in A. Row 0 is input A, row 1 input B.
    """

    weight: torch.Tensor
    bias: torch.Tensor

    def __post_init__(self) -> None:
        w = torch.as_tensor(self.weight, dtype=torch.float64)
        b = torch.as_tensor(self.bias, dtype=torch.float64)
        if w.ndim != 2 or w.shape[0] != 2 or b.shape != (2,):
            raise ValueError(f"weight {tuple(w.shape)}, bias {tuple(b.shape)}; allowed: (2, F) and (2,)")
        object.__setattr__(self, "weight", w)
        object.__setattr__(self, "bias", b)

    @property
    def n_features(self) -> int:
        return int(self.weight.shape[1])

    @property
    def n_parameters(self) -> int:
        return 2 * self.n_features + 2

    def __call__(self, features: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Input currents (S, 2) in A for features (S, F) in Hz."""
        x = torch.as_tensor(np.asarray(features) if not isinstance(features, torch.Tensor) else features, dtype=torch.float64)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"features has shape {tuple(x.shape)}; allowed: (S, {self.n_features})")
        return x @ self.weight.T + self.bias


@dataclass(frozen=True)
class ChainClassifier:
    """Trained state of the chain classifier (SI units).

    input_map: the 26-coefficient map; control: (2, N) control currents I_C,i^j in A (row j = input);
    cells: (K,) distinct configuration index assigned to each class; switching_estimate: (N,) the
    designer's estimate of each junction's I_sw (A), used only by the hardware rule to rank junctions.
    spare: how the lookup table reads configurations no class is assigned to: "error" (they are errors,
    as in the seed: one configuration per class) or "nearest" (the class whose cell is nearest in
    (n_A, n_B), L1 distance; a tie stays unassigned). Training never uses spare configurations.
    """

    input_map: InputMap
    control: torch.Tensor
    cells: torch.Tensor
    switching_estimate: torch.Tensor
    spare: str = "error"

    def __post_init__(self) -> None:
        check_choice("spare", self.spare, ("error", "nearest"))
        control = torch.as_tensor(self.control, dtype=torch.float64)
        cells = torch.as_tensor(self.cells, dtype=torch.int64)
        est = torch.as_tensor(self.switching_estimate, dtype=torch.float64)
        n = est.shape[-1]
        if control.shape[-2:] != (2, n):
            raise ValueError(f"control has shape {tuple(control.shape)}; allowed: (2, N) or (D, 2, N), N = {n}")
        if cells.ndim != 1 or len(set(cells.tolist())) != cells.numel() or int(cells.min()) < 0 or int(cells.max()) >= (n + 1) ** 2:
            raise ValueError(f"cells = {cells.tolist()}; allowed: distinct configuration indices in [0, {(n + 1) ** 2 - 1}]")
        check_range("control", control, -0.1, 0.1, unit="A")
        object.__setattr__(self, "control", control)
        object.__setattr__(self, "cells", cells)
        object.__setattr__(self, "switching_estimate", est)

    @property
    def n_devices(self) -> int:
        return int(self.switching_estimate.shape[-1])

    @property
    def n_classes(self) -> int:
        return int(self.cells.numel())

    @property
    def n_parameters(self) -> int:
        """Trained parameters: map coefficients + control currents (32 for 12 features and N = 3)."""
        return self.input_map.n_parameters + 2 * self.n_devices

    def lut(self) -> torch.Tensor:
        """(N + 1)^2 lookup table configuration -> class (-1 = unassigned; see ``spare``)."""
        n1 = self.n_devices + 1
        table = torch.full((n1**2,), -1, dtype=torch.int64)
        if self.spare == "nearest":
            config = torch.arange(n1**2)
            dist = ((config[:, None] // n1 - self.cells[None, :] // n1).abs()
                    + (config[:, None] % n1 - self.cells[None, :] % n1).abs())  # (C, K)
            best = dist.min(1, keepdim=True).values
            unique = (dist == best).sum(1) == 1
            table = torch.where(unique, dist.argmin(1), table)
        table[self.cells] = torch.arange(self.n_classes)
        return table

    def targets(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Target counts (t_A, t_B) of every class, each (K,)."""
        return self.cells // (self.n_devices + 1), self.cells % (self.n_devices + 1)

    def thresholds(self) -> torch.Tensor:
        """Estimated input thresholds theta^ = I^_sw - I_C (A), shape of ``control``."""
        return self.switching_estimate - self.control

    def with_control(self, control: torch.Tensor) -> "ChainClassifier":
        return replace(self, control=control)

    def run(self, features: torch.Tensor | np.ndarray, chain: SeriesChain, generator: torch.Generator | None = None):
        """``ChainOutput`` of the chain for every sample (the chain may hold (D, N) device realisations)."""
        if chain.n_devices != self.n_devices:
            raise ValueError(f"chain has {chain.n_devices} junctions; allowed: {self.n_devices} (as trained)")
        currents = self.input_map(features)
        control = self.control
        d = _realisations(chain)
        if d and control.ndim == 2:
            control = control.expand(d, 2, self.n_devices)
        return chain.apply(currents[:, 0], currents[:, 1], control, generator)

    def predict(self, features: torch.Tensor | np.ndarray, chain: SeriesChain, generator: torch.Generator | None = None) -> torch.Tensor:
        """Predicted class (..., S) (-1 where the configuration is unassigned)."""
        return self.lut()[self.run(features, chain, generator).configuration]

    def accuracy(self, features, labels, chain: SeriesChain, generator: torch.Generator | None = None) -> torch.Tensor:
        """Fraction of correct predictions, a scalar (or (D,) for D device realisations)."""
        labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        return (self.predict(features, chain, generator) == labels).to(torch.float64).mean(-1)


def _realisations(chain: SeriesChain) -> int:
    sw = chain.device.switching
    params = sw.i_sw if sw.fidelity == "compact" else sw.anisotropy_field
    return int(params.shape[0]) if params.ndim == 2 else 0
