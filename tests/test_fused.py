"""The fused numba stepper (physics/fused.py) against the torch reference stepper (integrate.torch_chunk).

Both integrate the same equations with the same algorithm; only floating-point rounding differs (FMA
contraction, the affine form of the field in the shared-parameter path). Tolerances: 1e-11 absolute on
unit vectors in float64 for well-conditioned trajectories (precession, relaxation, switching away
from the unstable points), looser where a trajectory passes close to an unstable equilibrium, which
amplifies any rounding difference.
"""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.physics import Crossing, DivergenceError, Drive, Macrospin, Pulse, simulate
from mtjnn.physics import fused
from mtjnn.physics.demag import ellipsoid_factors
from mtjnn.physics.integrate import _choose_stepper, torch_chunk

DEMAG = ellipsoid_factors(100e-9, 50e-9, 1.4e-9)
AREA = math.pi * 50e-9 * 25e-9


def _junction(**kw) -> Macrospin:
    base = dict(ms=1e6, thickness=1.4e-9, area=AREA, alpha=0.02, demag=DEMAG, anisotropy_field=0.01,
                easy_axis=(1.0, 0.0, 0.0), polarizer=(1.0, 0.0, 0.0), eta=0.6, field_like=0.2)
    base.update(kw)
    return Macrospin(**base)


def _tilted(batch: int, dtype=torch.float64, seed: int = 0) -> torch.Tensor:
    """Unit vectors near -x (the antiparallel state), spread in a 0.3 rad cone: well-conditioned starts."""
    g = torch.Generator().manual_seed(seed)
    m = torch.tensor([-1.0, 0.0, 0.0], dtype=dtype) + 0.3 * torch.randn(batch, 3, dtype=dtype, generator=g)
    return m / m.norm(dim=-1, keepdim=True)


def _both(m0, params, drive, **kw):
    a = simulate(m0, params, drive, backend="fused", **kw)
    b = simulate(m0, params, drive, backend="torch", **kw)
    return a, b


@pytest.mark.parametrize("batch", [1, 300, 400])  # 1 junction; a full block + a small tail; a padded tail
def test_rk4_shared_parameters_match_torch(batch):
    m0 = _tilted(batch)
    drive = Drive(current=-2e-4, field=(1e-3, 2e-3, 0.0))
    a, b = _both(m0, _junction(), drive, duration=0.5e-9, dt=1e-12, sample_every=0.05e-9)
    assert a.m.shape == b.m.shape == (11, batch, 3)
    torch.testing.assert_close(a.times, b.times, rtol=0, atol=0)
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=1e-11)
    torch.testing.assert_close(a.final, b.final, rtol=0, atol=1e-11)


def test_rk4_per_junction_parameters_and_pulse_match_torch():
    batch = 300
    g = torch.Generator().manual_seed(1)
    r = lambda: torch.rand(batch, dtype=torch.float64, generator=g)  # noqa: E731
    params = _junction(
        ms=8e5 + 4e5 * r(),
        alpha=0.005 + 0.02 * r(),
        anisotropy_field=0.02 * r(),
        easy_axis=torch.stack([torch.ones(batch), 0.2 * r(), 0.1 * r()], -1).double(),
        polarizer=torch.stack([torch.ones(batch), 0.3 * r(), 0.0 * r()], -1).double(),
        field_like=0.3 * r(),
    )
    drive = Drive(
        current=Pulse(amplitude=-1e-3 * r(), start=0.1e-9, width=0.2e-9, rise=0.03e-9),
        field=Pulse(amplitude=(0.0, 5e-3, 1e-3), start=0.05e-9, width=0.3e-9, rise=0.02e-9),
    )
    a, b = _both(_tilted(batch), params, drive, duration=0.6e-9, dt=1e-12, sample_every=0.1e-9)
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=1e-11)


@pytest.mark.parametrize("per_junction", [False, True])
def test_heun_thermal_matches_torch_with_the_same_seed(per_junction):
    batch = 300
    if per_junction:  # per-junction temperature and damping: the general (term-by-term) kernel
        t = torch.linspace(0.0, 1.0, batch, dtype=torch.float64)
        params = _junction(temperature=50.0 + 350.0 * t, alpha=0.01 + 0.02 * t, anisotropy_field=0.05)
    else:  # everything shared: the affine-field kernel
        params = _junction(temperature=300.0, anisotropy_field=0.05)
    drive = Drive(current=Pulse(amplitude=-3e-4, start=0.1e-9, width=0.2e-9))
    kw = dict(duration=0.4e-9, dt=1e-12, method="heun", sample_every=0.1e-9)
    a = simulate(_tilted(batch), params, drive, backend="fused", generator=torch.Generator().manual_seed(7), **kw)
    b = simulate(_tilted(batch), params, drive, backend="torch", generator=torch.Generator().manual_seed(7), **kw)
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=1e-10)
    c = simulate(_tilted(batch), params, drive, backend="fused", generator=torch.Generator().manual_seed(8), **kw)
    assert (c.final - a.final).abs().max() > 1e-3  # another seed, another trajectory


