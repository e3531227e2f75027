"""Level-1 nMOS: closed form in each region, source/drain symmetry, series operating point, bad input."""

from __future__ import annotations

import pytest
import torch
from scipy.optimize import brentq

from mtjnn.circuits.nmos import NMOSParams, drain_current, region, series_current

P = NMOSParams(vt=0.45, k=0.5e-3, lam=0.05)


def closed_form(vgs: float, vds: float, p: NMOSParams = P) -> float:
    vov = vgs - p.vt
    if vov <= 0:
        return 0.0
    if vds < vov:
        return p.k * (vov * vds - vds**2 / 2) * (1 + p.lam * vds)
    return p.k / 2 * vov**2 * (1 + p.lam * vds)


@pytest.mark.parametrize(
    "vgs, vds, expected_region",
    [(0.3, 0.5, "cutoff"), (0.45, 1.0, "cutoff"), (0.9, 0.1, "triode"), (1.5, 0.8, "triode"), (0.8, 0.5, "saturation"), (1.2, 1.0, "saturation")],
)
def test_drain_current_matches_closed_form_in_each_region(vgs, vds, expected_region):
    i = drain_current(torch.tensor(vgs, dtype=torch.float64), torch.tensor(vds, dtype=torch.float64), P)
    assert float(i) == pytest.approx(closed_form(vgs, vds), rel=1e-12, abs=1e-18)
    assert region(torch.tensor(vgs), torch.tensor(vds), P) == [expected_region]


def test_numbers_of_the_default_device():
    # saturation at V_GS = 0.85 V, V_DS = 0.9 V: (0.5 mA/V^2 / 2) 0.4^2 (1 + 0.045) = 41.8 uA
    assert float(drain_current(torch.tensor(0.85), torch.tensor(0.9))) == pytest.approx(41.8e-6, rel=1e-3)


def test_continuity_at_the_triode_saturation_boundary_and_grid():
    vgs = torch.linspace(0.0, 2.0, 41, dtype=torch.float64)[:, None]
    vds = torch.linspace(0.0, 2.0, 41, dtype=torch.float64)[None, :]
    i = drain_current(vgs, vds, P)
    ref = torch.tensor([[closed_form(a, b) for b in vds[0].tolist()] for a in vgs[:, 0].tolist()], dtype=torch.float64)
    assert torch.allclose(i, ref, rtol=1e-12, atol=1e-18)
    vov = torch.tensor(0.5, dtype=torch.float64)
    lo = drain_current(P.vt + vov, vov - 1e-9, P)
    hi = drain_current(P.vt + vov, vov + 1e-9, P)
    assert float(hi - lo) == pytest.approx(0.0, abs=1e-12)


def test_reverse_operation_swaps_source_and_drain():
    vgs, vds = torch.tensor(1.0, dtype=torch.float64), torch.tensor(-0.2, dtype=torch.float64)
    expected = -closed_form(1.0 - (-0.2), 0.2)
    assert float(drain_current(vgs, vds, P)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("vgs, r", [(0.7, 1333.0), (0.9, 1000.0), (1.3, 2000.0), (2.0, 1500.0), (3.0, 1000.0), (0.3, 1000.0)])
def test_series_operating_point_solves_the_circuit(vgs, r):
    vdd = 1.0
    i = float(series_current(torch.tensor([vgs], dtype=torch.float64), vdd, torch.tensor([r], dtype=torch.float64), P))

    def f(x: float) -> float:
        return x - closed_form(vgs, vdd - x * r)

    ref = 0.0 if vgs <= P.vt else brentq(f, 0.0, vdd / r, xtol=1e-16, rtol=1e-14)
    assert i == pytest.approx(ref, rel=1e-10, abs=1e-16)
    if vgs > P.vt:
        assert i == pytest.approx(closed_form(vgs, vdd - i * r), rel=1e-10)


def test_series_current_is_differentiable():
    vgs = torch.tensor([0.8, 1.6], dtype=torch.float64, requires_grad=True)  # saturation, triode
    r = torch.tensor([1333.0, 1500.0], dtype=torch.float64, requires_grad=True)
    i = series_current(vgs, 1.0, r, P)
    i.sum().backward()
    h = 1e-6
    for k in range(2):
        dv = torch.zeros(2, dtype=torch.float64)
        dv[k] = h
        fd_v = (series_current(vgs.detach() + dv, 1.0, r.detach(), P) - series_current(vgs.detach() - dv, 1.0, r.detach(), P))[k] / (2 * h)
        dr = torch.zeros(2, dtype=torch.float64)
        dr[k] = 1e-3
        fd_r = (series_current(vgs.detach(), 1.0, r.detach() + dr, P) - series_current(vgs.detach(), 1.0, r.detach() - dr, P))[k] / 2e-3
        assert vgs.grad[k].item() == pytest.approx(fd_v.item(), rel=1e-5)
        assert r.grad[k].item() == pytest.approx(fd_r.item(), rel=1e-5)


@pytest.mark.parametrize("kwargs, match", [({"vt": -0.1}, "vt"), ({"k": 0.0}, "k"), ({"lam": float("inf")}, "lam"), ({"lam": -0.01}, "lam")])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        NMOSParams(**kwargs)
