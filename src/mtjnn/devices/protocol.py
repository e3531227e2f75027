"""The small interface every device model exposes, so that networks can swap fidelities.

A device model maps a batch of inputs (B, ...) in ``input_unit`` to a batch of outputs (B, ...) in
``output_unit`` via ``response(inputs, generator=None)``. ``fidelity`` is ``"compact"`` (closed form /
fitted) or ``"macrospin"`` (LLGS engine). Stochastic models draw only from the given generator.
``mtjnn.testing.check_device_model`` verifies the contract.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

FIDELITIES = ("compact", "macrospin")


@runtime_checkable
class DeviceModel(Protocol):
    fidelity: str
    input_unit: str
    output_unit: str

    def response(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Outputs (B, ...) for inputs (B, ...); batch-first, dtype and device follow ``inputs``."""
        ...
