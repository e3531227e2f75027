"""The time-step guard of ``physics.simulate``: dt against the fastest precession of the batch.

The guard is justified by the physics it protects: with the ``mtjnn simulate`` junction, a 50 ps step
(0.6 steps per precession-period bound) moves the RK4 switching time by ~13 %, while steps within the
limit agree to < 0.01 % (docs/physics.md, "Time step").
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from mtjnn.constants import GAMMA_E, MU0
from mtjnn.experiments.switching import SwitchingConfig
from mtjnn.physics import Crossing, Drive, Macrospin, Pulse, simulate
from mtjnn.physics import analytic
from mtjnn.physics.timestep import (
    MIN_STEPS_PER_PERIOD, CoarseTimeStepError, CoarseTimeStepWarning, max_precession_rate, max_time_step,
)

CONFIG = SwitchingConfig()  # the simulate default junction: 100 x 50 x 1.4 nm ellipse, 500 uA, 6 mT


def _default_run(dt: float, **kw) -> float:
    """Switching time (s) of the default junction under its default pulse, RK4 with step ``dt``."""
    m0 = torch.tensor([[-1.0, 0.02, 0.0]], dtype=torch.float64)
    drive = Drive(current=Pulse(CONFIG.current, start=0.0, width=CONFIG.pulse), field=(CONFIG.field, 0.0, 0.0))
    traj = simulate(m0, CONFIG.macrospin(), drive, duration=3e-9, dt=dt, crossing=Crossing("x", 0.0, "rising"), **kw)
    return float(traj.switch_time[0])


def _limit(params: Macrospin, field=(0.0, 0.0, 0.0), current: float = 0.0, method: str = "rk4") -> float:
    p = params.resolve(1, torch.float64, "cpu")
    return max_time_step(p, torch.tensor([[field]], dtype=torch.float64), torch.tensor([[current]], dtype=torch.float64), method)


def test_default_junction_limit_lies_between_the_default_and_the_coarse_step() -> None:
    rk4 = _limit(CONFIG.macrospin(), (CONFIG.field, 0.0, 0.0), CONFIG.current)
    heun = _limit(CONFIG.macrospin(), (CONFIG.field, 0.0, 0.0), CONFIG.current, "heun")
    assert CONFIG.dt < heun < rk4 < 50e-12
    assert heun == pytest.approx(rk4 * MIN_STEPS_PER_PERIOD["rk4"] / MIN_STEPS_PER_PERIOD["heun"])


def test_coarse_step_gives_a_wrong_switching_time() -> None:
    """Why the guard exists: past the limit the answer is wrong without any other sign; within it, converged."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoarseTimeStepWarning)
        reference, within = _default_run(0.5e-12), _default_run(2e-12)
    coarse = _default_run(50e-12, dt_check="off")
    assert abs(within - reference) < 1e-4 * reference
    assert coarse - reference > 0.1 * reference  # 2.21 ns instead of 1.955 ns


def test_api_warns_by_default_and_raises_when_asked() -> None:
    with pytest.warns(CoarseTimeStepWarning, match=r"dt = 5e-11 s is too coarse.*allowed: dt <= 2\.\d+e-12 s"):
        _default_run(50e-12)
    with pytest.raises(CoarseTimeStepError, match="dt = 5e-11 s") as info:
        _default_run(50e-12, dt_check="error")
    assert info.value.dt == 50e-12 and 1e-12 < info.value.limit < 5e-12 and info.value.method == "rk4"
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoarseTimeStepWarning)
        _default_run(CONFIG.dt)  # the default step passes
        _default_run(50e-12, dt_check="off")
    with pytest.raises(ValueError, match="dt_check = 'loud'"):
        _default_run(1e-12, dt_check="loud")


