"""The unit of every numeric field a job writes to ``config.json`` (issue 11).

``config.json`` holds ``"units": {"<dotted.field>": "<unit>"}`` next to the job's fields: one entry per
numeric field (a number or a list of numbers), keyed by its dotted path (``"train.device.hk"``). Units are
SI symbols (``"A"``, ``"s"``, ``"T"``, ``"K"``, ``"m"``, ``"ohm"``, ``"V"``...); ``"1"`` is dimensionless
(ratios, fractions, counts, seeds). A field whose name ends in a unit suffix (``_s``, ``_ns``, ``_a``,
``_ua``...) has that unit. ``FIELD_UNITS`` gives the others per configuration class (every numeric field of
every job's configuration is listed: ``tests/test_results_layer.py`` checks that none is left as ``"?"``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: Unit of a field name's suffix.
SUFFIX_UNITS = {"_s": "s", "_ns": "ns", "_ps": "ps", "_a": "A", "_ua": "µA", "_t": "T", "_mt": "mT", "_k": "K",
                "_j": "J", "_pj": "pJ", "_hz": "Hz", "_m": "m", "_nm": "nm", "_v": "V", "_ohm": "ohm", "_w": "W"}
_SWITCHING = {"current": "A", "pulse": "s", "duration": "s", "dt": "s", "temperature": "K", "field": "T", "length": "m",
              "width": "m", "thickness": "m", "ms": "A/m", "alpha": "1", "eta": "1", "r_p": "ohm", "tmr": "1"}
_TIMES = "s"
#: Units of the fields without a unit suffix, per configuration class (class name; a job whose configuration is
#: a plain dict uses its job name). Integers not listed are dimensionless counts, seeds or indices ("1").
FIELD_UNITS: dict[str, dict[str, str]] = {
    "SwitchingConfig": _SWITCHING,
    "SweepSpec": {"currents": "A", "pulses": "s", "temperature": "K", "dt": "s", "relax": "s",
                  "wer_floor": "1 (write-error rate)", "ci_factor": "1 (ratio of the 95 % interval bounds)",
                  "axis_values": "SI unit of the SwitchingConfig field named by axis_name"},
    "RobustnessSpec": {"sigmas": "1 (relative sigma)", "temperatures": "K", "test_fraction": "1", "pulse": "s",
                       "read_noise": "1 (fraction of the full swing)"},
    "VowelsConfig": {"test_fraction": "1", "step_current": "A", "paper_pulse": "s", "temperature": "K", "macrospin_pulse": "s",
                     "macrospin_dt": "s", "sweep_sigmas": "1 (fraction of the input threshold)"},
    "IrisConfig": {"deltas": "1 (pre-activation units)", "spreads": "1 (relative sigma)", "read_noises": "1 (fraction of the full swing)"},
    "MnistConfig": {"deltas": "1 (pre-activation units)", "spreads": "1 (relative sigma)", "read_noises": "1 (fraction of the full swing)"},
    "TrainConfig@analog": {"delta": "1 (pre-activation units)", "spread": "1 (relative sigma)",
                           "read_noise": "1 (fraction of the full swing)", "lr": "1"},
    "SensorMTJ": {"hk": "T", "bias_field": "T", "offset_field": "T", "input_scale": "T per pre-activation unit", "r_p": "ohm", "tmr": "1"},
    "xor": {"macrospin_dt": "s"},
    "XorConfig": {"macrospin_dt": "s"},
    "SpikeTimingConfig": {"kernel_tau": _TIMES, "window": _TIMES, "dt": _TIMES},
    "NeuronCircuitParams": {"v_dd": "V", "v_ref": "V", "tau_ref": "s", "v_adapt": "V", "tau_adapt": "s"},
    "SpikingNeuronParams": {"meff": "T", "hk": "T", "alpha": "1", "thickness": "m", "area": "m^2", "eta": "1", "r_p": "ohm",
                            "tmr": "1", "gamma": "rad/(s T)"},
    "NMOSParams": {"vt": "V", "k": "A/V^2", "lam": "1/V"},
    "TrainConfig@xor": {"learning_rate": "V/V per update", "beta1": "1", "beta2": "1", "weight_clip": "V/V", "margin": "s",
                        "silent_delay": "s", "gate_slope": "ns/V", "dead_weight": "1", "bias_weight": "1/V^2",
                        "hidden_init": "V/V", "hidden_bias_init": "V/V", "output_init": "V/V", "output_bias_init": "V/V"},
    "XorTask": {"t0": _TIMES, "delay": _TIMES, "t_early": _TIMES, "t_late": _TIMES},
    "BehaviourConfig": {"pulse_width": "s", "onset": "s", "dt": "s", "integration_fraction": "1", "train_duration": "s"},
    "OrthogonalMTJ": {"width": "m", "length": "m", "height": "m", "ms": "A/m", "alpha": "1", "eta": "1", "field_like": "1",
                      "temperature": "K", "ra": "ohm m^2", "tmr": "1"},
    "SignedLIFDeviceConfig": {"clock": "s", "duration": "s", "dt": "s", "temperature": "K", "widths": "m", "lengths": "m", "alphas": "1"},
    "SnnConfig": {"clock": "s", "beta_spread": "1 (relative sigma)", "theta_spread": "1 (relative sigma)",
                  "read_noise": "1 (threshold units)"},
}
UNKNOWN = "?"


def config_units(config: Any, owner: str) -> dict[str, str]:
    """``{dotted field: unit}`` for every numeric field of ``config`` (a dataclass or a dict; ``owner`` names a
    dict's table in ``FIELD_UNITS``). A float field with no known unit gets ``UNKNOWN``."""
    units: dict[str, str] = {}
    _walk(config, owner, "", units)
    return units


def _owner(obj: Any) -> str:
    name = type(obj).__name__
    if name == "TrainConfig":  # two training configurations share the name: key them by their package
        return "TrainConfig@xor" if type(obj).__module__.endswith("xor_training") else "TrainConfig@analog"
    return name


def _walk(obj: Any, owner: str, prefix: str, units: dict[str, str]) -> None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        items = [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
        owner = _owner(obj)
    elif isinstance(obj, dict):
        items = list(obj.items())
    else:
        return
    table = FIELD_UNITS.get(owner, {})
    for name, value in items:
        path = f"{prefix}{name}"
        if (dataclasses.is_dataclass(value) and not isinstance(value, type)) or isinstance(value, dict):
            _walk(value, owner if isinstance(value, dict) else "", path + ".", units)
            continue
        kind = _numeric(value)
        if kind is None:
            continue
        suffix = next((u for s, u in SUFFIX_UNITS.items() if name.endswith(s)), None)
        units[path] = table.get(name) or suffix or ("1" if kind == "int" else UNKNOWN)


def _numeric(value: Any) -> str | None:
    """"int", "float" or None (not a number, nor a list of numbers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (list, tuple)) and value:
        kinds = {_numeric(v) for v in value}
        return "float" if "float" in kinds else ("int" if kinds == {"int"} else None)
    return None
