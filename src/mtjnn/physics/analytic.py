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


def spin_torque_efficiency(eta: float, cos_angle: float, asymmetry: float = 1.0, angular: str = "slonczewski") -> float:
    """Angle-dependent spin-transfer efficiency eta(theta), dimensionless; ``cos_angle`` = m.p = cos(theta).

    slonczewski: eta 2 Lambda^2 / (Lambda^2 + 1 + (Lambda^2 - 1) cos theta), so eta_P = eta (theta = 0) and
    eta_AP = eta Lambda^2 (theta = pi); Lambda = ``asymmetry`` > 0 (1: constant eta). tunnel:
    eta / (1 + eta^2 cos theta), eta_P = eta / (1 + eta^2), eta_AP = eta / (1 - eta^2) (needs |eta| < 1, Lambda = 1).
    """
    if not asymmetry > 0 or not math.isfinite(asymmetry):
        raise ValueError(f"asymmetry = {asymmetry!r}; allowed: finite, > 0")
    if angular == "slonczewski":
        l2 = asymmetry * asymmetry
        return eta * 2.0 * l2 / (l2 + 1.0 + (l2 - 1.0) * cos_angle)
    if angular == "tunnel":
        if asymmetry != 1.0 or not abs(eta) < 1.0:
            raise ValueError(f"tunnel form with asymmetry = {asymmetry!r}, eta = {eta!r}; allowed: asymmetry 1, |eta| < 1")
        return eta / (1.0 + eta * eta * cos_angle)
    raise ValueError(f"angular = {angular!r}; allowed: 'slonczewski' or 'tunnel'")


def critical_current_asymmetric(
    ic0: float, eta: float, initial: str, asymmetry: float = 1.0, angular: str = "slonczewski"
) -> float:
    """Critical current magnitude (A) to leave the ``initial`` state "P" (m.p = +1) or "AP" (m.p = -1).

    ``ic0`` is a constant-eta critical current (``critical_current_in_plane`` / ``_perpendicular``) computed
    with ``eta``. At the fixed point the torque's angular derivative drops out of the linear stability (it
    multiplies sin theta = 0), so I_c = ic0 eta / eta(theta0): P->AP: ic0 eta / eta_P, AP->P: ic0 eta / eta_AP.
    Slonczewski: I_c(P->AP) = ic0, I_c(AP->P) = ic0 / Lambda^2.
    """
    cos0 = {"P": 1.0, "AP": -1.0}.get(initial)
    if cos0 is None:
        raise ValueError(f"initial = {initial!r}; allowed: 'P' or 'AP'")
    return ic0 * eta / spin_torque_efficiency(eta, cos0, asymmetry, angular)


def critical_current_ratio(eta: float, asymmetry: float = 1.0, angular: str = "slonczewski") -> float:
    """I_c(P->AP) / I_c(AP->P) = eta_AP / eta_P (dimensionless): Lambda^2 (slonczewski), (1 + eta^2) / (1 - eta^2) (tunnel)."""
    return spin_torque_efficiency(eta, -1.0, asymmetry, angular) / spin_torque_efficiency(eta, 1.0, asymmetry, angular)


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


# ---------------------------------------------------------------------------------------------------
# Additions for the physics validation suite (tests/test_physics_*.py).
# ---------------------------------------------------------------------------------------------------


