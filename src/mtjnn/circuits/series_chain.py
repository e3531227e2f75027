"""N magnetic tunnel junctions in series under two sequential dc inputs (López et al. 2024, seed 002).

Circuit (seed 002, Fig. 1(a)): the input current I_j (j = A, B) flows through every junction, and
junction i also carries its own control current I_C,i^j, applied only while input j is on:

    I_MTJ,i = I_j + I_C,i^j

(realised with three sources: I_dc1 = I_C1 + I_j, I_dc2 = I_C2 - I_C1, I_dc3 = I_C3 - I_C2.) Every
junction starts antiparallel; input A is applied, the junctions that switch to P are counted (n_A),
the chain is reset to AP (input off, control current alone), then input B is applied (n_B). The output
is the *switching configuration* (n_A, n_B), one of (N + 1)^2, indexed n_A (N + 1) + n_B.

Batching: inputs (S,) samples; control currents (2, N) (one set per input) or (D, 2, N) for D device
realisations (with a switching model holding (D, N) device parameters). Each input is ONE call of the
switching model on all D x S x N junctions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from ..devices.mtj import MTJ
from ..validation import check_finite, check_range


class ChainOutput(NamedTuple):
    """Result of applying inputs A then B.

    n_a, n_b: (..., S) number of junctions switched by each input; configuration: n_a (N+1) + n_b;
    switched_a, switched_b: (..., S, N) which junctions switched; time_a, time_b: (..., S, N) switching
    times in s (NaN where none); current_a, current_b: (..., S, N) junction currents in A.
    """

    n_a: torch.Tensor
    n_b: torch.Tensor
    configuration: torch.Tensor
    switched_a: torch.Tensor
    switched_b: torch.Tensor
    time_a: torch.Tensor
    time_b: torch.Tensor
    current_a: torch.Tensor
    current_b: torch.Tensor


def configuration_index(n_a: torch.Tensor, n_b: torch.Tensor, n_devices: int) -> torch.Tensor:
    """Configuration index n_a (N + 1) + n_b of switch counts (each in 0..N)."""
    return n_a * (n_devices + 1) + n_b


def configuration_counts(index: torch.Tensor, n_devices: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(n_a, n_b) of configuration indices (inverse of ``configuration_index``)."""
    return index // (n_devices + 1), index % (n_devices + 1)


@dataclass(frozen=True)
class SeriesChain:
    """A chain of ``device.n_devices`` junctions in series (see module docstring).

    ``device`` is an ``MTJ`` (junction parameters + any ``SwitchingModel``); its ``pulse`` is the
    duration of each input. Implements ``nn.chain_model.ChainLike``.
    """

    device: MTJ = field(default_factory=MTJ)

    def __post_init__(self) -> None:
        if not isinstance(self.device, MTJ):
            raise ValueError(f"device is {type(self.device).__name__}; allowed: mtjnn.devices.mtj.MTJ")

    @property
    def n_devices(self) -> int:
        return self.device.n_devices

    @property
    def n_realisations(self) -> int:
        """Device realisations D of the junctions (0 for one chain)."""
        return self.device.n_realisations

    @property
    def n_configurations(self) -> int:
        return (self.n_devices + 1) ** 2

    def device_currents(self, inputs: torch.Tensor, control: torch.Tensor) -> torch.Tensor:
        """I_MTJ,i = I_input + I_C,i (A): inputs (S,), control (N,) or (D, N) -> (S, N) or (D, S, N)."""
        inputs = torch.as_tensor(inputs, dtype=torch.float64)
        control = torch.as_tensor(control, dtype=torch.float64)
        if inputs.ndim != 1:
            raise ValueError(f"inputs has shape {tuple(inputs.shape)}; allowed: (S,) input currents in A")
        if control.shape[-1] != self.n_devices or control.ndim not in (1, 2):
            raise ValueError(f"control has shape {tuple(control.shape)}; allowed: (N,) or (D, N) with N = {self.n_devices}")
        check_finite("inputs", inputs)
        check_range("control", control, -0.1, 0.1, unit="A")
        if control.ndim == 1:
            return inputs[:, None] + control[None, :]
        return inputs[None, :, None] + control[:, None, :]

    def apply(
        self, i_a: torch.Tensor, i_b: torch.Tensor, control: torch.Tensor, generator: torch.Generator | None = None
    ) -> ChainOutput:
        """Apply input A then input B (A, shape (S,)) with ``control`` (2, N) or (D, 2, N) in A.

        ``control[..., 0, :]`` are the control currents during input A, ``control[..., 1, :]`` during B.
        Random draws (thermal switching) come from ``generator``, A before B.
        """
        control = torch.as_tensor(control, dtype=torch.float64)
        if control.ndim not in (2, 3) or control.shape[-2:] != (2, self.n_devices):
            raise ValueError(f"control has shape {tuple(control.shape)}; allowed: (2, N) or (D, 2, N) with N = {self.n_devices}")
        i_a = torch.as_tensor(i_a, dtype=torch.float64)
        i_b = torch.as_tensor(i_b, dtype=torch.float64)
        if i_a.shape != i_b.shape:
            raise ValueError(f"i_a has shape {tuple(i_a.shape)} and i_b {tuple(i_b.shape)}; allowed: equal (S,) shapes")
        cur_a = self.device_currents(i_a, control[..., 0, :])
        cur_b = self.device_currents(i_b, control[..., 1, :])
        t_a = self.device.switching_time(cur_a, generator)
        t_b = self.device.switching_time(cur_b, generator)
        sw_a, sw_b = ~torch.isnan(t_a), ~torch.isnan(t_b)
        n_a = sw_a.sum(-1)
        n_b = sw_b.sum(-1)
        return ChainOutput(n_a, n_b, configuration_index(n_a, n_b, self.n_devices), sw_a, sw_b, t_a, t_b, cur_a, cur_b)

    def energy(self, output: ChainOutput) -> torch.Tensor:
        """I^2 R t (J) dissipated in the junctions by both inputs of each sample, (..., S).

        Each junction is AP (bias-dependent R_AP) until its switching time and P afterwards; for the
        compact model at 0 K (no dynamics) switching counts as instantaneous, a lower bound.
        """
        pulse, junction = self.device.pulse, self.device.junction
        return (junction.joule_energy(output.current_a, pulse, output.time_a).sum(-1)
                + junction.joule_energy(output.current_b, pulse, output.time_b).sum(-1))

    def configurations(
        self, i_a: torch.Tensor, i_b: torch.Tensor, control: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Configuration index (..., S) for inputs A, B (A) and ``control`` (2, N) or (D, 2, N) (A)."""
        return self.apply(i_a, i_b, control, generator).configuration
