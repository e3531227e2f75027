"""The reference integrator is differentiable: autograd through RK4 against central finite differences."""

from __future__ import annotations

import math

import torch

from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics.analytic import critical_current_perpendicular

F64 = torch.float64
MS, THICKNESS, AREA, ETA = 1e6, 1.5e-9, math.pi * (20e-9) ** 2, 0.6
HK = torch.tensor([0.5, 0.8, 0.3], dtype=F64)  # mu0 H_K per junction, T
ALPHA = 0.05
IC0 = torch.tensor([critical_current_perpendicular(ALPHA, MS, THICKNESS * AREA, ETA, float(h)) for h in HK], dtype=F64)
CURRENT = IC0 * torch.tensor([0.7, 1.3, 2.0], dtype=F64)
DURATION, DT = 0.4e-9, 1e-12


def _final_mz(current: torch.Tensor, hk: torch.Tensor, backend: str = "torch") -> torch.Tensor:
    """m_z at the end of the run for three junctions (tilted polarizer and field, so nothing is symmetric)."""
    params = Macrospin(
        ms=MS, thickness=THICKNESS, area=AREA, alpha=ALPHA, eta=ETA, demag=(0.3, 0.3, 0.4),
        anisotropy_field=hk, easy_axis=(0.0, 0.0, 1.0), polarizer=(0.2, 0.1, -1.0), field_like=0.1,
    )
    m0 = torch.tensor([[math.sin(0.2), 0.0, math.cos(0.2)]] * 3, dtype=F64)
    drive = Drive(current=current, field=(0.01, -0.02, 0.03))
    traj = simulate(m0, params, drive, duration=DURATION, dt=DT, method="rk4", backend=backend)
    return traj.final[:, 2]


def _central_difference(fn, x: torch.Tensor, rel_step: float = 1e-5) -> torch.Tensor:
    h = rel_step * x.abs()
    return (fn(x + h) - fn(x - h)) / (2 * h)  # junctions are independent: one batched run per side


def test_gradient_wrt_current():
    current = CURRENT.clone().requires_grad_(True)
    mz = _final_mz(current, HK)
    (grad,) = torch.autograd.grad(mz.sum(), current)
    with torch.no_grad():
        fd = _central_difference(lambda c: _final_mz(c, HK), CURRENT)
    rel = ((grad - fd).abs() / fd.abs()).max().item()
    print(f"d m_z / d I: autograd vs central difference, max relative error {rel:.2e}")
    assert (fd.abs() > 1e-3 * (1 / IC0)).all()  # the derivative is not trivially small
    assert rel < 1e-4


def test_gradient_wrt_per_junction_anisotropy_field():
    hk = HK.clone().requires_grad_(True)
    mz = _final_mz(CURRENT, hk)
    (grad,) = torch.autograd.grad(mz.sum(), hk)
    with torch.no_grad():
        fd = _central_difference(lambda h: _final_mz(CURRENT, h), HK)
    rel = ((grad - fd).abs() / fd.abs()).max().item()
    print(f"d m_z / d mu0 H_K: autograd vs central difference, max relative error {rel:.2e}")
    assert (fd.abs() > 1e-2).all()
    assert rel < 1e-4


def test_auto_backend_keeps_the_graph_of_a_differentiable_current():
    """backend='auto' must not pick the (non-differentiable) fused stepper when the drive needs a gradient."""
    current = CURRENT.clone().requires_grad_(True)
    mz = _final_mz(current, HK, backend="auto")
    assert mz.requires_grad
    (grad,) = torch.autograd.grad(mz.sum(), current)
    current_ref = CURRENT.clone().requires_grad_(True)
    (ref,) = torch.autograd.grad(_final_mz(current_ref, HK, backend="torch").sum(), current_ref)
    assert torch.equal(grad, ref)
