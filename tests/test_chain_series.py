"""Series chain of seed 002: switching configurations against a brute-force reference, fidelities, errors."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import torch

from mtjnn.circuits.series_chain import SeriesChain, configuration_counts, configuration_index
from mtjnn.devices.mtj import MTJ, PAPER_SWITCHING_CURRENTS, CompactSwitching, MacrospinSwitching, make_mtj


def _brute_force(i_a, i_b, control, i_sw):
    """Junction by junction, input by input, with plain Python loops."""
    n = len(i_sw)
    out = []
    for a, b in zip(i_a, i_b):
        n_a = sum(1 for i in range(n) if a + control[0][i] > i_sw[i])
        n_b = sum(1 for i in range(n) if b + control[1][i] > i_sw[i])
        out.append(n_a * (n + 1) + n_b)
    return out


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_configurations_match_brute_force(n):
    rng = np.random.default_rng(n)
    i_sw = rng.uniform(-100e-6, 300e-6, n)
    control = rng.uniform(-700e-6, -300e-6, (2, n))
    i_a, i_b = rng.uniform(0, 1.2e-3, (2, 300))
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=tuple(i_sw))))
    out = chain.apply(torch.tensor(i_a), torch.tensor(i_b), torch.tensor(control))
    assert out.configuration.tolist() == _brute_force(i_a, i_b, control, i_sw)
    assert chain.n_configurations == (n + 1) ** 2
    assert set(out.configuration.tolist()) <= set(range((n + 1) ** 2))
    n_a, n_b = configuration_counts(out.configuration, n)
    assert torch.equal(n_a, out.n_a) and torch.equal(n_b, out.n_b)


def test_all_16_configurations_appear_on_the_paper_map():
    """Fig. 1(c): at I_C = -500 uA the three junctions cut each input axis at 434, 696, 724 uA."""
    chain = SeriesChain()
    grid = torch.tensor([300e-6, 500e-6, 710e-6, 800e-6], dtype=torch.float64)
    i_a, i_b = (g.reshape(-1) for g in torch.meshgrid(grid, grid, indexing="ij"))
    control = torch.full((2, 3), -500e-6, dtype=torch.float64)
    assert chain.configurations(i_a, i_b, control).tolist() == list(range(16))


def test_batched_over_device_realisations():
    rng = np.random.default_rng(0)
    d, n = 5, 3
    i_sw = rng.uniform(0, 200e-6, (d, n))
    control = rng.uniform(-600e-6, -400e-6, (d, 2, n))
    i_a, i_b = rng.uniform(0, 1e-3, (2, 50))
    chain = SeriesChain(MTJ(CompactSwitching(i_sw=torch.tensor(i_sw))))
    out = chain.configurations(torch.tensor(i_a), torch.tensor(i_b), torch.tensor(control))
    assert out.shape == (d, 50)
    for r in range(d):
        assert out[r].tolist() == _brute_force(i_a, i_b, control[r], i_sw[r])


def test_device_currents_and_the_three_source_realisation():
    chain = SeriesChain()
    control = torch.tensor([-460e-6, -380e-6, -560e-6], dtype=torch.float64)
    inputs = torch.tensor([0.0, 700e-6], dtype=torch.float64)
    cur = chain.device_currents(inputs, control)
    assert torch.allclose(cur, inputs[:, None] + control[None, :])
    # I_dc1 = I_C1 + I, I_dc2 = I_C2 - I_C1, I_dc3 = I_C3 - I_C2 give the same junction currents
    dc1 = control[0] + inputs
    dc2, dc3 = control[1] - control[0], control[2] - control[1]
    assert torch.allclose(cur, torch.stack([dc1, dc1 + dc2, dc1 + dc2 + dc3], -1))
    assert int(configuration_index(torch.tensor(2), torch.tensor(3), 3)) == 11


def test_energy_is_the_sum_of_i2rt_over_junctions_and_inputs():
    chain = SeriesChain()
    control = torch.full((2, 3), -500e-6, dtype=torch.float64)
    i_a = torch.tensor([300e-6], dtype=torch.float64)
    out = chain.apply(i_a, i_a, control)
    assert out.n_a.item() == 0
    cur = (i_a + control[0]).reshape(1, 3)
    j = chain.device.junction
    expected = 2 * (cur**2 * j.resistance(torch.zeros_like(cur, dtype=torch.bool), cur) * chain.device.pulse).sum()
    assert float(chain.energy(out)[0]) == pytest.approx(float(expected))
    assert torch.equal(out.current_a, cur)


@functools.lru_cache(maxsize=1)
def _calibrated() -> MacrospinSwitching:
    device = make_mtj("macrospin", pulse=50e-9, dt=5e-12, rounds=6)  # the one-argument fidelity switch
    assert device.fidelity == "macrospin" and isinstance(device.switching, MacrospinSwitching)
    return device.switching


def test_macrospin_calibration_and_agreement_with_compact():
    macro = _calibrated()
    th = macro.thresholds(points=16, rounds=3)
    assert np.allclose(th.numpy(), PAPER_SWITCHING_CURRENTS, atol=3e-6), th
    rng = np.random.default_rng(5)
    i_a, i_b = rng.uniform(200e-6, 1e-3, (2, 60))
    control = torch.full((2, 3), -500e-6, dtype=torch.float64)
    thresholds = np.array(PAPER_SWITCHING_CURRENTS) + 500e-6
    keep = (np.abs(i_a[:, None] - thresholds).min(1) > 5e-6) & (np.abs(i_b[:, None] - thresholds).min(1) > 5e-6)
    compact = SeriesChain(MTJ(CompactSwitching()))
    macrospin = SeriesChain(MTJ(macro))
    a, b = torch.tensor(i_a[keep]), torch.tensor(i_b[keep])
    out = macrospin.apply(a, b, control)
    assert torch.equal(out.configuration, compact.configurations(a, b, control))
    assert bool((out.time_a[out.switched_a] < 50e-9).all()) and bool(out.time_a[~out.switched_a].isnan().all())


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda c: c.apply(torch.zeros(3), torch.zeros(3), torch.zeros(3, 3)), "control has shape"),
        (lambda c: c.apply(torch.zeros(3), torch.zeros(4), torch.zeros(2, 3)), "equal"),
        (lambda c: c.device_currents(torch.zeros(2, 2), torch.zeros(3)), "inputs has shape"),
        (lambda c: c.device_currents(torch.zeros(2), torch.zeros(4)), "control has shape"),
        (lambda c: c.device_currents(torch.tensor([float("nan")]), torch.zeros(3)), "not finite"),
        (lambda c: c.device_currents(torch.zeros(2), torch.full((3,), 1.0)), "control"),
    ],
)
def test_bad_input_gives_a_clear_error(call, match):
    with pytest.raises(ValueError, match=match):
        call(SeriesChain())
    with pytest.raises(ValueError, match="device"):
        SeriesChain(device="mtj")


def test_brute_force_reference_itself():
    # a two-junction chain: thresholds on the input axis at 100 and 200 uA
    got = _brute_force([50e-6, 150e-6, 250e-6], [250e-6, 50e-6, 150e-6], [[0.0, 0.0], [0.0, 0.0]], [100e-6, 200e-6])
    assert got == [0 * 3 + 2, 1 * 3 + 0, 2 * 3 + 1]
    assert list(itertools.islice(range(9), 9)) == [int(configuration_index(torch.tensor(a), torch.tensor(b), 2))
                                                   for a in range(3) for b in range(3)]