def test_a_later_drive_pulse_is_checked_too() -> None:
    """A 5 T field pulse at 0.5 ns (period 7 ps) makes a 1 ps step too coarse for heun: every drive value counts."""
    params = Macrospin(ms=8e5, thickness=1e-9, area=1e-16, alpha=0.1, demag=(0.0, 0.0, 1.0), anisotropy_field=0.9,
                       easy_axis=(0, 0, 1))
    m0 = torch.tensor([[0.1, 0.0, 1.0]], dtype=torch.float64)
    drive = Drive(field=Pulse((0.0, 0.0, 5.0), start=0.5e-9, width=0.1e-9))
    with pytest.raises(CoarseTimeStepError):
        simulate(m0, params, drive, duration=1e-9, dt=1e-12, method="heun", dt_check="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CoarseTimeStepWarning)
        simulate(m0, params, Drive(), duration=1e-9, dt=1e-12, method="heun")


@pytest.mark.parametrize("kind", ["in-plane", "perpendicular"])
def test_bound_is_above_the_kittel_frequency_and_tight_for_a_free_spin(kind: str) -> None:
    """The bound is an upper bound of the precession rate; H_K and the out-of-plane demag field cancel in it."""
    field = 0.05
    if kind == "in-plane":
        demag = (0.02, 0.05, 0.93)
        params = Macrospin(ms=1e6, thickness=1e-9, area=1e-16, demag=demag, anisotropy_field=0.01, easy_axis=(1, 0, 0))
        kittel = analytic.kittel_frequency(field, 0.01, 1e6, demag)
        vector = (field, 0.0, 0.0)
    else:
        params = Macrospin(ms=1e6, thickness=1e-9, area=1e-16, demag=(0.0, 0.0, 1.0), anisotropy_field=1.5, easy_axis=(0, 0, 1))
        kittel = analytic.kittel_frequency_perpendicular(field, 1.5, 1e6)
        vector = (0.0, 0.0, field)
    p = params.resolve(1, torch.float64, "cpu")
    rate = max_precession_rate(p, torch.tensor([[vector]], dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64))
    assert 2 * math.pi * kittel <= rate * (1 + 1e-12)  # equal for the thin perpendicular film
    if kind == "perpendicular":  # spread |H_K - mu0 Ms| + |B|, not H_K + mu0 Ms + |B|
        assert rate == pytest.approx(GAMMA_E * (abs(1.5 - MU0 * 1e6) + field))
    free = Macrospin(ms=1e6, thickness=1e-9, area=1e-16, demag=(1 / 3, 1 / 3, 1 / 3), eta=0.0)
    assert _limit(free, (0.0, 0.0, 1.0)) == pytest.approx(2 * math.pi / GAMMA_E / MIN_STEPS_PER_PERIOD["rk4"])


@pytest.mark.parametrize("method", ["rk4", "heun"])
@pytest.mark.parametrize("backend", ["torch", "fused"])
def test_sample_junctions_keeps_few_trajectories_and_every_scalar(method: str, backend: str) -> None:
    batch, keep = 40, 6
    params = Macrospin(**{**CONFIG.macrospin().__dict__, "temperature": 300.0 if method == "heun" else 0.0})
    m0 = torch.tensor([[-1.0, 0.02, 0.0]], dtype=torch.float64).repeat(batch, 1)
    m0[:, 1] += torch.linspace(0.0, 0.2, batch, dtype=torch.float64)
    drive = Drive(current=Pulse(CONFIG.current, start=0.0, width=CONFIG.pulse), field=(CONFIG.field, 0.0, 0.0))
    kw = dict(duration=0.6e-9, dt=1e-12, method=method, sample_every=2e-11, crossing=Crossing("y", 0.05, "rising"),
              stop_when_switched=False, backend=backend)
    full = simulate(m0, params, drive, generator=torch.Generator().manual_seed(4), **kw)
    part = simulate(m0, params, drive, generator=torch.Generator().manual_seed(4), sample_junctions=keep, **kw)
    none = simulate(m0, params, drive, generator=torch.Generator().manual_seed(4), sample_junctions=0, **kw)
    assert part.m.shape == (31, keep, 3) and none.m.shape == (31, 0, 3)
    assert torch.equal(part.m, full.m[:, :keep]) and torch.equal(part.times, full.times)
    for run in (part, none):
        assert torch.equal(run.final, full.final)
        assert torch.equal(run.switch_time.nan_to_num(-1.0), full.switch_time.nan_to_num(-1.0))
    assert int(full.switched.sum()) > 0
    with pytest.raises(ValueError, match="sample_junctions = -1"):
        simulate(m0, params, drive, sample_junctions=-1, **kw)
