"""Bridge to cmtj (LemurPwned/cmtj): a cmtj user's junction as an mtjnn ``Macrospin`` + ``Drive``, and back.

``CmtjJunction`` holds one free layer with a fixed reference layer in cmtj's own units and names:
Ms in tesla (cmtj's magnetisation argument, mu0 Ms), the uniaxial constant K in J/m^3, fields in A/m,
the current density J in A/m^2, the spin polarisation P, cmtj's field-like ratio beta and Slonczewski's
spacer parameter Lambda. ``to_mtjnn`` gives the equivalent ``(Macrospin, Drive)``, ``from_mtjnn`` the
reverse, ``build_cmtj`` cmtj's own ``Junction`` (needs cmtj). The mapping, derived from cmtj's
``core/junction.hpp`` (classical Slonczewski STT, kappa = 1) and checked against it at T = 0 in
tests/test_interop.py, is written out in docs/physics.md ("cmtj bridge"):

    ms = Ms_T / mu0_c,  anisotropy_field = MU0 2 K / Ms_T,  field = MU0 H,  current = J area,
    gamma = gyro_c / MU0,  spin_torque_asymmetry = Lambda,
    eta = P (1 + alpha beta) / (1 + alpha^2) (MU0 / mu0_c) (hbar_c / HBAR) (E_CHARGE / e_c),
    field_like = (alpha - beta) / (1 + alpha beta)          (Macrospin.from_beta does these two)

with cmtj's constants (mu0_c, gyro_c, hbar_c, e_c) read from the installed cmtj (its defaults otherwise).
cmtj itself is never imported unless a function needs its objects or its constants.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from .constants import E_CHARGE, HBAR, MU0
from .physics import Drive, Macrospin
from .physics.torques import beta_from_gilbert

__all__ = ["CmtjConstants", "CmtjJunction", "build_cmtj", "cmtj_constants", "from_mtjnn", "to_mtjnn"]


class CmtjConstants(NamedTuple):
    """cmtj's physical constants (``cmtj.constants.PhysicalConstants``; settable in cmtj, so read at use)."""

    mu0: float = 12.566e-7  # T m/A
    gyro: float = 220880.0  # m/(A s): gamma0 = mu0 gamma
    hbar: float = 6.62607015e-34 / (2.0 * math.pi)  # J s
    e: float = 1.60217662e-19  # C


def cmtj_constants() -> CmtjConstants:
    """The installed cmtj's constants, or cmtj 1.15's defaults when cmtj is absent."""
    try:
        import cmtj
    except ImportError:
        return CmtjConstants()
    c = cmtj.constants.PhysicalConstants
    return CmtjConstants(c.magnetic_permeability(), c.gyromagnetic_ratio(), c.hbar(), c.elementary_charge())


@dataclass(frozen=True)
class CmtjJunction:
    """One cmtj free layer (``Layer.createSTTLayer``) with a fixed reference layer, in cmtj's units.

    Attributes:
        Ms: saturation magnetisation as cmtj takes it, mu0 Ms in T (> 0).
        thickness: free-layer thickness, m (> 0).
        area: cmtj's cellSurface, m^2 (> 0).
        damping: Gilbert damping alpha (>= 0).
        demag: diagonal of the demagnetizing tensor (Nxx, Nyy, Nzz), summing to 1.
        K: uniaxial anisotropy constant, J/m^3 (>= 0); cmtj's H_K = 2 K / Ms in A/m.
        anis: anisotropy axis (non-zero).
        reference: fixed reference-layer direction p (non-zero).
        polarisation: spin polarisation P (cmtj's spinPolarisation), in [-1, 1].
        beta: cmtj's field-like ratio: dm/dt gets + gamma' a eta beta m x p next to the damping-like
            - gamma' a eta m x (m x p) (0: no field-like torque).
        Lambda: Slonczewski spacer parameter (> 0): eta(m.p) = P Lambda^2 / (Lambda^2 + 1 + (Lambda^2 - 1) m.p).
        H: constant applied field, A/m.
        J: constant current density, A/m^2.
        temperature: K (>= 0).
        m0: initial magnetization (informational; ``build_cmtj`` starts the layer there).
    """

    Ms: float
    thickness: float
    area: float
    damping: float
    demag: tuple[float, float, float] = (0.0, 0.0, 1.0)
    K: float = 0.0
    anis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    reference: tuple[float, float, float] = (0.0, 0.0, 1.0)
    polarisation: float = 0.0
    beta: float = 0.0
    Lambda: float = 1.0
    H: tuple[float, float, float] = (0.0, 0.0, 0.0)
    J: float = 0.0
    temperature: float = 0.0
    m0: tuple[float, float, float] = (0.0, 0.0, 1.0)

    def __post_init__(self) -> None:
        for name in ("Ms", "thickness", "area", "Lambda"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} = {value!r}; allowed: a finite number > 0")
        for name in ("damping", "K", "temperature"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} = {value!r}; allowed: a finite number >= 0")
        for name in ("beta", "J"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise ValueError(f"{name} = {value!r}; allowed: a finite number")
        if not -1.0 <= self.polarisation <= 1.0:
            raise ValueError(f"polarisation = {self.polarisation!r}; allowed: [-1, 1]")
        if 1.0 + self.damping * self.beta <= 0.0:
            raise ValueError(f"beta = {self.beta!r} with damping = {self.damping!r}: 1 + damping beta <= 0; "
                             "allowed: beta > -1/damping")
        for name in ("demag", "anis", "reference", "H", "m0"):
            vec = getattr(self, name)
            if len(vec) != 3 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in vec):
                raise ValueError(f"{name} = {vec!r}; allowed: three finite numbers")


