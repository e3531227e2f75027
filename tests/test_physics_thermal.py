"""Thermal statistics of the stochastic (Heun) integrator against Brown's theory (SEEDS_SPEC 5.8, 5.9).

(a) equilibrium of a uniaxial macrospin: Boltzmann p(z) ∝ exp(Delta z^2) in one well (Delta = 40)
    and in both wells (Delta = 2), <m_x^2> = <m_y^2> = 1/(2 Delta);
(b) escape over the barrier (axially symmetric, no current, Delta = 5): the mean first-passage time
    to m_z = 0 of 1000 junctions against the exact MFPT of Brown's Fokker-Planck equation
    (``analytic.brown_mfpt``), which is itself checked against Brown's high-barrier asymptote and the
    lowest eigenvalue of the Fokker-Planck operator;
(c) thermally activated switching below I_c0 (Delta = 12, I = 0.5 I_c0): the first-passage times are
    exponential after a short transient, P_sw(t) = 1 - exp(-t/tau), with tau from the exact MFPT.

All runs: alpha >= 0.5 to shorten the times, dt = 1 ps with mu0 H_K = 0.1 T (gamma mu0 H_K dt = 0.018),
explicit torch.Generator seeds. The equilibrium and escape tests run on both thermal-noise sources:
the counter-based Philox field (default, drawn in the fused kernel) and the bulk torch-generator one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from mtjnn.constants import K_B
from mtjnn.physics import Crossing, Drive, Macrospin, simulate
from mtjnn.physics.analytic import (
    brown_asymptotic_time,
    brown_lowest_eigenvalue,
    brown_mfpt,
    critical_current_perpendicular,
    neel_brown_free_diffusion_time,
    neel_brown_probability,
    uniaxial_mz2_mean,
    uniaxial_mz_cdf,
)
from mtjnn.physics.thermal import thermal_sigma

F64 = torch.float64
MS, HK, DT, THICKNESS = 8e5, 0.1, 1e-12, 1e-9


def _volume(delta: float, temperature: float) -> float:
    return 2 * delta * K_B * temperature / (MS * HK)


def _uniaxial(volume: float, alpha: float, temperature, **kw) -> Macrospin:
    return Macrospin(ms=MS, thickness=THICKNESS, area=volume / THICKNESS, alpha=alpha, demag=(1 / 3, 1 / 3, 1 / 3),
                     anisotropy_field=HK, easy_axis=(0.0, 0.0, 1.0), temperature=temperature, **kw)


def test_thermal_field_regression():
    """SEEDS_SPEC 5.9: alpha = 0.01, 300 K, Ms = 1e6 A/m, V = pi (20 nm)^2 1.5 nm, dt = 1 ps -> 15.80 mT."""
    t = lambda x: torch.tensor([[x]], dtype=F64)  # noqa: E731
    sigma = thermal_sigma(t(0.01), t(300.0), t(1.76085963023e11), t(1e6), t(math.pi * 20e-9**2 * 1.5e-9), 1e-12)
    assert float(sigma) == pytest.approx(15.80e-3, abs=0.005e-3)


# ----------------------------------------------------------------------------------------- (a) equilibrium

N_EQ, DELTA_ONE, DELTA_BOTH, T_ONE = 1000, 40.0, 2.0, 150.0
WARM, SAMPLE, TOTAL = 2e-9, 0.2e-9, 6e-9


@pytest.fixture(scope="module", params=["philox", "generator"])
def equilibrium(request):
    """One batch: N_EQ junctions at Delta = 40 started at +z, N_EQ at Delta = 2 started uniformly on the sphere
    (same volume, the temperature sets Delta). States sampled every 0.2 ns after 2 ns."""
    gen = torch.Generator().manual_seed(20240611)
    volume = _volume(DELTA_ONE, T_ONE)
    temperature = torch.tensor([T_ONE] * N_EQ + [T_ONE * DELTA_ONE / DELTA_BOTH] * N_EQ, dtype=F64)
    m0 = torch.zeros(2 * N_EQ, 3, dtype=F64)
    m0[:N_EQ, 2] = 1.0
    m0[N_EQ:] = torch.nn.functional.normalize(torch.randn(N_EQ, 3, dtype=F64, generator=gen), dim=-1)
    traj = simulate(m0, _uniaxial(volume, 0.5, temperature), duration=TOTAL, dt=DT, method="heun",
                    sample_every=SAMPLE, generator=gen, noise_source=request.param)
    keep = traj.times > WARM - 1e-15
    m = traj.m[keep].numpy()
    return m[:, :N_EQ].reshape(-1, 3), m[:, N_EQ:].reshape(-1, 3)


def test_equilibrium_transverse_fluctuations(equilibrium):
    one, _ = equilibrium
    mx2, my2 = (one[:, 0] ** 2).mean(), (one[:, 1] ** 2).mean()
    exact = (1 - uniaxial_mz2_mean(DELTA_ONE)) / 2  # = 1/(2 Delta) + 1/(4 Delta^2) + ...
    print(f"Delta=40: <mx^2> {mx2:.5f}, <my^2> {my2:.5f}, 1/(2 Delta) {1 / (2 * DELTA_ONE):.5f}, Boltzmann {exact:.5f}")
    for value in (mx2, my2):
        assert abs(value * 2 * DELTA_ONE - 1) < 0.05  # SEEDS_SPEC 5.9
    # statistical error of the mean of ~2e4 samples: ~1 %; the exact Boltzmann average is known
    assert abs((mx2 + my2) / 2 / exact - 1) < 0.03


def test_equilibrium_histogram_one_well(equilibrium):
    one, _ = equilibrium
    assert (one[:, 2] > 0).all()  # no escape over a barrier of 40 k_B T
    ks = stats.kstest(one[:, 2], lambda z: uniaxial_mz_cdf(z, DELTA_ONE))
    print(f"Delta=40 one-well KS: D = {ks.statistic:.4f}, p = {ks.pvalue:.3f} ({one.shape[0]} samples)")
    assert ks.pvalue > 0.01
    # a negative control: the same samples are not distributed as for Delta = 36 (a 10 % error in Delta)
    assert stats.kstest(one[:, 2], lambda z: uniaxial_mz_cdf(z, 0.9 * DELTA_ONE)).pvalue < 1e-3


def test_equilibrium_histogram_both_wells(equilibrium):
    _, both = equilibrium
    z = both[:, 2]
    cdf = lambda x: 0.5 * (1 + np.sign(x) * uniaxial_mz_cdf(np.abs(x), DELTA_BOTH))  # noqa: E731
    ks = stats.kstest(z, cdf)
    up = (z > 0).mean()
    print(f"Delta=2 both-well KS: D = {ks.statistic:.4f}, p = {ks.pvalue:.3f}; fraction in the upper well {up:.4f}")
    assert ks.pvalue > 0.01
    assert abs(up - 0.5) < 0.02
    exact = (1 - uniaxial_mz2_mean(DELTA_BOTH)) / 2
    assert abs((both[:, 0] ** 2).mean() / exact - 1) < 0.03


# ------------------------------------------------------------------------------- Brown's MFPT, analytic


def test_brown_mfpt_tends_to_brown_asymptote():
    """T(Delta) / [tau_N (sqrt(pi)/2) Delta^-3/2 e^Delta (1 + 1/Delta)] -> 1 with an O(Delta^-2) error;
    Brown's leading term alone is off by O(1/Delta)."""
    errors, leading = [], []
    for delta in (10.0, 20.0, 40.0, 80.0):
        tau_n = delta * (1 + 1.0) / (1.0 * 1.76085963023e11 * HK)
        t = brown_mfpt(delta, 1.0, HK)
        errors.append(abs(t / brown_asymptotic_time(delta, tau_n) - 1))
        leading.append(t / (brown_asymptotic_time(delta, tau_n) / (1 + 1 / delta)) - 1)
        print(f"Delta={delta:.0f}: MFPT/asymptote - 1 = {errors[-1]:.2e}, MFPT/Brown leading term - 1 = {leading[-1]:.2e}")
    assert errors[0] < 0.03 and errors[-1] < 5e-4
    assert all(b < a / 3 for a, b in zip(errors, errors[1:]))  # ~ Delta^-2: x4 per doubling
    assert all(abs(lead * d - 1) < 0.6 for lead, d in zip(leading, (10, 20, 40, 80)))  # ~ 1/Delta


