"""Chain classifier of seed 002, the trained state: linear input map, control currents, cell table.

See ``mtjnn.nn.chain_classifier`` for the model and its training (``chain_software``, ``chain_rule``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import torch

from ..validation import check_choice, check_range


class ChainLike(Protocol):
    """What the classifier and the ±ΔI rule call on a chain, a typing Protocol (not instantiable; the class
    to build is ``mtjnn.circuits.series_chain.SeriesChain``, with junctions of any ``SwitchingModel``):
    ``n_devices`` N, ``n_realisations`` D (0 for one chain) and ``apply(i_a, i_b, control, generator)``
    returning an output with ``configuration``, ``n_a``, ``n_b``, ``switched_a``, ``switched_b``."""

    @property
    def n_devices(self) -> int: ...

    @property
    def n_realisations(self) -> int: ...

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
        # a float64 copy: pandas hands out read-only arrays, which torch cannot wrap
        x = features.to(torch.float64) if isinstance(features, torch.Tensor) else torch.tensor(np.asarray(features, dtype=np.float64))
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"features has shape {tuple(x.shape)}; allowed: (S, {self.n_features})")
        return x @ self.weight.T + self.bias


@dataclass(frozen=True)
class ChainClassifier:
    """Trained state of the chain classifier (SI units).

    input_map: the 26-coefficient map; control: (2, N) control currents I_C,i^j in A (row j = input);
    table: ((N + 1)^2,) the class of every configuration (index n_A (N + 1) + n_B), -1 where no class
    owns it; a class may own several configurations. switching_estimate: (N,) the designer's estimate
    of each junction's I_sw (A), from which the estimated input thresholds theta^ = I^_sw - I_C follow.
    spare: how an unowned configuration is read: "error" (it is an error) or "nearest" (the class of
    the owned cell nearest to the sample in current space: L1 distance from (I_A, I_B) to the cell's
    rectangle between the estimated thresholds; the periphery knows the currents it applied).
    """

    input_map: InputMap
    control: torch.Tensor
    table: torch.Tensor
    switching_estimate: torch.Tensor
    spare: str = "nearest"

    def __post_init__(self) -> None:
        check_choice("spare", self.spare, ("error", "nearest"))
        control = torch.as_tensor(self.control, dtype=torch.float64)
        table = torch.as_tensor(self.table, dtype=torch.int64)
        est = torch.as_tensor(self.switching_estimate, dtype=torch.float64)
        n = est.shape[-1]
        if control.shape[-2:] != (2, n):
            raise ValueError(f"control has shape {tuple(control.shape)}; allowed: (2, N) or (D, 2, N), N = {n}")
        if table.shape != ((n + 1) ** 2,) or int(table.min()) < -1 or int(table.max()) < 0:
            raise ValueError(f"table has shape {tuple(table.shape)} and values {sorted(set(table.tolist()))}; allowed: "
                             f"({(n + 1) ** 2},) class indices >= 0, -1 = unowned, at least one owned")
        check_range("control", control, -0.1, 0.1, unit="A")
        object.__setattr__(self, "control", control)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "switching_estimate", est)

    @classmethod
    def from_cells(cls, input_map: InputMap, control: torch.Tensor, cells, switching_estimate, spare: str = "nearest") -> "ChainClassifier":
        """One configuration per class: ``cells`` (K,) distinct configuration indices, class k owns cells[k]."""
        est = torch.as_tensor(switching_estimate, dtype=torch.float64)
        cells = torch.as_tensor(cells, dtype=torch.int64)
        size = (est.shape[-1] + 1) ** 2
        if cells.ndim != 1 or len(set(cells.tolist())) != cells.numel() or int(cells.min()) < 0 or int(cells.max()) >= size:
            raise ValueError(f"cells = {cells.tolist()}; allowed: distinct configuration indices in [0, {size - 1}]")
        table = torch.full((size,), -1, dtype=torch.int64)
        table[cells] = torch.arange(cells.numel())
        return cls(input_map, control, table, est, spare)

    @property
    def n_devices(self) -> int:
        return int(self.switching_estimate.shape[-1])

    @property
    def n_classes(self) -> int:
        return int(self.table.max()) + 1

    @property
    def n_parameters(self) -> int:
        """Trained parameters: map coefficients + control currents (32 for 12 features and N = 3)."""
        return self.input_map.n_parameters + 2 * self.n_devices

    def thresholds(self) -> torch.Tensor:
        """Estimated input thresholds theta^ = I^_sw - I_C (A), shape of ``control``."""
        return self.switching_estimate - self.control

    def cell_distances(self, currents: torch.Tensor) -> torch.Tensor:
        """L1 distance (A) from each sample's input currents (S, 2) to every configuration's rectangle in
        current space (bounded by the sorted estimated thresholds), (..., S, (N + 1)^2)."""
        th = self.thresholds().sort(-1).values  # (..., 2, N)
        inf = torch.full(th.shape[:-1] + (1,), float("inf"), dtype=th.dtype)
        edges = torch.cat([-inf, th, inf], -1)  # (..., 2, N + 2)
        cur = currents.transpose(0, 1)[..., None]  # (2, S, 1)
        low, high = edges[..., None, :-1], edges[..., None, 1:]  # (..., 2, 1, L)
        d = (low - cur).clamp_min(0) + (cur - high).clamp_min(0)  # (..., 2, S, L)
        return (d[..., 0, :, :, None] + d[..., 1, :, None, :]).flatten(-2)

    def targets(self, currents: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Target counts (t_A, t_B), each (..., S): the cell owned by the sample's class nearest to its currents."""
        dist = self.cell_distances(currents).masked_fill(self.table != labels[:, None], float("inf"))
        cell = dist.argmin(-1)
        return cell // (self.n_devices + 1), cell % (self.n_devices + 1)

    def with_control(self, control: torch.Tensor) -> "ChainClassifier":
        return replace(self, control=control)

    def run(self, features: torch.Tensor | np.ndarray, chain: ChainLike, generator: torch.Generator | None = None):
        """``ChainOutput`` of the chain for every sample (the chain may hold (D, N) device realisations)."""
        if chain.n_devices != self.n_devices:
            raise ValueError(f"chain has {chain.n_devices} junctions; allowed: {self.n_devices} (as trained)")
        currents = self.input_map(features)
        control = self.control
        d = chain.n_realisations
        if d and control.ndim == 2:
            control = control.expand(d, 2, self.n_devices)
        return chain.apply(currents[:, 0], currents[:, 1], control, generator)

    def classify(self, configuration: torch.Tensor, currents: torch.Tensor) -> torch.Tensor:
        """Class (..., S) of measured configurations (..., S) for input currents (S, 2) (A), read with ``spare``."""
        cls = self.table[configuration]
        if self.spare == "nearest" and bool((cls < 0).any()):
            dist = self.cell_distances(currents).masked_fill(self.table < 0, float("inf"))
            cls = torch.where(cls < 0, self.table[dist.argmin(-1)], cls)
        return cls

    def predict(self, features: torch.Tensor | np.ndarray, chain: ChainLike, generator: torch.Generator | None = None) -> torch.Tensor:
        """Predicted class (..., S) (-1 where the configuration is unowned and ``spare`` is "error")."""
        return self.classify(self.run(features, chain, generator).configuration, self.input_map(features))

    def accuracy(self, features, labels, chain: ChainLike, generator: torch.Generator | None = None) -> torch.Tensor:
        """Fraction of correct predictions, a scalar (or (D,) for D device realisations)."""
        labels = torch.as_tensor(np.asarray(labels), dtype=torch.int64)
        return (self.predict(features, chain, generator) == labels).to(torch.float64).mean(-1)

