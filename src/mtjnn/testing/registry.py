"""The registry of models the conformance suite runs on (one ``register`` line per model).

An entry names a model, its ``kind`` ("device" = ``DeviceModel``, "switching" = ``SwitchingModel``,
"neuron" = ``NeuronModel``), a ``build`` function and the example ``inputs`` of its checks (built lazily
and cached, so collecting the tests costs nothing). Entries of one ``family`` in the compact and the
macrospin ``fidelity`` are also compared with each other (the compact entry's ``agreement_atol`` and inputs).
"""

from __future__ import annotations

import functools
import importlib
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
def lazy(module: str, name: str, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """A build function that imports ``mtjnn.<module>.<name>`` (a dotted name: a class or a classmethod) only
    when called and calls it with the arguments."""

    def build() -> Any:
        target = functools.reduce(getattr, name.split("."), importlib.import_module(f"mtjnn.{module}"))
        return target(*args, **kwargs)

    return build


def _mtj(switching: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: lazy("devices.mtj", "MTJ", _cached(switching))()


_macro_switching = lazy("devices.mtj", "MacrospinSwitching", anisotropy_field=(0.04, 0.006, 0.015), pulse=10e-9, dt=5e-12)


def _compact_switching_matched() -> Any:
    """Compact thresholds = the macrospin junctions' thresholds (0 K, 10 ns), so the two fidelities must agree."""
    return lazy("devices.mtj", "CompactSwitching", i_sw=_cached(_macro_switching).thresholds(), pulse=10e-9)()


def _mtj_currents() -> torch.Tensor:
    """150 uA below / above every threshold, and a mixed row (A)."""
    th = _cached(_macro_switching).thresholds()
    return torch.stack([th - 150e-6, th + 150e-6, th + torch.tensor([-150e-6, 150e-6, -150e-6], dtype=th.dtype)])


def _activation(fidelity: str, read_noise: float = 0.0) -> Callable[[], Any]:
    def build() -> Any:
        from ..devices.activation import MTJActivation, SensorMTJ, Variability, draw_devices

        devices = draw_devices(SensorMTJ(), Variability.uniform(0.05), 3, torch.Generator().manual_seed(0))
        return MTJActivation(devices, read_noise=read_noise, fidelity=fidelity)

    return build


def _pulse_amplitudes() -> torch.Tensor:
    from ..devices.spiking_neuron import SpikingNeuronParams

    return torch.tensor([0.5, 2.0, 3.0, 6.0], dtype=torch.float64) * SpikingNeuronParams().threshold_current


def _orthogonal_currents(normalised: bool = False) -> Callable[[], torch.Tensor]:
    def inputs() -> torch.Tensor:
        scale = 1.0 if normalised else lazy("devices.signed_lif_macrospin", "OrthogonalMTJ")().critical_current()
        return torch.tensor([[0.0, 1.5, 1.5, -2.0, 0.0], [0.5, 0.5, 0.5, 0.5, 0.5], [-2.5, 0.0, 0.0, 2.5, 0.0]], dtype=torch.float64) * scale

    return inputs


def _activation_inputs() -> torch.Tensor:
    return torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))


def _paper_currents() -> torch.Tensor:
    return torch.linspace(-200e-6, 400e-6, 24, dtype=torch.float64).reshape(8, 3)


def _realisation_currents() -> torch.Tensor:
    """(D = 2, S = 2, N = 3) currents for the (2, 3) thresholds of "switching-compact-realisations"."""
    return torch.tensor([[[0.0, 0.0, 0.0], [5e-4, 5e-4, 5e-4]], [[1e-4, 2e-4, 3e-4], [-1e-4, 0.0, 1e-4]]], dtype=torch.float64)


def _neuron_run() -> tuple[float, int]:
    return 25e-12, 200  # (dt s, steps): 5 ns


_compact_single = lazy("devices.mtj", "CompactSwitching", i_sw=(100e-6,))
_compact_thermal = lazy("devices.mtj", "CompactSwitching", temperature=300.0)
_neuron_device = {f: lazy("devices.spiking_neuron", "SpikingNeuron", fidelity=f, duration=1.5e-9, dt=5e-12) for f in ("compact", "macrospin")}

register(ModelEntry("mtj-compact", "device", _mtj(_compact_switching_matched), _mtj_currents, family="mtj", fidelity="compact"))
register(ModelEntry("mtj-macrospin", "device", _mtj(_macro_switching), _mtj_currents, family="mtj", fidelity="macrospin"))
register(ModelEntry("mtj-compact-single", "device", _mtj(_compact_single), lambda: torch.tensor([50e-6, 150e-6], dtype=torch.float64)))
register(ModelEntry("mtj-compact-300k", "device", _mtj(_compact_thermal), _paper_currents))
register(ModelEntry("activation-compact", "device", _activation("compact"), _activation_inputs, family="activation", fidelity="compact",
                    agreement_atol=1e-6))
register(ModelEntry("activation-compact-noisy", "device", _activation("compact", 0.005), _activation_inputs))
register(ModelEntry("activation-macrospin", "device", _activation("macrospin"), _activation_inputs, family="activation", fidelity="macrospin"))
register(ModelEntry("sv-mtj-neuron-compact", "device", _neuron_device["compact"], _pulse_amplitudes, family="sv-mtj-neuron", fidelity="compact"))
register(ModelEntry("sv-mtj-neuron-macrospin", "device", _neuron_device["macrospin"], _pulse_amplitudes, family="sv-mtj-neuron",
                    fidelity="macrospin"))
register(ModelEntry("orthogonal-mtj", "device", lazy("devices.signed_lif_macrospin", "OrthogonalMTJ"), _orthogonal_currents()))
register(ModelEntry("orthogonal-mtj-300k", "device", lazy("devices.signed_lif_macrospin", "OrthogonalMTJ", temperature=300.0),
                    _orthogonal_currents()))
register(ModelEntry("signed-lif", "device", lazy("devices.signed_lif", "SignedLIFParams.ideal"), _orthogonal_currents(True)))
register(ModelEntry("signed-lif-noisy", "device", lazy("devices.signed_lif", "SignedLIFParams", read_noise=0.1), _orthogonal_currents(True)))
register(ModelEntry("switching-compact", "switching", _compact_switching_matched, _mtj_currents))
register(ModelEntry("switching-compact-300k", "switching", _compact_thermal, _paper_currents))
register(ModelEntry("switching-compact-realisations", "switching",
                    lazy("devices.mtj", "CompactSwitching", i_sw=((100e-6, 200e-6, 300e-6), (120e-6, 180e-6, 330e-6))), _realisation_currents))
register(ModelEntry("switching-macrospin", "switching", _macro_switching, _mtj_currents))
register(ModelEntry("sv-mtj-nmos-circuit", "neuron", lazy("circuits.neuron_circuit", "NeuronCircuitParams"), _neuron_run))
register(ModelEntry("theta-neuron", "neuron", lazy("circuits.theta_neuron", "ThetaNeuronParams"), _neuron_run))
