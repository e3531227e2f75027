"""experiments.sweep with a device-parameter axis: physics per value, task-grouping independence, outputs, bad axes."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from mtjnn.experiments import sweep
from mtjnn.experiments.sweep import SweepSpec, execute, random_axis_values, read_table
from mtjnn.experiments.sweep_plots import panel_indices

NO_FIELD = (("field", 0.0),)  # no bias field: the AP state is thermally stable at 300 K over ns


def _spec(**kw) -> SweepSpec:
    base = dict(currents=(0.4e-3, 0.6e-3, 0.8e-3), pulses=(1e-9, 3e-9), temperature=300.0, trials=32, relax=1e-9, seed=1,
                points_per_task=3, device=NO_FIELD, axis_name="alpha", axis_values=(0.01, 0.03))
    return SweepSpec(**{**base, **kw})


def _run(spec: SweepSpec, folder) -> dict[str, np.ndarray]:
    list(execute(spec, folder))
    return read_table(folder, spec)


def test_higher_damping_switches_less_and_the_first_value_is_the_plain_sweep(tmp_path) -> None:
    spec = _spec()
    table = _run(spec, tmp_path / "axis")
    assert spec.points == 12 and np.array_equal(table["alpha"], np.repeat([0.01, 0.03], 6))
    low, high = table["switched"][:6], table["switched"][6:]
    # the spin-torque critical current grows with alpha: at every (current, pulse) the alpha = 0.03 junction
    # switches no more often, and clearly less wherever alpha = 0.01 is not saturated
    assert np.all(high <= low) and np.sum(high < low) >= 4 and high.sum() < 0.7 * low.sum(), (low, high)
    assert 0 < low.sum() < low.size * 32  # the map is not saturated
    # axis value 0 has the point indices (hence noise keys) of a sweep without an axis at that device
    plain = _run(dataclasses.replace(spec, axis_name="", axis_values=(), device=NO_FIELD + (("alpha", 0.01),)), tmp_path / "plain")
    assert np.array_equal(plain["switched"], low)


def test_grouping_does_not_change_thermal_results_with_an_axis(tmp_path) -> None:
    spec = _spec(trials=16, axis_name="ms", axis_values=(0.8e6, 1.2e6))
    threes = _run(spec, tmp_path / "three")
    ones = _run(dataclasses.replace(spec, points_per_task=1), tmp_path / "one")
    fives = _run(dataclasses.replace(spec, points_per_task=5), tmp_path / "five")  # tasks straddle the two values
    assert np.array_equal(threes["switched"], ones["switched"]) and np.array_equal(threes["switched"], fives["switched"])
    assert 0 < threes["switched"].sum() < threes["trials"].sum()


def test_run_writes_the_axis_column_panels_and_metrics_and_resume_refuses_another_axis(tmp_path) -> None:
    spec = _spec(trials=4, currents=(0.4e-3, 0.8e-3), axis_values=(0.01, 0.02, 0.03))
    metrics = sweep.run(spec, tmp_path)
    folder = next((tmp_path / sweep.JOB).iterdir())
    parquet = pq.read_table(folder / "table.parquet")
    assert parquet.column_names[:2] == ["point", "alpha"] and parquet.num_rows == 12
    assert (folder / "table.csv").read_text().splitlines()[0].startswith("point,alpha,current")
    assert metrics["axis"] == {"name": "alpha", "values": [0.01, 0.02, 0.03], "sampling": "grid"}
    assert [f["value"] for f in metrics["by_axis"]] == [0.01, 0.02, 0.03]
    fits = json.loads((folder / "fits.json").read_text())
    assert fits["axis_name"] == "alpha" and len(fits["by_axis"]) == 3 and (folder / "switching_map.png").stat().st_size > 0
    with pytest.raises(ValueError, match="different sweep spec"):
        sweep.run(dataclasses.replace(spec, axis_values=(0.01, 0.02)), tmp_path, resume=folder)
    assert sweep.run(None, tmp_path, resume=folder)["tasks_run_this_session"] == 0  # the saved axis round-trips


def test_panels_are_capped() -> None:
    assert panel_indices(1) == [0] and panel_indices(4) == [0, 1, 2, 3] and panel_indices(9) == [0, 4, 8]


def test_random_axis_values_come_from_the_seed() -> None:
    values = random_axis_values("axis_random", "0.01:0.03:5", seed=3)
    assert len(values) == 5 and values == tuple(sorted(values)) and all(0.01 <= v < 0.03 for v in values)
    assert random_axis_values("axis_random", "0.01:0.03:5", seed=3) == values
    assert random_axis_values("axis_random", "0.01:0.03:5", seed=4) != values


@pytest.mark.parametrize(("kw", "match"), [
    (dict(axis_name="colour"), r"axis_name = 'colour' is unknown; allowed: \['field', 'length'"),
    (dict(axis_values=()), "axis_values for 'alpha' is empty"),
    (dict(axis_values=(0.01, 0.01)), "distinct"), (dict(axis_values=(0.01, float("nan"))), "finite"),
    (dict(axis_name="", axis_values=(0.01,)), "without axis_name"),
    (dict(axis_name="field"), "also a fixed device override"),
    (dict(axis_values=(0.01, -0.5)), "alpha"),  # the device's own check of every value
    (dict(axis_sampling="sobol"), "axis_sampling"),
])
def test_bad_axes_are_refused_with_the_allowed_values(kw, match) -> None:
    with pytest.raises(ValueError, match=match):
        _spec(**kw)


@pytest.mark.parametrize("text", ["0.03:0.01:3", "0.01:0.03:0", "0.01:0.01:2"])
def test_empty_random_ranges_are_refused(text) -> None:
    with pytest.raises(ValueError, match="empty range"):
        random_axis_values("axis_random", text, seed=0)


@pytest.mark.parametrize(("args", "words"), [
    (["--axis", "colour=1:2:2"], ["colour", "alpha"]), (["--axis", "alpha=0.03:0.01:3"], ["--axis", "empty range"]),
    (["--axis", "alpha"], ["--axis", "NAME=START:STOP:COUNT"]), (["--axis-random", "alpha=0.03:0.01:3"], ["--axis-random", "empty"]),
    (["--axis", "alpha=0.01", "--axis-random", "ms=1e6:2e6:2"], ["--axis"]),
])
def test_cli_refuses_bad_axes(tmp_path, args, words) -> None:
    from typer.testing import CliRunner

    from mtjnn.cli import app

    result = CliRunner().invoke(app, ["sweep", "switching", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2 and all(w in result.output for w in words), result.output
