"""Fits of a switching-probability map: Néel–Brown (thermal activation) and Sun (precessional).

* Néel–Brown, for sub-critical currents: P(t, I) = 1 - exp(-t / tau(I)), tau = tau0 exp(Delta (1 - I / Ic0))
  with tau0 fixed (default 1 ns, the usual attempt time). With ln tau = a + b I this is a binomial GLM
  with the complementary log-log link and offset ln t: P = 1 - exp(-exp(ln t - a - b I)). It is fitted by
  maximum likelihood over every point's (trials, switched) (Newton iterations on the concave
  log-likelihood); Delta = a - ln tau0, Ic0 = -Delta / b, standard errors from the Fisher information.
* Sun (J. Z. Sun, Phys. Rev. B 62, 570 (2000)), for super-critical currents: the switching time
  t_sw = A / (I / Ic0 - 1), A = tau_D ln(pi / (2 theta0)). The pulse width where P crosses 0.5 (linear
  interpolation along the pulse axis) is taken as t_sw of each current row; 1 / t_sw = I / (A Ic0) - 1 / A
  is a straight line in I, fitted by least squares over the rows above the fitted Ic0 (refitted until
  the row set settles).
"""

from __future__ import annotations

import math

import numpy as np

from ..validation import check_positive


def fit_neel_brown(currents: np.ndarray, pulses: np.ndarray, trials: np.ndarray, switched: np.ndarray,
                   tau0: float = 1e-9, iterations: int = 100) -> dict[str, float]:
    """Maximum-likelihood (Delta, Ic0) of the Néel–Brown law over points (A, s, counts); module docstring.

    Returns delta, ic0 (A), their standard errors, tau0 (s) and the points used. ValueError when the points
    carry no information on the slope (fewer than two currents, or no point with 0 < P < 1).
    """
    check_positive("tau0", tau0, unit="s")
    i, t, n, k = (np.asarray(v, dtype=float) for v in (currents, pulses, trials, switched))
    mixed = (k > 0) & (k < n)
    if len(np.unique(i)) < 2 or not mixed.any():
        raise ValueError("fit_neel_brown needs points at two or more currents and some with 0 < P < 1")
    scale = float(np.max(np.abs(i)))
    x = np.stack([np.ones_like(i), i / scale], axis=1)
    # start: straight line through ln tau = ln t - ln(-ln(1 - P)) of the mixed points
    p_mixed = k[mixed] / n[mixed]
    ln_tau = np.log(t[mixed]) - np.log(-np.log1p(-p_mixed))
    beta = np.array([np.mean(ln_tau), 0.0]) if len(np.unique(i[mixed])) < 2 else np.polyfit(i[mixed] / scale, ln_tau, 1)[::-1]
    offset = np.log(t)
    for _ in range(iterations):  # Newton with step halving on the (concave) log-likelihood
        grad, info = _cloglog_score(beta, x, offset, n, k)
        step = np.linalg.solve(info + 1e-9 * np.trace(info) * np.eye(2), grad)
        before = _cloglog_loglik(beta, x, offset, n, k)
        while _cloglog_loglik(beta + step, x, offset, n, k) < before - 1e-12 and np.max(np.abs(step)) > 1e-14:
            step = step / 2
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    _, info = _cloglog_score(beta, x, np.log(t), n, k)
    cov = np.linalg.inv(info)
    a, b = beta[0], beta[1] / scale
    delta = a - math.log(tau0)
    ic0 = -delta / b
    # delta method: d(delta) = da; d(ic0) = -(da) / b + delta db / b^2
    cov_ab = cov * np.array([[1.0, 1 / scale], [1 / scale, 1 / scale**2]])
    grad_ic0 = np.array([-1 / b, delta / b**2])
    return {"delta": float(delta), "delta_se": float(math.sqrt(cov_ab[0, 0])), "ic0": float(ic0),
            "ic0_se": float(math.sqrt(grad_ic0 @ cov_ab @ grad_ic0)), "tau0": tau0, "points": int(len(i))}


def _cloglog_loglik(beta: np.ndarray, x: np.ndarray, offset: np.ndarray, n: np.ndarray, k: np.ndarray) -> float:
    mu = np.exp(np.clip(offset - x @ beta, -700.0, 700.0))
    log_p = np.log(np.clip(-np.expm1(-mu), 1e-300, None))  # ln P
    return float(np.sum(k * log_p - (n - k) * mu))  # ln(1 - P) = -mu


