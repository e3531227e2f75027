"""Named conformance checks of the device, switching and neuron protocols (``devices.protocol``).

Each ``*_checks()`` returns the (name, check) pairs of one protocol; a check is ``check(model, inputs)``
and raises AssertionError naming the failing property. ``mtjnn.testing.parametrize_with_checks`` turns
them into one pytest case per (registered model, check), like scikit-learn's ``parametrize_with_checks``.
The checks test what the networks call: ``response`` for ``DeviceModel``, ``switching_time`` /
``thresholds`` / ``n_realisations`` for ``SwitchingModel`` (the series chain), ``rest`` / ``step`` /
``phase`` for ``NeuronModel`` (the spike-timing network, which the last neuron check runs).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import torch

from ..devices.protocol import FIDELITIES, DeviceModel, NeuronModel, SwitchingModel

Check = Callable[[Any, Any], None]


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- DeviceModel -------------------------------------------------------------------------------------------
def check_device_protocol(model: Any, inputs: torch.Tensor) -> None:
    assert isinstance(model, DeviceModel), f"{type(model).__name__} does not implement DeviceModel"
    assert model.fidelity in FIDELITIES, f"fidelity {model.fidelity!r} not in {FIDELITIES}"
    for attr in ("input_unit", "output_unit"):
        unit = getattr(model, attr)
        assert isinstance(unit, str) and unit, f"{attr} must be a non-empty unit string (SI), got {unit!r}"
    assert inputs.shape[0] >= 2, "provide at least two inputs to check batching"


def check_device_batch_and_finite(model: Any, inputs: torch.Tensor, seed: int = 1234) -> None:
    out = model.response(inputs.to(torch.float64), generator=_generator(seed))
    assert out.shape[0] == inputs.shape[0], f"batch dimension lost: inputs {tuple(inputs.shape)} -> outputs {tuple(out.shape)}"
    assert torch.isfinite(out.double()).all(), "outputs contain NaN or inf"


def check_device_seeded_determinism(model: Any, inputs: torch.Tensor, seed: int = 1234) -> None:
    x = inputs.to(torch.float64)
    out = model.response(x, generator=_generator(seed))
    again = model.response(x, generator=_generator(seed))
    assert torch.equal(out, again), "same seed gave different outputs (hidden state or unseeded randomness)"


def check_device_dtypes(model: Any, inputs: torch.Tensor, seed: int = 1234) -> None:
    for dtype in (torch.float32, torch.float64):
        res = model.response(inputs.to(dtype), generator=_generator(seed))
        assert res.dtype in (dtype, torch.bool, torch.int64), f"float input {dtype} gave output dtype {res.dtype}"


def check_device_batched_equals_single(model: Any, inputs: torch.Tensor, seed: int = 1234, atol: float = 1e-6) -> None:
    """A deterministic model (another seed gives the same outputs) answers a batch as it answers its rows."""
    x = inputs.to(torch.float64)
    out = model.response(x, generator=_generator(seed))
    if not torch.equal(out, model.response(x, generator=_generator(seed + 1))):
        return  # stochastic: rows draw different noise in a batch than alone
    single = torch.cat([model.response(x[i : i + 1], generator=_generator(seed)) for i in range(x.shape[0])])
    assert torch.allclose(single.double(), out.double(), atol=atol), "batched outputs differ from one-by-one outputs"


def device_checks() -> list[tuple[str, Check]]:
    return [
        ("protocol", check_device_protocol),
        ("batch_and_finite", check_device_batch_and_finite),
        ("seeded_determinism", check_device_seeded_determinism),
        ("dtypes", check_device_dtypes),
        ("batched_equals_single", check_device_batched_equals_single),
    ]


# --- SwitchingModel (inputs: device currents (S, N) in A) ----------------------------------------------------
def check_switching_protocol(model: Any, currents: torch.Tensor) -> None:
    assert isinstance(model, SwitchingModel), f"{type(model).__name__} does not implement SwitchingModel"
    assert model.fidelity in FIDELITIES, f"fidelity {model.fidelity!r} not in {FIDELITIES}"
    assert model.pulse > 0, f"pulse = {model.pulse!r} s; must be > 0"
    assert model.n_devices == currents.shape[-1], f"n_devices = {model.n_devices}, example currents have {currents.shape[-1]}"
    assert isinstance(model.n_realisations, int) and model.n_realisations >= 0, f"n_realisations = {model.n_realisations!r}"
    th = model.thresholds()
    expected = (model.n_realisations, model.n_devices) if model.n_realisations else (model.n_devices,)
    assert tuple(th.shape) == expected, f"thresholds() has shape {tuple(th.shape)}; expected {expected}"


def check_switching_times(model: Any, currents: torch.Tensor, seed: int = 1234) -> None:
    times = model.switching_time(currents, _generator(seed))
    assert times.shape == currents.shape, f"switching_time shape {tuple(times.shape)} != currents {tuple(currents.shape)}"
    done = ~torch.isnan(times)
    assert bool(((times[done] >= 0) & (times[done] <= model.pulse * (1 + 1e-9))).all()), "a switching time outside [0, pulse]"
    again = model.switching_time(currents, _generator(seed))
    assert torch.equal(done, ~torch.isnan(again)) and torch.equal(times[done], again[done]), "same seed gave different times"


def check_switching_thresholds_separate(model: Any, currents: torch.Tensor, seed: int = 1234) -> None:
    """Far above its threshold every junction switches within the pulse; far below none does."""
    th = model.thresholds()
    margin = 0.5 * max(float(th.abs().max()), 200e-6)
    for sign, want in ((1.0, True), (-1.0, False)):
        times = model.switching_time((th + sign * margin).unsqueeze(-2), _generator(seed))  # (N,) -> (1, N); (D, N) -> (D, 1, N)
        got = ~torch.isnan(times)
        assert bool((got == want).all()), f"at thresholds {'+' if sign > 0 else '-'} {margin:.3g} A switched = {got.tolist()}"


def switching_checks() -> list[tuple[str, Check]]:
    return [
        ("protocol", check_switching_protocol),
        ("switching_times", check_switching_times),
        ("thresholds_separate", check_switching_thresholds_separate),
    ]


# --- NeuronModel (inputs: (dt s, steps)) ----------------------------------------------------------------------
def _run_neuron(neuron: Any, gate: torch.Tensor, dt: float, steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """First-spike time (window end if none), spiked flag and max phase of neurons under a constant gate (V)."""
    state = neuron.rest(tuple(gate.shape), gate.dtype)
    first = torch.full_like(gate, steps * dt)
    has = torch.zeros(gate.shape, dtype=torch.bool)
    top = torch.zeros_like(gate)
    for k in range(steps):
        state, out = neuron.step(state, (gate, gate, gate), k * dt, dt)
        assert bool(((out.time >= k * dt - 1e-21) & (out.time <= (k + 1) * dt + 1e-21)).all()), f"spike time outside step {k}"
        assert bool(torch.isin(out.polarity, torch.tensor([-1.0, 0.0, 1.0], dtype=out.polarity.dtype)).all()), "polarity not in {-1, 0, 1}"
        assert bool((out.charge >= 0).all()), "negative charge drawn from the supply"
        new = (out.polarity != 0) & ~has
        first = torch.where(new, out.time, first)
        top = torch.where(has, top, torch.maximum(top, neuron.phase(state)))
        has = has | new
    return first, has, top


def check_neuron_protocol(neuron: Any, inputs: tuple[float, int]) -> None:
    assert isinstance(neuron, NeuronModel), f"{type(neuron).__name__} does not implement NeuronModel"
    assert neuron.spike_phase > 0, f"spike_phase = {neuron.spike_phase!r}; must be > 0"
    assert neuron.supply_voltage > 0 and math.isfinite(neuron.gate_threshold), "supply_voltage > 0 and a finite gate_threshold"
    state = neuron.rest((2, 3))
    assert all(tuple(f.shape) == (2, 3) for f in state), "rest(shape) fields must have that shape"
    assert torch.allclose(neuron.phase(state), torch.zeros(2, 3, dtype=torch.float64)), "phase at rest must be 0"


def check_neuron_quiet_below_threshold(neuron: Any, inputs: tuple[float, int]) -> None:
    dt, steps = inputs
    gate = torch.full((2,), neuron.gate_threshold - 0.1, dtype=torch.float64)
    _, has, top = _run_neuron(neuron, gate, dt, steps)
    assert not bool(has.any()), "a neuron fired with its gate below gate_threshold"
    assert bool((top < 0.5 * neuron.spike_phase).all()), "the phase moved toward a spike without input"


def check_neuron_step_is_pure(neuron: Any, inputs: tuple[float, int]) -> None:
    dt, _ = inputs
    state = neuron.rest((3,))
    kept = [f.clone() for f in state]
    gate = torch.full((3,), neuron.gate_threshold + 0.8, dtype=torch.float64)
    a = neuron.step(state, (gate, gate, gate), 0.0, dt)
    b = neuron.step(state, (gate, gate, gate), 0.0, dt)
    assert all(torch.equal(x, y) for x, y in zip(kept, state)), "step changed its input state"
    assert all(torch.equal(x, y) for x, y in zip(list(a[0]) + list(a[1]), list(b[0]) + list(b[1]))), "step is not deterministic"


def check_neuron_stronger_input_fires_earlier(neuron: Any, inputs: tuple[float, int]) -> None:
    """Constant gates above threshold: every neuron fires, earlier for a stronger gate, with a finite negative gradient."""
    dt, steps = inputs
    amp = torch.tensor([0.6, 0.9, 1.2], dtype=torch.float64, requires_grad=True)
    first, has, top = _run_neuron(neuron, neuron.gate_threshold + amp, dt, steps)
    assert bool(has.all()), f"no spike within {steps * dt:g} s for gates V_T + {amp.tolist()} V"
    assert bool((first[1:] < first[:-1]).all()), f"first-spike times {first.tolist()} s do not fall with the gate"
    (grad,) = torch.autograd.grad(first.sum(), amp)
    assert bool(torch.isfinite(grad).all() & (grad < 0).all()), f"d t_spike / d V_gate = {grad.tolist()}; expected finite and < 0"


def check_neuron_runs_the_spike_timing_network(neuron: Any, inputs: tuple[float, int]) -> None:
    from ..nn.spike_timing import SpikeTimingConfig, forward

    cfg = SpikeTimingConfig(circuit=neuron)
    times = torch.tensor([[0.5e-9, 0.5e-9, 0.5e-9], [1.5e-9, 0.5e-9, 0.5e-9]], dtype=torch.float64)
    wh = torch.full((1, 2, 3), 1.2, dtype=torch.float64, requires_grad=True)
    wo = torch.tensor([[1.5, 1.5, 0.0]], dtype=torch.float64, requires_grad=True)
    out = forward(wh, wo, times, cfg, backend="torch")
    assert out.time.shape == (1, 2, 3) and bool(out.spiked.all()), f"the network did not fire: {out.spiked.tolist()}"
    out.time.sum().backward()
    assert bool(torch.isfinite(wh.grad).all() & torch.isfinite(wo.grad).all()), "non-finite spike-time gradients"


def neuron_checks() -> list[tuple[str, Check]]:
    return [
        ("protocol", check_neuron_protocol),
        ("quiet_below_threshold", check_neuron_quiet_below_threshold),
        ("step_is_pure", check_neuron_step_is_pure),
        ("stronger_input_fires_earlier", check_neuron_stronger_input_fires_earlier),
        ("runs_the_spike_timing_network", check_neuron_runs_the_spike_timing_network),
    ]


CHECKS: dict[str, Callable[[], list[tuple[str, Check]]]] = {"device": device_checks, "switching": switching_checks, "neuron": neuron_checks}
"""The named checks of each kind of model (a registry entry's ``kind``)."""


def check_agreement(compact: Any, macrospin: Any, inputs: torch.Tensor, atol: float) -> None:
    """Compact and macrospin fidelities of one device give the same outputs (within ``atol``) on ``inputs``."""
    a = compact.response(inputs, generator=_generator(0)).double()
    b = macrospin.response(inputs, generator=_generator(0)).double()
    assert a.shape == b.shape, f"compact output {tuple(a.shape)} vs macrospin {tuple(b.shape)}"
    worst = float((a - b).abs().max())
    assert worst <= atol, f"compact and macrospin differ by up to {worst:.3g} (allowed {atol:g})"
