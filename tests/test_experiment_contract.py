"""Every registered experiment follows experiments.contract: a frozen config with a valid QUICK preset,
``run(config, out_root="results", resume=None)``, and a clear refusal of ``resume`` where there is no checkpoint."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import ClassVar

import pytest

from mtjnn.experiments.contract import EXPERIMENTS, Experiment, check_contract, quick_config, quick_overrides, refuse_resume


@pytest.mark.parametrize("job", sorted(EXPERIMENTS))
def test_experiment_follows_the_contract(job: str) -> None:
    assert check_contract(EXPERIMENTS[job]) == []


@pytest.mark.parametrize("job", sorted(j for j, e in EXPERIMENTS.items() if getattr(e.load()[0], "QUICK", None)))
def test_quick_preset_is_a_valid_config_and_changes_it(job: str) -> None:
    config_cls, _ = EXPERIMENTS[job].load()
    quick = quick_config(config_cls, {}, True)
    assert quick != config_cls()
    for name, value in config_cls.QUICK.items():
        assert getattr(quick, name) == value


def test_quick_never_overrides_an_explicit_field() -> None:
    from mtjnn.experiments.vowels import VowelsConfig

    config = quick_config(VowelsConfig, {"splits": 3, "sweep": True}, True, explicit={"splits", "quick"})
    assert config.splits == 3  # given explicitly: kept
    assert config.sweep is False and config.macrospin is False  # not given: the preset
    assert quick_config(VowelsConfig, {"splits": 3}, False) == VowelsConfig(splits=3)  # no --quick: no preset
    assert "splits" not in quick_overrides(VowelsConfig, {"splits"})


def test_the_neuron_preset_survives_the_quick_flag_itself() -> None:
    from mtjnn.experiments.neuron_behaviours import BehaviourConfig

    assert quick_config(BehaviourConfig, {}, True, explicit={"quick"}).quick is True


def test_refuse_resume_names_the_parameter_and_why(tmp_path: Path) -> None:
    refuse_resume("xor", None)  # nothing to refuse
    with pytest.raises(ValueError, match=r"resume = .*keeps no checkpoint.*allowed: None"):
        refuse_resume("xor", tmp_path)


@pytest.mark.parametrize("job", sorted(j for j, e in EXPERIMENTS.items() if not e.checkpoint))
def test_experiments_without_a_checkpoint_refuse_resume_before_any_work(job: str, tmp_path: Path) -> None:
    config_cls, run = EXPERIMENTS[job].load()
    with pytest.raises(ValueError, match="keeps no checkpoint"):
        run(config_cls(), tmp_path / "out", resume=tmp_path)
    assert not (tmp_path / "out").exists()  # refused before a results folder was made


def test_check_contract_reports_a_broken_experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    @dataclasses.dataclass
    class Loose:  # not frozen, QUICK names a missing field
        a: int = 0
        QUICK = {"b": 1}

    def run(config, out):  # no out_root default, no resume
        return {}

    module = types.ModuleType("mtjnn.experiments._broken")
    module.Loose, module.run = Loose, run
    monkeypatch.setitem(__import__("sys").modules, "mtjnn.experiments._broken", module)
    problems = check_contract(Experiment("broken", "_broken", "Loose"))
    assert any("frozen" in p for p in problems)
    assert any("QUICK names no field" in p for p in problems)
    assert any("out_root" in p for p in problems)
    assert any("resume" in p for p in problems)


def test_the_recipe_a_new_experiment_in_one_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/architecture.md, "Add an experiment": one module plus its registry line is all the contract needs."""
    import types

    from mtjnn.experiments.common import results_dir, save_json

    @dataclasses.dataclass(frozen=True)
    class TinyConfig:
        steps: int = 100
        QUICK: ClassVar[dict] = {"steps": 2}

    def run(config: TinyConfig, out_root="results", resume=None) -> dict:
        refuse_resume("tiny", resume)
        out = results_dir("tiny", out_root)
        metrics = {"steps": config.steps}
        save_json(out / "metrics.json", metrics)
        return {**metrics, "output_dir": str(out)}

    module = types.ModuleType("mtjnn.experiments._tiny")
    module.TinyConfig, module.run = TinyConfig, run
    monkeypatch.setitem(__import__("sys").modules, "mtjnn.experiments._tiny", module)
    entry = Experiment("tiny", "_tiny", "TinyConfig")
    assert check_contract(entry) == []
    config_cls, run_it = entry.load()
    metrics = run_it(quick_config(config_cls, {"steps": 50}, True), tmp_path)
    assert metrics["steps"] == 2 and (Path(metrics["output_dir"]) / "metrics.json").exists()


def test_xor_macrospin_check_is_a_typed_record_written_as_its_fields(tmp_path: Path) -> None:
    import json

    from mtjnn.experiments.xor import MacrospinCheck, XorConfig, run

    metrics = run(XorConfig(inits=4), tmp_path)  # 4 inits converge within 30 epochs (seconds)
    mc = metrics["macrospin_check"]
    assert isinstance(mc, MacrospinCheck) and mc.networks >= 1
    saved = json.loads((Path(metrics["output_dir"]) / "metrics.json").read_text())["macrospin_check"]
    assert list(saved) == ["networks", "all_correct_fraction", "max_output_time_difference_s", "wall_time_s"]
    assert saved["all_correct_fraction"] == mc.all_correct_fraction.to_json() and saved["networks"] == mc.networks


@pytest.mark.parametrize("args, module, explicit", [
    (["run", "vowels", "--quick", "--splits", "3"], "vowels", {"splits": 3}),
    (["run", "xor", "--quick", "--inits", "7"], "xor", {"inits": 7}),
    (["run", "signed-lif", "--quick", "--sweep"], "signed_lif_device", {"sweep": True}),
    (["neuron", "--quick", "--behaviour", "latency"], "neuron_behaviours", {"behaviour": "latency"}),
])
def test_cli_quick_applies_the_preset_but_keeps_explicit_options(args, module, explicit, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from typer.testing import CliRunner

    from mtjnn.cli import app

    mod = importlib.import_module(f"mtjnn.experiments.{module}")
    seen = []
    monkeypatch.setattr(mod, "run", lambda config, out_root="results", resume=None: seen.append(config) or {})
    result = CliRunner().invoke(app, args + ["--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (config,) = seen
    for name, value in type(config).QUICK.items():
        assert getattr(config, name) == explicit.get(name, value), name
    for name, value in explicit.items():
        assert getattr(config, name) == value
