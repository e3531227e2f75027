"""MTJ device of seed 002: resistance, compact and macrospin switching, protocol conformance, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.devices.mtj import (
    MTJ,
    PAPER_INPUT_THRESHOLDS,
    PAPER_SWITCHING_CURRENTS,
    CompactSwitching,
    JunctionParams,
    MacrospinSwitching,
    bias_tmr,
    make_mtj,
    paper_switching_currents,
    tmr_resistance,
)
from mtjnn.physics import analytic


def test_tmr_law_and_paper_constants():
    r = tmr_resistance(torch.tensor([1.0, 0.0, -1.0], dtype=torch.float64), 1100.0, 1.2)
    assert torch.allclose(r, torch.tensor([1100.0, 1512.5, 2420.0], dtype=torch.float64))
    assert np.allclose(np.array(PAPER_SWITCHING_CURRENTS) * 1e6, [224.0, -66.0, 196.0])
    assert paper_switching_currents(4) == PAPER_SWITCHING_CURRENTS + PAPER_SWITCHING_CURRENTS[:1]


def test_bias_dependent_resistance_is_self_consistent():
    j = JunctionParams()
    assert j.r_ap == pytest.approx(2420.0) and j.area == pytest.approx(math.pi * (75e-9) ** 2)
    current = torch.tensor([0.0, 100e-6, -300e-6, 1e-3], dtype=torch.float64)
    r_ap = j.resistance(torch.zeros(4, dtype=torch.bool), current)
    expected = j.r_p * (1 + bias_tmr(current * r_ap, j.tmr, j.v_half))
    assert torch.allclose(r_ap, expected, rtol=1e-10)
    assert r_ap[0] == pytest.approx(2420.0) and bool((r_ap[1:] < 2420.0).all()) and r_ap[2] < r_ap[1]
    assert torch.equal(j.resistance(torch.ones(4, dtype=torch.bool), current), torch.full((4,), 1100.0, dtype=torch.float64))
    # I^2 R t: AP for the whole pulse, or AP until the switching time then P
    e_ap = j.joule_energy(current, 10e-9)
    assert torch.allclose(e_ap, current**2 * r_ap * 10e-9)
    t_sw = torch.tensor([math.nan, 5e-9, 0.0, 10e-9], dtype=torch.float64)
    e = j.joule_energy(current, 10e-9, t_sw)
    assert e[1] == pytest.approx(float(current[1] ** 2 * (r_ap[1] * 5e-9 + 1100.0 * 5e-9)))
    assert e[0] == e_ap[0] and e[2] == pytest.approx(float(current[2] ** 2 * 1100.0 * 10e-9)) and e[3] == pytest.approx(float(e_ap[3]))


def test_compact_thresholds_reproduce_the_paper_at_minus_500_ua():
    sw = CompactSwitching()
    control = -500e-6
    for i, th in enumerate(PAPER_INPUT_THRESHOLDS):
        current = torch.zeros(2, 3, dtype=torch.float64) + torch.tensor([[th - 1e-6], [th + 1e-6]]) + control
        assert sw.switch(current)[:, i].tolist() == [False, True]


def test_compact_thermal_switching_is_neel_brown_with_median_at_i_sw():
    sw = CompactSwitching(temperature=300.0, delta=40.0, i_c=200e-6, pulse=300e-9)
    i_sw = sw.i_sw
    assert torch.allclose(sw.probability(i_sw[None, :]), torch.full((1, 3), 0.5, dtype=torch.float64))
    x50 = 1 - math.log(300e-9 / (1e-9 * math.log(2))) / 40.0
    for dx in (-0.05, 0.02):
        current = i_sw + dx * 200e-6
        tau = analytic.neel_brown_tau(40.0, x50 + dx, 1e-9, 1.0)
        assert sw.probability(current[None, :])[0, 0] == pytest.approx(float(analytic.neel_brown_probability(300e-9, tau)))
    grid = i_sw[None, :] + torch.linspace(-100e-6, 100e-6, 41, dtype=torch.float64)[:, None]
    assert bool((sw.probability(grid).diff(dim=0) >= 0).all())
    # sampling: the empirical rate matches the probability; the escape times lie inside the pulse
    gen = torch.Generator().manual_seed(1)
    current = (i_sw + 5e-6).expand(4000, 3)
    times = sw.switching_time(current, gen)
    switched = ~times.isnan()
    assert torch.allclose(switched.double().mean(0), sw.probability(current[:1])[0], atol=0.03)
    assert bool(((times[switched] >= 0) & (times[switched] <= 300e-9)).all()) and bool(times[~switched].isnan().all())


# the DeviceModel / SwitchingModel contracts of both fidelities: tests/test_conformance.py (registry entries mtj-*, switching-*)
def test_make_mtj_compact_and_a_single_junction():
    device = make_mtj("compact", temperature=300.0)
    assert device.fidelity == "compact" and device.n_devices == 3 and device.n_realisations == 0
    single = MTJ(CompactSwitching(i_sw=(100e-6,)))
    assert single.response(torch.tensor([50e-6, 150e-6], dtype=torch.float64)).tolist() == [False, True]


def test_macrospin_device_switches_far_above_and_not_far_below():
    switching = MacrospinSwitching(anisotropy_field=torch.tensor([0.04, 0.006, 0.015]), pulse=10e-9, dt=5e-12)
    device = MTJ(switching)
    assert device.fidelity == "macrospin"
    inputs = torch.tensor([[0.0, 0.0, 0.0], [1e-3, 1e-3, 1e-3], [-5e-4, 2e-4, 6e-4]], dtype=torch.float64)
    out = device.response(inputs)
    assert out[0].tolist() == [False, False, False] and out[1].tolist() == [True, True, True]


def test_macrospin_thermal_run_is_seeded():
    switching = MacrospinSwitching(anisotropy_field=torch.tensor([0.02]), pulse=5e-9, temperature=300.0)
    current = torch.full((64, 1), 250e-6, dtype=torch.float64)
    a = switching.switch(current, torch.Generator().manual_seed(3))
    b = switching.switch(current, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    assert float(switching.barrier()[0]) == pytest.approx(1e6 * switching.volume * 0.02 * (1 - 6e-3 / 0.02) ** 2 / (2 * 1.380649e-23 * 300))


def test_macrospin_per_device_parameters_batch_over_realisations():
    hk = torch.tensor([[0.04, 0.02], [0.02, 0.04]], dtype=torch.float64)
    sw = MacrospinSwitching(anisotropy_field=hk, pulse=20e-9)
    current = torch.full((2, 1, 2), 260e-6, dtype=torch.float64)
    out = sw.switch(current)
    single = [MacrospinSwitching(anisotropy_field=hk[d], pulse=20e-9).switch(current[d]) for d in range(2)]
    assert torch.equal(out, torch.stack(single))


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: JunctionParams(r_p=-1.0), "r_p"),
        (lambda: JunctionParams(tmr=50.0), "tmr"),
        (lambda: CompactSwitching(i_sw=(1.0,)), "i_sw"),
        (lambda: CompactSwitching(delta=0.1), "delta"),
        (lambda: CompactSwitching(temperature=300.0, pulse=5e-10), "pulse"),
        (lambda: MacrospinSwitching(pulse=1e-9 + 1e-12, dt=5e-12), "multiple of dt"),
        (lambda: MacrospinSwitching(anisotropy_field=(-0.1,)), "anisotropy_field"),
        (lambda: MacrospinSwitching(meff=5.0), "meff"),
        (lambda: make_mtj("spice"), "fidelity"),
        (lambda: MTJ(switching="compact"), "switching"),
        (lambda: CompactSwitching().switch(torch.zeros(4, 2)), "last dimension"),
        (lambda: MacrospinSwitching.calibrate((5e-3,), rounds=1), "cannot be reached"),
    ],
)
def test_bad_input_gives_a_clear_error(build, match):
    with pytest.raises(ValueError, match=match):
        build()
