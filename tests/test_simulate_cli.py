"""`mtjnn simulate`: the README's main job writes its files and reports physically sensible numbers."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.experiments.switching import SwitchingConfig
from mtjnn.physics.timestep import CoarseTimeStepWarning


def _run(tmp_path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    (metrics_path,) = tmp_path.glob("simulate/*/metrics.json")
    assert (metrics_path.parent / "config.json").exists()
    assert (metrics_path.parent / "trajectory.png").stat().st_size > 10_000
    return json.loads(metrics_path.read_text())


def test_supercritical_pulse_switches_to_parallel(tmp_path) -> None:
    summary = _run(tmp_path, "--duration-ns", "6", "--dt-ps", "2")
    assert summary["trajectories_shown"] == 1
    assert summary["current_over_ic0"] > 2
    assert summary["switched_fraction"] == {"mean": 1.0, "std": None, "n": 1, "over": "junctions", "unit": "1"}
    assert 0.3 < summary["switch_time"]["mean"] < 5.0 and summary["switch_time"]["unit"] == "ns"
    assert math.isclose(summary["final_resistance_mean_ohm"], 1100.0, rel_tol=0.02)


def test_subcritical_pulse_does_not_switch_at_zero_temperature(tmp_path) -> None:
    summary = _run(tmp_path, "--current-ua", "100", "--duration-ns", "6", "--dt-ps", "2")
    assert summary["current_over_ic0"] < 1
    assert summary["switched_fraction"]["mean"] == 0.0 and summary["switch_time"]["mean"] is None
    assert summary["final_resistance_mean_ohm"] > 2300.0


@pytest.mark.parametrize(
    "kwargs, name",
    [({"dt": 0.0}, "dt"), ({"junctions": 0}, "junctions"), ({"trajectories": 0}, "trajectories"), ({"dt_check": "x"}, "dt_check"), ({"temperature": -1.0}, "temperature"), ({"pulse": 1e-6}, "pulse")],
)
def test_bad_config_names_the_parameter(kwargs, name) -> None:
    with pytest.raises(ValueError, match=name):
        SwitchingConfig(**kwargs)


def test_coarse_step_is_refused_naming_the_flags_and_the_override_runs(tmp_path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["simulate", "--dt-ps", "50", "--duration-ns", "3", "--pulse-ns", "3", "--out", str(tmp_path)])
    shown = " ".join(bad.output.replace("\u2502", " ").split())
    assert bad.exit_code == 2, bad.output
    assert "--dt-ps" in shown and "dt_ps = 50 ps is too coarse" in shown and "--allow-coarse-dt" in shown
    assert not list(tmp_path.glob("simulate/*/metrics.json"))  # refused before any work
    with pytest.warns(CoarseTimeStepWarning):
        metrics = _run(tmp_path, "--dt-ps", "50", "--duration-ns", "3", "--pulse-ns", "3", "--allow-coarse-dt")
    assert metrics["switch_time"]["mean"] > 2.1  # the wrong answer the guard is there for (1.955 ns converged)


def test_thermal_ensemble_streams_and_writes_a_switching_time_histogram(tmp_path) -> None:
    metrics = _run(tmp_path, "--temperature", "300", "--junctions", "60", "--trajectories", "5",
                   "--duration-ns", "3", "--pulse-ns", "3", "--current-ua", "600")
    (folder,) = tmp_path.glob("simulate/*")
    config = json.loads((folder / "config.json").read_text())
    assert config["junctions"] == 60 and config["trajectories"] == 5 and config["temperature"] == 300.0
    assert metrics["trajectories_shown"] == 5
    assert (folder / "switching_times.png").stat().st_size > 10_000
    histogram = metrics["switch_time_histogram"]
    assert sum(histogram["counts"]) == metrics["switched_junctions"] > 30
    assert len(histogram["edges_ns"]) == len(histogram["counts"]) + 1
    assert metrics["switch_time_p10_ns"] <= metrics["switch_time_median_ns"] <= metrics["switch_time_p90_ns"]
    assert metrics["switch_time"]["std"] > 0 and metrics["switch_time"]["n"] == metrics["switched_junctions"]
