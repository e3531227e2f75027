"""Named estimates in metrics.json and units in config.json (issue 11): the shared ``Estimate`` record and the
unit of every numeric configuration field of every job."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from mtjnn.devices.signed_lif_macrospin import OrthogonalMTJ
from mtjnn.experiments.activation_training import IrisConfig, MnistConfig
from mtjnn.experiments.common import save_json
from mtjnn.experiments.neuron_behaviours import BehaviourConfig
from mtjnn.experiments.records import Estimate
from mtjnn.experiments.signed_lif_device import SignedLIFDeviceConfig
from mtjnn.experiments.snn_cifar import SnnConfig
from mtjnn.experiments.sweep import SweepSpec
from mtjnn.experiments.sweep_robustness import RobustnessSpec
from mtjnn.experiments.switching import SwitchingConfig
from mtjnn.experiments.units import UNKNOWN, config_units
from mtjnn.experiments.vowels import VowelsConfig
from mtjnn.experiments.xor import XorConfig


def test_estimate_of_values_and_of_a_proportion():
    e = Estimate.of([0.9, 1.0, 0.8], over="splits")
    assert e.n == 3 and math.isclose(e.mean, 0.9) and math.isclose(e.std, np.std([0.9, 1.0, 0.8]))
    assert Estimate.of([0.5]).std is None and Estimate.of([]).mean is None
    p = Estimate.proportion(0.75, 400)
    assert p.to_json() == {"mean": 0.75, "std": math.sqrt(0.75 * 0.25), "n": 400, "over": "test samples", "unit": "1"}
    assert Estimate.from_json(p.to_json()) == p
    assert Estimate.of([0.95, 0.97]).text(100, "%") == "96.0 ± 1.0 %"
    with pytest.raises(ValueError, match="n = -1"):
        Estimate(0.5, None, -1)


def test_estimates_are_written_as_named_fields(tmp_path):
    path = save_json(tmp_path / "m.json", {"acc": {"test": Estimate.of([1.0, 0.0], over="runs")}, "t": Estimate.of([2.0], unit="ns")})
    data = json.loads(path.read_text())
    assert data["acc"]["test"] == {"mean": 0.5, "std": 0.5, "n": 2, "over": "runs", "unit": "1"}
    assert data["t"]["unit"] == "ns" and data["t"]["std"] is None


_CONFIGS = {
    "simulate": SwitchingConfig(), "vowels": VowelsConfig(), "iris": IrisConfig(), "mnist": MnistConfig(),
    "xor": {**XorConfig().__dict__, "train": XorConfig().training()}, "neuron": BehaviourConfig(),
    "signed_lif": SignedLIFDeviceConfig(), "cifar10": SnnConfig(dataset="cifar10", device=OrthogonalMTJ()),
    "sweep-switching": SweepSpec(currents=(1e-4, 2e-4), pulses=(1e-9,)),
    "sweep-robustness": RobustnessSpec(),
}


@pytest.mark.parametrize("job", sorted(_CONFIGS))
def test_every_numeric_config_field_of_every_job_has_a_unit(job):
    units = config_units(_CONFIGS[job], job)
    assert units and not [k for k, u in units.items() if u == UNKNOWN], units


def test_units_follow_the_field_and_its_suffix():
    units = config_units(SwitchingConfig(), "simulate")
    assert units["current"] == "A" and units["dt"] == "s" and units["field"] == "T" and units["junctions"] == "1"
    nested = config_units(IrisConfig(), "iris")
    assert nested["train.device.hk"] == "T" and nested["train.lr"] == "1" and nested["seeds"] == "1"
    assert config_units({"pulse_ns": 3.0, "odd": 1.5}, "nothing") == {"pulse_ns": "ns", "odd": UNKNOWN}


def test_vowel_split_records_round_trip_through_the_flat_checkpoint_layout():
    from mtjnn.experiments.vowels_records import CHAIN_FIELDS, THERMAL_FIELDS, MacrospinSplit, ProtocolSplit, SplitRecord, TrainTest

    def protocol(k: float) -> ProtocolSplit:
        acc = {m: TrainTest(k + i / 10, k + i / 20) for i, m in enumerate(("software", "rule", "rule_from_software", "rule_error_spare",
                                                                             "mlp1", "mlp2"))}
        return ProtocolSplit(acc, 1.5 + k, {"lam": k}, 0.01, [0.1, 0.2], [0.3, 0.4], {1: ([1, 2], [0.5, 0.6]), 2: ([1, 2], [0.7, 0.8])})

    record = SplitRecord(
        protocols={"paper": protocol(0.0), "strict": protocol(1.0)}, mlp_params={1: 27, 2: 47},
        chain={k: [i] for i, k in enumerate(CHAIN_FIELDS)}, curve_control=[[1.0]], pred_test=[0, 1], true_test=[0, 2],
        thermal={k: [0.9, 0.8] for k in THERMAL_FIELDS}, energy_paper_pulse_j=1e-10,
        macrospin={"macrospin_0k": MacrospinSplit(TrainTest(0.9, 0.8), 2.0, 1e-12, 1.0, TrainTest(0.95, 0.85), 3.0),
                   "macrospin_300k": MacrospinSplit(TrainTest(0.7, 0.6), 2.0, 1e-12, 0.9)})
    flat = record.to_json()
    # the keys checkpoints and metrics.json have always used
    assert flat["paper_rule_test"] == 0.05 and flat["strict_mlp2_train"] == 1.5 and flat["mlp2_params"] == 47
    assert flat["macrospin_0k_rule_test"] == 0.85 and "macrospin_300k_rule_test" not in flat
    assert flat["paper_mlp1_curve"] == [[1, 2], [0.5, 0.6]] and flat["control_a"] == [4]
    back = SplitRecord.from_json(json.loads(json.dumps(flat)))
    assert back.to_json() == flat
    assert back.accuracy("strict_rule") == TrainTest(1.1, 1.05) and back.accuracy("macrospin_0k_rule") == TrainTest(0.95, 0.85)
    assert back.accuracy("macrospin_300k_rule") is None and back.accuracy("nothing") is None
