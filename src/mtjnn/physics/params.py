"""Parameters of a batch of free-layer macrospins (SI units), validated on construction.

Every field may be a Python scalar (shared by all junctions), a per-junction tensor of shape (B,)
(device-to-device variability), and, for vectors, a (3,) or (B, 3) tensor. ``resolve`` turns them
into broadcast-ready tensors of shape (B|1, 1) and (B|1, 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import NamedTuple, Union

import numpy as np
import torch

from ..constants import GAMMA_E
from ..validation import check_non_negative, check_positive, check_range
from .torques import gilbert_from_beta, stt_coefficient
from .vcma import vcma_coefficient

ArrayLike = Union[float, int, tuple, list, np.ndarray, torch.Tensor]

_SCALARS = (
    "ms", "thickness", "area", "alpha", "anisotropy_field", "eta", "field_like", "temperature", "gamma",
    "spin_torque_asymmetry", "vcma_coefficient", "vcma_resistance", "barrier_thickness",
)
_VECTORS = ("demag", "easy_axis", "polarizer")


@dataclass(frozen=True)
class Macrospin:
    """A free layer (or a batch of them) in the macrospin approximation.

    Attributes:
        ms: saturation magnetization Ms, A/m (> 0).
        thickness: free-layer thickness t_F, m (> 0); enters the volume and the spin torque.
        area: cross-section through which the current flows, m^2 (> 0). Volume V = area * thickness.
        alpha: Gilbert damping (>= 0).
        demag: demagnetizing factors (Nxx, Nyy, Nzz), each >= 0, summing to 1.
        anisotropy_field: mu0 H_K of the uniaxial anisotropy, T (>= 0).
        easy_axis: anisotropy axis (normalized here; must be non-zero).
        polarizer: spin-polarization direction p of the reference layer (normalized; non-zero).
        eta: spin-torque efficiency (polarization), dimensionless, in [-1, 1]; a negative value
            reverses the torque (a stack with the free layer below the barrier).
        field_like: ratio xi = b_J / a_J of field-like to damping-like torque.
        temperature: K (>= 0); 0 disables the thermal field.
        gamma: gyromagnetic ratio, rad/(s T) (> 0).
        spin_torque_asymmetry: Slonczewski's asymmetry Lambda (dimensionless, > 0) of the angular
            dependence of the spin-transfer efficiency (``spin_torque_angular="slonczewski"``):
                eta(m.p) = eta 2 Lambda^2 / (Lambda^2 + 1 + (Lambda^2 - 1) m.p),
            i.e. eta_P = eta at m.p = +1 and eta_AP = eta Lambda^2 at m.p = -1. This is the issue's / cmtj's
            eta Lambda^2 / (Lambda^2 + 1 + (Lambda^2 - 1) m.p) times 2, so that Lambda = 1 is the constant eta.
            Must be 1 for the "tunnel" form.
        spin_torque_angular: angular form of the efficiency, "slonczewski" (default, with Lambda) or
            "tunnel": eta(m.p) = eta / (1 + eta^2 m.p) (Slonczewski's tunnelling form; needs |eta| < 1).
            Both forms scale the damping-like and the field-like torque alike (b_J = xi a_J).
        vcma_coefficient: VCMA coefficient xi, J/(V m) (any sign; 0, the default, switches the term off):
            the bias V = I vcma_resistance lowers the anisotropy along ``easy_axis`` by
            mu0 dH_K = 2 xi V / (Ms t_F barrier_thickness) (``vcma.py``; torch backend only).
        vcma_resistance: junction resistance R that turns the current into the bias V = I R, ohm (> 0).
        barrier_thickness: tunnel-barrier (MgO) thickness t_ox, m (> 0).
    """

    ms: ArrayLike
    thickness: ArrayLike
    area: ArrayLike
    alpha: ArrayLike = 0.01
    demag: ArrayLike = (0.0, 0.0, 1.0)
    anisotropy_field: ArrayLike = 0.0
    easy_axis: ArrayLike = (1.0, 0.0, 0.0)
    polarizer: ArrayLike = (1.0, 0.0, 0.0)
    eta: ArrayLike = 0.6
    field_like: ArrayLike = 0.0
    temperature: ArrayLike = 0.0
    gamma: ArrayLike = GAMMA_E
    spin_torque_asymmetry: ArrayLike = 1.0
    spin_torque_angular: str = "slonczewski"
    vcma_coefficient: ArrayLike = 0.0
    vcma_resistance: ArrayLike = 1e3
    barrier_thickness: ArrayLike = 1e-9

    def __post_init__(self) -> None:
        check_positive("ms", self.ms, unit="A/m")
        check_positive("thickness", self.thickness, unit="m")
        check_positive("area", self.area, unit="m^2")
        check_non_negative("alpha", self.alpha)
        check_non_negative("anisotropy_field", self.anisotropy_field, unit="T")
        check_range("eta", self.eta, -1.0, 1.0)
        check_range("field_like", self.field_like, -10.0, 10.0)
        check_non_negative("temperature", self.temperature, unit="K")
        check_positive("gamma", self.gamma, unit="rad/(s T)")
        check_positive("spin_torque_asymmetry", self.spin_torque_asymmetry)
        check_range("vcma_coefficient", self.vcma_coefficient, -1e-11, 1e-11, unit="J/(V m)")
        check_positive("vcma_resistance", self.vcma_resistance, unit="ohm")
        check_positive("barrier_thickness", self.barrier_thickness, unit="m")
        if self.spin_torque_angular not in _ANGULAR_FORMS:
            raise ValueError(
                f"spin_torque_angular = {self.spin_torque_angular!r}; allowed: one of {', '.join(map(repr, _ANGULAR_FORMS))}"
            )
        if self.spin_torque_angular == "tunnel":
            lam = _as_array(self.spin_torque_asymmetry).reshape(-1)
            if np.any(lam != 1.0):
                raise ValueError(
                    f"spin_torque_asymmetry = {lam.tolist()!r} with spin_torque_angular = 'tunnel'; "
                    "allowed: 1 (the tunnelling form eta / (1 + eta^2 m.p) has no Lambda)"
                )
            check_range("eta", self.eta, -1.0, 1.0, low_inclusive=False, high_inclusive=False)
        demag = _as_array(self.demag)
        if demag.shape[-1] != 3:
            raise ValueError(f"demag has shape {demag.shape}; allowed: (3,) or (B, 3)")
        check_range("demag", demag, 0.0, 1.0)
        total = demag.sum(-1)
        bad = np.abs(total - 1.0) > 1e-6
        if np.any(bad):
            worst = float(total.reshape(-1)[np.flatnonzero(bad.reshape(-1))[0]])
            raise ValueError(f"demag factors sum to {worst!r}; allowed: Nxx + Nyy + Nzz = 1 (+-1e-6)")
        for name in ("easy_axis", "polarizer"):
            vec = _as_array(getattr(self, name))
            if vec.shape[-1] != 3:
                raise ValueError(f"{name} has shape {vec.shape}; allowed: (3,) or (B, 3)")
            norms = np.linalg.norm(vec, axis=-1)
            if not np.all(np.isfinite(vec)) or np.any(norms == 0):
                raise ValueError(f"{name} = {vec.tolist()!r} must be a finite, non-zero vector; allowed: |{name}| > 0")
        self.batch_size()  # validates that per-junction shapes agree

    @classmethod
    def from_beta(cls, *, beta: ArrayLike, eta: ArrayLike, alpha: ArrayLike = 0.01, **kwargs) -> "Macrospin":
        """A junction with its spin torques written in the Landau-Lifshitz form (cmtj's, most papers'):

            dm/dt = -gamma' [m x B + alpha m x (m x B)] - gamma' a m x (m x p) + gamma' beta a m x p,
            gamma' = gamma / (1 + alpha^2),  a = hbar eta I / (2 e Ms t_F area) (times the angular factor),

        so ``beta = 0`` means no field-like torque in that equation (where this class's ``field_like = 0``
        leaves the Gilbert-form term alpha a m x p). ``eta`` is the Landau-Lifshitz efficiency and
        ``beta`` the field-like ratio (scalars or per-junction, 1 + alpha beta > 0); they become
        ``eta = eta_LL (1 + alpha beta) / (1 + alpha^2)`` and ``field_like = (alpha - beta) / (1 + alpha beta)``
        (``torques.gilbert_from_beta``). Every other argument is passed to ``Macrospin``.
        """
        for name in ("eta", "field_like"):
            if name in kwargs:
                raise ValueError(f"from_beta sets {name} from eta and beta; allowed: drop {name}=")
        tensors = any(isinstance(v, torch.Tensor) for v in (beta, eta, alpha))
        conv = (lambda v: torch.as_tensor(v, dtype=torch.float64)) if tensors else _as_array  # noqa: E731
        b, e, a = conv(beta), conv(eta), conv(alpha)
        check_non_negative("alpha", alpha)
        bad = ~np.isfinite(_as_array(beta)) | (1.0 + _as_array(alpha) * _as_array(beta) <= 0.0)
        if np.any(bad):
            raise ValueError(f"beta = {_as_array(beta).tolist()!r} with alpha = {_as_array(alpha).tolist()!r}; "
                             "allowed: finite beta with 1 + alpha beta > 0")
        eta_g, xi = gilbert_from_beta(e, b, a)
        unwrap = (lambda v: v) if tensors else (lambda v: float(v) if np.ndim(v) == 0 else v)  # noqa: E731
        return cls(eta=unwrap(eta_g), field_like=unwrap(xi), alpha=alpha, **kwargs)

    def batch_size(self) -> int:
        """Number of distinct junctions implied by the per-junction parameters (1 if all are shared)."""
        sizes = self._per_junction_sizes()
        if len(set(sizes.values())) > 1:
            raise ValueError(f"per-junction parameters disagree on the batch size: {sizes}; allowed: one common B")
        return next(iter(sizes.values()), 1)

    def _per_junction_sizes(self) -> dict[str, int]:
        """{parameter name: leading size} of every parameter given per junction."""
        sizes = {}
        for f in fields(self):
            if f.name not in _SCALARS and f.name not in _VECTORS:
                continue
            arr = _as_array(getattr(self, f.name))
            lead = arr.shape[0] if (f.name in _SCALARS and arr.ndim == 1) or (f.name in _VECTORS and arr.ndim == 2) else 1
            if (f.name in _SCALARS and arr.ndim > 1) or (f.name in _VECTORS and arr.ndim > 2):
                raise ValueError(f"{f.name} has shape {arr.shape}; allowed: scalar or (B,) (vectors: (3,) or (B, 3))")
            if lead != 1:
                sizes[f.name] = lead
        return sizes

    @property
    def volume(self) -> ArrayLike:
        """Free-layer volume, m^3."""
        return _as_array(self.area) * _as_array(self.thickness)

    def thermal_stability(self) -> np.ndarray:
        """Energy barrier Delta = Ms V mu0 H_K,eff / (2 k_B T) of the uniaxial (anisotropy) term alone."""
        from ..constants import K_B

        return _as_array(self.ms) * self.volume * _as_array(self.anisotropy_field) / (2 * K_B * _as_array(self.temperature))

    def resolve(self, batch: int, dtype: torch.dtype, device: torch.device | str) -> "ResolvedMacrospin":
        """Tensors ready for the kernels: scalars (B|1, 1), vectors (B|1, 3) with unit axes."""
        own = self.batch_size()
        if own not in (1, batch):
            names = ", ".join(self._per_junction_sizes())
            raise ValueError(
                f"{names} given for {own} junctions but the state has batch {batch}; allowed: scalars or {batch} values"
            )
        t = {name: _scalar_tensor(getattr(self, name), dtype, device) for name in _SCALARS}
        demag = _vector_tensor(self.demag, dtype, device)
        axis = _vector_tensor(self.easy_axis, dtype, device)
        pol = _vector_tensor(self.polarizer, dtype, device)
        axis = axis / axis.norm(dim=-1, keepdim=True)
        pol = pol / pol.norm(dim=-1, keepdim=True)
        volume = t["area"] * t["thickness"]
        return ResolvedMacrospin(
            ms=t["ms"],
            alpha=t["alpha"],
            gamma=t["gamma"],
            gamma_ll=t["gamma"] / (1.0 + t["alpha"] ** 2),
            volume=volume,
            demag=demag,
            hk=t["anisotropy_field"],
            easy_axis=axis,
            polarizer=pol,
            stt_per_ampere=stt_coefficient(t["ms"], t["thickness"], t["area"], t["eta"]),
            field_like=t["field_like"],
            temperature=t["temperature"],
            stt_angular=self._angular_coefficients(t["spin_torque_asymmetry"], t["eta"]),
            vcma_per_ampere=None if bool(torch.all(t["vcma_coefficient"] == 0.0)) else vcma_coefficient(
                t["ms"], t["thickness"], t["vcma_coefficient"], t["vcma_resistance"], t["barrier_thickness"]),
        )

    def _angular_coefficients(self, lam: torch.Tensor, eta: torch.Tensor) -> torch.Tensor | None:
        """(A, B, C) (B|1, 3) of the efficiency factor A / (B + C m.p), or None where it is identically 1.

        slonczewski: A = 2 Lambda^2, B = Lambda^2 + 1, C = Lambda^2 - 1; tunnel: A = B = 1, C = eta^2.
        None (Lambda = 1, slonczewski) keeps the constant-eta code path, bit for bit.
        """
        if self.spin_torque_angular == "tunnel":
            one = torch.ones_like(eta)
            return torch.cat([one, one, eta * eta], dim=-1)
        if bool(torch.all(lam == 1.0)):
            return None
        l2 = lam * lam
        return torch.cat([2.0 * l2, l2 + 1.0, l2 - 1.0], dim=-1)


class ResolvedMacrospin(NamedTuple):
    """Broadcast-ready parameter tensors (see ``Macrospin.resolve``)."""

    ms: torch.Tensor  # (B|1, 1) A/m
    alpha: torch.Tensor  # (B|1, 1)
    gamma: torch.Tensor  # (B|1, 1) rad/(s T)
    gamma_ll: torch.Tensor  # gamma / (1 + alpha^2)
    volume: torch.Tensor  # (B|1, 1) m^3
    demag: torch.Tensor  # (B|1, 3)
    hk: torch.Tensor  # (B|1, 1) T
    easy_axis: torch.Tensor  # (B|1, 3)
    polarizer: torch.Tensor  # (B|1, 3)
    stt_per_ampere: torch.Tensor  # (B|1, 1) T/A
    field_like: torch.Tensor  # (B|1, 1)
    temperature: torch.Tensor  # (B|1, 1) K
    stt_angular: torch.Tensor | None = None  # (B|1, 3): efficiency factor A / (B + C m.p); None: 1
    vcma_per_ampere: torch.Tensor | None = None  # (B|1, 1) T/A: VCMA field per ampere (vcma.py); None: off


_ANGULAR_FORMS = ("slonczewski", "tunnel")


def efficiency_factor(m: torch.Tensor, coefficients: torch.Tensor, polarizer: torch.Tensor) -> torch.Tensor:
    """eta(m.p) / eta = A / (B + C m.p) (B, 1) for (A, B, C) ``coefficients`` (B|1, 3) (see ``Macrospin``)."""
    mp = (m * polarizer).sum(-1, keepdim=True)
    return coefficients[:, 0:1] / (coefficients[:, 1:2] + coefficients[:, 2:3] * mp)


def _as_array(value: ArrayLike) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=float)


def _scalar_tensor(value: ArrayLike, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    t = value.to(dtype=dtype, device=device) if isinstance(value, torch.Tensor) else torch.as_tensor(
        np.asarray(value, dtype=float), dtype=dtype, device=device
    )
    return t.reshape(-1, 1)


def _vector_tensor(value: ArrayLike, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    t = value.to(dtype=dtype, device=device) if isinstance(value, torch.Tensor) else torch.as_tensor(
        np.asarray(value, dtype=float), dtype=dtype, device=device
    )
    return t.reshape(-1, 3)


def unit_vector(theta: float, phi: float) -> tuple[float, float, float]:
    """Unit vector from polar angle ``theta`` and azimuth ``phi`` (rad)."""
    return (math.sin(theta) * math.cos(phi), math.sin(theta) * math.sin(phi), math.cos(theta))
