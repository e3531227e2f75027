"""mtjnn: neuromorphic hardware built from magnetic tunnel junctions.

Layers (arrows point to what a layer may import): ``physics`` -> ``devices`` -> ``circuits`` / ``nn``
-> ``estimators`` / ``experiments`` -> ``cli``; ``data`` feeds ``experiments``. See ``docs/architecture.md``.

The names a user needs are importable from ``mtjnn`` directly (loaded on first use, so ``import mtjnn``
and the command line stay fast; the estimators need the ``sklearn`` extra, pip install 'mtjnn[sklearn]'):

Engine (``mtjnn.physics``):
    Macrospin: a free layer (or a batch of them) in the macrospin approximation, SI units.
    Drive: what is applied to the junctions, current in A and field (mu0 H) in T, constant or in time.
    Pulse: trapezoidal pulse (base, amplitude, start, rise, width, fall in s) for a Drive.
    simulate: integrate the stochastic LLGS equation for a batch of magnetizations, returns a Trajectory.
Devices (``mtjnn.devices``):
    SensorMTJ: nominal sensor junction used as an activation function (fields in T, resistance in ohm).
    Variability: device-to-device spread and read noise of MTJ activation devices.
    MTJActivation: a row of sensor junctions as neurons, pre-activation -> normalized conductance.
    make_mtj: a switching MTJ in compact or macrospin fidelity.
Networks (``mtjnn.nn``):
    AnalogMLP / AnalogMLPConfig: an MLP whose hidden neurons are MTJ activation devices.
    TrainConfig / train_analog_mlp: its training loop (device-in-the-loop finite-difference gradients).
Estimators (``mtjnn.estimators``, scikit-learn conventions):
    MTJActivationClassifier / MTJActivationRegressor: MTJ-activation MLPs for tabular data.
    MTJChainClassifier: the series-chain classifier of switching MTJs.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, str]] = {
    # name: (module, attribute)
    "Macrospin": ("mtjnn.physics", "Macrospin"),
    "Drive": ("mtjnn.physics", "Drive"),
    "Pulse": ("mtjnn.physics", "Pulse"),
    "simulate": ("mtjnn.physics", "simulate"),
    "SensorMTJ": ("mtjnn.devices.activation", "SensorMTJ"),
    "Variability": ("mtjnn.devices.activation", "Variability"),
    "MTJActivation": ("mtjnn.devices.activation", "MTJActivation"),
    "make_mtj": ("mtjnn.devices.mtj", "make_mtj"),
    "AnalogMLP": ("mtjnn.nn.analog_mlp", "AnalogMLP"),
    "AnalogMLPConfig": ("mtjnn.nn.analog_mlp", "AnalogMLPConfig"),
    "TrainConfig": ("mtjnn.nn.analog_training", "TrainConfig"),
    "train_analog_mlp": ("mtjnn.nn.analog_training", "fit"),
    "MTJActivationClassifier": ("mtjnn.estimators", "MTJActivationClassifier"),
    "MTJActivationRegressor": ("mtjnn.estimators", "MTJActivationRegressor"),
    "MTJChainClassifier": ("mtjnn.estimators", "MTJChainClassifier"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'mtjnn' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