def to_mtjnn(junction: CmtjJunction, constants: CmtjConstants | None = None) -> tuple[Macrospin, Drive]:
    """The ``(Macrospin, Drive)`` that follows cmtj's trajectory of ``junction`` (same constants)."""
    c = constants or cmtj_constants()
    j = junction
    ratio = (MU0 / c.mu0) * (c.hbar / HBAR) * (E_CHARGE / c.e)
    params = Macrospin.from_beta(
        beta=j.beta, eta=j.polarisation * ratio, alpha=j.damping,
        ms=j.Ms / c.mu0, thickness=j.thickness, area=j.area, demag=j.demag,
        anisotropy_field=MU0 * 2.0 * j.K / j.Ms, easy_axis=j.anis, polarizer=j.reference,
        temperature=j.temperature, gamma=c.gyro / MU0, spin_torque_asymmetry=j.Lambda,
    )
    return params, Drive(current=j.J * j.area, field=tuple(MU0 * h for h in j.H))


def from_mtjnn(params: Macrospin, drive: Drive | None = None, *, m0=(0.0, 0.0, 1.0),
               constants: CmtjConstants | None = None) -> CmtjJunction:
    """The ``CmtjJunction`` of one mtjnn junction with constant drives (the inverse of ``to_mtjnn``).

    Raises ValueError for what cmtj's layer cannot express: per-junction parameters, time-dependent
    drives, the tunnelling efficiency form, a gyromagnetic ratio other than cmtj's.
    """
    c = constants or cmtj_constants()
    drive = drive or Drive()
    if params.batch_size() != 1:
        raise ValueError(f"params describe {params.batch_size()} junctions; allowed: one (shared parameters)")
    if params.spin_torque_angular != "slonczewski":
        raise ValueError(f"spin_torque_angular = {params.spin_torque_angular!r}; allowed: 'slonczewski' "
                         "(cmtj's classical STT)")
    if callable(drive.current) or callable(drive.field):
        raise ValueError("drive has a time-dependent current or field; allowed: constants (build cmtj drivers yourself)")
    value = {name: _scalar(params, name) for name in _SCALARS}
    gamma_c = c.gyro / MU0
    if abs(value["gamma"] - gamma_c) > 1e-12 * gamma_c:
        raise ValueError(f"gamma = {value['gamma']!r} rad/(s T); allowed: cmtj's gyro / MU0 = {gamma_c!r} "
                         "(cmtj's gyromagnetic ratio is a global constant)")
    ms_t = value["ms"] * c.mu0
    ratio = (MU0 / c.mu0) * (c.hbar / HBAR) * (E_CHARGE / c.e)
    eta_ll, beta = beta_from_gilbert(value["eta"], value["field_like"], value["alpha"])
    return CmtjJunction(
        Ms=ms_t, thickness=value["thickness"], area=value["area"], damping=value["alpha"],
        demag=_vector(params.demag, "demag"), K=value["anisotropy_field"] * ms_t / (2.0 * MU0),
        anis=_vector(params.easy_axis, "easy_axis"), reference=_vector(params.polarizer, "polarizer"),
        polarisation=eta_ll / ratio, beta=beta, Lambda=value["spin_torque_asymmetry"],
        H=tuple(b / MU0 for b in _vector(drive.field, "field")), J=_number(drive.current, "current") / value["area"],
        temperature=value["temperature"], m0=tuple(float(x) for x in m0),
    )


_SCALARS = ("ms", "thickness", "area", "alpha", "anisotropy_field", "eta", "field_like", "temperature", "gamma",
            "spin_torque_asymmetry")


def _number(value, name: str) -> float:
    """A float from a Python number or a one-element array/tensor; ValueError naming ``name`` otherwise."""
    arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, dtype=float)
    if arr.size != 1:
        raise ValueError(f"{name} has {arr.size} values; allowed: one junction (a scalar)")
    return float(arr.reshape(-1)[0])


def _scalar(params: Macrospin, name: str) -> float:
    return _number(getattr(params, name), name)


def _vector(value, name: str) -> tuple[float, float, float]:
    arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value, dtype=float)
    if arr.size != 3:
        raise ValueError(f"{name} has shape {arr.shape}; allowed: one vector of 3 values (one junction)")
    return tuple(float(x) for x in arr.reshape(3))


def build_cmtj(junction: CmtjJunction, constants: CmtjConstants | None = None):
    """cmtj's ``Junction`` of ``junction`` (free layer "free"; drivers set; needs cmtj installed)."""
    try:
        import cmtj
    except ImportError as exc:  # pragma: no cover - cmtj is a test dependency
        raise ImportError("build_cmtj needs cmtj: pip install cmtj") from exc
    j = junction
    tensor = [cmtj.CVector(j.demag[0], 0, 0), cmtj.CVector(0, j.demag[1], 0), cmtj.CVector(0, 0, j.demag[2])]
    layer = cmtj.Layer.createSTTLayer("free", cmtj.CVector(*j.m0), cmtj.CVector(*j.anis), j.Ms, j.thickness, j.area,
                                      tensor, j.damping, j.Lambda, j.beta, j.polarisation)
    layer.setReferenceLayer(cmtj.CVector(*j.reference))
    junction_c = cmtj.Junction([layer])
    junction_c.setLayerAnisotropyDriver("free", cmtj.constantDriver(j.K))
    junction_c.setLayerExternalFieldDriver("free", cmtj.AxialDriver(*j.H))
    junction_c.setLayerCurrentDriver("free", cmtj.constantDriver(j.J))
    if j.temperature > 0:
        junction_c.setLayerTemperatureDriver("free", cmtj.constantDriver(j.temperature))
    return junction_c