def kittel_frequency_perpendicular(
    field: float, hk: float, ms: float, demag: tuple[float, float, float] = (0.0, 0.0, 1.0), gamma: float = GAMMA_E
) -> float:
    """FMR frequency (Hz) of a macrospin along z with field and anisotropy along z (Kittel, SEEDS_SPEC 5.5).

    f = (gamma/2pi) sqrt([B + B_K + (Nx - Nz) mu0 Ms][B + B_K + (Ny - Nz) mu0 Ms]); for a thin film
    (N = 0, 0, 1) this is f = (gamma/2pi)(B + B_K - mu0 Ms) = (gamma/2pi) mu0 (H + H_K,eff).
    ``field`` = mu0 H and ``hk`` = mu0 H_K in T; the state along +z must be stable (both brackets > 0).
    """
    nx, ny, nz = demag
    b = field + hk
    k1, k2 = b + (nx - nz) * MU0 * ms, b + (ny - nz) * MU0 * ms
    if k1 <= 0 or k2 <= 0:
        raise ValueError(f"the state along +z is not stable (stiffnesses {k1!r}, {k2!r} T); allowed: both > 0")
    return gamma / (2 * math.pi) * math.sqrt(k1 * k2)


def neel_brown_free_diffusion_time(alpha: float, ms: float, volume: float, temperature: float, gamma: float = GAMMA_E) -> float:
    """Brown's free-diffusion time tau_N = (1 + alpha^2) Ms V / (2 alpha gamma k_B T) (s).

    Brown, Phys. Rev. 130, 1677 (1963), eq. (4.9) with the Gilbert damping eta' = alpha/(gamma Ms):
    the rotational diffusion constant of m on the unit sphere is D = 1/(2 tau_N). ``gamma`` in rad/(s T).
    For a uniaxial macrospin tau_N = Delta (1 + alpha^2)/(alpha gamma mu0 H_K) = Delta * tau0.
    """
    return (1 + alpha**2) * ms * volume / (2 * alpha * gamma * K_B * temperature)


def _tau_n_from(delta: float, alpha: float, hk: float, ms, volume, temperature, gamma: float) -> float:
    given = [x is not None for x in (ms, volume, temperature)]
    if any(given) and not all(given):
        raise ValueError("give all of ms, volume, temperature (tau_N from them) or none (tau_N = Delta tau0)")
    if all(given):
        tau_n = neel_brown_free_diffusion_time(alpha, ms, volume, temperature, gamma)
        implied = thermal_stability(ms, volume, hk, temperature)
        if abs(implied - delta) > 1e-6 * max(1.0, abs(delta)):
            raise ValueError(
                f"delta = {delta!r} disagrees with Ms V mu0 H_K / (2 k_B T) = {implied!r}; allowed: consistent inputs"
            )
        return tau_n
    return delta * switching_time_tau0(alpha, hk, gamma)