@pytest.mark.parametrize("method", ["rk4", "heun"])
def test_float32_matches_torch(method):
    batch = 300
    m0 = _tilted(batch, torch.float32)
    params = _junction(temperature=300.0 if method == "heun" else 0.0)
    drive = Drive(current=-2e-4, field=(1e-3, 0.0, 0.0))
    kw = dict(duration=0.3e-9, dt=1e-12, method=method, sample_every=0.1e-9)
    a = simulate(m0, params, drive, backend="fused", generator=torch.Generator().manual_seed(3), **kw)
    b = simulate(m0, params, drive, backend="torch", generator=torch.Generator().manual_seed(3), **kw)
    assert a.m.dtype == torch.float32
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=2e-4)


@pytest.mark.parametrize("method", ["rk4", "heun"])
def test_large_steps_take_the_exact_renormalization(method):
    """dt = 10 ps in a 0.5 T field (0.9 rad per step): |m| moves by far more than 1e-4 in a step, so the
    kernel's series for 1/|m| is not exact and its exact rescaling pass must take over."""
    batch = 300  # a full four-lane block and a single-lane tail
    params = _junction(temperature=300.0 if method == "heun" else 0.0)
    drive = Drive(current=-2e-4, field=(0.1, 0.0, 0.5))
    kw = dict(duration=0.5e-9, dt=1e-11, method=method, sample_every=0.1e-9, dt_check="off")  # coarse on purpose
    a = simulate(_tilted(batch), params, drive, backend="fused", generator=torch.Generator().manual_seed(2), **kw)
    b = simulate(_tilted(batch), params, drive, backend="torch", generator=torch.Generator().manual_seed(2), **kw)
    torch.testing.assert_close(a.m.norm(dim=-1), torch.ones(6, batch, dtype=torch.float64), rtol=0, atol=1e-14)
    torch.testing.assert_close(a.m, b.m, rtol=0, atol=1e-11)


def test_chunk_contract_offsets_samples_and_inputs():
    """Direct chunk calls: a chunk starting mid-run (step0 = 7), samples every 5th global step,
    a per-junction time-dependent current on the half-step grid, the input state left untouched."""
    batch, n, step0, stride, dt = 50, 23, 7, 5, 1e-12
    p = _junction().resolve(batch, torch.float64, "cpu")
    m = _tilted(batch)
    m_copy = m.clone()
    t = (step0 + torch.arange(2 * n + 1, dtype=torch.float64) / 2) * dt
    current = (-5e-4 * torch.sin(t / 3e-12))[:, None] * torch.linspace(0.5, 1.5, batch, dtype=torch.float64)
    field = torch.zeros(1, 1, 3, dtype=torch.float64)
    results = []
    for stepper in (fused.fused_chunk, torch_chunk):
        sw = torch.full((batch,), math.nan, dtype=torch.float64)
        results.append(stepper(m, p, current, field, None, step0, dt, n, "rk4", stride, None, sw, True))
    (ma, sa), (mb, sb) = results
    assert sa.shape == sb.shape == (5, batch, 3)  # global steps 10, 15, 20, 25, 30
    torch.testing.assert_close(sa, sb, rtol=0, atol=1e-13)
    torch.testing.assert_close(ma, mb, rtol=0, atol=1e-13)
    assert torch.equal(m, m_copy)
    assert (step0 + n) % stride == 0 and torch.equal(sa[-1], ma)


@pytest.mark.parametrize("direction", ["rising", "either"])
def test_switch_times_match_torch(direction):
    """Switching from near -x to +x under a strong current; first crossing of m_x = 0 per junction."""
    batch = 300
    m0 = _tilted(batch)
    drive = Drive(current=Pulse(amplitude=-3e-3 * torch.linspace(0.6, 1.0, batch, dtype=torch.float64),
                                start=0.05e-9, width=2e-9))
    params = _junction(polarizer=(-1.0, 0.0, 0.0), anisotropy_field=0.02)
    kw = dict(duration=1.5e-9, dt=1e-12, crossing=Crossing("x", 0.0, direction), stop_when_switched=False)
    a, b = _both(m0, params, drive, **kw)
    assert a.switched.all() and b.switched.all()
    torch.testing.assert_close(a.switch_time, b.switch_time, rtol=1e-9, atol=0)


