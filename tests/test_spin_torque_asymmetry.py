"""Angle-dependent spin-transfer efficiency (issue 13): Slonczewski's Lambda and the tunnelling form.

eta(m.p) = eta 2 Lambda^2 / (Lambda^2 + 1 + (Lambda^2 - 1) m.p) (Lambda = 1: constant eta) or
eta / (1 + eta^2 m.p), in the torch and the fused stepper and in the closed-form critical currents.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.constants import MU0
from mtjnn.physics import Crossing, Drive, Macrospin, simulate
from mtjnn.physics.analytic import (
    critical_current_asymmetric,
    critical_current_perpendicular,
    critical_current_ratio,
    spin_torque_efficiency,
)

MS, THICKNESS, AREA, ETA, ALPHA = 8e5, 1.5e-9, math.pi * (20e-9) ** 2, 0.6, 0.2
HK_PERP = 1.0 + MU0 * MS  # T along the normal x: mu0 H_K,eff = 1 T
IC0 = critical_current_perpendicular(ALPHA, MS, THICKNESS * AREA, ETA, HK_PERP - MU0 * MS)
LAMBDA = 2.0
THETA0, LEAVE, PULSE, DT = 0.02, 0.95, 20e-9, 1e-12


def _params(**kw) -> Macrospin:
    base = dict(ms=MS, thickness=THICKNESS, area=AREA, alpha=0.05, eta=ETA, field_like=0.1, demag=(0.0, 0.0, 1.0),
                anisotropy_field=0.05, polarizer=(-1.0, 0.0, 0.0))
    base.update(kw)
    return Macrospin(**base)


def _starts(batch: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    m = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64) + 0.3 * torch.randn(batch, 3, dtype=torch.float64, generator=g)
    return m / m.norm(dim=-1, keepdim=True)


def _run(params: Macrospin, backend: str, method: str = "rk4", batch: int = 6) -> torch.Tensor:
    current = torch.linspace(-3e-4, 3e-4, batch, dtype=torch.float64)
    traj = simulate(_starts(batch), params, Drive(current=current, field=(0.0, 0.005, 0.0)), duration=0.3e-9, dt=1e-12,
                    method=method, backend=backend, generator=torch.Generator().manual_seed(4), sample_every=0.1e-9)
    return traj.m


@pytest.mark.parametrize("method", ["rk4", "heun"])
@pytest.mark.parametrize("backend", ["torch", "fused"])
def test_lambda_one_is_the_constant_efficiency_bit_for_bit(backend, method):
    default = _run(_params(), backend, method)
    explicit = _run(_params(spin_torque_asymmetry=1.0, spin_torque_angular="slonczewski"), backend, method)
    per_junction = _run(_params(spin_torque_asymmetry=torch.ones(6, dtype=torch.float64)), backend, method)
    assert torch.equal(default, explicit)
    assert torch.equal(default, per_junction)
    assert not torch.equal(default, _run(_params(spin_torque_asymmetry=LAMBDA), backend, method))


@pytest.mark.parametrize("kw", [dict(spin_torque_asymmetry=LAMBDA), dict(spin_torque_asymmetry=torch.linspace(0.5, 3, 6)),
                                dict(spin_torque_angular="tunnel")], ids=["lambda2", "per-junction", "tunnel"])
def test_fused_matches_torch(kw):
    a, b = _run(_params(**kw), "fused"), _run(_params(**kw), "torch")
    err = float((a - b).abs().max())
    print(f"fused vs torch {kw}: max |dm| = {err:.2e}")
    assert err < 1e-12


def test_efficiency_closed_forms():
    assert spin_torque_efficiency(ETA, 1.0, LAMBDA) == pytest.approx(ETA, rel=1e-15)
    assert spin_torque_efficiency(ETA, -1.0, LAMBDA) == pytest.approx(ETA * LAMBDA**2, rel=1e-15)
    assert spin_torque_efficiency(ETA, 0.3, 1.0) == ETA
    assert critical_current_ratio(ETA, LAMBDA) == pytest.approx(LAMBDA**2, rel=1e-15)
    assert critical_current_ratio(ETA, angular="tunnel") == pytest.approx((1 + ETA**2) / (1 - ETA**2), rel=1e-15)
    assert critical_current_asymmetric(IC0, ETA, "AP", LAMBDA) == pytest.approx(IC0 / LAMBDA**2, rel=1e-15)
    assert critical_current_asymmetric(IC0, ETA, "P", LAMBDA) == pytest.approx(IC0, rel=1e-15)


@pytest.mark.parametrize("angular, lam", [("slonczewski", LAMBDA), ("tunnel", 1.0)])
def test_critical_current_ratio_from_simulation(threshold_search, angular, lam):
    """Perpendicular junction starting 0.02 rad from +x; row 0 AP (p = -x, I > 0), row 1 P (p = +x, I < 0).

    Currents are in units of each row's closed-form I_c; "goes" = leaves the 18-degree cone in the pulse.
    """
    ic = {"AP": critical_current_asymmetric(IC0, ETA, "AP", lam, angular),
          "P": critical_current_asymmetric(IC0, ETA, "P", lam, angular)}

    def goes(ratios: np.ndarray) -> np.ndarray:
        n = ratios.shape[1]
        current = torch.tensor(np.concatenate([ratios[0] * ic["AP"], -ratios[1] * ic["P"]]), dtype=torch.float64)
        pol = torch.zeros(2 * n, 3, dtype=torch.float64)
        pol[:n, 0], pol[n:, 0] = -1.0, 1.0
        m0 = torch.tensor([math.cos(THETA0), 0.0, math.sin(THETA0)], dtype=torch.float64).expand(2 * n, 3)
        params = Macrospin(ms=MS, thickness=THICKNESS, area=AREA, alpha=ALPHA, eta=ETA, demag=(1.0, 0.0, 0.0),
                           anisotropy_field=HK_PERP, polarizer=pol, spin_torque_asymmetry=lam, spin_torque_angular=angular)
        traj = simulate(m0, params, Drive(current=current), duration=PULSE, dt=DT, crossing=Crossing("x", LEAVE, "falling"))
        return traj.switched.numpy().reshape(2, n)

    est, half = threshold_search(goes, lo=[0.9, 0.9], hi=[1.2, 1.2], n=16, rounds=2)
    sim_ratio = (est[1] * ic["P"]) / (est[0] * ic["AP"])
    closed = critical_current_ratio(ETA, lam, angular)
    print(f"{angular}: I_c(P->AP)/I_c(AP->P) simulated {sim_ratio:.4f}, closed form {closed:.4f};"
          f" thresholds AP {est[0]:.4f}, P {est[1]:.4f} (units of closed-form I_c)")
    assert sim_ratio == pytest.approx(closed, rel=0.03)
    assert abs(est[0] - 1) < 0.03 and abs(est[1] - 1) < 0.03


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), [1.0, -0.5]])
def test_bad_asymmetry_is_a_clear_error(value):
    with pytest.raises(ValueError, match="spin_torque_asymmetry"):
        _params(spin_torque_asymmetry=torch.tensor(value) if isinstance(value, list) else value)


def test_bad_angular_form_and_tunnel_constraints():
    with pytest.raises(ValueError, match="spin_torque_angular = 'cosine'; allowed"):
        _params(spin_torque_angular="cosine")
    with pytest.raises(ValueError, match="spin_torque_asymmetry .* 'tunnel'"):
        _params(spin_torque_angular="tunnel", spin_torque_asymmetry=2.0)
    with pytest.raises(ValueError, match="eta"):
        _params(spin_torque_angular="tunnel", eta=1.0)
    with pytest.raises(ValueError, match="asymmetry = 0"):
        spin_torque_efficiency(ETA, 1.0, 0.0)
    with pytest.raises(ValueError, match="initial = 'X'"):
        critical_current_asymmetric(IC0, ETA, "X")
