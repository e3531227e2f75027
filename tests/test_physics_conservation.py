"""Invariants of the LLGS flow (SEEDS_SPEC 5.2, 5.3): |m| = 1, energy conservation at alpha = 0,
energy decay at the exact rate -alpha gamma' Ms V |m x B_eff|^2 for alpha > 0 without current."""

from __future__ import annotations


import pytest
import torch

from mtjnn.constants import MU0
from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics.analytic import critical_current_in_plane
from mtjnn.physics.llg import energy, energy_rate, llgs_rhs

F64 = torch.float64


def _mixed_batch(alpha: tuple[float, ...], with_current: bool) -> tuple[torch.Tensor, Macrospin, Drive]:
    """Four different junctions: tilted field + perpendicular anisotropy, thin in-plane films, an oblique axis."""
    ms = torch.tensor([8e5, 8e4, 8e4, 8e5], dtype=F64)
    demag = torch.tensor([[1 / 3, 1 / 3, 1 / 3], [0, 0, 1], [0, 0, 1], [0.2, 0.3, 0.5]], dtype=F64)
    params = Macrospin(
        ms=ms, thickness=1.5e-9, area=1e-16, alpha=torch.tensor(alpha, dtype=F64), demag=demag,
        anisotropy_field=torch.tensor([0.05, 0.02, 0.02, 0.08], dtype=F64),
        easy_axis=torch.tensor([[0, 0, 1], [1, 0, 0], [1, 0, 0], [0.6, 0, 0.8]], dtype=F64),
        polarizer=(1.0, 0.0, 0.0), eta=0.6,
    )
    field = torch.tensor([[0.06, 0, 0.05], [0.0, 0.01, 0], [0, 0, 0], [0, 0.05, -0.02]], dtype=F64)
    current = 0.0
    if with_current:  # junction 2 is driven past its instability (Sun's I_c0 with its own alpha)
        ic0 = critical_current_in_plane(max(alpha[2], 1e-3), 8e4, 1.5e-25, 0.6, 0.0, 0.02, MU0 * 8e4)
        current = torch.tensor([0.0, 0.0, 1.1 * ic0, 0.0], dtype=F64)
    m0 = torch.nn.functional.normalize(torch.tensor([[0.3, 0.2, 0.9], [0.7, 0.1, 0.7], [-0.99, 0.1, 0.0], [0.1, 0.9, 0.3]], dtype=F64), dim=-1)
    return m0, params, Drive(current=current, field=field)


def _energy_scale(params: Macrospin, drive: Drive) -> torch.Tensor:
    p = params.resolve(4, F64, "cpu")
    return (p.ms * p.volume * (p.hk + MU0 * p.ms + torch.as_tensor(drive.field).norm(dim=-1, keepdim=True))).squeeze(-1)


def test_norm_drift_one_million_steps():
    """float64, RK4 without renormalisation, 10^6 steps of 0.1 ps: ||m| - 1| < 1e-10 (measured ~2e-13)."""
    pytest.importorskip("mtjnn.physics.fused", reason="10^6 steps need the fused stepper (the torch one takes minutes)")
    m0, params, drive = _mixed_batch((0.0, 0.0, 0.05, 0.02), with_current=True)
    n = 10**6
    traj = simulate(m0, params, drive, duration=n * 1e-13, dt=1e-13, sample_every=1e-8, renormalize=False)
    assert traj.steps == n
    drift = (traj.m.norm(dim=-1) - 1).abs().max().item()
    print(f"|m| drift over 1e6 RK4 steps: {drift:.2e}")
    assert drift < 1e-10


def test_norm_drift_reference_stepper():
    """The same on the plain torch stepper (SEEDS_SPEC 5.2 protocol, shortened): 5000 steps of 0.1 ps."""
    m0, params, drive = _mixed_batch((0.0, 0.0, 0.05, 0.02), with_current=True)
    traj = simulate(m0, params, drive, duration=5e-10, dt=1e-13, sample_every=1e-11, renormalize=False, backend="torch")
    drift = (traj.m.norm(dim=-1) - 1).abs().max().item()
    print(f"|m| drift over 5e3 RK4 steps (torch stepper): {drift:.2e}")
    assert drift < 1e-12


