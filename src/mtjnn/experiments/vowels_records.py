"""Typed records of `mtjnn run vowels` (issues 11/12): what ``experiments.vowels`` measures on one split
(``SplitRecord``), calibrates once (``VowelSetup``) and fits on all samples (``FullDataFits``), and hands to its
metrics, figures and checkpoint.

On disk (``checkpoint.pt`` and ``metrics.json``'s ``per_split``, ``setup``, ``full_data``) each record is the dict it has
always been; below, a split is the flat dict
(keys such as ``"paper_rule_test"``, ``"macrospin_0k_energy_j"``): ``SplitRecord.to_json`` writes it and
``SplitRecord.from_json`` reads it, so checkpoints written before these records existed resume unchanged.
Units: accuracies are fractions, times s, energies J, currents A, map weights A/Hz.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

#: ``paper``: our reading of the seed (its S3 preprocessing): the 26 input-map coefficients (and the MLPs'
#: input layers) fitted once on all samples; cell table and thresholds (software), control currents (the
#: ±10 uA rule) and the MLPs' output layers on each split's training part. ``strict``: everything on the
#: training part, the map's regularization chosen by cross-validation inside it.
PROTOCOLS = ("paper", "strict")
#: The seed's numbers (López et al. 2024).
PAPER = {"chain_train": 0.966, "chain_test": 0.964, "mlp_47": 0.95, "energy_per_input_pj": "1 + 0.2 N"}
#: Models trained per protocol; their train/test accuracies are ``<protocol>_<model>_{train,test}`` on disk.
PROTOCOL_MODELS = ("software", "rule", "rule_from_software", "rule_error_spare", "mlp1", "mlp2")
#: Fields of the headline chain (paper protocol, rule from -500 uA) kept per split.
CHAIN_FIELDS = ("table", "map_weight_a_per_hz", "map_bias_a", "switching_estimate_a", "control_a")
#: Per-trial thermal accuracies and curves kept per split (lists).
THERMAL_FIELDS = ("thermal_deployed_test", "thermal_rule_train", "thermal_rule_test", "thermal_curve_test")
MLP_HIDDEN = (1, 2)


@dataclass(frozen=True)
class TrainTest:
    """Accuracy (fraction) on a split's training and test parts."""

    train: float
    test: float


@dataclass(frozen=True)
class ProtocolSplit:
    """One protocol (``vowels.PROTOCOLS``) on one split: accuracies of ``PROTOCOL_MODELS``, the rule's learning
    curves, the fraction of test samples in unowned cells, the MLP test curves {hidden: (epochs, accuracy)}."""

    accuracy: Mapping[str, TrainTest]
    time_training_s: float
    selection: Mapping[str, Any]
    rule_unowned_test: float
    curve_train: list[float]
    curve_test: list[float]
    mlp_curves: Mapping[int, tuple[list[int], list[float]]]


@dataclass(frozen=True)
class MacrospinSplit:
    """The headline chain evaluated with LLGS junctions (``label`` macrospin_0k / macrospin_300k): deployed as
    trained on the compact model, and (``rule``) re-trained with the ±10 uA rule with the junctions in the loop."""

    accuracy: TrainTest
    time_s: float
    energy_j: float
    agreement: float
    rule: TrainTest | None = None
    rule_time_s: float | None = None


