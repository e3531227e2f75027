"""The orthogonal-easy-axis MTJ neuron (seed 001) against closed forms, and the signed-LIF fit against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.devices.signed_lif import SignedLIFParams, simulate_signed_lif
from mtjnn.devices.signed_lif_fit import ContinuousLIF, InputBank, fit_device, fit_signed_lif, input_bank, run_model
from mtjnn.devices.signed_lif_macrospin import NeuronTraces, OrthogonalMTJ


def _dc(device: OrthogonalMTJ, levels: list[float], duration: float, dt: float = 1e-12, spc: int = 100) -> NeuronTraces:
    """dc currents (units of I_c) for ``duration`` s, as one clock period."""
    cur = torch.tensor(levels, dtype=torch.float64)[:, None] * device.critical_current()
    return device.run(cur, duration, samples_per_clock=spc, dt=dt)


def test_geometry_gives_the_aharoni_factors_and_axes() -> None:
    d = OrthogonalMTJ()
    assert d.demag == pytest.approx((0.68397, 0.16672, 0.14931), abs=1e-5)
    assert d.area == pytest.approx(4.5e-16) and d.volume == pytest.approx(2.25e-23)
    # barrier (mu0/2) Ms^2 (N_y - N_z) V = 2.46e-19 J -> Delta ~ 59 at 300 K (SEEDS_SPEC 3.1)
    assert d.thermal_stability(300.0) == pytest.approx(2.46e-19 / (1.380649e-23 * 300), rel=5e-3)


def test_static_tilt_below_rheobase_is_sin_2psi_equal_i() -> None:
    # exact fixed point of the LLGS for any damping: a_J = a_c sin 2 psi (and m.p = 0)
    d = OrthogonalMTJ(alpha=1.0)
    levels = [0.2, 0.5, -0.8]
    tr = _dc(d, levels, 10e-9)
    psi = tr.angle[-1]
    assert np.sin(2 * psi) == pytest.approx(levels, abs=2e-3)
    assert np.abs(tr.mp[-1]).max() < 1e-3
    assert not tr.spikes.any()


def test_rheobase_matches_the_closed_form() -> None:
    d = OrthogonalMTJ(alpha=1.0)
    tr = _dc(d, [0.97, 1.03, -0.97, -1.03], 40e-9, dt=2e-12, spc=10)
    fired = np.abs(tr.spikes[:, 0]) > 0
    assert fired.tolist() == [False, True, False, True]


def test_firing_rate_matches_the_adler_equation_when_strongly_overdamped() -> None:
    d = OrthogonalMTJ(alpha=3.0)  # zeta = 8.3: inertia negligible
    levels = [1.5, 2.0, 3.0]
    tr = _dc(d, levels, 60e-9, dt=2e-12, spc=6000)
    half = tr.turns.shape[0] // 2
    psi = tr.angle + np.pi * tr.turns  # unwrapped in-plane angle: one spike per half turn
    rate = np.abs(psi[-1] - psi[half]) / np.pi / (tr.times[-1] - tr.times[half])
    expected = [1 / d.spike_period(i * d.critical_current()) for i in levels]
    assert rate == pytest.approx(expected, rel=0.03)


def test_time_constant_matches_the_linearized_pendulum() -> None:
    d = OrthogonalMTJ(alpha=2.0)
    tr = _dc(d, [0.1], 3e-9, dt=1e-12, spc=3000)
    u = np.sin(2 * tr.angle[:, 0]) / 0.1  # -> 1
    t = tr.times
    # late-time relaxation 1 - u ~ exp(-t / tau_slow)
    sel = (u < 0.9) & (u > 0.05)
    slope = np.polyfit(t[sel], np.log(1 - u[sel]), 1)[0]
    assert -1 / slope == pytest.approx(d.time_constant(), rel=0.05)


def test_spike_sign_follows_the_current_and_the_reference_reads_it() -> None:
    d = OrthogonalMTJ(alpha=0.5)
    tr = _dc(d, [1.5, -1.5], 5e-9, dt=1e-12, spc=5000)
    turns = tr.turns[-1]
    assert turns[0] > 2 and turns[1] == -turns[0]  # symmetric under current reversal
    assert tr.mp[:, 0].max() > 0.05 and tr.mp[:, 1].min() < -0.05  # m.p pulses carry the sign
    assert np.sign(tr.mp[100:, 0]).min() >= 0  # rotation in one sense: m.p never changes sign


def test_energy_is_joule_heat_of_the_junction() -> None:
    d = OrthogonalMTJ(alpha=1.0)
    tr = _dc(d, [0.5], 10e-9, dt=1e-12, spc=1000)
    r90 = float(d.resistance(torch.tensor(0.0)))
    expected = (0.5 * d.critical_current()) ** 2 * r90 * 10e-9
    assert tr.energy[0] == pytest.approx(expected, rel=0.01)


def test_rest_is_thermally_stable_at_300k() -> None:
    d = OrthogonalMTJ(temperature=300.0)
    tr = d.run(torch.zeros(16, 50, dtype=torch.float64), 300e-12, dt=1e-12, generator=torch.Generator().manual_seed(0))
    assert not tr.spikes.any()
    assert np.abs(tr.angle).max() < 0.6  # thermal fluctuations ~ 1/sqrt(2 Delta) = 0.09 rad rms


def _synthetic(model: ContinuousLIF, bank: InputBank, spc: int) -> NeuronTraces:
    """Traces of a 'device' that IS the LIF (projection observable u = sin psi)."""
    x = np.repeat(bank.currents / bank.i_ref, spc, axis=1).T
    u, s = run_model(model, x, bank.clock / spc)
    turns = np.vstack([np.zeros((1, u.shape[1])), np.cumsum(s, axis=0)])
    return NeuronTraces(times=np.arange(u.shape[0]) * bank.clock / spc, mp=np.zeros_like(u), angle=np.arcsin(u), turns=turns,
                        spikes=np.diff(turns[::spc], axis=0).T, currents=bank.currents, clock=bank.clock, samples_per_clock=spc,
                        energy=np.zeros(u.shape[1]))


def test_fit_recovers_a_known_signed_lif() -> None:
    truth = ContinuousLIF(tau=250e-12, r=0.8, theta_pos=0.85, theta_neg=0.7, reset_value=-0.3, current_scale=1e-3)
    bank = input_bank(1e-3, 300e-12, 15e-9)
    fit = fit_signed_lif(_synthetic(truth, bank, 10), bank, tau_guess=200e-12)
    # Nelder-Mead on a cost that is piecewise constant in the thresholds: close, not exact
    assert fit.passes and fit.rmse_over_theta < 0.025 and fit.median_spike_time_error == 0.0
    m = fit.model
    assert (m.tau, m.r, m.theta_pos, m.theta_neg) == pytest.approx((truth.tau, truth.r, truth.theta_pos, truth.theta_neg), rel=0.08)
    assert m.reset_value == pytest.approx(truth.reset_value, abs=0.08)


def test_fit_on_llgs_traces_reproduces_the_measured_quality() -> None:
    # regression band around the measured result (docs/signed_lif.md): the LIF follows spike times closely but not
    # the membrane between spikes (the device is a type-I, saddle-node neuron; the LIF its linearization)
    fit, traces, bank = fit_device(OrthogonalMTJ(), 300e-12, duration=20e-9, restarts=1)
    assert traces.spikes.shape == bank.currents.shape and fit.device_spikes > 100
    assert 0.05 < fit.rmse_over_theta < 0.35
    assert fit.median_spike_time_error < 0.1 and fit.spike_time_error < 0.2
    p = fit.model.discrete(300e-12)
    assert 0.3 < p.beta < 0.8 and p.reset_value < 0 < p.gain


def test_signed_lif_sequence_by_hand() -> None:
    p = SignedLIFParams(beta=0.5, gain=1.0, theta_pos=1.0, theta_neg=0.8)
    u, s = simulate_signed_lif(torch.tensor([[0.6, 0.6, 0.6, -0.9, -0.2, 0.0]]), p)
    # 0.6 -> 0.9 -> 1.05 fires +1, reset 0 -> -0.9 fires -1 (theta_neg 0.8), reset 0 -> -0.2 -> -0.1
    assert s[0].tolist() == [0, 0, 1, -1, 0, 0]
    assert u[0].tolist() == pytest.approx([0.6, 0.9, 0.0, 0.0, -0.2, -0.1])
    q = SignedLIFParams(beta=1.0, gain=1.0, reset="subtract")
    u, s = simulate_signed_lif(torch.tensor([[0.7, 0.7, -2.5]]), q)
    assert s[0].tolist() == [0, 1, -1] and u[0].tolist() == pytest.approx([0.7, 0.4, -1.1])


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: OrthogonalMTJ(width=50e-9), "width"),
        (lambda: OrthogonalMTJ(alpha=0.0), "alpha"),
        (lambda: SignedLIFParams(beta=1.5), "beta"),
        (lambda: SignedLIFParams(reset="soft"), "reset"),
        (lambda: SignedLIFParams(reset_value=1.0), "reset_value"),
        (lambda: input_bank(1e-3, -1e-12), "clock"),
        (lambda: OrthogonalMTJ().run(torch.zeros(3), 1e-10), "currents"),
        (lambda: fit_signed_lif(None, None, objective="best"), "objective"),
    ],
)
def test_bad_input_names_the_parameter(make, match) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_fit_needs_a_bank_that_makes_the_device_spike() -> None:
    d = OrthogonalMTJ()
    bank = input_bank(d.critical_current(), 300e-12, 10e-9, random_sequences=0, max_level=0.9)
    with pytest.raises(ValueError, match="never made the device spike"):
        fit_signed_lif(d.run(torch.as_tensor(bank.currents), 300e-12, samples_per_clock=10), bank)


def test_time_constant_formula_limits() -> None:
    d = OrthogonalMTJ(alpha=10.0)
    # zeta >> 1: tau -> alpha / (gamma mu0 Ms (N_y - N_z))
    assert d.time_constant() == pytest.approx(10.0 / (1.76085963023e11 * 2 * d.in_plane_field), rel=5e-3)
    assert math.isclose(OrthogonalMTJ(alpha=0.02).damping_ratio(), 0.02 / 2 * math.sqrt(d.hard_axis_field / (2 * d.in_plane_field)))
