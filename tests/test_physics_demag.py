"""Demagnetizing factors: Aharoni prism regression table (SEEDS_SPEC 5.12) and ellipsoid closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.physics.demag import demag_energy, demag_field, ellipsoid_factors, factors_sum_error, prism_factors

#: (x, y, z) full sides -> (Nxx, Nyy, Nzz), SEEDS_SPEC 5.12, 5 decimals
AHARONI = {
    (1.0, 1.0, 1.0): (0.33333, 0.33333, 0.33333),
    (2.0, 1.0, 1.0): (0.19832, 0.40084, 0.40084),
    (150.0, 150.0, 2.0): (0.02142, 0.02142, 0.95715),
    (10e-9, 45e-9, 50e-9): (0.68397, 0.16672, 0.14931),
    (100.0, 100.0, 1.0): (0.01698, 0.01698, 0.96604),
}


@pytest.mark.parametrize("sides", list(AHARONI))
def test_aharoni_prism_regression(sides):
    got = prism_factors(*sides)
    assert got == pytest.approx(AHARONI[sides], abs=6e-6)
    assert factors_sum_error(got) < 1e-12


def test_prism_factors_permute_with_the_sides():
    nx, ny, nz = prism_factors(10e-9, 45e-9, 50e-9)
    assert prism_factors(50e-9, 10e-9, 45e-9) == pytest.approx((nz, nx, ny), rel=1e-13)
    assert prism_factors(3.0, 3.0, 3.0) == pytest.approx((1 / 3, 1 / 3, 1 / 3), rel=1e-13)
    # scale invariance
    assert prism_factors(2.0, 1.0, 1.0) == pytest.approx(prism_factors(2e-9, 1e-9, 1e-9), rel=1e-13)


def _prolate_long(k: float) -> float:
    """N along the long axis of a prolate spheroid with aspect ratio k = c/a > 1 (Osborn 1945)."""
    e = math.sqrt(1 - 1 / k**2)
    return (1 - e * e) / (e * e) * (math.atanh(e) / e - 1)


def _oblate_short(k: float) -> float:
    """N along the short axis of an oblate spheroid with aspect ratio k = a/c > 1 (Osborn 1945)."""
    e = math.sqrt(1 - 1 / k**2)
    return (1 - math.sqrt(1 - e * e) * math.asin(e) / e) / (e * e)


def test_sphere():
    assert ellipsoid_factors(5e-9, 5e-9, 5e-9) == pytest.approx((1 / 3, 1 / 3, 1 / 3), rel=1e-13)


@pytest.mark.parametrize("k", [1.01, 1.5, 2.0, 5.0, 20.0, 100.0])
def test_spheroid_closed_forms(k):
    nx, ny, nz = ellipsoid_factors(1.0, 1.0, k)  # prolate along z
    assert nz == pytest.approx(_prolate_long(k), rel=1e-10)
    assert nx == pytest.approx(ny, rel=1e-13) and nx == pytest.approx((1 - nz) / 2, rel=1e-10)
    nx, ny, nz = ellipsoid_factors(k, k, 1.0)  # oblate, short axis z
    assert nz == pytest.approx(_oblate_short(k), rel=1e-10)
    assert nx == pytest.approx((1 - nz) / 2, rel=1e-10)


@pytest.mark.parametrize("axes", [(1.0, 2.0, 3.0), (100e-9, 50e-9, 2e-9), (1.0, 1.3, 1e-3), (7.0, 0.3, 1.1)])
def test_factors_sum_to_one(axes):
    assert factors_sum_error(ellipsoid_factors(*axes)) < 1e-12
    assert factors_sum_error(prism_factors(*axes)) < 1e-12
    ell, pri = ellipsoid_factors(*axes), prism_factors(*axes)
    assert np.argsort(ell).tolist() == np.argsort(pri).tolist()  # same ordering of the factors
    assert all(0 < n < 1 for n in ell + pri)


def test_demag_field_is_minus_energy_gradient():
    """B_d = -(1/(Ms V)) dE_d/dm, checked by autograd for random states and factors."""
    gen = torch.Generator().manual_seed(3)
    m = torch.randn(8, 3, dtype=torch.float64, generator=gen).requires_grad_(True)
    factors = torch.rand(8, 3, dtype=torch.float64, generator=gen)
    factors = factors / factors.sum(-1, keepdim=True)
    ms = torch.full((8, 1), 7e5, dtype=torch.float64)
    volume = torch.full((8, 1), 2e-24, dtype=torch.float64)
    energy = demag_energy(m, ms, factors, volume).sum()
    (grad,) = torch.autograd.grad(energy, m)
    assert torch.allclose(demag_field(m, ms, factors), -grad / (ms * volume), rtol=1e-12, atol=0)


def test_bad_sides_are_rejected():
    with pytest.raises(ValueError, match=r"z = -1"):
        prism_factors(1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match=r"x = 0"):
        ellipsoid_factors(0.0, 1.0, 1.0)
