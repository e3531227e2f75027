"""The field-term registry (physics/terms.py): one parametrized case per registered term.

* every conservative term: its field equals -dE/d(Ms V m) of its own energy, by autograd;
* every term the fused kernel implements: fused == torch for that term alone (the other terms off:
  isotropic demagnetizing factors exert no torque, hk = 0, no field, no current), on the uniform
  (shared parameters) and the general (per-junction parameters) path of the kernel;
* a term the kernel does not implement (VCMA): ``backend="fused"`` refuses it naming the term and
  ``backend="auto"`` runs it on torch; VCMA itself against its closed form (a shifted anisotropy field).
Adding a term to the registry without a case here fails ``test_every_registered_term_has_a_case``.
"""

from __future__ import annotations

import pytest
import torch

from mtjnn.physics import Drive, Macrospin, simulate
from mtjnn.physics.llg import conservative_field, energy, llgs_rhs
from mtjnn.physics.terms import TERMS, active_terms, unfused_terms

F64 = torch.float64
ISO = (1 / 3, 1 / 3, 1 - 2 / 3)  # isotropic demagnetizing factors: field parallel to m, no torque
BATCH = 40

# every term switched on, with magnitudes of a perpendicular junction (for the energy-field check)
ALL_ON = dict(ms=1.1e6, thickness=1.5e-9, area=1.2e-16, alpha=0.02, demag=(0.1, 0.15, 0.75),
              anisotropy_field=1.3, easy_axis=(0.1, 0.2, 1.0), polarizer=(0.3, 0.0, 1.0), field_like=0.2,
              vcma_coefficient=60e-15, vcma_resistance=3e3, barrier_thickness=1.1e-9)
# the term alone: (Macrospin keywords, current A, applied field T); fused=False terms have no kernel case
ALONE = {
    "zeeman": (dict(demag=ISO), 0.0, (0.03, -0.02, 0.05)),
    "anisotropy": (dict(demag=ISO, anisotropy_field=0.4, easy_axis=(0.3, 0.1, 1.0)), 0.0, (0.0, 0.0, 0.0)),
    "demag": (dict(demag=(0.05, 0.12, 0.83)), 0.0, (0.0, 0.0, 0.0)),
    "spin_torque": (dict(demag=ISO, polarizer=(0.2, 0.3, 1.0), field_like=0.3), -8e-5, (0.0, 0.0, 0.0)),
    "vcma": (dict(demag=ISO, easy_axis=(0.0, 0.0, 1.0), vcma_coefficient=80e-15), 1e-4, (0.0, 0.0, 0.0)),
}


def _states(batch: int = BATCH, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.normalize(torch.randn(batch, 3, dtype=F64, generator=g), dim=-1)


def _alone(name: str, per_junction: bool = False) -> tuple[Macrospin, Drive]:
    kw, current, field = ALONE[name]
    base = dict(ms=1e6, thickness=1.5e-9, area=1e-16, alpha=0.05, anisotropy_field=0.0, eta=0.6)
    base.update(kw)
    if per_junction:  # per-junction damping: the kernel's general (term-by-term) path
        base["alpha"] = torch.linspace(0.02, 0.08, BATCH, dtype=F64)
    return Macrospin(**base), Drive(current=current, field=field)


def test_every_registered_term_has_a_case():
    assert set(ALONE) == set(TERMS)
    assert list(TERMS)[:3] == ["zeeman", "anisotropy", "demag"]  # summation order of the original sum


@pytest.mark.parametrize("name", [n for n, t in TERMS.items() if t.conservative])
def test_field_is_minus_energy_gradient(name):
    """B = -dE/d(Ms V m) by autograd, for the term alone (m off the unit sphere too: E is defined for any m)."""
    term = TERMS[name]
    p = Macrospin(**ALL_ON).resolve(BATCH, F64, "cpu")
    assert term.active(p)
    m = (1.3 * _states()).requires_grad_(True)
    applied = torch.tensor([[0.02, -0.01, 0.04]], dtype=F64)
    current = torch.tensor([[5e-5]], dtype=F64)
    (grad,) = torch.autograd.grad(term.energy(m, p, applied, current).sum(), m)
    field = term.field(m, p, applied, current).expand_as(m)
    assert field.abs().max() > 1e-4  # a non-trivial field (T)
    torch.testing.assert_close(field, -grad / (p.ms * p.volume), rtol=1e-12, atol=1e-15)


def test_total_field_and_energy_are_sums_over_active_terms():
    p = Macrospin(**ALL_ON).resolve(BATCH, F64, "cpu")
    m, b = _states(), torch.tensor([[0.02, -0.01, 0.04]], dtype=F64)
    i = torch.tensor([[5e-5]], dtype=F64)
    assert [t.name for t in active_terms(p)] == list(TERMS)
    total = sum(t.field(m, p, b, i) for t in active_terms(p, conservative=True))
    torch.testing.assert_close(conservative_field(m, p, b, i), total, rtol=1e-14, atol=0)
    torch.testing.assert_close(energy(m, p, b, i), sum(t.energy(m, p, b, i) for t in active_terms(p, conservative=True)),
                               rtol=1e-14, atol=0)


@pytest.mark.parametrize("per_junction", [False, True], ids=["uniform", "general"])
@pytest.mark.parametrize("name", [n for n, t in TERMS.items() if t.fused])
def test_fused_matches_torch_for_term_alone(name, per_junction):
    params, drive = _alone(name, per_junction)
    m0 = _states(seed=1)
    kw = dict(duration=0.2e-9, dt=0.5e-12, sample_every=0.05e-9, dt_check="off")
    a = simulate(m0, params, drive, backend="fused", **kw)
    b = simulate(m0, params, drive, backend="torch", **kw)
    assert (b.final - m0).abs().max() > 1e-3  # the term alone moves m
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=1e-11)


