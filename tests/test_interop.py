"""The cmtj bridge (``mtjnn.interop``) and the Landau-Lifshitz constructor ``Macrospin.from_beta``.

* parameters round-trip exactly (to rounding) cmtj -> mtjnn -> cmtj and mtjnn -> cmtj -> mtjnn;
* ``from_beta(beta=0)`` has no field-like torque in the Landau-Lifshitz equation (checked on ``llgs_rhs``);
* bridged random junctions (Lambda 1 and 2, beta != 0, in-plane and perpendicular, some switching) follow
  cmtj's own trajectory at T = 0 (RK4, dt = 1 ps) to max |dm| < 1e-6 (cmtj logs under time i dt the
  state after step i, i.e. m((i + 1) dt); see docs/physics.md "cmtj bridge");
* bad input names the parameter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.constants import MU0
from mtjnn.interop import CmtjConstants, CmtjJunction, build_cmtj, cmtj_constants, from_mtjnn, to_mtjnn
from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics.demag import ellipsoid_factors
from mtjnn.physics.llg import llgs_rhs

F64 = torch.float64
DT, STEPS = 1e-12, 3000


def _random_junction(rng: np.random.Generator, geometry: str, lam: float, switching: bool) -> CmtjJunction:
    """A random in-plane ellipse (easy axis and reference along x) or perpendicular film (along z)."""
    beta = float(rng.choice([-1, 1]) * rng.uniform(0.05, 0.4))
    damping = float(rng.uniform(0.01, 0.03))
    polarisation = float(rng.uniform(0.4, 0.7))
    if geometry == "in-plane":
        a, b, t = rng.uniform(80e-9, 120e-9), rng.uniform(40e-9, 60e-9), rng.uniform(1.2e-9, 1.8e-9)
        ms_t = float(rng.uniform(0.9, 1.3))
        m0 = np.array([-0.9, rng.uniform(0.1, 0.4), 0.1])
        j = (3e11 / lam if switching else 1e11) * float(rng.uniform(0.9, 1.1))  # (see docs: steady precession)
        return CmtjJunction(Ms=ms_t, thickness=float(t), area=math.pi * a * b / 4, damping=damping,
                            demag=tuple(float(x) for x in ellipsoid_factors(a, b, t)), K=float(rng.uniform(2e3, 8e3)),
                            anis=(1.0, 0.0, 0.0), reference=(1.0, 0.0, 0.0), polarisation=polarisation, beta=beta,
                            Lambda=lam, H=(float(rng.uniform(-2e3, 2e3)), float(rng.uniform(0, 1e3)), 0.0), J=j,
                            m0=tuple(float(x) for x in m0 / np.linalg.norm(m0)))
    ms_t = float(rng.uniform(0.9, 1.1))
    k = float(rng.uniform(0.75, 0.9)) * ms_t**2 / MU0  # H_K = 2K/Ms ~ 1.5-1.8 Ms: perpendicular
    m0 = np.array([0.05, 0.02, -1.0])
    return CmtjJunction(Ms=ms_t, thickness=1e-9, area=math.pi * (25e-9) ** 2, damping=damping, demag=(0.0, 0.0, 1.0),
                        K=k, anis=(0.0, 0.0, 1.0), reference=(0.0, 0.0, 1.0), polarisation=polarisation, beta=beta,
                        Lambda=lam, H=(0.0, 0.0, float(rng.uniform(-5e3, 5e3))), J=(3e11 if switching else 3e10),
                        m0=tuple(float(x) for x in m0 / np.linalg.norm(m0)))


# ------------------------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("seed", range(4))
def test_parameters_round_trip(seed) -> None:
    rng = np.random.default_rng(seed)
    for geometry in ("in-plane", "perpendicular"):
        j = _random_junction(rng, geometry, float(rng.choice([1.0, 2.0, 0.7])), bool(seed % 2))
        params, drive = to_mtjnn(j)
        back = from_mtjnn(params, drive, m0=j.m0)
        for name, value in vars(j).items():
            got = getattr(back, name)
            assert np.allclose(got, value, rtol=1e-14, atol=0), (name, got, value)
        again, drive2 = to_mtjnn(back)
        for name in ("ms", "eta", "field_like", "anisotropy_field", "gamma", "alpha", "spin_torque_asymmetry"):
            assert getattr(again, name) == pytest.approx(getattr(params, name), rel=1e-14, abs=0), name
        assert back.Lambda == j.Lambda and back.damping == j.damping and back.demag == j.demag


def test_mtjnn_junction_round_trips_through_cmtj_form() -> None:
    c = cmtj_constants()
    params = Macrospin(ms=8e5, thickness=1.1e-9, area=2e-15, alpha=0.05, demag=(0.1, 0.2, 0.7), anisotropy_field=0.05,
                       easy_axis=(0.0, 0.6, 0.8), polarizer=(0.0, 0.0, -1.0), eta=0.55, field_like=0.3,
                       temperature=300.0, gamma=c.gyro / MU0, spin_torque_asymmetry=1.5)
    drive = Drive(current=-1.5e-4, field=(0.01, 0.0, -0.02))
    p2, d2 = to_mtjnn(from_mtjnn(params, drive))
    for name in ("ms", "thickness", "area", "alpha", "anisotropy_field", "eta", "field_like", "temperature", "gamma",
                 "spin_torque_asymmetry"):
        assert float(getattr(p2, name)) == pytest.approx(float(getattr(params, name)), rel=1e-14, abs=1e-300), name
    assert d2.current == pytest.approx(drive.current, rel=1e-14)
    assert np.allclose(d2.field, drive.field, rtol=1e-14, atol=0)
    assert np.allclose(p2.easy_axis, params.easy_axis) and np.allclose(p2.polarizer, params.polarizer)


def test_constants_are_read_from_the_installed_cmtj() -> None:
    cmtj = pytest.importorskip("cmtj")
    c = cmtj.constants.PhysicalConstants
    assert cmtj_constants() == CmtjConstants(c.magnetic_permeability(), c.gyromagnetic_ratio(), c.hbar(),
                                             c.elementary_charge())
    assert cmtj_constants() == CmtjConstants()  # the documented defaults are cmtj's


# --------------------------------------------------------------------------- beta: the reader's equation


@pytest.mark.parametrize("beta", [0.0, 0.3, -0.2])
def test_from_beta_is_the_landau_lifshitz_torque(beta) -> None:
    """Only STT acts (no field, anisotropy or demag along m's motion): llgs_rhs = -g' a m x (m x p) + g' beta a m x p."""
    alpha, eta, current = 0.1, 0.6, 2e-4
    params = Macrospin.from_beta(beta=beta, eta=eta, alpha=alpha, ms=1e6, thickness=1e-9, area=1e-15,
                                 demag=(1 / 3, 1 / 3, 1 / 3), polarizer=(0.0, 0.0, 1.0))
    p = params.resolve(1, F64, "cpu")
    m = torch.nn.functional.normalize(torch.tensor([[0.6, 0.3, 0.5]], dtype=F64), dim=-1)
    rate = llgs_rhs(m, p, torch.zeros(1, 3, dtype=F64), torch.tensor([[current]], dtype=F64))
    pol = torch.tensor([[0.0, 0.0, 1.0]], dtype=F64)
    mxp = torch.linalg.cross(m, pol, dim=-1)
    mxmxp = torch.linalg.cross(m, mxp, dim=-1)
    a_ll = float(p.gamma_ll) * (float(p.stt_per_ampere) / eta * eta * (1 + alpha**2) / (1 + alpha * beta)) * current
    expected = -a_ll * mxmxp + beta * a_ll * mxp
    assert torch.allclose(rate, expected, rtol=1e-12, atol=1e-12 * float(expected.abs().max()))
    if beta == 0.0:  # no field-like (m x p) component at all
        assert abs(float((rate * mxp).sum())) < 1e-12 * float(rate.norm() * mxp.norm())


def test_from_beta_per_junction_and_errors() -> None:
    params = Macrospin.from_beta(beta=torch.tensor([0.0, 0.5]), eta=0.6, alpha=0.2, ms=1e6, thickness=1e-9, area=1e-15)
    assert params.batch_size() == 2
    assert torch.allclose(params.field_like, torch.tensor([0.2, -0.3 / 1.1], dtype=F64))
    with pytest.raises(ValueError, match="beta"):
        Macrospin.from_beta(beta=-20.0, eta=0.6, alpha=0.1, ms=1e6, thickness=1e-9, area=1e-15)
    with pytest.raises(ValueError, match="field_like"):
        Macrospin.from_beta(beta=0.1, eta=0.6, field_like=0.0, ms=1e6, thickness=1e-9, area=1e-15)


# ------------------------------------------------------------------------------ trajectories against cmtj


def _cmtj_trajectory(j: CmtjJunction) -> np.ndarray:
    cmtj = pytest.importorskip("cmtj")
    junction = build_cmtj(j)
    junction.runSimulation(STEPS * DT, DT, DT, solverMode=cmtj.RK4)
    log = junction.getLog()
    return np.stack([log["free_mx"], log["free_my"], log["free_mz"]], axis=-1)


@pytest.mark.parametrize("geometry", ["in-plane", "perpendicular"])
@pytest.mark.parametrize("lam", [1.0, 2.0])
def test_bridged_junctions_follow_cmtj(geometry, lam) -> None:
    rng = np.random.default_rng(int(lam * 10) + (geometry == "in-plane"))
    junctions = [_random_junction(rng, geometry, lam, switching) for switching in (False, True)]
    for j in junctions:
        params, drive = to_mtjnn(j)
        m0 = torch.tensor([j.m0], dtype=F64)
        ours = simulate(m0, params, drive, duration=STEPS * DT, dt=DT, sample_every=DT).m[1:, 0].numpy()
        reference = _cmtj_trajectory(j)  # reference[i] = m((i + 1) dt)
        assert reference.shape == ours.shape
        assert np.abs(ours - reference).max() < 1e-6, (geometry, lam, j.beta, np.abs(ours - reference).max())
    axis = 0 if geometry == "in-plane" else 2
    travelled = [abs(_cmtj_trajectory(j)[:, axis].max() - _cmtj_trajectory(j)[:, axis].min()) for j in junctions]
    assert max(travelled) > 1.0  # the switching junction crosses over: the comparison is not trivial


# ----------------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("kw", "name"), [
    (dict(Lambda=0.0), "Lambda"), (dict(Lambda=-1.0), "Lambda"), (dict(Ms=0.0), "Ms"), (dict(thickness=-1e-9), "thickness"),
    (dict(damping=-0.1), "damping"), (dict(K=-1.0), "K"), (dict(polarisation=1.5), "polarisation"),
    (dict(beta=-200.0), "beta"), (dict(H=(1.0, 2.0)), "H"), (dict(J=math.nan), "J"), (dict(temperature=-3.0), "temperature"),
])
def test_bad_cmtj_parameters_name_the_parameter(kw, name) -> None:
    base = dict(Ms=1.0, thickness=1e-9, area=1e-15, damping=0.01)
    with pytest.raises(ValueError, match=name):
        CmtjJunction(**{**base, **kw})


def test_what_cmtj_cannot_express_is_refused() -> None:
    c = cmtj_constants()
    good = dict(ms=1e6, thickness=1e-9, area=1e-15, gamma=c.gyro / MU0)
    with pytest.raises(ValueError, match="gamma"):
        from_mtjnn(Macrospin(ms=1e6, thickness=1e-9, area=1e-15))
    with pytest.raises(ValueError, match="junctions"):
        from_mtjnn(Macrospin(**{**good, "ms": torch.tensor([1e6, 2e6])}))
    with pytest.raises(ValueError, match="spin_torque_angular"):
        from_mtjnn(Macrospin(**good, spin_torque_angular="tunnel", eta=0.5))
    with pytest.raises(ValueError, match="time-dependent"):
        from_mtjnn(Macrospin(**good), Drive(current=lambda t: 0 * t))
