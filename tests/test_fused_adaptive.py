"""Per-junction adaptive stepping in the fused kernel (``simulate(method="rk45" | "dop853", backend="fused")``).

Every junction has its own step of an embedded pair (``tableau.py``; ``fused_kernel._sweep``): checked against a fine fixed-step RK4 reference (converged: halving its step changes it by
< 1e-12), against the batch-wide torch integrator of the same pair, for bit-identity of a junction alone and
in any batch or thread count, and for its errors.
"""

from __future__ import annotations

import math

import pytest
import torch

from mtjnn.physics import Crossing, DivergenceError, Drive, Macrospin, Pulse, simulate
from mtjnn.physics import fused
from mtjnn.physics.demag import ellipsoid_factors
from mtjnn.physics.tableau import DOP853, DP54

IN_PLANE = dict(ms=1e6, thickness=1.4e-9, area=math.pi * 50e-9 * 25e-9, alpha=0.02,
                demag=ellipsoid_factors(100e-9, 50e-9, 1.4e-9), anisotropy_field=0.01, easy_axis=(1.0, 0.0, 0.0),
                polarizer=(1.0, 0.0, 0.0), eta=0.6, field_like=0.2)
PERPENDICULAR = dict(ms=8e5, thickness=1.2e-9, area=math.pi * 20e-9 ** 2, alpha=0.01, demag=(0.02, 0.02, 0.96),
                     anisotropy_field=1.3, easy_axis=(0.0, 0.0, 1.0), polarizer=(0.0, 0.0, 1.0), eta=0.5,
                     field_like=0.1)
CASES = {  # junction, drive, easy-axis component
    "in-plane": (Macrospin(**IN_PLANE), Drive(current=-2e-4, field=(1e-3, 2e-3, 0.0)), 0),
    "perpendicular": (Macrospin(**PERPENDICULAR), Drive(current=-8e-5), 2),
    "lambda-2": (Macrospin(**{**IN_PLANE, "spin_torque_asymmetry": 2.0, "field_like": 0.0}),
                 Drive(current=-2e-4, field=(1e-3, 0.0, 0.0)), 0),
}
RUN = dict(duration=1e-9, sample_every=0.05e-9, stop_when_switched=False)