def brown_mfpt(
    delta: float,
    alpha: float,
    hk: float,
    ms: float | None = None,
    volume: float | None = None,
    temperature: float | None = None,
    gamma: float = GAMMA_E,
    z0: float = 1.0,
    z_abs: float = 0.0,
    current_ratio: float = 0.0,
    field_ratio: float = 0.0,
) -> float:
    """Exact mean first-passage time (s) of an axially symmetric uniaxial macrospin from m_z = z0 to m_z = z_abs.

    Model: Brown's Fokker-Planck equation for the density W(z, t) of z = cos(theta) (easy axis z,
    axially symmetric: demag (1/3, 1/3, 1/3) or N_x = N_y, field and polarizer along z),

        dW/dt = d/dz [ D(z) ( W dU/dz + dW/dz ) ],    D(z) = (1 - z^2) / (2 tau_N),
        U(z) = E/k_B T = -Delta (z^2 + 2 (h - i) z),

    with Delta = Ms V mu0 H_K / (2 k_B T), h = ``field_ratio`` = H/H_K along +z and i = ``current_ratio``
    = I/I_c0 of a damping-like torque pushing m away from +z (for the axially symmetric case the
    torque adds the drift -(1 - z^2)(i - z)/tau0 = -D dU/dz with the effective potential above;
    it does not change the diffusion). tau_N is Brown's free-diffusion time
    (``neel_brown_free_diffusion_time``); D follows from the thermal field of variance
    2 alpha k_B T/(gamma Ms V dt) acting through both LLG terms: D_sphere = gamma' ^2 (1 + alpha^2)
    alpha k_B T/(gamma Ms V) = 1/(2 tau_N).

    Derivation: the backward operator of the FPE is L+ T = e^U d/dz (D e^-U dT/dz). The MFPT T(z) from
    z in (z_abs, 1] solves L+ T = -1 with T(z_abs) = 0 (absorbing) and zero flux D e^-U T' -> 0 at the
    pole z = 1 (D(1) = 0, a natural reflecting boundary). Integrating once from z to 1,
    D(z) e^-U(z) T'(z) = int_z^1 e^-U(y) dy, and once more from z_abs:

        T(z0) = 2 tau_N int_{z_abs}^{z0} dz  e^{U(z)} / (1 - z^2)  int_z^1 e^{-U(y)} dy.

    The inner integral is written with the Dawson function F (int_0^x e^{t^2} dt = e^{x^2} F(x)) so
    that e^{U(z)} times it never overflows; the outer one is done by adaptive quadrature.

    High-barrier limit (i = h = 0, z0 = 1, z_abs = 0): T = tau_N (sqrt(pi)/2) Delta^{-3/2} e^Delta
    (1 + 1/Delta + O(Delta^-2)), i.e. Brown's asymptotic relaxation time (see ``brown_asymptotic_time``),
    which is the inverse of the lowest non-zero eigenvalue of the FPE (``brown_lowest_eigenvalue``).

    tau_N is computed from ``ms``, ``volume``, ``temperature`` when they are given (then ``delta`` must
    agree with them), otherwise as Delta tau0 = Delta (1 + alpha^2)/(alpha gamma mu0 H_K).
    ``hk`` = mu0 H_K in T, ``gamma`` in rad/(s T).
    """
    from scipy.integrate import quad

    if not delta > 0:
        raise ValueError(f"delta = {delta!r} is out of range; allowed: > 0")
    if not alpha > 0:
        raise ValueError(f"alpha = {alpha!r} is out of range; allowed: > 0")
    if not -1.0 <= z_abs < z0 <= 1.0:
        raise ValueError(f"z_abs = {z_abs!r}, z0 = {z0!r}; allowed: -1 <= z_abs < z0 <= 1")
    tau_n = _tau_n_from(delta, alpha, hk, ms, volume, temperature, gamma)
    c = field_ratio - current_ratio  # U = -Delta (z^2 + 2 c z) = -Delta (z + c)^2 + Delta c^2

    def inner_scaled(z: float) -> float:
        # e^{U(z)} int_z^1 e^{-U(y)} dy with -U(y) = Delta (y + c)^2 - Delta c^2; s = y + c.
        # int_{z+c}^{1+c} e^{Delta s^2} ds = [G(1 + c) - G(z + c)] with G(x) = e^{Delta x^2} F(sqrt(Delta) x)/sqrt(Delta)
        # (odd in x, valid for either sign); multiplying by e^{-Delta (z + c)^2} removes the large factor.
        r = math.sqrt(delta)
        a, b = z + c, 1.0 + c
        from scipy.special import dawsn

        return (math.exp(delta * (b * b - a * a)) * dawsn(r * b) - dawsn(r * a)) / r

    def integrand(z: float) -> float:
        return inner_scaled(z) / (1.0 - z * z)

    points = [p for p in (-c,) if z_abs < p < z0]
    value, _ = quad(integrand, z_abs, z0, limit=200, epsabs=0.0, epsrel=1e-11, points=points or None)
    return 2.0 * tau_n * value


