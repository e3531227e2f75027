"""Sensor-MTJ activation device: SW closed form, macrospin agreement, FD derivatives, variability, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.devices.activation import (
    MTJActivation,
    SensorMTJ,
    Variability,
    draw_devices,
    equilibrium_mx,
    equilibrium_slope,
    normalized_output,
    relax_macrospin,
)

HK = 5e-3


def _nominal_act(read_noise: float = 0.0, **device) -> MTJActivation:
    return MTJActivation(draw_devices(SensorMTJ(**device), Variability(), 1), read_noise=read_noise)


def test_hard_axis_loop_and_small_signal_slope() -> None:
    """H_b = 0: m_x = H_x / H_K inside |H_x| < H_K, saturated outside (SEEDS_SPEC 5.10)."""
    h = torch.linspace(-2 * HK, 2 * HK, 81, dtype=torch.float64)
    assert torch.allclose(equilibrium_mx(h, HK, 0.0), (h / HK).clamp(-1, 1), atol=1e-15)
    for hb in (1e-3, 2e-3, 5e-3):
        slope = equilibrium_slope(torch.zeros(1, dtype=torch.float64), HK, hb)
        assert float(slope) == pytest.approx(1 / (HK + hb), rel=1e-12)
    big = torch.tensor([0.03, -0.1], dtype=torch.float64)  # H_b >> H_K: m_x -> H_x / sqrt(H_x^2 + H_b^2)
    assert torch.allclose(equilibrium_mx(big, 1e-6, 0.05), big / (big**2 + 0.05**2).sqrt(), rtol=1e-4)


@pytest.mark.parametrize("hb", [0.5e-3, 2e-3, 5e-3])
def test_closed_form_is_the_energy_minimum_on_the_bias_branch(hb: float) -> None:
    theta = np.linspace(-np.pi / 2, np.pi / 2, 400_001)
    fields = np.array([-0.03, -0.006, -0.001, 0.0, 0.002, 0.0049, 0.012])
    energy = -(HK / 2) * np.cos(theta)[None] ** 2 - hb * np.cos(theta)[None] - fields[:, None] * np.sin(theta)[None]
    brute = np.sin(theta[energy.argmin(1)])
    ours = equilibrium_mx(torch.tensor(fields), HK, hb).numpy()
    assert np.allclose(ours, brute, atol=2e-5)
    s, c = ours, np.sqrt(1 - ours**2)  # the SW torque balance itself, to round-off
    assert np.abs(HK * s * c + hb * s - fields * c).max() < 1e-15


def test_closed_form_gradients_are_exact() -> None:
    hx = (torch.randn(6, 3, dtype=torch.float64) * 4e-3).requires_grad_(True)
    hk = torch.full((3,), HK, dtype=torch.float64, requires_grad=True)
    hb = torch.tensor([1e-3, 2e-3, 5e-3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(equilibrium_mx, (hx, hk, hb), eps=1e-9, atol=1e-6)


@pytest.mark.parametrize("hb, offset", [(2e-3, 0.0), (5e-3, 1e-3), (0.0, 0.0)])
def test_macrospin_relaxation_agrees_with_closed_form(hb: float, offset: float) -> None:
    limit = 0.8 * HK if hb == 0 else 4 * HK  # H_b = 0 relaxes critically slowly near |H_x| = H_K
    hx = torch.linspace(-limit, limit, 33, dtype=torch.float64)[:, None] + offset
    hk = torch.tensor([HK, 1.1 * HK], dtype=torch.float64)
    hb_t = torch.full((2,), hb, dtype=torch.float64)
    llgs = relax_macrospin(hx, hk, hb_t, backend="torch")
    assert torch.allclose(llgs, equilibrium_mx(hx, hk, hb_t), atol=1e-7)


@pytest.mark.parametrize("readout", ["conductance", "resistance"])
def test_outputs_follow_the_tmr_law(readout: str) -> None:
    nominal = SensorMTJ(readout=readout)
    devices = draw_devices(nominal, Variability(tmr=0.1, r_p=0.1, hk=0.05, offset=0.1), 4, torch.Generator().manual_seed(1))
    z = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None].expand(-1, 4)
    act = MTJActivation(devices)
    mx = equilibrium_mx(nominal.input_scale * z + devices.offset_field, devices.hk, devices.bias_field)
    assert torch.allclose(act.transfer(z), normalized_output(mx, devices.r_p, devices.tmr, nominal), atol=1e-12)
    ends = _nominal_act(readout=readout).transfer(torch.tensor([-1e3, 0.0, 1e3], dtype=torch.float64))
    assert ends[0] == pytest.approx(-1, abs=1e-4) and ends[2] == pytest.approx(1, abs=1e-4)
    assert (ends[1] == pytest.approx(0, abs=1e-12)) == (readout == "conductance")  # R readout is asymmetric


@pytest.mark.parametrize("delta", [0.02, 0.1, 0.3])
def test_finite_difference_matches_analytic_derivative_within_delta_squared(delta: float) -> None:
    """Noise-free central difference: |g - f'| <= delta^2 max|f'''| / 6 (+ round-off)."""
    act = _nominal_act()
    z = torch.linspace(-4, 4, 401, dtype=torch.float64)
    exact = act.derivative(z)
    fd = act.fd_derivative(z, delta)
    fine = torch.linspace(-5, 5, 20001, dtype=torch.float64)
    third = torch.diff(act.derivative(fine), 2) / (fine[1] - fine[0]) ** 2
    bound = delta**2 * float(third.abs().max()) / 6 + 1e-10 / delta
    err = float((fd - exact).abs().max())
    assert err <= bound
    assert err > 0.05 * bound  # the bound is tight, not vacuous


def test_noisy_finite_difference_has_the_predicted_noise() -> None:
    """With read noise sigma_y per read, the FD error has std sigma_y / (sqrt(2) delta)."""
    act = _nominal_act(read_noise=0.005)
    z = torch.zeros(20_000, dtype=torch.float64)
    delta = 0.2
    y, g = act.read_with_derivative(z, delta, torch.Generator().manual_seed(3))
    sigma_y = 2 * 0.005
    assert float(y.std()) == pytest.approx(sigma_y, rel=0.03)
    assert float((g - act.derivative(z)).std()) == pytest.approx(sigma_y / (math.sqrt(2) * delta), rel=0.03)
    noise_free = _nominal_act().fd_derivative(z[:1], delta)  # unbiased: the mean keeps only the delta^2 error
    assert float(g.mean()) == pytest.approx(float(noise_free), abs=0.001)


def test_variability_draws_are_seeded_and_have_the_requested_spread() -> None:
    var = Variability(hk=0.05, tmr=0.05, r_p=0.05, offset=0.05)
    a = draw_devices(SensorMTJ(), var, 4000, torch.Generator().manual_seed(7))
    b = draw_devices(SensorMTJ(), var, 4000, torch.Generator().manual_seed(7))
    assert torch.equal(a.hk, b.hk) and torch.equal(a.offset_field, b.offset_field)
    assert float(a.hk.std() / a.hk.mean()) == pytest.approx(0.05, rel=0.1)
    assert float(a.tmr.std() / a.tmr.mean()) == pytest.approx(0.05, rel=0.1)
    assert float(a.offset_field.std()) == pytest.approx(0.05 * HK, rel=0.1)
    # at z = 0 the outputs scatter: offset field (0.25 mT / 7 mT ~ 0.036) and, mostly, R_P (a 5 % change of
    # G_mid is 0.05 G_mid / G_half = 0.117 of the normalized swing); the next layer's bias absorbs such offsets
    curves = MTJActivation(a).transfer(torch.zeros(1, 4000, dtype=torch.float64))
    assert float(curves.std()) == pytest.approx(math.hypot(0.05 * 1.4 / 0.6, 0.05 * HK / 7e-3), rel=0.1)


def test_bad_inputs_give_clear_errors() -> None:
    act = _nominal_act()
    with pytest.raises(ValueError, match=r"delta = 0.0 is out of range; allowed: \(0, inf\]"):
        act.fd_derivative(torch.zeros(3, dtype=torch.float64), 0.0)
    with pytest.raises(ValueError, match="delta = -0.1"):
        act.read_with_derivative(torch.zeros(3, dtype=torch.float64), -0.1)
    with pytest.raises(ValueError, match=r"variability.hk = -0.05 is out of range; allowed: \[0, 0.3\]"):
        Variability(hk=-0.05)
    with pytest.raises(ValueError, match="variability.read_noise"):
        Variability.uniform(0.05, read_noise=-0.01)
    with pytest.raises(ValueError, match=r"allowed: \(\.\.\., 3\) for 3 devices"):
        MTJActivation(draw_devices(SensorMTJ(), Variability(), 3)).transfer(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="bias_field = -0.001 T is out of range"):
        SensorMTJ(bias_field=-1e-3)
    with pytest.raises(ValueError, match="hk = 0.0 T"):
        SensorMTJ(hk=0.0)
    with pytest.raises(ValueError, match="readout = 'voltage' is not allowed"):
        SensorMTJ(readout="voltage")
    with pytest.raises(ValueError, match="fidelity = 'spice'"):
        MTJActivation(draw_devices(SensorMTJ(), Variability(), 1), fidelity="spice")
