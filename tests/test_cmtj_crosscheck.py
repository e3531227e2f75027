"""Cross-check against cmtj 1.15 (LemurPwned/cmtj; a test-only dependency, never imported by mtjnn).

The same free layer at T = 0 under the same field and the same current pulse must follow the same
trajectory in both codes (RK4, fixed step, |m| renormalized after every step in both):
max |m_mtjnn - m_cmtj| < 1e-6 over the run (measured: ~1e-15 field only, ~1e-9 through an STT switch).

Parameter mapping (cmtj conventions read from its C++ core: junction.hpp, drivers.hpp, constants.hpp)
-------------------------------------------------------------------------------------------------
* cmtj works with H in A/m and dm/dt = -GYRO/(1+alpha^2) [m x H + alpha m x (m x H)], GYRO = 220880
  m/(A s) (gamma0 = mu0 gamma); its mu0 is 12.566e-7 (MU0_C below, not CODATA). mtjnn works with
  B = mu0 H in tesla and gamma in rad/(s T). Setting our ``gamma = GYRO / MU0`` makes gamma B = GYRO H
  exactly when every field we pass is B = MU0 H, with H the field cmtj computes:
    - applied field: cmtj H_ext (A/m)  ->  our field = MU0 H_ext (T);
    - saturation magnetization: cmtj takes Ms in tesla; its demag field is -N m Ms_T / MU0_C, so
      Ms_T = MU0_C ms with our ms in A/m;
    - uniaxial anisotropy: cmtj H_K = 2 K / Ms_T (K in J/m^3, set through the anisotropy driver)
      -> our anisotropy_field = MU0 * 2 K / Ms_T (T), same easy axis;
    - demagnetizing tensor: diag(N) in both.
* Spin-transfer torque: cmtj's classical Slonczewski layer (``createSTTLayer``) with spacer parameter
  lambda = 1 has a constant efficiency eta_c = P / 2 and adds, per unit time,
      [ -S kappa m x (m x p) + S beta m x p ] / (1 + alpha^2),   S = GYRO hbar_c J eta_c / (e_c Ms_T t),
  with J the current density (A/m^2), kappa = 1 and beta the field-like ratio. mtjnn adds the
  equivalent field B_stt = a_J (m x p) + b_J p to the Gilbert equation (SEEDS_SPEC 5.1), which gives
      -gamma' a_J [m x (m x p) - alpha m x p] - gamma' b_J [m x p + alpha m x (m x p)].
  The two agree term by term for
      field_like xi = (alpha kappa - beta) / (kappa + alpha beta),
      eta = P (kappa + alpha beta) / (1 + alpha^2) * (MU0 / MU0_C) (hbar_c / HBAR) (E_CHARGE / e_c),
  and current I = J * area (our a_J = hbar eta I / (2 e Ms t_F area)). The last three ratios absorb
  cmtj's own constants. cmtj's lambda != 1 (angle-dependent eta) is cross-checked through mtjnn.interop
  in tests/test_interop.py; its "alternative" STT has no counterpart in mtjnn.
* Drives: our ``Pulse(amplitude, start, width, rise, base)`` is cmtj's
  ``trapezoidDriver(base, amplitude - base, start, rise, width)``. Both RK4s evaluate the drive at
  t, t + dt/2, t + dt.
* Logs: cmtj's RK4 loop logs, under the time i*dt, the state after step i; we compare it with our
  sample at (i + 1) dt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mtjnn.constants import E_CHARGE, HBAR, MU0
from mtjnn.physics import Drive, Macrospin, Pulse, simulate
from mtjnn.physics.demag import ellipsoid_factors

cmtj = pytest.importorskip("cmtj")
_C = cmtj.constants.PhysicalConstants
GYRO, MU0_C, HBAR_C, E_C = _C.gyromagnetic_ratio(), _C.magnetic_permeability(), _C.hbar(), _C.elementary_charge()

# the junction: 100 x 50 x 1.4 nm in-plane ellipse, easy axis x, reference layer along +x
MS, THICKNESS = 1.0e6, 1.4e-9
AREA = math.pi * 50e-9 * 25e-9
DEMAG = ellipsoid_factors(100e-9, 50e-9, 1.4e-9)
ALPHA, K_U = 0.02, 5e3  # damping; uniaxial anisotropy constant, J/m^3
H_EXT = (2e3, 1e3, 0.0)  # A/m
POLARIZATION, BETA = 0.6, 0.1
DT, STEPS = 1e-12, 3000
M0 = np.array([-0.9, 0.3, 0.1]) / np.linalg.norm([-0.9, 0.3, 0.1])
PULSE = dict(start=0.1e-9, rise=0.05e-9, width=1.5e-9)


def _cmtj_run(current_density: float | None) -> np.ndarray:
    """cmtj trajectory (STEPS, 3): the states after steps 1 .. STEPS."""
    ms_t = MU0_C * MS
    tensor = [cmtj.CVector(DEMAG[0], 0, 0), cmtj.CVector(0, DEMAG[1], 0), cmtj.CVector(0, 0, DEMAG[2])]
    args = ("free", cmtj.CVector(*M0), cmtj.CVector(1, 0, 0), ms_t, THICKNESS, AREA, tensor, ALPHA)
    if current_density is None:
        layer = cmtj.Layer(*args)
    else:
        layer = cmtj.Layer.createSTTLayer(*args, 1.0, BETA, POLARIZATION)  # lambda = 1, beta, P
        layer.setReferenceLayer(cmtj.CVector(1, 0, 0))
    junction = cmtj.Junction([layer])
    junction.setLayerAnisotropyDriver("free", cmtj.constantDriver(K_U))
    junction.setLayerExternalFieldDriver("free", cmtj.AxialDriver(*H_EXT))
    if current_density is not None:
        driver = cmtj.ScalarDriver.getTrapezoidDriver(0.0, current_density, PULSE["start"], PULSE["rise"],
                                                      PULSE["width"])
        junction.setLayerCurrentDriver("free", driver)
    junction.runSimulation(STEPS * DT, DT, DT, solverMode=cmtj.RK4)
    log = junction.getLog()
    return np.stack([log["free_mx"], log["free_my"], log["free_mz"]], axis=-1)


def _mtjnn_params() -> Macrospin:
    kappa = 1.0
    eta = (POLARIZATION * (kappa + ALPHA * BETA) / (1 + ALPHA**2)) * (MU0 / MU0_C) * (HBAR_C / HBAR) * (E_CHARGE / E_C)
    return Macrospin(
        ms=MS, thickness=THICKNESS, area=AREA, alpha=ALPHA, demag=DEMAG,
        anisotropy_field=MU0 * 2 * K_U / (MU0_C * MS), easy_axis=(1.0, 0.0, 0.0),
        polarizer=(1.0, 0.0, 0.0), eta=eta, field_like=(ALPHA * kappa - BETA) / (kappa + ALPHA * BETA),
        gamma=GYRO / MU0,
    )


def _mtjnn_run(current, backend: str, batch: int = 1) -> np.ndarray:
    """mtjnn trajectory (STEPS, batch, 3) after steps 1 .. STEPS."""
    m0 = torch.tensor(M0, dtype=torch.float64).expand(batch, 3).contiguous()
    drive = Drive(current=current, field=tuple(MU0 * h for h in H_EXT))
    traj = simulate(m0, _mtjnn_params(), drive, duration=STEPS * DT, dt=DT, sample_every=DT, backend=backend)
    return traj.m[1:].numpy()


@pytest.mark.parametrize("backend", ["fused", "torch"])
def test_field_only_trajectory_matches_cmtj(backend):
    """Anisotropy + demag + applied field, no current: relaxation with precession from a tilted state."""
    reference = _cmtj_run(None)
    ours = _mtjnn_run(0.0, backend)[:, 0]
    assert reference.shape == ours.shape == (STEPS, 3)
    assert (reference[:, 0].max() - reference[:, 0].min()) > 0.3  # the trajectory is not trivial
    assert np.abs(ours - reference).max() < 1e-9


def test_stt_pulse_trajectories_match_cmtj():
    """Three trapezoidal current pulses in one batch: sub-threshold (relaxes back), switching -x -> +x,
    and the opposite sign (pushes further into -x); damping-like and field-like (beta) torques."""
    densities = (1e11, 3e11, -3e11)  # A/m^2
    amplitudes = torch.tensor(densities, dtype=torch.float64) * AREA
    ours = _mtjnn_run(Pulse(amplitude=amplitudes, **PULSE), "fused", batch=len(densities))
    for b, density in enumerate(densities):
        reference = _cmtj_run(density)
        assert np.abs(ours[:, b] - reference).max() < 1e-6, f"J = {density:g} A/m^2"
    assert ours[-1, 1, 0] > 0.99 and ours[-1, 0, 0] < -0.99  # the 3e11 pulse switches, 1e11 does not