def _near(axis: int, batch: int, seed: int = 0) -> torch.Tensor:
    """Unit vectors in a cone of ~0.15 rad around -axis."""
    m = torch.zeros(batch, 3, dtype=torch.float64)
    m[:, axis] = -1.0
    m = m + 0.15 * torch.randn(batch, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    return m / m.norm(dim=-1, keepdim=True)


METHODS = ("rk45", "dop853")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_error_against_fine_rk4_scales_with_the_tolerance(case, method):
    params, drive, axis = CASES[case]
    m0 = _near(axis, 4)
    ref = simulate(m0, params, drive, method="rk4", dt=0.01e-12, backend="fused", **RUN)
    errors = {}
    for rtol in (1e-6, 1e-10):
        run = simulate(m0, params, drive, method=method, dt=1e-13, backend="fused", rtol=rtol, atol=rtol, **RUN)
        torch.testing.assert_close(run.times, ref.times, rtol=0, atol=1e-24)  # samples land exactly
        errors[rtol] = float((run.m - ref.m).abs().max())
        # global error over ~100-800 steps: 8-90 x rtol measured (the batch-wide torch rk45 alike)
        assert errors[rtol] < 200 * rtol, (case, method, rtol, errors[rtol])
        assert run.junction_steps.shape == (4,) and int(run.junction_steps.min()) > 10
    assert errors[1e-10] < 1e-3 * errors[1e-6]  # the error follows the tolerance


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_agrees_with_the_batch_wide_torch_integrator(case, method):
    params, drive, axis = CASES[case]
    m0 = _near(axis, 5, seed=1)
    kw = dict(method=method, dt=1e-13, rtol=1e-9, atol=1e-9, **RUN)
    a = simulate(m0, params, drive, backend="fused", **kw)
    b = simulate(m0, params, drive, backend="torch", **kw)
    assert float((a.m - b.m).abs().max()) < 100 * 1e-9  # both within their tolerance-scaled error of the truth
    assert b.junction_steps is None and a.steps == int(a.junction_steps.max())


def _random_batch(batch: int, seed: int = 2, current: float = -1e-4) -> tuple[Macrospin, Drive, torch.Tensor]:
    """Random in-plane junctions (alpha, H_K, Lambda, xi) near -x driven by (1-5) x ``current`` (A; > 0 switches
    them to +x, < 0 holds them near -x)."""
    g = torch.Generator().manual_seed(seed)
    r = lambda: torch.rand(batch, dtype=torch.float64, generator=g)  # noqa: E731
    params = Macrospin(**{**IN_PLANE, "alpha": 0.005 + 0.03 * r(), "anisotropy_field": 0.005 + 0.03 * r(),
                          "spin_torque_asymmetry": 1.0 + 2.0 * r(), "field_like": 0.1 * r()})
    drive = Drive(current=(1.0 + 4.0 * r()) * current, field=(1e-3, 2e-3, 0.0))
    return params, drive, _near(0, batch, seed)


def _row(params: Macrospin, drive: Drive, j: int) -> tuple[Macrospin, Drive]:
    """Junction j of a per-junction batch as a batch of one."""
    fields = {k: (v[j:j + 1] if isinstance(v, torch.Tensor) and v.ndim == 1 else v) for k, v in vars(params).items()}
    return Macrospin(**fields), Drive(current=drive.current[j:j + 1], field=drive.field)


@pytest.mark.parametrize("method", METHODS)
def test_a_junction_alone_equals_it_in_any_batch_and_thread_count(method):
    params, drive, m0 = _random_batch(70)
    kw = dict(method=method, backend="fused", dt=1e-13, rtol=1e-8, atol=1e-10, duration=1e-9, sample_every=0.25e-9,
              crossing=Crossing("x", 0.0, "rising"), stop_when_switched=False)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one_thread = simulate(m0, params, drive, **kw)
        torch.set_num_threads(2)
        two_threads = simulate(m0, params, drive, **kw)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one_thread.m, two_threads.m) and torch.equal(one_thread.junction_steps, two_threads.junction_steps)
    assert one_thread.switched.any() and torch.equal(one_thread.switch_time.isnan(), two_threads.switch_time.isnan())
    for j in (0, 33, 69):
        p1, d1 = _row(params, drive, j)
        alone = simulate(m0[j:j + 1], p1, d1, **kw)
        assert torch.equal(alone.m[:, 0], one_thread.m[:, j])
        assert int(alone.junction_steps[0]) == int(one_thread.junction_steps[j])
        assert torch.equal(alone.switch_time.isnan(), one_thread.switch_time[j:j + 1].isnan())
        if not math.isnan(float(alone.switch_time[0])):
            assert float(alone.switch_time[0]) == float(one_thread.switch_time[j])


@pytest.mark.parametrize("method", METHODS)
def test_switching_times_match_the_fine_reference(method):
    params, drive, m0 = _random_batch(40, seed=3, current=3e-4)
    kw = dict(duration=2e-9, crossing=Crossing("x", 0.0, "rising"), stop_when_switched=True)
    ref = simulate(m0, params, drive, method="rk4", dt=0.01e-12, backend="fused", **kw)
    run = simulate(m0, params, drive, method=method, dt=1e-13, backend="fused", rtol=1e-9, atol=1e-11, **kw)
    assert int(ref.switched.sum()) == 40
    assert torch.equal(run.switched, ref.switched)
    # linear interpolation inside a step: its error ~ curvature x step^2 (steps of ~1-5 ps here, longer for dop853)
    assert float((run.switch_time - ref.switch_time)[ref.switched].abs().max()) < 1e-12


@pytest.mark.parametrize("name,value", [("rtol", 0.0), ("rtol", -1e-6), ("rtol", 1e-16), ("rtol", 1.0),
                                        ("atol", 0.0), ("atol", math.nan)])