def _cloglog_score(beta: np.ndarray, x: np.ndarray, offset: np.ndarray, n: np.ndarray, k: np.ndarray):
    """Gradient and Fisher information of the binomial log-likelihood with P = 1 - exp(-mu), mu = exp(offset - x beta).

    With dP/d eta = mu exp(-mu): d loglik / d eta = (k - n P) mu / P and the information per point is
    n mu^2 / expm1(mu) (both written without P (1 - P), which underflows); d eta / d beta = -x.
    """
    mu = np.exp(np.clip(offset - x @ beta, -700.0, 700.0))
    p = np.clip(-np.expm1(-mu), 1e-300, None)
    grad = -(x.T @ ((k - n * p) * mu / p))
    weight = n * np.where(mu > 700.0, 0.0, mu * mu / np.expm1(np.minimum(mu, 700.0)))
    info = (x.T * weight) @ x
    return grad, info


def neel_brown_probability(currents: np.ndarray, pulses: np.ndarray, delta: float, ic0: float, tau0: float = 1e-9) -> np.ndarray:
    """P = 1 - exp(-t / tau0 exp(Delta (1 - I / Ic0))) (currents in A, pulses in s)."""
    tau = tau0 * np.exp(delta * (1 - np.asarray(currents, dtype=float) / ic0))
    return -np.expm1(-np.asarray(pulses, dtype=float) / tau)


def half_switching_pulses(currents: np.ndarray, pulses: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Per current row of the (currents x pulses) map, the pulse width (s) where P first reaches 0.5, NaN if never.

    Linear interpolation between the bracketing pulses; a row already at P >= 0.5 at the shortest pulse is NaN
    too (its crossing lies below the grid: censored, not measured).
    """
    prob = np.asarray(probability, dtype=float).reshape(len(currents), len(pulses))
    pulses = np.asarray(pulses, dtype=float)
    out = np.full(len(currents), np.nan)
    for r, row in enumerate(prob):
        above = np.flatnonzero(row >= 0.5)
        if not len(above):
            continue
        j = above[0]
        if j == 0:
            continue
        p0, p1 = row[j - 1], row[j]
        out[r] = pulses[j - 1] + (0.5 - p0) / (p1 - p0) * (pulses[j] - pulses[j - 1])
    return out


def fit_sun(currents: np.ndarray, t_half: np.ndarray, rounds: int = 5) -> dict[str, float]:
    """Least-squares (A, Ic0) of t_sw = A / (I / Ic0 - 1) over the rows with a P = 0.5 crossing; module docstring.

    ValueError when fewer than three rows cross P = 0.5 or the rows do not follow the law (slope <= 0).
    """
    i = np.asarray(currents, dtype=float)
    t = np.asarray(t_half, dtype=float)
    use = np.isfinite(t) & (t > 0)
    if use.sum() < 3:
        raise ValueError(f"fit_sun needs >= 3 current rows crossing P = 0.5; got {int(use.sum())}")
    for _ in range(rounds):
        slope, intercept = np.polyfit(i[use], 1 / t[use], 1)
        if not (slope > 0 and intercept < 0):
            raise ValueError("fit_sun: 1 / t_sw does not grow linearly from a positive Ic0; allowed: precessional rows")
        ic0 = -intercept / slope
        keep = np.isfinite(t) & (t > 0) & (i > 1.02 * ic0)
        if keep.sum() < 3 or np.array_equal(keep, use):
            break
        use = keep
    amplitude = -1 / intercept
    residual = np.abs(amplitude / (i[use] / ic0 - 1) / t[use] - 1)
    return {"a": float(amplitude), "ic0": float(ic0), "rows": int(use.sum()), "max_relative_residual": float(residual.max())}


def sun_switching_time(currents: np.ndarray, a: float, ic0: float) -> np.ndarray:
    """t_sw = A / (I / Ic0 - 1) (s), NaN at or below Ic0."""
    ratio = np.asarray(currents, dtype=float) / ic0 - 1
    return np.where(ratio > 0, a / np.where(ratio > 0, ratio, 1.0), np.nan)
