"""Sweep statistics and fits: Wilson intervals, adaptive write-error-rate trials, Néel–Brown and Sun fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mtjnn.constants import GAMMA_E, MU0
from mtjnn.experiments.sweep import SweepSpec, execute, fit_map, read_table, sweep_tasks
from mtjnn.experiments.sweep_fits import fit_neel_brown, fit_sun, half_switching_pulses, neel_brown_probability, sun_switching_time
from mtjnn.experiments.sweep_stats import plan_more_trials, point_table, resolved, wilson_interval
from mtjnn.physics import analytic

NO_FIELD = (("field", 0.0),)


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(np.array([0, 5, 100]), np.array([100, 100, 100]))
    z2 = 1.959963984540054**2
    assert low[0] == 0.0 and high[0] == pytest.approx(z2 / (100 + z2))  # the closed form at 0 failures
    assert low[1] == pytest.approx(0.02154, abs=2e-5) and high[1] == pytest.approx(0.11175, abs=2e-5)  # textbook 5/100
    assert high[2] == 1.0 and low[2] == pytest.approx(1 - z2 / (100 + z2))
    with pytest.raises(ValueError, match="failures"):
        wilson_interval(np.array([3]), np.array([2]))


def test_wilson_interval_covers_the_true_rate() -> None:
    rng = np.random.default_rng(0)
    n, p = 20_000, 3e-4
    k = rng.binomial(n, p, size=4000)
    low, high = wilson_interval(k, np.full(k.shape, n))
    coverage = np.mean((low <= p) & (p <= high))
    assert 0.93 <= coverage <= 0.975, coverage


def _table(spec: SweepSpec, trials, switched) -> dict[str, np.ndarray]:
    rows = {"point": np.arange(spec.points), "trials": np.asarray(trials), "switched": np.asarray(switched)}
    return point_table(spec, rows)


def test_adaptive_plan_adds_trials_only_where_the_wer_is_uncertain() -> None:
    spec = SweepSpec(currents=(1e-4, 2e-4, 3e-4, 4e-4), pulses=(1e-9,), trials=1000, wer_floor=1e-4, max_trials=100_000,
                     device=NO_FIELD)
    # WER: 1 (never switches), 0.3 (tight already), 2/1000 (uncertain), 0/1000 (upper bound 3.8e-3 > floor)
    table = _table(spec, [1000] * 4, [0, 700, 998, 1000])
    assert resolved(table, spec).tolist() == [True, True, False, False]
    tasks = plan_more_trials(spec, table, 1)
    segments = [s for t in tasks for s in t.segments]
    added = {}
    for s in segments:
        added.setdefault(s.point, []).append((s.first, s.trials))
    assert set(added) == {2, 3}
    assert added[2][0][0] == 1000 and sum(n for _, n in added[2]) == 8000 - 1000  # 16 failures aimed: capped at 8 n
    assert sum(n for _, n in added[3]) == 3000  # no failure yet: 4 n
    assert all(t.junctions <= spec.task_junctions for t in tasks) and all(t.round == 1 for t in tasks)
    assert plan_more_trials(SweepSpec(**{**spec.__dict__, "wer_floor": 0.0}), table, 1) == []
    assert plan_more_trials(spec, table, spec.max_rounds + 1) == []


def test_adaptive_sweep_resolves_the_wer_and_resumes_identically(tmp_path) -> None:
    spec = SweepSpec(currents=(0.3e-3, 2e-3), pulses=(0.3e-9, 1.2e-9), temperature=300.0, trials=40, relax=0.5e-9, seed=5,
                     points_per_task=2, device=NO_FIELD, wer_floor=1e-2, max_trials=2000, max_rounds=6)
    list(execute(spec, tmp_path / "whole"))
    whole = read_table(tmp_path / "whole", spec)
    tasks, complete = sweep_tasks(spec, tmp_path / "whole")
    assert complete and max(t.round for t in tasks) >= 1  # adaptive rounds ran
    done = resolved(whole, spec) | (whole["trials"] >= spec.max_trials)
    assert done.all(), whole
    assert whole["trials"].max() > spec.trials and whole["trials"].min() == spec.trials  # trials went only where needed
    part = tmp_path / "part"
    list(execute(spec, part, max_tasks=3))  # stopped inside round 1
    list(execute(spec, part))
    resumed = read_table(part, spec)
    assert np.array_equal(whole["trials"], resumed["trials"]) and np.array_equal(whole["switched"], resumed["switched"])


def test_neel_brown_fit_recovers_the_barrier_of_synthetic_data() -> None:
    rng = np.random.default_rng(7)
    delta, ic0 = 40.0, 0.8e-3
    currents = np.repeat(np.linspace(0.3e-3, 0.65e-3, 8), 10)
    pulses = np.tile(np.geomspace(1e-9, 1e-5, 10), 8)
    trials = np.full(currents.shape, 5000)
    switched = rng.binomial(trials, neel_brown_probability(currents, pulses, delta, ic0))
    fit = fit_neel_brown(currents, pulses, trials, switched)
    assert abs(fit["delta"] - delta) < max(3 * fit["delta_se"], 0.02 * delta) and fit["delta_se"] < 0.1 * delta
    assert abs(fit["ic0"] - ic0) < max(3 * fit["ic0_se"], 0.02 * ic0)
    other = fit_neel_brown(currents, pulses, trials, rng.binomial(trials, neel_brown_probability(currents, pulses, 30.0, ic0)))
    assert abs(other["delta"] - 30.0) < 3 * other["delta_se"]  # a different barrier is told apart
    with pytest.raises(ValueError, match="two or more currents"):
        fit_neel_brown(currents[:1], pulses[:1], trials[:1], switched[:1])


def test_sun_fit_recovers_synthetic_switching_times() -> None:
    currents = np.linspace(1e-3, 3e-3, 9)
    t_sw = sun_switching_time(currents, 2e-9, 0.8e-3) * (1 + 0.01 * np.sin(np.arange(9)))
    fit = fit_sun(np.concatenate([[0.5e-3], currents]), np.concatenate([[np.nan], t_sw]))
    assert fit["a"] == pytest.approx(2e-9, rel=0.03) and fit["ic0"] == pytest.approx(0.8e-3, rel=0.03)
    pulses = np.array([1e-9, 2e-9, 3e-9])
    assert np.allclose(half_switching_pulses(np.array([1.0, 2.0]), pulses, np.array([0, 0.25, 0.75, 0.6, 0.9, 1.0])),
                       [2.5e-9, np.nan], equal_nan=True)  # the second row starts above 0.5: censored


def test_sun_fit_of_a_simulated_map_matches_the_analytic_critical_current_and_time() -> None:
    """T = 0 map of the default ellipse (no bias field): Ic0 and A = tau ln(pi / 2 theta0) against Sun's closed forms."""
    spec = SweepSpec(currents=tuple(np.linspace(250e-6, 1000e-6, 7)), pulses=tuple(np.linspace(0.25e-9, 6e-9, 24)),
                     temperature=0.0, trials=1, relax=1e-9, points_per_task=24, device=NO_FIELD)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        list(execute(spec, folder))
        fits = fit_map(read_table(folder, spec), spec)
    junction = spec.junction()
    p = junction.macrospin()
    nx, ny, nz = p.demag
    hk, meff = MU0 * junction.ms * (ny - nx), MU0 * junction.ms * (nz - nx)
    ic0 = analytic.critical_current_in_plane(junction.alpha, junction.ms, float(p.volume), junction.eta, 0.0, hk, meff)
    theta0 = math.atan2(0.02, 1.0)  # experiments.switching.initial_state
    a = (1 + junction.alpha**2) / (junction.alpha * GAMMA_E * (hk + meff / 2)) * math.log(math.pi / (2 * theta0))
    assert fits["sun"]["rows"] >= 5
    assert fits["sun"]["ic0"] == pytest.approx(ic0, rel=0.2)
    assert fits["sun"]["a"] == pytest.approx(a, rel=0.2)