def test_bad_tolerances_are_refused(name, value):
    params, drive, axis = CASES["in-plane"]
    tolerances = {"rtol": 1e-8, "atol": 1e-10, name: value}
    with pytest.raises(ValueError, match=name):
        simulate(_near(axis, 2), params, drive, method="rk45", dt=1e-13, duration=1e-10, **tolerances)


def test_what_the_fused_adaptive_path_cannot_take():
    params, _, axis = CASES["in-plane"]
    m0 = _near(axis, 2)
    kw = dict(method="rk45", dt=1e-13, duration=1e-10)
    pulse = Drive(current=Pulse(amplitude=-2e-4, start=0.0, width=5e-11))
    with pytest.raises(ValueError, match="constant drives"):
        simulate(m0, params, pulse, backend="fused", **kw)
    with pytest.raises(ValueError, match="float64"):
        simulate(m0.float(), params, Drive(current=-2e-4), backend="fused", **kw)
    # auto falls back to the batch-wide torch integrator for both
    assert simulate(m0, params, pulse, backend="auto", **kw).junction_steps is None
    assert simulate(m0.float(), params, Drive(current=-2e-4), backend="auto", **kw).junction_steps is None
    with pytest.raises(ValueError, match="heun"):
        simulate(m0, Macrospin(**{**IN_PLANE, "temperature": 300.0}), Drive(), backend="fused", **kw)


def test_failures_name_the_junction():
    params, _, axis = CASES["in-plane"]
    p = params.resolve(3, torch.float64, "cpu")
    field = torch.zeros(1, 1, 3, dtype=torch.float64)

    def advance(current: torch.Tensor, h_min: float) -> None:
        state, step = _near(axis, 3), torch.full((3,), 1e-13, dtype=torch.float64)
        counts = torch.zeros(3, dtype=torch.int64), torch.zeros(3, dtype=torch.int64)
        fused.fused_adaptive(state, p, current, field, 0.0, [1e-10], step, *counts, None,
                             torch.full((3,), math.nan, dtype=torch.float64),
                             torch.empty(1, 0, 3, dtype=torch.float64), 1e-8, 1e-10, h_min, DP54)

    # (simulate refuses a NaN drive before it starts; the kernel's own check is for states that blow up)
    with pytest.raises(DivergenceError, match="junction 1 .*not finite"):
        advance(torch.tensor([[-2e-4, math.nan, -2e-4]], dtype=torch.float64), 1e-22)
    with pytest.raises(DivergenceError, match="junction 0 .*fell below"):  # a step floor no step can meet
        advance(torch.full((1, 1), -2e-4, dtype=torch.float64), 1.0)


@pytest.mark.parametrize("pair,order", [(DP54, 5), (DOP853, 8)])
def test_the_tableaus_satisfy_their_order_conditions(pair, order):
    """Row sums give the nodes; the quadrature conditions sum_i b_i c_i^(k-1) = 1/k hold to the pair's order
    and sum_ij b_i a_ij c_j^(k-2) = 1/(k(k-1)) (a check of the transcribed coefficients); the error weights
    annihilate constants (sum E = 0) and the solution is consistent (sum b = 1)."""
    n = pair.stages
    a = [list(row) + [0.0] * (n - len(row)) for row in pair.a]
    for i in range(n):
        assert math.isclose(sum(a[i]), pair.c[i], abs_tol=1e-14), i
    for k in range(1, order + 1):
        assert math.isclose(sum(b * c ** (k - 1) for b, c in zip(pair.b, pair.c)), 1.0 / k, rel_tol=1e-12), k
    for k in range(2, order + 1):
        total = sum(pair.b[i] * a[i][j] * pair.c[j] ** (k - 2) for i in range(n) for j in range(n))
        assert math.isclose(total, 1.0 / (k * (k - 1)), rel_tol=1e-12), k
    assert abs(sum(pair.e5)) < 1e-14 and abs(sum(pair.e3)) < 1e-14
    assert len(pair.e5) == len(pair.e3) == n + 1
