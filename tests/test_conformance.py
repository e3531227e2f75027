"""The conformance suite over every registered model: one case per (model, named check), plus compact vs
macrospin agreement for each device family (``mtjnn.testing``)."""

from __future__ import annotations

import pytest
import torch

from mtjnn.testing import ModelEntry, check_model, parametrize_with_checks, register, registered
from mtjnn.testing.registry import REGISTRY


@parametrize_with_checks(registered())
def test_registered_model(entry, check) -> None:
    check(entry.model(), entry.example_inputs())


def test_every_kind_is_registered_and_pairs_are_found() -> None:
    kinds = {e.kind for e in registered()}
    assert kinds == {"device", "switching", "neuron"}
    assert {e.name for e in registered("neuron")} >= {"sv-mtj-nmos-circuit", "theta-neuron"}


def test_register_refuses_duplicates_and_unknown_kinds() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(REGISTRY["theta-neuron"])
    with pytest.raises(ValueError, match="kind"):
        register(ModelEntry("x", "gadget", lambda: None, lambda: None))
    with pytest.raises(ValueError, match="kind"):
        check_model(None, None, kind="gadget")


class _RestlessNeuron:
    """Wrong on purpose: the theta neuron with a negative rheobase fires without input."""

    def __init__(self) -> None:
        from mtjnn.circuits.theta_neuron import ThetaNeuronParams

        self._inner = ThetaNeuronParams()
        self.spike_phase, self.gate_threshold, self.supply_voltage = 1.5 * torch.pi, 0.45, 1.0

    def rest(self, shape, dtype=torch.float64):
        return self._inner.rest(shape, dtype)

    def step(self, state, v_gate, t, dt):
        return self._inner.step(state, tuple(v + 1.0 for v in v_gate), t, dt)

    def phase(self, state):
        return self._inner.phase(state)


class _DeafSwitching:
    """Wrong on purpose: reports thresholds but switches every junction at t = 0 whatever the current."""

    fidelity, pulse, n_realisations = "compact", 1e-9, 0
    n_devices = 3

    def thresholds(self):
        return torch.full((3,), 100e-6, dtype=torch.float64)

    def switching_time(self, current, generator=None):
        return torch.zeros_like(torch.as_tensor(current, dtype=torch.float64))


def test_the_checks_catch_broken_models() -> None:
    with pytest.raises(AssertionError, match="quiet_below_threshold"):
        check_model(_RestlessNeuron(), (25e-12, 200), kind="neuron")
    with pytest.raises(AssertionError, match="thresholds_separate"):
        check_model(_DeafSwitching(), torch.zeros(2, 3, dtype=torch.float64), kind="switching")
    with pytest.raises(AssertionError, match="does not implement NeuronModel"):
        check_model(object(), (25e-12, 200), kind="neuron")


def test_agreement_fails_when_the_fidelities_disagree() -> None:
    from mtjnn.devices.mtj import MTJ, CompactSwitching
    from mtjnn.testing.checks import check_agreement

    compact, macro = REGISTRY["mtj-compact"], REGISTRY["mtj-macrospin"]
    shifted = MTJ(CompactSwitching(i_sw=compact.model().switching.thresholds() + 300e-6, pulse=10e-9))
    check_agreement(compact.model(), macro.model(), compact.example_inputs(), 0.0)  # the matched pair agrees
    with pytest.raises(AssertionError, match="differ"):
        check_agreement(shifted, macro.model(), compact.example_inputs(), 0.0)