def test_energy_conserved_without_damping():
    """alpha = 0, no current, RK4 dt = 0.1 ps over 10 ns: relative energy drift < 1e-8 (SEEDS_SPEC 5.3)."""
    m0, params, drive = _mixed_batch((0.0, 0.0, 0.0, 0.0), with_current=False)
    traj = simulate(m0, params, drive, duration=10e-9, dt=1e-13, sample_every=1e-10)
    p = params.resolve(4, F64, "cpu")
    field = torch.as_tensor(drive.field, dtype=F64)
    e = torch.stack([energy(m, p, field) for m in traj.m])  # (S, B)
    drift = ((e - e[0]).abs().max(0).values / _energy_scale(params, drive)).max().item()
    print(f"energy drift at alpha = 0 over 1e5 steps: {drift:.2e} (relative to Ms V B_scale)")
    assert drift < 1e-8
    # the dynamics is not trivial: m moved
    assert ((traj.m - traj.m[0]).norm(dim=-1).max(0).values > 0.1).all()


def test_energy_decreases_with_damping_at_the_exact_rate():
    m0, params, drive = _mixed_batch((0.02, 0.1, 0.05, 0.3), with_current=False)
    dt = 1e-13
    traj = simulate(m0, params, drive, duration=3000 * dt, dt=dt, sample_every=dt)
    p = params.resolve(4, F64, "cpu")
    field = torch.as_tensor(drive.field, dtype=F64)
    e = torch.stack([energy(m, p, field) for m in traj.m])  # (S, B)
    scale = _energy_scale(params, drive)
    assert (e[-1] < e[0]).all()
    assert ((e[1:] - e[:-1]) / scale).max().item() < 1e-14  # non-increasing, step by step
    # central difference of the sampled energy against the exact instantaneous rate
    numeric = (e[2:] - e[:-2]) / (2 * dt)
    exact = torch.stack([energy_rate(m, p, field) for m in traj.m[1:-1]])
    rel = ((numeric - exact).abs().max(0).values / exact.abs().max(0).values).max().item()
    print(f"dE/dt: central difference vs energy_rate, max relative error {rel:.2e}")
    assert rel < 1e-5  # O(dt^2) of the central difference; measured ~2e-6


def test_energy_rate_is_the_chain_rule_of_the_rhs():
    """energy_rate(m) = grad_m E . dm/dt for random states and parameters (no current)."""
    gen = torch.Generator().manual_seed(7)
    b = 16
    demag = torch.rand(b, 3, dtype=F64, generator=gen)
    params = Macrospin(
        ms=2e5 + 1e6 * torch.rand(b, dtype=F64, generator=gen), thickness=1e-9, area=1e-16,
        alpha=torch.rand(b, dtype=F64, generator=gen), demag=demag / demag.sum(-1, keepdim=True),
        anisotropy_field=torch.rand(b, dtype=F64, generator=gen), easy_axis=torch.randn(b, 3, dtype=F64, generator=gen),
    )
    p = params.resolve(b, F64, "cpu")
    field = 0.2 * torch.randn(b, 3, dtype=F64, generator=gen)
    m = torch.nn.functional.normalize(torch.randn(b, 3, dtype=F64, generator=gen), dim=-1).requires_grad_(True)
    (grad,) = torch.autograd.grad(energy(m, p, field).sum(), m)
    chain = (grad * llgs_rhs(m, p, field, torch.zeros(1, 1, dtype=F64))).sum(-1)
    rate = energy_rate(m, p, field)
    assert torch.allclose(chain, rate, rtol=1e-10, atol=1e-12 * rate.abs().max().item())
    assert (rate <= 0).all()