def test_switch_time_only_written_where_nan():
    batch = 4
    p = _junction(polarizer=(-1.0, 0.0, 0.0)).resolve(batch, torch.float64, "cpu")
    sw = torch.tensor([1.0, math.nan, 2.0, math.nan], dtype=torch.float64)
    m = torch.tensor([[-0.1, 1.0, 0.0]] * batch, dtype=torch.float64)
    m = m / m.norm(dim=-1, keepdim=True)
    fused.fused_chunk(m, p, torch.full((1, 1), -3e-3, dtype=torch.float64), torch.zeros(1, 1, 3, dtype=torch.float64),
                      None, 0, 1e-12, 400, "rk4", 400, Crossing("x", 0.0, "rising"), sw, True)
    assert sw[0] == 1.0 and sw[2] == 2.0
    assert not torch.isnan(sw[1]) and sw[1] == sw[3]


def _error_message(backend, m0, params, drive, **kw) -> str:
    with pytest.raises(DivergenceError) as info:
        simulate(m0, params, drive, backend=backend, **kw)
    return str(info.value)


def test_divergence_names_the_junction_huge_field_without_renormalization():
    batch = 300
    field = torch.zeros(batch, 3, dtype=torch.float64)
    field[263, 2] = 1e5  # tesla: gamma B dt ~ 2e4 rad per step, RK4 explodes without renormalization
    drive = Drive(field=field)
    kw = dict(duration=0.2e-9, dt=1e-12, renormalize=False, dt_check="off")  # diverges on purpose
    msg = _error_message("fused", _tilted(batch), _junction(), drive, **kw)
    assert "junction 263" in msg
    assert msg == _error_message("torch", _tilted(batch), _junction(), drive, **kw)


def test_divergence_names_the_junction_nan_waveform():
    batch = 20

    def current(t):
        out = torch.full((t.shape[0], batch), -1e-4, dtype=t.dtype)
        out[t > 0.1e-9, 5] = math.nan
        return out

    drive = Drive(current=current)
    msg = _error_message("fused", _tilted(batch), _junction(), drive, duration=0.3e-9, dt=1e-12)
    assert "junction 5" in msg and "t = 1.12e-10 s" in msg
    assert msg == _error_message("torch", _tilted(batch), _junction(), drive, duration=0.3e-9, dt=1e-12)


def test_thread_split_gives_identical_results():
    batch = 2000  # 8 blocks, 2 threads when allowed
    m0 = _tilted(batch)
    drive = Drive(current=-2e-4)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = simulate(m0, _junction(), drive, duration=0.05e-9, dt=1e-12, backend="fused")
        torch.set_num_threads(2)
        two = simulate(m0, _junction(), drive, duration=0.05e-9, dt=1e-12, backend="fused")
    finally:
        torch.set_num_threads(before)
    assert torch.equal(one.final, two.final)



@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_a_junction_result_does_not_depend_on_its_block(dtype):
    """Junctions 250-259 of a 300-junction batch run in the four-lane loop of a full block (250-255) or in
    the one-lane loop of a short tail block (256-259); alone they all run in the one-lane loop. The two
    loops compute the same step in the same order; only FMA contraction may round differently."""
    m0 = _tilted(300, dtype)
    drive = Drive(current=-2e-4)
    batch = simulate(m0, _junction(), drive, duration=0.2e-9, dt=1e-12, backend="fused")
    alone = simulate(m0[250:260], _junction(), drive, duration=0.2e-9, dt=1e-12, backend="fused")
    tol = 1e-13 if dtype == torch.float64 else 1e-4
    assert float((batch.final[250:260] - alone.final).abs().max()) < tol
    assert torch.equal(batch.final[256:260], alone.final[6:])  # the same loop: identical

def test_auto_backend_uses_the_fused_stepper_only_where_it_applies():
    m = _tilted(3)
    p = _junction().resolve(3, torch.float64, "cpu")
    assert _choose_stepper("auto", "rk4", m, p, False) is fused.fused_chunk
    assert _choose_stepper("auto", "heun", m, p, False) is fused.fused_chunk
    assert _choose_stepper("auto", "rk4", m.clone().requires_grad_(), p, False) is torch_chunk
    assert _choose_stepper("auto", "rk4", m, p, True) is torch_chunk  # a drive that needs a gradient
    assert _choose_stepper("torch", "rk4", m, p, False) is torch_chunk
    with pytest.raises(ValueError, match="fused"):
        _choose_stepper("fused", "rk4", m.clone().requires_grad_(), p, False)


def test_fused_rejects_unsupported_inputs():
    p = _junction().resolve(2, torch.float64, "cpu")
    m = _tilted(2)
    args = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, 3, dtype=torch.float64), None, 0, 1e-12, 2)
    with pytest.raises(ValueError, match="rk4"):
        fused.fused_chunk(m, p, *args, "rk45", 1, None, torch.full((2,), math.nan, dtype=torch.float64), True)
    with pytest.raises(ValueError, match="float32 or float64"):
        fused.fused_chunk(m.half(), p, *args, "rk4", 1, None, torch.full((2,), math.nan), True)
