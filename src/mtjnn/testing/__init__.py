"""Conformance suite of the device, switching and neuron protocols (like scikit-learn's ``parametrize_with_checks``).

    from mtjnn.testing import parametrize_with_checks, registered

    @parametrize_with_checks(registered())
    def test_conformance(entry, check):
        check(entry.model(), entry.example_inputs())

gives one pytest case per (registered model, named check), e.g. ``theta-neuron::stronger_input_fires_earlier``,
plus ``<compact>::agrees_with::<macrospin>`` for the two fidelities of one device family.
``check_model(model, inputs, kind)`` runs every check of a model once (for a model not in the registry);
``check_device_model`` is its ``DeviceModel`` form. ``registry.register`` adds a model.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from .checks import CHECKS, check_agreement, device_checks, neuron_checks, switching_checks
from .registry import REGISTRY, ModelEntry, agreement_pairs, register, registered

__all__ = [
    "CHECKS", "REGISTRY", "ModelEntry", "check_device_model", "check_model", "device_checks", "neuron_checks",
    "parametrize_with_checks", "register", "registered", "switching_checks",
]


def check_model(model: Any, inputs: Any, kind: str = "device") -> None:
    """Run every named check of ``kind`` on ``model`` with example ``inputs``; AssertionError names the first failure."""
    if kind not in CHECKS:
        raise ValueError(f"kind = {kind!r}; allowed: {sorted(CHECKS)}")
    for name, check in CHECKS[kind]():
        try:
            check(model, inputs)
        except AssertionError as err:
            raise AssertionError(f"{type(model).__name__} fails {kind} check {name!r}: {err}") from err


def check_device_model(model: Any, inputs: Any, *, atol: float = 1e-6) -> None:
    """Every ``DeviceModel`` check of ``model`` on a float64 batch of example ``inputs`` (B >= 2, ...)."""
    for name, check in device_checks():
        kwargs = {"atol": atol} if name == "batched_equals_single" else {}
        try:
            check(model, inputs, **kwargs)
        except AssertionError as err:
            raise AssertionError(f"{type(model).__name__} fails device check {name!r}: {err}") from err


def _agreement(compact: ModelEntry, macrospin: ModelEntry, _model: Any, _inputs: Any) -> None:
    check_agreement(compact.model(), macrospin.model(), compact.example_inputs(), compact.agreement_atol)


def parametrize_with_checks(entries: Iterable[ModelEntry], *, agreement: bool = True):
    """A ``pytest.mark.parametrize("entry, check", ...)`` over every named check of every entry (ids
    ``<entry>::<check>``) and, with ``agreement``, the compact-vs-macrospin check of each family among them."""
    import pytest

    entries = list(entries)
    params = [pytest.param(e, check, id=f"{e.name}::{name}") for e in entries for name, check in CHECKS[e.kind]()]
    if agreement:
        names = {e.name for e in entries}
        for c, m in agreement_pairs():
            if c.name in names and m.name in names:
                params.append(pytest.param(c, functools.partial(_agreement, c, m), id=f"{c.name}::agrees_with::{m.name}"))
    return pytest.mark.parametrize("entry, check", params)