def brown_asymptotic_time(delta: float, tau_n: float) -> float:
    """Brown's high-barrier relaxation time of the uniaxial macrospin (s), to first order in 1/Delta.

    tau = tau_N (sqrt(pi)/2) Delta^{-3/2} e^Delta (1 + 1/Delta): Brown, Phys. Rev. 130, 1677 (1963)
    gives the leading term; the (1 + 1/Delta) factor is the next term of the asymptotic series of the
    exact result (steepest descent of the MFPT integral of ``brown_mfpt``: the inner integral gives
    e^Delta/(2 Delta) (1 + 1/(2 Delta)), the outer sqrt(pi/Delta)/2 (1 + 1/(2 Delta)); cf. Coffey et al.,
    Phys. Rev. E 49, 1869 (1994), who showed that the correction to Brown's formula is necessary).
    The relative error is O(Delta^-2).
    """
    return tau_n * math.sqrt(math.pi) / 2 * delta**-1.5 * math.exp(delta) * (1 + 1 / delta)


def brown_lowest_eigenvalue(delta: float, tau_n: float, n_terms: int = 120) -> float:
    """Smallest non-zero eigenvalue lambda_1 (1/s) of Brown's FPE for the uniaxial potential U = -Delta z^2.

    The operator 2 tau_N L W = d/dz[(1 - z^2)(dW/dz - 2 Delta z W)] is expanded on Legendre polynomials
    P_n (the spectral method of Brown 1963 / Coffey et al. 1994): d/dz[(1 - z^2) P_n'] = -n(n+1) P_n, and
    the drift part -2 Delta d/dz[(z - z^3) P_n] is projected exactly with numpy's Legendre algebra.
    The truncated matrix (``n_terms`` polynomials) is diagonalised; lambda_1 is the slowest decaying
    odd mode. 1/lambda_1 is the longitudinal relaxation time (Brown's tau for high barriers); it equals
    ``brown_mfpt`` from the pole to the barrier top up to exponentially small terms. lambda_1 ~ e^-Delta
    is resolved in float64 only for Delta <= 25 (larger values raise ValueError).
    """
    from numpy.polynomial import legendre as leg

    if not 0 < delta <= 25:
        raise ValueError(f"delta = {delta!r} is out of range; allowed: (0, 25] (lambda_1 ~ e^-Delta underflows the solver)")

    n = int(n_terms)
    mat = np.zeros((n, n))
    z_minus_z3 = leg.poly2leg([0.0, 1.0, 0.0, -1.0])
    for k in range(n):
        coef = np.zeros(k + 1)
        coef[k] = 1.0
        drift = leg.legder(leg.legmul(coef, z_minus_z3))  # d/dz[(z - z^3) P_k]
        col = np.zeros(n)
        col[k] = -k * (k + 1)
        m = min(n, drift.size)
        col[:m] += -2.0 * delta * drift[:m]
        mat[:, k] = col
    odd = np.arange(1, n, 2)
    eig = np.linalg.eigvals(mat[np.ix_(odd, odd)])
    return float(np.min(-eig.real)) / (2.0 * tau_n)


def uniaxial_mz2_mean(delta: float) -> float:
    """Boltzmann average <m_z^2> for p(z) ∝ exp(Delta z^2) on [-1, 1] (either well or both).

    <z^2> = 1/(2 sqrt(Delta) F(sqrt(Delta))) - 1/(2 Delta) with the Dawson function F; hence
    <m_x^2> = <m_y^2> = (1 - <z^2>)/2 = 1/(2 Delta) + 1/(4 Delta^2) + O(Delta^-3).
    """
    from scipy.special import dawsn

    r = math.sqrt(delta)
    return 1.0 / (2.0 * r * dawsn(r)) - 1.0 / (2.0 * delta)


def uniaxial_mz_cdf(z: float | np.ndarray, delta: float) -> float | np.ndarray:
    """CDF of m_z in one well (z in [0, 1]) for p(z) ∝ exp(Delta z^2): e^{Delta (z^2 - 1)} F(sqrt(Delta) z)/F(sqrt(Delta))."""
    from scipy.special import dawsn

    z = np.clip(np.asarray(z, dtype=float), 0.0, 1.0)
    r = math.sqrt(delta)
    return np.exp(delta * (z * z - 1.0)) * dawsn(r * z) / dawsn(r)