def test_vcma_is_off_by_default_and_refused_by_the_fused_backend():
    assert Macrospin(ms=1e6, thickness=1.5e-9, area=1e-16).resolve(1, F64, "cpu").vcma_per_ampere is None
    params, drive = _alone("vcma")
    assert unfused_terms(params.resolve(BATCH, F64, "cpu")) == ["vcma"]
    kw = dict(duration=0.1e-9, dt=0.5e-12, dt_check="off")
    with pytest.raises(ValueError, match="does not implement the field term.*vcma"):
        simulate(_states(), params, drive, backend="fused", **kw)
    auto = simulate(_states(), params, drive, backend="auto", **kw)
    ref = simulate(_states(), params, drive, backend="torch", **kw)
    assert torch.equal(auto.final, ref.final)


def test_vcma_is_a_bias_shift_of_the_anisotropy_field():
    """With easy axis u, VCMA at current I is the anisotropy field shifted by -2 xi I R / (Ms t_F t_ox)."""
    xi, r, tox, ms, t, hk, i = 80e-15, 2e3, 1.2e-9, 1.1e6, 1.4e-9, 0.8, 2e-4
    common = dict(ms=ms, thickness=t, area=1e-16, alpha=0.03, demag=ISO, easy_axis=(0.2, 0.0, 1.0), eta=0.0)
    shift = 2 * xi * i * r / (ms * t * tox)  # T, closed form (vcma.py docstring)
    assert 0.01 < shift < 0.5
    vcma = Macrospin(anisotropy_field=hk, vcma_coefficient=xi, vcma_resistance=r, barrier_thickness=tox, **common)
    shifted = Macrospin(anisotropy_field=hk - shift, **common)
    m, cur, b = _states(), torch.tensor([[i]], dtype=F64), torch.zeros(1, 3, dtype=F64)
    rv, rs = vcma.resolve(BATCH, F64, "cpu"), shifted.resolve(BATCH, F64, "cpu")
    torch.testing.assert_close(llgs_rhs(m, rv, b, cur), llgs_rhs(m, rs, b, cur), rtol=1e-12, atol=1.0)
    kw = dict(duration=0.2e-9, dt=0.5e-12, dt_check="off", backend="torch")
    torch.testing.assert_close(simulate(m, vcma, Drive(current=i), **kw).final,
                               simulate(m, shifted, Drive(current=i), **kw).final, rtol=0, atol=1e-12)


def test_vcma_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="vcma_coefficient"):
        Macrospin(ms=1e6, thickness=1.5e-9, area=1e-16, vcma_coefficient=1e-6)
    with pytest.raises(ValueError, match="barrier_thickness"):
        Macrospin(ms=1e6, thickness=1.5e-9, area=1e-16, barrier_thickness=0.0)


def test_kernel_pack_rows_by_name(monkeypatch):
    """Each row of the fused pack holds the parameter of its name; a term with an unknown row is refused."""
    from mtjnn.physics import fused, fused_kernel, terms

    p = Macrospin(**{**ALL_ON, "vcma_coefficient": 0.0}, spin_torque_asymmetry=1.5).resolve(1, F64, "cpu")
    monkeypatch.setattr(fused, "_PACKED", (None, None))
    pack = fused._pack_params(p, F64)
    row = fused_kernel.ROW
    assert pack.shape == (len(fused_kernel.PARAM_ROWS), 1)
    assert pack[row["hk"], 0] == p.hk.item() and pack[row["al"], 0] == p.alpha.item()
    assert pack[row["uz"], 0] == p.easy_axis[0, 2].item() and pack[row["g"], 0] == p.gamma_ll.item()
    assert pack[row["sc"], 0] == p.stt_angular[0, 2].item() != 0.0
    bad = terms.FieldTerm("extra", terms.TERMS["zeeman"].field, None, affine=True, kernel_rows=lambda p: {"kz": p.hk[:, 0]})
    monkeypatch.setitem(terms.TERMS, "extra", bad)
    monkeypatch.setattr(fused, "_PACKED", (None, None))
    with pytest.raises(RuntimeError, match="unknown \\['kz'\\]"):
        fused._pack_params(p, F64)
