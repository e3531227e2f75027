"""The registry of field terms: every contribution to the effective field B of the LLGS equation.

Each ``FieldTerm`` declares

* ``field(m, p, applied, current)``: its field in T, (B, 3) or broadcastable, for states ``m`` (B, 3),
  resolved parameters ``p`` (``params.ResolvedMacrospin``), the applied field ``applied`` (B|1, 3) T and
  the junction current ``current`` (B|1, 1) A (None: no current, e.g. for the energy landscape);
* ``energy(m, p, applied, current)``: its energy in J per junction (B,), with field = -dE/d(Ms V m),
  or None for a non-conservative term (the spin torques);
* ``affine``: the field is affine in m (B = L m + b), so the fused kernel's uniform path can fold it
  into its 3x3 matrix; a term that is not affine can only run on a general (term-by-term) path;
* ``kernel_rows(p)``: for a term the fused numba kernel (``fused_kernel.py``) implements, its rows of
  the kernel's parameter pack, {row name: (B|1,) tensor} with names from ``fused_kernel.PARAM_ROWS``
  (``fused._pack_params`` stacks them by name and refuses a missing or unknown row); None for a term
  the kernel does not implement: ``simulate(backend="fused")`` refuses parameters that switch it on and
  ``backend="auto"`` runs them on torch;
* ``active(p)``: whether the term is switched on for these parameters (a default-off term returns
  False, so existing junctions run the same code, bit for bit).

``llg.py`` sums the active terms in registration order (conservative ones first, then the spin
torques), which is the order of the hand-written sum it replaced. Adding a term: one file with its
field and energy (e.g. ``vcma.py``) plus one ``register(...)`` line below (docs/architecture.md,
"How to extend").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from ..constants import MU0
from .anisotropy import anisotropy_energy, anisotropy_field
from .demag import demag_energy, demag_field
from .params import ResolvedMacrospin, efficiency_factor
from .torques import stt_field
from .vcma import vcma_active, vcma_energy, vcma_field
from .zeeman import zeeman_energy

Field = Callable[[torch.Tensor, ResolvedMacrospin, torch.Tensor, Optional[torch.Tensor]], torch.Tensor]


@dataclass(frozen=True)
class FieldTerm:
    """One term of the effective field (see the module docstring for the meaning of each member)."""

    name: str
    field: Field
    energy: Optional[Field]
    affine: bool
    kernel_rows: Optional[Callable[[ResolvedMacrospin], dict[str, torch.Tensor]]] = None
    active: Callable[[ResolvedMacrospin], bool] = lambda p: True

    @property
    def fused(self) -> bool:
        """True if the fused kernel implements the term (it declares its ``kernel_rows``)."""
        return self.kernel_rows is not None

    @property
    def conservative(self) -> bool:
        """True if the term derives from an energy (then it enters ``llg.conservative_field``)."""
        return self.energy is not None


TERMS: dict[str, FieldTerm] = {}


def register(term: FieldTerm) -> FieldTerm:
    """Add ``term`` to the registry (after the terms already there); its name must be new."""
    if term.name in TERMS:
        raise ValueError(f"field term {term.name!r} is already registered; allowed: a new name")
    TERMS[term.name] = term
    return term


def active_terms(p: ResolvedMacrospin, *, conservative: bool | None = None) -> list[FieldTerm]:
    """The registered terms switched on for ``p``, in registration order (all, or only (non-)conservative)."""
    return [t for t in TERMS.values() if (conservative is None or t.conservative == conservative) and t.active(p)]


def unfused_terms(p: ResolvedMacrospin) -> list[str]:
    """Names of the active terms the fused kernel does not implement (empty: the fused backend applies)."""
    return [t.name for t in active_terms(p) if not t.fused]


# ------------------------------------------------------------------------------- the built-in terms
def _zeeman(m, p, applied, current):
    return applied


def _stt(m, p, applied, current):
    """Slonczewski damping-like and field-like torques as the field a_J (m x p) + b_J p (``torques.py``)."""
    a_j = p.stt_per_ampere * (torch.zeros_like(p.stt_per_ampere) if current is None else current)
    if p.stt_angular is not None:  # angle-dependent efficiency eta(m.p) (Macrospin.spin_torque_asymmetry)
        a_j = a_j * efficiency_factor(m, p.stt_angular, p.polarizer)
    return stt_field(m, a_j, p.field_like * a_j, p.polarizer)


def _stt_rows(p):
    one = torch.ones_like(p.stt_per_ampere[:, 0])
    sa, sb, sc = p.stt_angular.unbind(-1) if p.stt_angular is not None else (one, one, 0.0 * one)
    px, py, pz = p.polarizer.unbind(-1)
    return {"px": px, "py": py, "pz": pz, "stt": p.stt_per_ampere[:, 0], "xi": p.field_like[:, 0],
            "sa": sa, "sb": sb, "sc": sc}


def _anisotropy_rows(p):
    ux, uy, uz = p.easy_axis.unbind(-1)
    return {"hk": p.hk[:, 0], "ux": ux, "uy": uy, "uz": uz}


def _demag_rows(p):
    dx, dy, dz = (-MU0 * p.ms * p.demag).unbind(-1)
    return {"dx": dx, "dy": dy, "dz": dz}


register(FieldTerm("zeeman", _zeeman, lambda m, p, b, i: zeeman_energy(m, p.ms, b, p.volume), affine=True,
                   kernel_rows=lambda p: {}))  # the applied field reaches the kernel with the drive
register(FieldTerm("anisotropy", lambda m, p, b, i: anisotropy_field(m, p.hk, p.easy_axis),
                   lambda m, p, b, i: anisotropy_energy(m, p.ms, p.hk, p.easy_axis, p.volume), affine=True,
                   kernel_rows=_anisotropy_rows))
register(FieldTerm("demag", lambda m, p, b, i: demag_field(m, p.ms, p.demag),
                   lambda m, p, b, i: demag_energy(m, p.ms, p.demag, p.volume), affine=True, kernel_rows=_demag_rows))
register(FieldTerm("vcma", vcma_field, vcma_energy, affine=True, active=vcma_active))  # torch only
# affine only for a constant efficiency; the kernel takes its general path for an angle-dependent one
register(FieldTerm("spin_torque", _stt, None, affine=True, kernel_rows=_stt_rows))