def test_neel_brown_fit_of_a_simulated_thermal_map_is_close_to_the_junction_barrier(tmp_path) -> None:
    """300 K, sub-critical currents, 2-20 ns: the fitted law follows the simulated map (mean |P_fit - P| < 0.06)
    and its barrier and Ic0 are those of the junction within a factor 1.6 (tau0 = 1 ns assumed; the in-plane
    junction is not uniaxial and switches after a ~ns incubation, so the linear Néel–Brown law is only an
    effective description: measured Delta 0.72 x, Ic0 1.28 x the closed forms, docs/sweeps.md)."""
    spec = SweepSpec(currents=tuple(np.linspace(60e-6, 170e-6, 8)), pulses=tuple(np.linspace(2e-9, 20e-9, 6)),
                     temperature=300.0, trials=100, relax=1e-9, seed=1, points_per_task=8, device=NO_FIELD)
    list(execute(spec, tmp_path))
    table = read_table(tmp_path, spec)
    fit = fit_neel_brown(table["current"], table["pulse"], table["trials"], table["switched"])
    model = neel_brown_probability(table["current"], table["pulse"], fit["delta"], fit["ic0"])
    assert np.mean(np.abs(model - table["probability"])) < 0.06  # an effective description of the map
    junction = spec.junction()
    p = junction.macrospin()
    nx, ny, nz = p.demag
    hk, meff = MU0 * junction.ms * (ny - nx), MU0 * junction.ms * (nz - nx)
    delta = analytic.thermal_stability(junction.ms, float(p.volume), hk, spec.temperature)
    ic0 = analytic.critical_current_in_plane(junction.alpha, junction.ms, float(p.volume), junction.eta, 0.0, hk, meff)
    assert 1 / 1.6 < fit["delta"] / delta < 1.6 and 1 / 1.6 < fit["ic0"] / ic0 < 1.6
