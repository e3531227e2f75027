"""metrics.json and the one-screen summary of `mtjnn run vowels` (seed 002), from the per-split records
(``vowels_records.SplitRecord``): every accuracy, energy and time is an ``Estimate`` over the splits."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..devices.mtj import JunctionParams
from .common import summary_table
from .records import Estimate
from .vowels_records import PAPER, PROTOCOLS, Crosscheck, FullDataFits, SplitRecord, VowelSetup


def _over_splits(values, unit: str = "1") -> Estimate:
    """Mean ± std over the splits (one value per split)."""
    return Estimate.of(values, over="splits", unit=unit)


def vowel_metrics(config, data, per: list[SplitRecord], setup: VowelSetup, full: FullDataFits, state: dict) -> dict:
    """metrics.json of a vowel run (``config``: its ``VowelsConfig``; ``state``: its checkpoint state, for the
    optional sweeps, cross-check and analysis)."""
    keys = [f"{p}_{name}" for p in PROTOCOLS for name in ("software", "rule", "rule_from_software", "rule_error_spare", "mlp1", "mlp2")]
    keys += ["macrospin_0k", "macrospin_300k", "macrospin_0k_rule", "macrospin_300k_rule"]
    acc = {}
    for k in keys:
        if per[0].accuracy(k) is not None:
            acc[k] = {"train": _over_splits([p.accuracy(k).train for p in per]), "test": _over_splits([p.accuracy(k).test for p in per])}
    # thermal: each split's mean over its trials; "test_trial_std": the std over trials, one value per split
    acc["thermal_deployed"] = {"test": _over_splits([np.mean(p.thermal["thermal_deployed_test"]) for p in per]),
                               "test_trial_std": _over_splits([np.std(p.thermal["thermal_deployed_test"]) for p in per])}
    acc["thermal_rule"] = {"train": _over_splits([np.mean(p.thermal["thermal_rule_train"]) for p in per]),
                           "test": _over_splits([np.mean(p.thermal["thermal_rule_test"]) for p in per]),
                           "test_trial_std": _over_splits([np.std(p.thermal["thermal_rule_test"]) for p in per])}
    n = config.n_devices
    energy = {
        "paper_estimate_per_input_j": (1 + 0.2 * n) * 1e-12,
        "paper_estimate_per_classification_j": 2 * (1 + 0.2 * n) * 1e-12,
        "read_per_classification_j": 2 * n * JunctionParams().read_energy,
        "lut_per_classification_j": 10e-15,
        "joule_paper_pulse_per_classification_j": _over_splits([p.energy_paper_pulse_j for p in per], "J"),
        "paper_pulse_s": config.paper_pulse,
    }
    if "macrospin_0k" in per[0].macrospin:
        energy["joule_macrospin_pulse_per_classification_j"] = _over_splits([p.macrospin["macrospin_0k"].energy_j for p in per], "J")
        energy["macrospin_pulse_s"] = config.macrospin_pulse
    metrics = {
        "paper": PAPER,
        "data": {"corpus": config.corpus, "vowels": data.vowels, "group": config.group, "speakers": data.n_speakers, "samples": data.n_samples,
                 "features": data.feature_names, "dropped_speakers": data.dropped_speakers},
        "accuracy": acc,
        "parameters": {"chain": 2 * len(data.feature_names) + 2 + 2 * n, "mlp_12_1_7": per[0].mlp_params[1],
                       "mlp_12_2_7": per[0].mlp_params[2]},
        "energy": energy,
        "protocols": {"paper": "26 map coefficients (and the MLPs' input layers) fitted on all samples as preprocessing; "
                               "thresholds + cell table (software), control currents (±10 uA rule) and MLP output layers "
                               "on each split's training part",
                      "strict": "everything on the training part; the map's regularization chosen by 3-fold "
                                "cross-validation (by talker) inside it"},
        "unowned_test_fraction": {pr: _over_splits([p.protocols[pr].rule_unowned_test for p in per]) for pr in PROTOCOLS},
        "speed": {f"{pr}_training_s": _over_splits([p.protocols[pr].time_training_s for p in per], "s") for pr in PROTOCOLS},
        "setup": setup.to_json(),
        "full_data": full.metrics_json(),
        "per_split": [{k: v for k, v in p.to_json().items() if "curve" not in k and not k.startswith(("pred", "true"))} for p in per],
    }
    if "macrospin_0k" in per[0].macrospin:
        metrics["speed"]["macrospin_eval_s"] = _over_splits([p.macrospin["macrospin_0k"].time_s for p in per], "s")
        metrics["macrospin_agreement_with_compact"] = _over_splits([p.macrospin["macrospin_0k"].agreement for p in per])
    if "sweeps" in state:
        sw = state["sweeps"]
        # one value per (sweep split, device realisation) / per sweep split
        metrics["variability"] = {str(s): {k: Estimate.of(v, over="splits x realisations") for k, v in d.items()}
                                  for s, d in sw["variability"].items()}
        metrics["devices"] = {str(nn): {k: _over_splits(v) for k, v in d.items()} for nn, d in sw["devices"].items()}
    if "crosscheck" in state:
        metrics["llgs_vs_neel_brown"] = Crosscheck.from_json(state["crosscheck"]).to_json()
    if "analysis" in state:
        metrics["analysis"] = {k: {n: _over_splits(v) for n, v in d.items()} for k, d in state["analysis"].items()}
    return metrics


def vowel_summary(config, m: dict, out: Path) -> str:
    """The one-screen summary of a vowel run's metrics."""
    a = m["accuracy"]

    def row(key: str) -> str:
        d = a[key]
        tr = f"train {d['train'].text(100, '%')}  " if "train" in d else ""
        return f"{tr}test {d['test'].text(100, '%')}"

    rows = [
        ("data", f"{m['data']['speakers']} speakers x {len(m['data']['vowels'])} vowels ({','.join(m['data']['vowels'])}), "
                 f"{config.splits} splits by {config.split_by}"),
    ]
    nf, nk = len(m["data"]["features"]), len(m["data"]["vowels"])
    for pr in PROTOCOLS:
        rows += [(f"[{pr}] chain, ±10 uA rule from -500 uA", row(f"{pr}_rule")),
                 (f"[{pr}] chain, software fit", row(f"{pr}_software")),
                 (f"[{pr}] chain, rule, unowned cells = errors", row(f"{pr}_rule_error_spare")),
                 (f"[{pr}] MLP {nf}-2-{nk} ({m['parameters']['mlp_12_2_7']} params)", row(f"{pr}_mlp2")),
                 (f"[{pr}] MLP {nf}-1-{nk} ({m['parameters']['mlp_12_1_7']} params)", row(f"{pr}_mlp1"))]
    if "macrospin_0k" in a:
        rows.append(("chain, macrospin 0 K", row("macrospin_0k")))
    if "macrospin_0k_rule" in a:
        rows.append(("chain, macrospin 0 K, rule in the loop", row("macrospin_0k_rule")))
    if "macrospin_300k" in a:
        rows.append((f"chain, macrospin {config.temperature:.0f} K ({config.macrospin_pulse * 1e9:.0f} ns)", row("macrospin_300k")))
    if "macrospin_300k_rule" in a:
        rows.append((f"chain, macrospin {config.temperature:.0f} K, rule in the loop", row("macrospin_300k_rule")))
    rows += [
        (f"chain, {config.temperature:.0f} K {config.paper_pulse * 1e9:.0f} ns, as designed", row("thermal_deployed")
         + f"  (trial spread {a['thermal_deployed']['test_trial_std'].mean * 100:.1f})"),
        (f"chain, {config.temperature:.0f} K {config.paper_pulse * 1e9:.0f} ns, rule in the loop", row("thermal_rule")
         + f"  (trial spread {a['thermal_rule']['test_trial_std'].mean * 100:.1f})"),
        ("paper", "chain 96.6 % train / 96.4 % test; MLP 47 params ~95 %"),
        ("energy, paper estimate", f"{m['energy']['paper_estimate_per_classification_j'] * 1e12:.1f} pJ per classification "
                                   f"({m['energy']['paper_estimate_per_input_j'] * 1e12:.1f} pJ per input)"),
        (f"energy, I^2 R t at {config.paper_pulse * 1e9:.0f} ns", f"{m['energy']['joule_paper_pulse_per_classification_j'].mean * 1e12:.0f} pJ"
                                                                    " per classification"),
    ]
    if "joule_macrospin_pulse_per_classification_j" in m["energy"]:
        rows.append((f"energy, I^2 R t at {config.macrospin_pulse * 1e9:.0f} ns (LLGS)",
                     f"{m['energy']['joule_macrospin_pulse_per_classification_j'].mean * 1e12:.1f} pJ per classification"))
    rows += [("training time (software + rule)", ", ".join(f"{pr} {m['speed'][f'{pr}_training_s'].mean:.1f} s" for pr in PROTOCOLS)
              + " per split"), ("results", str(out))]
    return summary_table(rows, "mtjnn run vowels: MTJ-chain classifier (López et al. 2024)")