@dataclass(frozen=True)
class SplitRecord:
    """Everything measured on one split."""

    protocols: Mapping[str, ProtocolSplit]
    mlp_params: Mapping[int, int]
    chain: Mapping[str, Any]  # CHAIN_FIELDS of the headline classifier (plain lists)
    curve_control: list
    pred_test: list[int]
    true_test: list[int]
    thermal: Mapping[str, list[float]]  # THERMAL_FIELDS
    energy_paper_pulse_j: float
    macrospin: Mapping[str, MacrospinSplit]

    def accuracy(self, key: str) -> TrainTest | None:
        """Train/test accuracy of ``"<protocol>_<model>"``, ``"<macrospin label>"`` or ``"<label>_rule"``."""
        for protocol, rec in self.protocols.items():
            if key.startswith(protocol + "_") and key[len(protocol) + 1:] in rec.accuracy:
                return rec.accuracy[key[len(protocol) + 1:]]
        if key in self.macrospin:
            return self.macrospin[key].accuracy
        if key.endswith("_rule") and key[:-5] in self.macrospin:
            return self.macrospin[key[:-5]].rule
        return None

    def to_json(self) -> dict[str, Any]:
        """The flat on-disk dict (checkpoint and metrics.json)."""
        out: dict[str, Any] = {}
        for p, rec in self.protocols.items():
            out[f"{p}_time_training_s"] = rec.time_training_s
            out[f"{p}_selection"] = dict(rec.selection)
            for model, acc in rec.accuracy.items():
                out[f"{p}_{model}_train"], out[f"{p}_{model}_test"] = acc.train, acc.test
            out[f"{p}_rule_unowned_test"] = rec.rule_unowned_test
            out[f"{p}_curve_train"], out[f"{p}_curve_test"] = list(rec.curve_train), list(rec.curve_test)
            for h, (epochs, curve) in rec.mlp_curves.items():
                out[f"{p}_mlp{h}_curve"] = [list(epochs), list(curve)]
        for h, n in self.mlp_params.items():
            out[f"mlp{h}_params"] = n
        out.update({k: self.chain[k] for k in CHAIN_FIELDS})
        out.update(curve_control=self.curve_control, pred_test=self.pred_test, true_test=self.true_test)
        out.update({k: self.thermal[k] for k in THERMAL_FIELDS})
        out["energy_paper_pulse_j"] = self.energy_paper_pulse_j
        for label, m in self.macrospin.items():
            out.update({f"{label}_time_s": m.time_s, f"{label}_train": m.accuracy.train, f"{label}_test": m.accuracy.test,
                        f"{label}_energy_j": m.energy_j, f"{label}_agreement": m.agreement})
            if m.rule is not None:
                out.update({f"{label}_rule_train": m.rule.train, f"{label}_rule_test": m.rule.test, f"{label}_rule_time_s": m.rule_time_s})
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any], protocols: tuple[str, ...] = PROTOCOLS) -> SplitRecord:
        """Inverse of ``to_json`` (also reads checkpoints written before the records existed)."""
        recs = {}
        for p in protocols:
            recs[p] = ProtocolSplit(
                accuracy={m: TrainTest(d[f"{p}_{m}_train"], d[f"{p}_{m}_test"]) for m in PROTOCOL_MODELS},
                time_training_s=d[f"{p}_time_training_s"], selection=d[f"{p}_selection"], rule_unowned_test=d[f"{p}_rule_unowned_test"],
                curve_train=d[f"{p}_curve_train"], curve_test=d[f"{p}_curve_test"],
                mlp_curves={h: (d[f"{p}_mlp{h}_curve"][0], d[f"{p}_mlp{h}_curve"][1]) for h in MLP_HIDDEN})
        macro = {}
        for label in ("macrospin_0k", "macrospin_300k"):
            if f"{label}_test" in d:
                rule = TrainTest(d[f"{label}_rule_train"], d[f"{label}_rule_test"]) if f"{label}_rule_test" in d else None
                macro[label] = MacrospinSplit(TrainTest(d[f"{label}_train"], d[f"{label}_test"]), d[f"{label}_time_s"], d[f"{label}_energy_j"],
                                              d[f"{label}_agreement"], rule, d.get(f"{label}_rule_time_s"))
        return cls(protocols=recs, mlp_params={h: d[f"mlp{h}_params"] for h in MLP_HIDDEN}, chain={k: d[k] for k in CHAIN_FIELDS},
                   curve_control=d["curve_control"], pred_test=d["pred_test"], true_test=d["true_test"],
                   thermal={k: d[k] for k in THERMAL_FIELDS}, energy_paper_pulse_j=d["energy_paper_pulse_j"], macrospin=macro)


@dataclass(frozen=True)
class MacrospinCalibration:
    """The 0 K LLGS junctions calibrated to the chain's switching currents: anisotropy fields (T), the thresholds
    they give (A) and the calibration's wall time (s)."""

    anisotropy_field_t: list[float]
    thresholds_a: list[float]
    time_s: float


