"""Closed-form results that the engine is validated against (SEEDS_SPEC section 5). SI units.

Fields are written as mu0 H in tesla; ``gamma`` in rad/(s T).
"""

from __future__ import annotations

import math

import numpy as np

from ..constants import E_CHARGE, GAMMA_E, HBAR, K_B, MU0


def kittel_frequency(
    field: float, hk: float, ms: float, demag: tuple[float, float, float], gamma: float = GAMMA_E
) -> float:
    """FMR frequency (Hz) of a macrospin along x with field and anisotropy along x (Kittel).

    f = (gamma/2pi) sqrt([B + B_K + (Ny - Nx) mu0 Ms][B + B_K + (Nz - Nx) mu0 Ms]), B = mu0 H, B_K = mu0 H_K.
    """
    nx, ny, nz = demag
    b = field + hk
    return gamma / (2 * math.pi) * math.sqrt((b + (ny - nx) * MU0 * ms) * (b + (nz - nx) * MU0 * ms))


def critical_current_in_plane(
    alpha: float, ms: float, volume: float, eta: float, field: float, hk: float, meff: float
) -> float:
    """Sun's zero-temperature critical current (A) of an in-plane junction.

    I_c0 = (2 e alpha Ms V / (hbar eta)) (B + B_K + mu0 M_eff / 2); ``field``, ``hk``, ``meff`` in T.
    """
    return 2 * E_CHARGE * alpha * ms * volume / (HBAR * eta) * (field + hk + meff / 2)


def critical_current_perpendicular(alpha: float, ms: float, volume: float, eta: float, hk_eff: float) -> float:
    """Sun's zero-temperature critical current (A) of a perpendicular junction: (2 e alpha Ms V/(hbar eta)) mu0 H_K,eff."""
    return 2 * E_CHARGE * alpha * ms * volume / (HBAR * eta) * hk_eff


def switching_time_tau0(alpha: float, hk: float, gamma: float = GAMMA_E) -> float:
    """tau0 = (1 + alpha^2) / (alpha gamma mu0 H_K) (s) of the axially symmetric perpendicular macrospin."""
    return (1 + alpha**2) / (alpha * gamma * hk)


def switching_time_exact(i: float, theta0: float, theta1: float, alpha: float, hk: float, gamma: float = GAMMA_E) -> float:
    """Exact time (s) to go from polar angle theta0 to theta1 under d(theta)/dt = sin(theta)(i - cos(theta))/tau0.

    Valid for the axially symmetric perpendicular macrospin with p along the easy axis and i = I/I_c0 > 1
    (SEEDS_SPEC 5.7): t = tau0 [F(theta1) - F(theta0)],
    F = ln(1 - cos)/(2(i-1)) - ln(1 + cos)/(2(i+1)) + ln|i - cos|/(1 - i^2).
    """
    if i <= 1:
        raise ValueError(f"i = {i!r} is out of range; allowed: i = I/I_c0 > 1")

    def f(theta: float) -> float:
        c = math.cos(theta)
        return math.log(1 - c) / (2 * (i - 1)) - math.log(1 + c) / (2 * (i + 1)) + math.log(abs(i - c)) / (1 - i * i)

    return switching_time_tau0(alpha, hk, gamma) * (f(theta1) - f(theta0))


def switching_time_sun(i: float, theta0: float, alpha: float, hk: float, gamma: float = GAMMA_E) -> float:
    """Sun's logarithmic estimate tau0 ln(pi / (2 theta0)) / (i - 1) (s); ~5 % accurate."""
    return switching_time_tau0(alpha, hk, gamma) * math.log(math.pi / (2 * theta0)) / (i - 1)


def neel_brown_tau(delta: float, i: float = 0.0, tau0: float = 1e-9, beta: float = 1.0) -> float:
    """Neel-Brown mean dwell time tau0 exp(Delta (1 - I/I_c0)^beta) (s)."""
    return tau0 * math.exp(delta * max(0.0, 1.0 - i) ** beta)


def neel_brown_probability(t: float | np.ndarray, tau: float) -> float | np.ndarray:
    """Switching probability 1 - exp(-t / tau) of a Poisson escape with mean time ``tau``."""
    return 1.0 - np.exp(-np.asarray(t) / tau)


def stoner_wohlfarth_switching_field(psi: float) -> float:
    """Reduced SW switching field h_sw = H_sw / H_K at field angle ``psi`` (rad) from the easy axis (astroid)."""
    c, s = abs(math.cos(psi)), abs(math.sin(psi))
    return (c ** (2 / 3) + s ** (2 / 3)) ** -1.5


def damped_precession(t: float, theta0: float, alpha: float, field: float, gamma: float = GAMMA_E) -> tuple[float, float]:
    """Exact (theta, phi advance) of a macrospin in a static field B along z, no anisotropy (SEEDS_SPEC 5.4).

    tan(theta/2) = tan(theta0/2) exp(-alpha gamma' B t), phi = gamma' B t, gamma' = gamma/(1 + alpha^2).
    """
    gp = gamma / (1 + alpha**2)
    theta = 2 * math.atan(math.tan(theta0 / 2) * math.exp(-alpha * gp * field * t))
    return theta, gp * field * t


def thermal_stability(ms: float, volume: float, hk: float, temperature: float) -> float:
    """Delta = Ms V mu0 H_K / (2 k_B T) of a uniaxial macrospin (``hk`` = mu0 H_K in T)."""
    return ms * volume * hk / (2 * K_B * temperature)


def anisotropy_field_for_delta(delta: float, ms: float, volume: float, temperature: float) -> float:
    """mu0 H_K (T) that gives a barrier Delta at ``temperature``."""
    return 2 * delta * K_B * temperature / (ms * volume)


def mu0() -> float:
    """mu0 in T m/A (re-exported so that tests can derive fields without importing constants)."""
    return MU0