def test_brown_mfpt_matches_lowest_eigenvalue():
    """For Delta >> 1 the MFPT to the barrier top equals 1/lambda_1 of the FPE up to exponentially small terms."""
    for delta, tol in ((5.0, 0.03), (10.0, 1e-3), (15.0, 1e-5), (20.0, 2e-6)):
        tau_n = 1e-9
        t = brown_mfpt(delta, 0.5, HK, MS, _volume(delta, 300.0), 300.0)
        tn = neel_brown_free_diffusion_time(0.5, MS, _volume(delta, 300.0), 300.0)
        lam = brown_lowest_eigenvalue(delta, tau_n) * tau_n / tn
        assert abs(t * lam - 1) < tol, (delta, t * lam - 1)


def test_brown_mfpt_inputs():
    volume = _volume(5.0, 300.0)
    # tau_N from (ms, volume, temperature) agrees with Delta tau0
    assert brown_mfpt(5.0, 0.3, HK, MS, volume, 300.0) == pytest.approx(brown_mfpt(5.0, 0.3, HK), rel=1e-12)
    with pytest.raises(ValueError, match="disagrees"):
        brown_mfpt(6.0, 0.3, HK, MS, volume, 300.0)
    with pytest.raises(ValueError, match="z_abs"):
        brown_mfpt(5.0, 0.3, HK, z0=0.0, z_abs=0.5)
    # monotone in the start point and in the current; the current lowers the barrier to Delta (1 - i)^2
    assert brown_mfpt(5.0, 0.3, HK, z0=0.5) < brown_mfpt(5.0, 0.3, HK)
    assert brown_mfpt(12.0, 0.3, HK, current_ratio=0.5) < brown_mfpt(12.0, 0.3, HK, current_ratio=0.2)