@dataclass(frozen=True)
class ThermalCalibration:
    """The same junctions calibrated at the run's temperature: anisotropy fields (T), barriers (k_B T), the
    switching probability at each junction's switching current, wall time (s)."""

    anisotropy_field_t: list[float]
    barrier: list[float]
    p_switch_at_i_sw: list[float]
    time_s: float


@dataclass(frozen=True)
class VowelSetup:
    """What a vowel run calibrates once before the splits (None without macrospin / thermal macrospin). On disk
    (checkpoint and metrics.json's ``setup``): ``{"macrospin": {...} | None[, "macrospin_thermal": {...}]}``."""

    macrospin: MacrospinCalibration | None = None
    thermal: ThermalCalibration | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"macrospin": None if self.macrospin is None else asdict(self.macrospin)}
        if self.thermal is not None:
            out["macrospin_thermal"] = asdict(self.thermal)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> VowelSetup:
        """Inverse of ``to_json``."""
        cold, hot = d.get("macrospin"), d.get("macrospin_thermal")
        return cls(None if cold is None else MacrospinCalibration(**cold), None if hot is None else ThermalCalibration(**hot))


@dataclass(frozen=True)
class FullDataFits:
    """The ``paper`` protocol's preprocessing, fitted once on all samples: the chain (``vowels.classifier_record``,
    plain lists) with its all-data accuracy and wall time (s), and each MLP's input layer ({hidden: FirstLayer
    fields mean, std, weight, bias as lists}) with its all-data accuracy. On disk: the flat dict of ``to_json``
    (``"chain"``, ``"chain_all_data_accuracy"``, ``"chain_time_s"``, ``"mlp<h>"``, ``"mlp<h>_all_data_accuracy"``)."""

    chain: Mapping[str, Any]
    chain_accuracy: float
    chain_time_s: float
    mlp_layers: Mapping[int, Mapping[str, list]]
    mlp_accuracy: Mapping[int, float]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"chain": dict(self.chain), "chain_all_data_accuracy": self.chain_accuracy, "chain_time_s": self.chain_time_s}
        for h in self.mlp_layers:
            out[f"mlp{h}"], out[f"mlp{h}_all_data_accuracy"] = dict(self.mlp_layers[h]), self.mlp_accuracy[h]
        return out

    def metrics_json(self) -> dict[str, Any]:
        """metrics.json's ``full_data``: ``to_json`` without the MLP input layers."""
        layers = tuple(f"mlp{h}" for h in self.mlp_layers)
        return {k: v for k, v in self.to_json().items() if not k.startswith(layers) or k.endswith("accuracy")}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FullDataFits:
        """Inverse of ``to_json``."""
        hidden = [h for h in MLP_HIDDEN if f"mlp{h}" in d]
        return cls(d["chain"], d["chain_all_data_accuracy"], d["chain_time_s"], {h: d[f"mlp{h}"] for h in hidden},
                   {h: d[f"mlp{h}_all_data_accuracy"] for h in hidden})


@dataclass(frozen=True)
class GumbelFit:
    """One junction's Néel–Brown (Gumbel) fit P(I) = 1 - exp(-ln2 exp((I - i50) / w)): i50 and w in A."""

    i50_a: float
    w_a: float


@dataclass(frozen=True)
class Crosscheck:
    """Thermal LLGS switching probability vs current against the compact Néel–Brown law (``vowels._crosscheck``):
    temperature (K), pulse (s), runs per point, each junction's switching current (A), the current offsets (A),
    P(switch) per junction and offset, each junction's ``GumbelFit`` and barrier (k_B T), and the compact model's
    width w = i_c / Delta (A), Delta and i_c (A). On disk (checkpoint, metrics.json's ``llgs_vs_neel_brown``):
    ``to_json``, a dict of these fields."""

    temperature_k: float
    pulse_s: float
    trials: int
    i_sw_a: list[float]
    offsets_a: list[float]
    p_llgs: list[list[float]]
    fits: list[GumbelFit]
    barrier: list[float]
    compact_w_a: float
    compact_delta: float
    compact_i_c_a: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Crosscheck:
        """Inverse of ``to_json``."""
        return cls(**{**d, "fits": [GumbelFit(**f) for f in d["fits"]]})
