"""`mtjnn simulate`: the README's main job writes its files and reports physically sensible numbers."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.experiments.switching import SwitchingConfig


def _run(tmp_path, *args: str) -> dict:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), *args])
    assert result.exit_code == 0, result.output
    (summary_path,) = tmp_path.glob("simulate/*/summary.json")
    assert (summary_path.parent / "trajectory.png").stat().st_size > 10_000
    return json.loads(summary_path.read_text())


def test_supercritical_pulse_switches_to_parallel(tmp_path) -> None:
    summary = _run(tmp_path, "--duration-ns", "6", "--dt-ps", "2")
    assert summary["current_over_ic0"] > 2
    assert summary["switched_fraction"] == 1.0
    assert 0.3 < summary["switch_time_mean_ns"] < 5.0
    assert math.isclose(summary["final_resistance_mean_ohm"], 1100.0, rel_tol=0.02)


def test_subcritical_pulse_does_not_switch_at_zero_temperature(tmp_path) -> None:
    summary = _run(tmp_path, "--current-ua", "100", "--duration-ns", "6", "--dt-ps", "2")
    assert summary["current_over_ic0"] < 1
    assert summary["switched_fraction"] == 0.0
    assert summary["final_resistance_mean_ohm"] > 2300.0


@pytest.mark.parametrize(
    "kwargs, name",
    [({"dt": 0.0}, "dt"), ({"junctions": 0}, "junctions"), ({"temperature": -1.0}, "temperature"), ({"pulse": 1e-6}, "pulse")],
)
def test_bad_config_names_the_parameter(kwargs, name) -> None:
    with pytest.raises(ValueError, match=name):
        SwitchingConfig(**kwargs)
