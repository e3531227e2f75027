"""The interfaces networks and circuits call on devices (typing Protocols; any class with these members fits).

* ``DeviceModel`` -- the generic view: a batch of inputs (B, ...) in ``input_unit`` to a batch of outputs
  (B, ...) in ``output_unit`` via ``response(inputs, generator=None)``; ``fidelity`` is ``"compact"``
  (closed form / fitted) or ``"macrospin"`` (LLGS engine). Stochastic models draw only from the generator.
* ``SwitchingModel`` -- what the series chain of seed 002 (``circuits.series_chain``, ``nn.chain_*``) calls:
  per-junction switching times under dc currents, the number of junctions and of device realisations,
  the nominal thresholds and the input duration. ``devices.mtj.CompactSwitching`` and
  ``devices.mtj_macrospin.MacrospinSwitching`` implement it.
* ``NeuronModel`` -- what the spike-timing network (``nn.spike_timing``) calls: a gate-voltage-driven
  spiking neuron with an explicit state and a pure ``step``. ``circuits.neuron_circuit.NeuronCircuitParams``
  (SV/MTJ-nMOS) and ``circuits.theta_neuron.ThetaNeuronParams`` (type-I theta neuron) implement it.

``mtjnn.testing`` checks every registered model against these contracts (``devices.registry``).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

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


@runtime_checkable
class SwitchingModel(Protocol):
    """AP->P switching of N junctions (optionally D device realisations of them) under dc currents (A)."""

    fidelity: str
    pulse: float  # input duration, s

    @property
    def n_devices(self) -> int:
        """Junctions N."""
        ...

    @property
    def n_realisations(self) -> int:
        """Device realisations D held by the model ((D, N) device parameters), 0 for a single set ((N,))."""
        ...

    def thresholds(self) -> torch.Tensor:
        """Device-current thresholds (A) at ``pulse`` (50 % points), shape (N,) or (D, N)."""
        ...

    def switching_time(self, current: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Switching time (s) of each junction under dc ``current`` (..., N) in A; NaN where it does not switch."""
        ...


class NeuronStep(NamedTuple):
    """Per-step outputs of ``NeuronModel.step`` (each of the state's shape): ``current`` drawn at the step
    start (A), mean ``charge`` drawn from the supply over the step (C), spike ``polarity`` (+1/-1/0, the
    state's dtype) and spike ``time`` (s; the step start where there is none; differentiable)."""

    current: torch.Tensor
    charge: torch.Tensor
    polarity: torch.Tensor
    time: torch.Tensor


@runtime_checkable
class NeuronModel(Protocol):
    """A spiking neuron driven by a gate voltage (V), with an explicit state (a NamedTuple of tensors).

    ``phase(state)`` measures the progress toward a spike: 0 at rest, ``spike_phase`` at a spike (the
    networks use its maximum to give a silent neuron a gradient toward firing). ``gate_threshold`` (V)
    is the gate voltage below which the neuron draws no current; ``supply_voltage`` (V) turns drawn
    charge into energy.
    """

    @property
    def spike_phase(self) -> float: ...

    @property
    def gate_threshold(self) -> float: ...

    @property
    def supply_voltage(self) -> float: ...

    def rest(self, shape: tuple[int, ...], dtype: torch.dtype = torch.float64) -> Any:
        """Neurons at rest, every field of the state of ``shape``."""
        ...

    def step(
        self, state: Any, v_gate: tuple[torch.Tensor, torch.Tensor, torch.Tensor], t: float, dt: float
    ) -> tuple[Any, NeuronStep]:
        """Advance by ``dt`` s from time ``t`` s; ``v_gate`` = gate voltages (V) at t, t + dt/2, t + dt (pure, differentiable)."""
        ...

    def phase(self, state: Any) -> torch.Tensor:
        """Progress toward a spike (``spike_phase`` at a spike), the state's shape."""
        ...
