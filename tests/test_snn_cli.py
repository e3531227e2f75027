"""`mtjnn run signed-lif`, `mtjnn run cifar10` and `mtjnn run cifar10-dvs` end to end on tiny settings."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from mtjnn.cli import app

runner = CliRunner()
needs_data = pytest.mark.skipif(not os.environ.get("MTJNN_DATA"), reason="MTJNN_DATA not set (CI sets it to ../shared/data)")


def _only_run(root) -> tuple:
    (run,) = [p for p in root.iterdir() if p.is_dir()]
    return run, json.loads((run / "metrics.json").read_text())


def test_signed_lif_quick_writes_the_fitted_neuron(tmp_path) -> None:
    res = runner.invoke(app, ["run", "signed-lif", "--quick", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    run, metrics = _only_run(tmp_path / "signed_lif")
    assert {"traces.png", "f_i.png", "signed_lif_params.json", "config.json"} <= {p.name for p in run.iterdir()}
    assert metrics["closed_forms"]["critical_current_a"] == pytest.approx(1.246e-3, rel=1e-3)
    assert 0 < metrics["network_neuron"]["beta"] < 1
    assert metrics["firing_curve"]["adler_rel_error_max"] < 0.06


@needs_data
def test_cifar10_tiny_run_with_the_device_neuron(tmp_path) -> None:
    res = runner.invoke(app, ["run", "cifar10", "--neuron", "device", "--epochs", "1", "--train-per-class", "10",
                              "--batch-size", "30", "--test-per-class", "5", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    run, metrics = _only_run(tmp_path / "cifar10")
    assert metrics["device_fit"]["tau_s"] > 0 and not metrics["emulated"]
    record = metrics["runs"]["device"]
    assert 0 <= record["test_acc_final"]["mean"] <= 1 and record["test_acc_final"]["over"] == "test samples" and len(record["history"]["epochs"]) == 1
    assert (run / "device" / "checkpoint.pt").exists() and (run / "learning_curves.png").exists()
    assert record["spike_statistics"] and "negative_rate" in record["spike_statistics"][0]


@needs_data
def test_cifar10_dvs_without_recordings_is_emulated_and_says_so(tmp_path) -> None:
    res = runner.invoke(app, ["run", "cifar10-dvs", "--neuron", "ideal", "--epochs", "1", "--train-per-class", "10",
                              "--test-per-class", "2", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "EMULATED" in res.output
    _, metrics = _only_run(tmp_path / "cifar10-dvs")
    assert metrics["emulated"] is True and metrics["data"]["emulated"] is True


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["run", "cifar10", "--neuron", "lif"], "neuron"),
        (["run", "cifar10", "--recipe", "gpu"], "recipe"),
        (["run", "cifar10-dvs", "--epochs", "-1"], "epochs"),
        (["run", "signed-lif", "--alpha", "0"], "alpha"),
        pytest.param(["run", "cifar10-dvs", "--train-per-class", "3", "--test-per-class", "1"], "batch_size", marks=needs_data),
    ],
)
def test_bad_options_are_usage_errors(args, match, tmp_path) -> None:
    res = runner.invoke(app, [*args, "--out", str(tmp_path)])
    assert res.exit_code == 2 and match in res.output
    assert not any(tmp_path.iterdir())  # no half-made results folder
