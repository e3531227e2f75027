"""Explicit-state stepping (physics.stepper): the same steps as simulate's torch stepper, differentiable, clear errors."""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics.demag import ellipsoid_factors
from mtjnn.physics.stepper import LLGState, stepper

DT = 1e-12


def _junction() -> Macrospin:
    return Macrospin(ms=[0.9e6, 1e6, 1.1e6], thickness=1.4e-9, area=math.pi * 50e-9 * 25e-9, alpha=0.02,
                     demag=ellipsoid_factors(100e-9, 50e-9, 1.4e-9), anisotropy_field=0.01, easy_axis=(1.0, 0.0, 0.0),
                     polarizer=(1.0, 0.0, 0.0), eta=0.6, field_like=0.2)


def _m0() -> torch.Tensor:
    m0 = torch.tensor([[-0.99, 0.1, 0.05]], dtype=torch.float64).repeat(3, 1)
    return m0 / m0.norm(dim=-1, keepdim=True)


@pytest.mark.parametrize("method", ["rk4", "heun"])
def test_stepping_equals_simulate_bit_for_bit(method: str) -> None:
    n, current, field = 300, -8e-4, torch.tensor([0.0, 0.002, 0.0], dtype=torch.float64)
    reference = simulate(_m0(), _junction(), Drive(current=current, field=field), duration=n * DT, dt=DT, method=method,
                         backend="torch", stop_when_switched=False)
    init, step = stepper(_junction(), method, batch=3)
    state = init(_m0())
    for _ in range(n):
        state = step(state, DT, current=current, field=field)
    assert reference.steps == n and torch.equal(state.m, reference.final)


def test_per_junction_and_staged_drives() -> None:
    init, step = stepper(_junction(), "rk4", batch=3)
    currents = torch.tensor([-8e-4, 0.0, 8e-4], dtype=torch.float64)
    state = step(init(_m0()), DT, current=currents)
    staged = step(init(_m0()), DT, current=(currents, currents, currents))
    assert torch.equal(state.m, staged.m)
    assert torch.allclose(state.m.norm(dim=-1), torch.ones(3, dtype=torch.float64), atol=1e-14)
    assert not torch.equal(state.m[0], state.m[2])  # opposite currents act differently


def test_steps_are_differentiable_in_the_drive() -> None:
    init, step = stepper(_junction(), "rk4", batch=3)

    def final_mx(i: torch.Tensor) -> torch.Tensor:
        state = init(_m0())
        for _ in range(50):
            state = step(state, DT, current=i)
        return state.m[:, 0].sum()

    i = torch.tensor(-8e-4, dtype=torch.float64, requires_grad=True)
    (grad,) = torch.autograd.grad(final_mx(i), i)
    h = 1e-7
    fd = (final_mx(torch.tensor(-8e-4 + h, dtype=torch.float64)) - final_mx(torch.tensor(-8e-4 - h, dtype=torch.float64))) / (2 * h)
    assert torch.isfinite(grad) and float(grad) != 0.0
    assert abs(float(grad) - float(fd)) <= 1e-5 * abs(float(fd))


def test_thermal_field_enters_heun_only() -> None:
    init, step = stepper(_junction(), "heun", batch=3)
    kick = torch.zeros(3, 3, dtype=torch.float64)
    kick[:, 1] = 0.05
    quiet, kicked = step(init(_m0()), DT), step(init(_m0()), DT, thermal_field=kick)
    assert not torch.equal(quiet.m, kicked.m)
    _, rk4 = stepper(_junction(), "rk4", batch=3)
    with pytest.raises(ValueError, match="thermal_field"):
        rk4(init(_m0()), DT, thermal_field=kick)


def test_bad_input_names_the_parameter() -> None:
    with pytest.raises(ValueError, match="method"):
        stepper(_junction(), "euler")
    init, step = stepper(_junction(), "rk4", batch=3)
    with pytest.raises(ValueError, match="m0 has shape"):
        init(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="zero row"):
        init(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="dt"):
        step(init(_m0()), -1e-12)
    with pytest.raises(ValueError, match="current has 2 values"):
        step(init(_m0()), DT, current=(1e-4, 2e-4))
    with pytest.raises(ValueError, match="field has shape"):
        step(init(_m0()), DT, field=torch.zeros(2, 3))
    assert isinstance(init(_m0()), LLGState)
