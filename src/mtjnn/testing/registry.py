"""The registry of models the conformance suite runs on (one ``register`` line per model).

An entry names a model, its ``kind`` ("device" = ``DeviceModel``, "switching" = ``SwitchingModel``,
"neuron" = ``NeuronModel``), a ``build`` function and the example ``inputs`` of its checks (built lazily
and cached, so collecting the tests costs nothing). Entries of one ``family`` in the compact and the
macrospin ``fidelity`` are also compared with each other (the compact entry's ``agreement_atol`` and inputs).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

import torch


@dataclass(frozen=True)
class ModelEntry:
    name: str
    kind: str
    build: Callable[[], Any]
    inputs: Callable[[], Any]
    family: str | None = None
    fidelity: str | None = None
    agreement_atol: float = 0.0

    def model(self) -> Any:
        return _cached(self.build)

    def example_inputs(self) -> Any:
        return _cached(self.inputs)


@functools.cache
def _cached(fn: Callable[[], Any]) -> Any:
    return fn()


REGISTRY: dict[str, ModelEntry] = {}


def register(entry: ModelEntry) -> ModelEntry:
    """Add ``entry`` (its name must be new; kind one of "device", "switching", "neuron")."""
    if entry.kind not in ("device", "switching", "neuron"):
        raise ValueError(f"kind = {entry.kind!r}; allowed: 'device', 'switching', 'neuron'")
    if entry.name in REGISTRY:
        raise ValueError(f"name = {entry.name!r} is already registered; allowed: a new name")
    REGISTRY[entry.name] = entry
    return entry


def registered(kind: str | None = None) -> list[ModelEntry]:
    return [e for e in REGISTRY.values() if kind is None or e.kind == kind]


def agreement_pairs() -> list[tuple[ModelEntry, ModelEntry]]:
    """(compact, macrospin) entries of one family."""
    pairs = []
    for c in registered("device"):
        for m in registered("device"):
            if c.family and c.family == m.family and (c.fidelity, m.fidelity) == ("compact", "macrospin"):
                pairs.append((c, m))
    return pairs


# --- the built-in models ---------------------------------------------------------------------------------------
def _macro_switching():
    from ..devices.mtj import MacrospinSwitching

    return MacrospinSwitching(anisotropy_field=(0.04, 0.006, 0.015), pulse=10e-9, dt=5e-12)


def _mtj_currents() -> torch.Tensor:
    th = _cached(_macro_switching).thresholds()
    return torch.stack([th - 150e-6, th + 150e-6, torch.stack([th[0] - 150e-6, th[1] + 150e-6, th[2] - 150e-6])])


def _compact_switching_matched():
    from ..devices.mtj import CompactSwitching

    return CompactSwitching(i_sw=_cached(_macro_switching).thresholds(), pulse=10e-9)


def _activation(fidelity: str, read_noise: float = 0.0):
    from ..devices.activation import MTJActivation, SensorMTJ, Variability, draw_devices

    devices = draw_devices(SensorMTJ(), Variability.uniform(0.05), 3, torch.Generator().manual_seed(0))
    return MTJActivation(devices, read_noise=read_noise, fidelity=fidelity)


def _spiking_neuron(fidelity: str):
    from ..devices.spiking_neuron import SpikingNeuron

    return SpikingNeuron(fidelity=fidelity, duration=1.5e-9, dt=5e-12)


def _neuron_inputs() -> torch.Tensor:
    from ..devices.spiking_neuron import SpikingNeuronParams

    return torch.tensor([0.5, 2.0, 3.0, 6.0], dtype=torch.float64) * SpikingNeuronParams().threshold_current


def _orthogonal(temperature: float):
    from ..devices.signed_lif_macrospin import OrthogonalMTJ

    return OrthogonalMTJ(temperature=temperature)


def _orthogonal_currents() -> torch.Tensor:
    return torch.tensor([[0.0, 1.5, 1.5, -2.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5], [-2.5, 0.0, 0.0, 2.5, 0.0]]) * _orthogonal(0.0).critical_current()


def _signed_lif(noisy: bool):
    from ..devices.signed_lif import SignedLIFParams

    return SignedLIFParams(read_noise=0.1) if noisy else SignedLIFParams.ideal()


def _mtj(switching: Callable[[], Any]) -> Callable[[], Any]:
    def build():
        from ..devices.mtj import MTJ

        return MTJ(_cached(switching))

    return build


def _compact_single():
    from ..devices.mtj import CompactSwitching

    return CompactSwitching(i_sw=(100e-6,))


def _compact_thermal():
    from ..devices.mtj import CompactSwitching

    return CompactSwitching(temperature=300.0)


def _sv_mtj_nmos():
    from ..circuits.neuron_circuit import NeuronCircuitParams

    return NeuronCircuitParams()


def _theta():
    from ..circuits.theta_neuron import ThetaNeuronParams

    return ThetaNeuronParams()


def _activation_inputs() -> torch.Tensor:
    return torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


_PAPER_CURRENTS = lambda: torch.linspace(-200e-6, 400e-6, 24, dtype=torch.float64).reshape(8, 3)  # noqa: E731
_NEURON_RUN = lambda: (25e-12, 200)  # noqa: E731  (dt s, steps): 5 ns

register(ModelEntry("mtj-compact", "device", _mtj(_compact_switching_matched), _mtj_currents, family="mtj", fidelity="compact"))
register(ModelEntry("mtj-macrospin", "device", _mtj(_macro_switching), _mtj_currents, family="mtj", fidelity="macrospin"))
register(ModelEntry("mtj-compact-single", "device", _mtj(_compact_single), lambda: torch.tensor([50e-6, 150e-6], dtype=torch.float64)))
register(ModelEntry("mtj-compact-300k", "device", _mtj(_compact_thermal), _PAPER_CURRENTS))
register(ModelEntry("activation-compact", "device", functools.partial(_activation, "compact"), _activation_inputs,
                    family="activation", fidelity="compact", agreement_atol=1e-6))
register(ModelEntry("activation-compact-noisy", "device", functools.partial(_activation, "compact", 0.005), _activation_inputs))
register(ModelEntry("activation-macrospin", "device", functools.partial(_activation, "macrospin"), _activation_inputs,
                    family="activation", fidelity="macrospin"))
register(ModelEntry("sv-mtj-neuron-compact", "device", functools.partial(_spiking_neuron, "compact"), _neuron_inputs,
                    family="sv-mtj-neuron", fidelity="compact"))
register(ModelEntry("sv-mtj-neuron-macrospin", "device", functools.partial(_spiking_neuron, "macrospin"), _neuron_inputs,
                    family="sv-mtj-neuron", fidelity="macrospin"))
register(ModelEntry("orthogonal-mtj", "device", functools.partial(_orthogonal, 0.0), _orthogonal_currents))
register(ModelEntry("orthogonal-mtj-300k", "device", functools.partial(_orthogonal, 300.0), _orthogonal_currents))
register(ModelEntry("signed-lif", "device", functools.partial(_signed_lif, False), lambda: _orthogonal_currents() / _orthogonal(0.0).critical_current()))
register(ModelEntry("signed-lif-noisy", "device", functools.partial(_signed_lif, True), lambda: _orthogonal_currents() / _orthogonal(0.0).critical_current()))
register(ModelEntry("switching-compact", "switching", _compact_switching_matched, _mtj_currents))
register(ModelEntry("switching-compact-300k", "switching", _compact_thermal, _PAPER_CURRENTS))
register(ModelEntry("switching-macrospin", "switching", _macro_switching, _mtj_currents))
register(ModelEntry("sv-mtj-nmos-circuit", "neuron", _sv_mtj_nmos, _NEURON_RUN))
register(ModelEntry("theta-neuron", "neuron", _theta, _NEURON_RUN))
