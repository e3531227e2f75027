"""The one contract every experiment follows (issue 12), its registry and the shared ``--quick`` helper.

An experiment is a module ``experiments.<module>`` with

* a frozen config dataclass (SI units) whose ``__post_init__`` refuses bad values naming the field, and whose
  class attribute ``QUICK`` holds the ``--quick`` preset: {field: value} overrides for a smoke run (seconds
  to a minute), applied by ``quick_config`` without ever overriding a field the user gave explicitly;
* ``run(config, out_root="results", resume=None) -> metrics``: writes ``out_root/<job>/<stamp>/{config.json,
  metrics.json, *.png}`` (``experiments.results``), prints a one-screen summary and returns the metrics
  (what metrics.json holds, plus ``output_dir``). ``resume`` = a previous run folder of the same job continues
  it from its checkpoint with the configuration saved there (docs/architecture.md, "The resume rule"); an
  experiment that keeps no checkpoint refuses a ``resume`` with ``refuse_resume`` (a ``ValueError`` naming
  why), before any work.

``EXPERIMENTS`` lists them (job name -> module, config class, run function), loaded lazily so that
importing this module stays cheap; ``tests/test_experiment_contract.py`` checks every entry against the
contract. Adding an experiment: one module following the contract plus one line in ``EXPERIMENTS`` and a
thin command in ``cli.py``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

Metrics = dict[str, Any]
C = TypeVar("C")


class RunExperiment(Protocol):
    """``run(config, out_root, resume)``: run (or continue ``resume``) an experiment; returns its metrics."""

    def __call__(self, config: Any, out_root: str | Path = "results", resume: str | Path | None = None) -> Metrics: ...


@dataclass(frozen=True)
class Experiment:
    """One registered experiment: ``job`` (its results folder name), ``module`` (under ``mtjnn.experiments``),
    ``config`` and ``run`` (names in that module), ``checkpoint`` (whether ``resume`` is supported)."""

    job: str
    module: str
    config: str
    run: str = "run"
    checkpoint: bool = False

    def load(self) -> tuple[type, RunExperiment]:
        """(config class, run function), importing the module."""
        mod = importlib.import_module(f"{__package__}.{self.module}")
        return getattr(mod, self.config), getattr(mod, self.run)


#: Every experiment, by job name (the folder under the results root; cifar10-dvs shares cifar10's module).
EXPERIMENTS: dict[str, Experiment] = {e.job: e for e in (
    Experiment("simulate", "switching", "SwitchingConfig"),
    Experiment("vowels", "vowels", "VowelsConfig", checkpoint=True),
    Experiment("iris", "activation_training", "IrisConfig", "run_iris", checkpoint=True),
    Experiment("mnist", "activation_training", "MnistConfig", "run_mnist", checkpoint=True),
    Experiment("xor", "xor", "XorConfig"),
    Experiment("neuron", "neuron_behaviours", "BehaviourConfig"),
    Experiment("signed_lif", "signed_lif_device", "SignedLIFDeviceConfig"),
    Experiment("cifar10", "snn_cifar", "SnnConfig", checkpoint=True),
    Experiment("sweep-switching", "sweep", "SweepSpec", checkpoint=True),
    Experiment("sweep-robustness", "sweep_robustness", "RobustnessSpec", "run_robustness"),
)}


def refuse_resume(job: str, resume: str | Path | None) -> None:
    """The contract's answer of an experiment without a checkpoint to ``resume`` (a no-op for None)."""
    if resume is not None:
        raise ValueError(f"resume = {str(resume)!r}: the {job} experiment keeps no checkpoint (it writes its results at "
                         "the end); allowed: None; run it again: the same configuration and seed give the same result")


def quick_overrides(config_cls: type, explicit: Collection[str] = ()) -> dict[str, Any]:
    """``config_cls.QUICK`` without the fields named in ``explicit`` (the options the user gave)."""
    preset: Mapping[str, Any] = getattr(config_cls, "QUICK", {})
    return {k: v for k, v in preset.items() if k not in explicit}


def quick_config(config_cls: type[C], fields: Mapping[str, Any], quick: bool, explicit: Collection[str] = ()) -> C:
    """``config_cls(**fields)``, with ``--quick`` its ``QUICK`` preset applied over ``fields`` except for the
    fields in ``explicit`` (``--quick`` never overrides an option the user gave; the CLI's options carry the names of
    the fields they set)."""
    explicit = set(explicit) - {"quick"}  # the --quick option itself protects no field (BehaviourConfig.QUICK sets ``quick``)
    return config_cls(**{**fields, **(quick_overrides(config_cls, explicit) if quick else {})})


def check_contract(entry: Experiment) -> list[str]:
    """The ways ``entry`` breaks the contract (empty when it follows it)."""
    problems = []
    config_cls, run = entry.load()
    if not (dataclasses.is_dataclass(config_cls) and config_cls.__dataclass_params__.frozen):  # type: ignore[attr-defined]
        problems.append(f"{entry.config} is not a frozen dataclass")
    names = {f.name for f in dataclasses.fields(config_cls)} if dataclasses.is_dataclass(config_cls) else set()
    unknown = set(getattr(config_cls, "QUICK", {})) - names
    if unknown:
        problems.append(f"{entry.config}.QUICK names no field: {sorted(unknown)}")
    params = list(inspect.signature(run).parameters.values())
    if len(params) < 2 or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        problems.append(f"{entry.run} does not take the config first")
    elif params[1].name != "out_root" or params[1].default != "results":
        problems.append(f"{entry.run}'s second parameter is not out_root='results'")
    resume = inspect.signature(run).parameters.get("resume")
    if resume is None or resume.default is not None:
        problems.append(f"{entry.run} has no resume=None parameter")
    return problems
