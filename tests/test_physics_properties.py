"""Invariants over random valid parameters (hypothesis): |m| = 1, energy decay and conservation,
and the symmetries of the LLGS equation (rotation covariance, (I, p) -> (-I, -p))."""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mtjnn.constants import GAMMA_E, MU0
from mtjnn.physics import Crossing, Drive, Macrospin, simulate
from mtjnn.physics.llg import energy

F64 = torch.float64
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

unit = st.tuples(*[st.floats(-1.0, 1.0)] * 3).filter(lambda v: math.sqrt(sum(x * x for x in v)) > 0.2)
simplex = st.tuples(*[st.floats(0.0, 1.0)] * 3).filter(lambda v: sum(v) > 0.1).map(lambda v: tuple(x / sum(v) for x in v))


@st.composite
def junctions(draw, alpha=st.floats(1e-3, 1.0), current=True):
    """A random valid junction, its drive, an initial state and a stable step for RK4."""
    ms = draw(st.floats(1e5, 1.2e6))
    params = dict(
        ms=ms, thickness=draw(st.floats(0.8e-9, 3e-9)), area=draw(st.floats(5e-17, 5e-16)), alpha=draw(alpha),
        demag=draw(simplex), anisotropy_field=draw(st.floats(0.0, 1.5)), easy_axis=draw(unit), polarizer=draw(unit),
        eta=draw(st.floats(-1.0, 1.0)), field_like=draw(st.floats(-0.3, 0.3)),
    )
    field = draw(st.tuples(*[st.floats(-0.5, 0.5)] * 3))
    amps = draw(st.floats(-3e-4, 3e-4)) if current else 0.0
    m0 = np.asarray(draw(unit))
    p = Macrospin(**params)
    a_j = abs(float(p.resolve(1, F64, "cpu").stt_per_ampere) * amps)
    stiffness = params["anisotropy_field"] + MU0 * ms + np.linalg.norm(field) + a_j * (1 + abs(params["field_like"]))
    dt = 0.01 / (GAMMA_E * stiffness)  # omega dt <= 0.01
    return params, Drive(current=amps, field=field), torch.tensor(m0 / np.linalg.norm(m0), dtype=F64)[None], dt


@given(junctions())
@SETTINGS
def test_norm_stays_one(case):
    params, drive, m0, dt = case
    traj = simulate(m0, Macrospin(**params), drive, duration=300 * dt, dt=dt, sample_every=10 * dt, renormalize=False)
    # RK4 changes |m| by O((omega dt)^5) per step (~1e-13 here); a term not of the form m x (...) would give O(omega dt)
    assert (traj.m.norm(dim=-1) - 1).abs().max().item() < 1e-9


@given(junctions(current=False))
@SETTINGS
def test_energy_non_increasing_without_current(case):
    params, drive, m0, dt = case
    p = Macrospin(**params)
    traj = simulate(m0, p, drive, duration=300 * dt, dt=dt, sample_every=dt)
    r = p.resolve(1, F64, "cpu")
    e = energy(traj.m[:, 0], r, torch.tensor(drive.field, dtype=F64)[None])
    scale = float(r.ms * r.volume) * (params["anisotropy_field"] + MU0 * params["ms"] + 0.9)
    assert ((e[1:] - e[:-1]) / scale).max().item() < 1e-13


@given(junctions(alpha=st.just(0.0), current=False))
@SETTINGS
def test_energy_conserved_at_zero_damping(case):
    params, drive, m0, dt = case
    p = Macrospin(**params)
    traj = simulate(m0, p, drive, duration=1000 * dt, dt=dt, sample_every=10 * dt)
    r = p.resolve(1, F64, "cpu")
    e = energy(traj.m[:, 0], r, torch.tensor(drive.field, dtype=F64)[None])
    scale = float(r.ms * r.volume) * (params["anisotropy_field"] + MU0 * params["ms"] + 0.9)
    assert ((e - e[0]).abs() / scale).max().item() < 1e-10


def _rotation(v: tuple[float, float, float]) -> torch.Tensor:
    """A proper rotation (det +1) from a random vector (Rodrigues, angle = |v| * pi)."""
    w = torch.tensor(v, dtype=F64)
    angle = math.pi * float(w.norm()) / math.sqrt(3)
    k = w / w.norm()
    kx = torch.tensor([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]], dtype=F64)
    return torch.eye(3, dtype=F64) + math.sin(angle) * kx + (1 - math.cos(angle)) * kx @ kx


@given(junctions(), unit)
@SETTINGS
def test_rotation_covariance(case, axis):
    """Rotating m0, field, easy axis and polarizer by any R rotates the trajectory (isotropic demag)."""
    params, drive, m0, dt = case
    params = {**params, "demag": (1 / 3, 1 / 3, 1 / 3)}
    rot = _rotation(axis)
    vec = lambda v: tuple((rot @ torch.tensor(v, dtype=F64)).tolist())  # noqa: E731
    rotated = {**params, "easy_axis": vec(params["easy_axis"]), "polarizer": vec(params["polarizer"])}
    a = simulate(m0, Macrospin(**params), drive, duration=200 * dt, dt=dt, sample_every=20 * dt)
    b = simulate(m0 @ rot.T, Macrospin(**rotated), Drive(current=drive.current, field=vec(drive.field)),
                 duration=200 * dt, dt=dt, sample_every=20 * dt)
    assert torch.allclose(b.m, a.m @ rot.T, atol=1e-11, rtol=0)


@given(junctions())
@SETTINGS
def test_switching_symmetry(case):
    """P->AP and AP->P are mirror images: a pi rotation about x (diagonal demag kept) maps one run onto
    the other, with identical switching times; and (I, p) -> (-I, -p) leaves the dynamics unchanged."""
    params, drive, m0, dt = case
    flip = torch.diag(torch.tensor([1.0, -1.0, -1.0], dtype=F64))
    vec = lambda v: tuple((flip @ torch.tensor(v, dtype=F64)).tolist())  # noqa: E731
    m0 = torch.tensor([[0.05, 0.02, 1.0]], dtype=F64)
    m0 = m0 / m0.norm()
    params = {**params, "easy_axis": (0.0, 0.0, 1.0)}
    assume(params["demag"][2] < 0.6)  # keep some perpendicular junctions that can switch
    run = lambda m, prm, drv: simulate(m, Macrospin(**prm), drv, duration=400 * dt, dt=dt, sample_every=40 * dt,  # noqa: E731
                                       crossing=Crossing("z", 0.0, "either"), stop_when_switched=False)
    a = run(m0, params, drive)
    b = run(m0 @ flip.T, {**params, "polarizer": vec(params["polarizer"])}, Drive(current=drive.current, field=vec(drive.field)))
    c = run(m0, {**params, "polarizer": tuple(-x for x in params["polarizer"])}, Drive(current=-drive.current, field=drive.field))
    assert torch.allclose(b.m, a.m @ flip.T, atol=1e-11, rtol=0)
    assert torch.allclose(c.m, a.m, atol=1e-11, rtol=0)
    assert torch.equal(a.switched, b.switched) and torch.equal(a.switched, c.switched)
    if bool(a.switched.any()):
        assert torch.allclose(a.switch_time, b.switch_time, rtol=1e-9)