# ------------------------------------------------------------------------------- (b) escape, no current

N_ESC = 1000


def _first_passage(delta: float, current_ratio: float, seed: int, expected: float, noise_source: str) -> np.ndarray:
    """First-passage times (s) to m_z = 0 of N_ESC junctions started at +z, run until all have crossed."""
    temperature = 300.0
    volume = _volume(delta, temperature)
    alpha, eta = 1.0, 0.6
    current = current_ratio * critical_current_perpendicular(alpha, MS, volume, eta, HK)
    params = _uniaxial(volume, alpha, temperature, polarizer=(0.0, 0.0, -1.0), eta=eta)
    m0 = torch.tensor([[0.0, 0.0, 1.0]] * N_ESC, dtype=F64)
    gen = torch.Generator().manual_seed(seed)
    duration = DT * math.ceil(20 * expected / DT)
    traj = simulate(m0, params, Drive(current=current), duration=duration, dt=DT, method="heun",
                    crossing=Crossing("z", 0.0, "falling"), generator=gen, noise_source=noise_source)
    assert traj.switched.all(), "some junctions did not escape within 20 mean first-passage times"
    return traj.switch_time.numpy()


@pytest.mark.slow
@pytest.mark.parametrize("noise_source", ["philox", "generator"])
def test_escape_time_matches_brown_mfpt(noise_source):
    """Delta = 5, alpha = 1, no current: mean first-passage time to m_z = 0 over 1000 junctions.

    Measured with 8000 junctions (seed 42): +2.8 % +- 1.1 % at dt = 1 ps, +13 % at dt = 4 ps; the bias
    of the discretely monitored Heun chain grows ~linearly with dt. The tolerance is 3 standard errors + 5 %.
    """
    delta = 5.0
    expected = brown_mfpt(delta, 1.0, HK, MS, _volume(delta, 300.0), 300.0)
    times = _first_passage(delta, 0.0, seed=7, expected=expected, noise_source=noise_source)
    mean, se = times.mean(), times.std(ddof=1) / math.sqrt(times.size)
    print(f"escape Delta=5: mean FPT {mean * 1e9:.3f} +- {se * 1e9:.3f} ns, Brown MFPT {expected * 1e9:.3f} ns, "
          f"{mean / expected - 1:+.3f} (SE {se / mean:.3f})")
    assert abs(mean - expected) < 3 * se + 0.05 * expected


# ------------------------------------------------------------------------ (c) switching below I_c0


@pytest.mark.parametrize("noise_source", ["philox", "generator"])
def test_switching_probability_below_ic0_is_poissonian(noise_source):
    """Delta = 12, I = 0.5 I_c0 (effective barrier Delta (1 - i)^2 = 3): P_sw(t) = 1 - exp(-t/tau) after a
    transient; tau from the batch agrees with the exact MFPT of the FPE with the STT drift."""
    delta, ratio = 12.0, 0.5
    expected = brown_mfpt(delta, 1.0, HK, MS, _volume(delta, 300.0), 300.0, current_ratio=ratio)
    times = _first_passage(delta, ratio, seed=11, expected=expected, noise_source=noise_source)
    mean, se = times.mean(), times.std(ddof=1) / math.sqrt(times.size)
    print(f"STT-assisted escape: mean FPT {mean * 1e9:.3f} +- {se * 1e9:.3f} ns, Brown MFPT {expected * 1e9:.3f} ns, "
          f"{mean / expected - 1:+.3f}")
    assert abs(mean - expected) < 3 * se + 0.05 * expected
    # shape: after the transient t0 (intra-well relaxation, << tau) the waiting time is exponential
    t0 = 0.1 * mean
    late = times[times > t0] - t0
    tau = late.mean()  # maximum-likelihood rate of the exponential
    ks = stats.kstest(late, "expon", args=(0, tau))
    print(f"  exponential fit after t0 = {t0 * 1e9:.3f} ns: tau = {tau * 1e9:.3f} ns, KS D = {ks.statistic:.4f}, p = {ks.pvalue:.3f}")
    assert ks.pvalue > 0.01
    # P_sw(pulse) of the batch against 1 - exp(-(pulse - t0)/tau), read at several pulse widths
    survive_t0 = (times > t0).mean()
    for width in np.array([0.5, 1.0, 2.0, 3.0]) * tau:
        p_batch = (times <= t0 + width).mean()
        p_model = 1 - survive_t0 * (1 - neel_brown_probability(width, tau))
        assert abs(p_batch - p_model) < 0.04, (width, p_batch, p_model)
    # a negative control: switching times above I_c0 (deterministic) are far from exponential
    assert stats.kstest(np.full(100, tau) + np.linspace(0, 0.01 * tau, 100), "expon", args=(0, tau)).pvalue < 1e-6
