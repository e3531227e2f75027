"""`mtjnn sweep robustness vowels|iris|xor`: accuracy vs device spread and temperature with confidence bands."""

from __future__ import annotations

import numpy as np
import pytest

from mtjnn.experiments.sweep_robustness import COLUMNS, RobustnessSpec, accuracy_draws, robustness_table, run_robustness, train_vowel_chain

SPEC = dict(sigmas=(0.0, 0.1), temperatures=(0.0, 300.0), draws=60, quick_fit=True)


@pytest.fixture(scope="module")
def trained():  # the packaged Hillenbrand table, a short software fit (~5 s)
    return train_vowel_chain(RobustnessSpec(**SPEC))


def test_accuracy_falls_with_spread_and_each_point_is_reproducible_alone(trained) -> None:
    spec = RobustnessSpec(**SPEC)
    table = robustness_table(trained, spec)
    assert set(table) == set(COLUMNS) and len(table["mean"]) == 4
    nominal = trained["nominal_accuracy"]
    assert nominal > 0.9
    cold = table["temperature"] == 0.0
    # 0 K, no spread: every draw is the nominal network
    assert table["mean"][cold][0] == pytest.approx(nominal) and table["p05"][cold][0] == table["p95"][cold][0]
    for sel in (cold, ~cold):  # 10 % spread costs accuracy, beyond the 95 % CI
        assert table["ci_high"][sel][1] < table["mean"][sel][0]
        assert table["ci_low"][sel][1] <= table["mean"][sel][1] <= table["ci_high"][sel][1]
    assert table["mean"][~cold][0] < nominal  # 300 K: thermal switching errors without any spread
    alone = accuracy_draws(trained, spec, 300.0, 0.1, spec.point_seed(1, 1))
    assert alone.mean() == pytest.approx(table["mean"][3])  # a point's draws depend on (seed, point) only


def test_run_writes_table_figure_and_metrics(tmp_path, trained, monkeypatch) -> None:
    from mtjnn.experiments import sweep_robustness

    monkeypatch.setattr(sweep_robustness, "train_vowel_chain", lambda spec: trained)
    metrics = run_robustness(RobustnessSpec(**{**SPEC, "draws": 10}), tmp_path)
    folder = next((tmp_path / sweep_robustness.JOB).iterdir())
    for name in ("table.parquet", "table.csv", "robustness.png", "metrics.json", "config.json"):
        assert (folder / name).exists(), name
    assert metrics["points"] == 4 and metrics["draws_per_point"] == 10


@pytest.mark.parametrize(("kw", "name"), [
    (dict(task="mnist"), "task"), (dict(sigmas=()), "sigmas"), (dict(sigmas=(-0.1,)), "sigmas"), (dict(draws=1), "draws"),
    (dict(temperatures=(-5.0,)), "temperatures"), (dict(corpus="timit"), "corpus"),
    (dict(task="iris", temperatures=(0.0, 300.0)), "temperatures"), (dict(task="xor", temperatures=(300.0,)), "temperatures"),
    (dict(task="iris", temperatures=None, sigmas=(0.3,)), "sigmas"), (dict(task="xor", temperatures=None, sigmas=(0.25,)), "sigmas"),
    (dict(task="iris", temperatures=None, read_noise=-0.1), "read_noise"), (dict(task="iris", temperatures=None, epochs=0), "epochs"), (dict(task="xor", temperatures=None, inits=0), "inits"),
])
def test_bad_robustness_specs(kw, name) -> None:
    with pytest.raises(ValueError, match=name):
        RobustnessSpec(**{**SPEC, **kw})


@pytest.mark.parametrize(("args", "flag"), [
    (["mnist"], "task"), (["vowels", "--temperatures", "0,hot"], "--temperatures"), (["xor", "--temperatures", "300"], "--temperatures"),
    (["iris", "--sigmas-pct", "0:30:4"], "--sigmas-pct"), (["vowels", "--sigmas-pct", "20:0:3"], "--sigmas-pct"),
    (["vowels", "--draws", "1"], "--draws"),
])
def test_cli_refuses_bad_robustness_options(tmp_path, args, flag) -> None:
    from typer.testing import CliRunner

    from mtjnn.cli import app

    result = CliRunner().invoke(app, ["sweep", "robustness", *args, "--out", str(tmp_path)])
    assert result.exit_code == 2 and flag in result.output, result.output


def test_tasks_without_a_thermal_model_sweep_zero_kelvin_only() -> None:
    assert RobustnessSpec(task="vowels").temperatures == (0.0, 300.0)
    assert RobustnessSpec(task="iris").temperatures == (0.0,) and RobustnessSpec(task="xor").temperatures == (0.0,)
