"""`mtjnn run vowels`: the reconfigurable MTJ-chain vowel classifier of López et al. (2024, seed 002).

For each of ``splits`` seeded 80/20 splits of the Hillenbrand vowels (37 women, 7 vowels, 12 formants;
``split_by`` "speaker": 8 of 37 talkers held out, or "sample": 8 samples per vowel) it trains and evaluates
* the chain, compact fidelity: software training of the map + cell table + control currents
  (``fit_smoothed``), then the paper's ±10 uA hardware rule from I_C = -500 uA (the headline number), and
  the rule started from the software control currents;
* the same classifier with macrospin fidelity at 0 K (every sample x junction through the LLGS engine,
  one batched call per input; junctions calibrated to the compact thresholds at ``macrospin_pulse``)
  and at 300 K (stochastic Heun, same short pulses);
* the chain at 300 K with the paper's pulse width (``paper_pulse``, Néel–Brown statistics), trained
  with the rule on the stochastic devices in the loop, accuracy over ``thermal_trials`` repeats;
* MLP baselines 12-1-7 (27 parameters) and 12-2-7 (47 parameters), penalty and stopping epoch chosen
  by inner cross-validation (by talker) inside the training set.
Beyond the paper (``sweep``): accuracy vs device-to-device threshold spread (deployed as designed, and
re-trained with the rule on the spread devices) and vs number of junctions N. Energy per classification:
the paper's (1 + 0.2 N) pJ per input and our I^2 R t of the simulated pulses. Writes metrics.json,
config.json, confusion.png, switching_map.png, learning_curves.png, robustness.png, llgs_vs_neel_brown.png.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from ..circuits.series_chain import SeriesChain
from ..data.synthetic_vowels import synthetic_vowels
from ..data.vowels import DEFAULT_VOWELS, SPLIT_BY, load_vowels, make_splits
from ..devices.mtj import (
    MTJ,
    PAPER_CONTROL_CURRENT,
    CompactSwitching,
    JunctionParams,
    MacrospinSwitching,
    paper_switching_currents,
)
from ..nn.chain_classifier import (
    ChainClassifier,
    HardwareRuleConfig,
    InputMap,
    SmoothedTrainingConfig,
    fit_smoothed,
    refit_thresholds,
    select_by_validation,
    train_hardware,
)
from ..nn.chain_software import STRICT_FIT
from ..nn.mlp_baseline import FirstLayer, MLPConfig, train_mlp
from ..validation import check_choice, check_range
from .common import Checkpoint, results_dir, save_json, seed_everything
from .results import reopen_run_folder, saved_config, write_config
from .vowels_analysis import ceiling_analysis
from .vowels_plots import plot_confusion, plot_crosscheck, plot_learning_curves, plot_robustness, plot_switching_map
from .vowels_metrics import vowel_metrics, vowel_summary
from .vowels_records import (  # noqa: F401 (PAPER re-exported)
    MLP_HIDDEN, PAPER, PROTOCOLS, Crosscheck, FullDataFits, GumbelFit, MacrospinCalibration, MacrospinSplit, ProtocolSplit, SplitRecord, ThermalCalibration, TrainTest,
    VowelSetup,
)

#: "hillenbrand": the seed's data; "synthetic": Peterson & Barney (1952) means with talker/token spreads.
CORPORA = ("hillenbrand", "synthetic")


@dataclass(frozen=True)
class VowelsConfig:
    """Inputs of ``run`` (SI units: A, s, K)."""

    #: ``--quick``: one split, no macrospin, no sweeps or cross-check, short MLP training (contract.quick_config).
    QUICK: ClassVar[dict[str, Any]] = {"splits": 1, "macrospin": False, "sweep": False, "crosscheck": False, "mlp_epochs": 300,
                                       "thermal_trials": 3}

    splits: int = 10
    test_fraction: float = 0.2
    split_by: str = "sample"
    seed: int = 0
    vowels: tuple[str, ...] = DEFAULT_VOWELS
    group: str = "w"
    n_devices: int = 3
    hardware_steps: int = 80
    step_current: float = 10e-6
    paper_pulse: float = 300e-9
    temperature: float = 300.0
    thermal_trials: int = 20
    macrospin: bool = True
    macrospin_pulse: float = 50e-9
    macrospin_dt: float = 5e-12
    macrospin_thermal: bool = True
    macrospin_rule: bool = True
    crosscheck: bool = True
    mlp_epochs: int = 2000
    mlp_restarts: int = 6
    sweep: bool = True
    sweep_sigmas: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.10)
    sweep_devices: tuple[int, ...] = (2, 3, 4)
    sweep_splits: int = 3
    sweep_realisations: int = 20
    analysis: bool = False
    data_path: str | None = None
    corpus: str = "hillenbrand"
    synthetic_speakers: int = 37

    def __post_init__(self) -> None:
        check_range("splits", self.splits, 1, 1000)
        check_range("test_fraction", self.test_fraction, 0.0, 1.0, low_inclusive=False, high_inclusive=False)
        check_choice("split_by", self.split_by, SPLIT_BY)
        check_choice("corpus", self.corpus, CORPORA)
        check_range("synthetic_speakers", self.synthetic_speakers, 5, 100_000)
        check_range("n_devices", self.n_devices, 1, 8)
        check_range("hardware_steps", self.hardware_steps, 0, 100_000)
        check_range("step_current", self.step_current, 0.0, 1e-3, low_inclusive=False, unit="A")
        check_range("paper_pulse", self.paper_pulse, 1e-9, 1.0, unit="s")
        check_range("temperature", self.temperature, 0.0, 1000.0, low_inclusive=False, unit="K")
        check_range("thermal_trials", self.thermal_trials, 1, 100_000)
        check_range("macrospin_pulse", self.macrospin_pulse, 1e-10, 1e-6, unit="s")
        check_range("macrospin_dt", self.macrospin_dt, 1e-14, 1e-10, unit="s")
        check_range("mlp_epochs", self.mlp_epochs, 1, 10_000_000)
        check_range("mlp_restarts", self.mlp_restarts, 1, 1000)
        check_range("sweep_sigmas", self.sweep_sigmas, 0.0, 0.5)
        check_range("sweep_devices", self.sweep_devices, 1, 8)
        check_range("sweep_splits", self.sweep_splits, 1, 1000)
        check_range("sweep_realisations", self.sweep_realisations, 1, 100_000)


def load_corpus(config: VowelsConfig):
    """The run's ``VowelData``: Hillenbrand's women (``vowels``, 12 formants) or the synthetic Peterson & Barney
    corpus (``synthetic_speakers`` talkers, its seven vowels, F1-F3; seeded by ``seed``)."""
    if config.corpus == "synthetic":
        return synthetic_vowels(config.synthetic_speakers, seed=config.seed + 101)
    return load_vowels(config.vowels, config.group, path=config.data_path)


def _chain(switching) -> SeriesChain:
    return SeriesChain(MTJ(switching=switching, junction=JunctionParams()))


def _thermal_accuracy(clf: ChainClassifier, x, y, chain: SeriesChain, trials: int, gen: torch.Generator) -> np.ndarray:
    return np.array([float(clf.accuracy(x, y, chain, gen)) for _ in range(trials)])


def _software(protocol: str, config: VowelsConfig, data, tr: np.ndarray, full: FullDataFits, seed: int) -> tuple[ChainClassifier, dict]:
    """Software-trained chain of one protocol on the training part ``tr`` (see ``PROTOCOLS``)."""
    x, y = data.features, data.labels
    i_sw = paper_switching_currents(config.n_devices)
    if protocol == "paper":
        return refit_thresholds(classifier_from_record(full.chain), x[tr], y[tr]), {}
    clf, _, info = select_by_validation(x[tr], y[tr], i_sw, replace(STRICT_FIT, seed=seed), groups=np.asarray(data.speakers)[tr])
    return clf, info


def _split(config: VowelsConfig, data, tr: np.ndarray, te: np.ndarray, macro: dict, full: FullDataFits, gen: torch.Generator) -> SplitRecord:
    """Everything measured on one split (``vowels_records.SplitRecord``)."""
    x, y = data.features, data.labels
    i_sw = paper_switching_currents(config.n_devices)
    cold = _chain(CompactSwitching(i_sw=i_sw, pulse=config.paper_pulse))
    hot = _chain(CompactSwitching(i_sw=i_sw, pulse=config.paper_pulse, temperature=config.temperature))
    rule = HardwareRuleConfig(steps=config.hardware_steps, step_current=config.step_current, seed=int(gen.initial_seed()))
    protocols: dict[str, ProtocolSplit] = {}
    mlp_params: dict[int, int] = {}
    models: dict = {}
    for protocol in PROTOCOLS:
        started = time.perf_counter()
        soft, info = _software(protocol, config, data, tr, full, int(gen.initial_seed()))
        clf, hist = train_hardware(soft, cold, x[tr], y[tr], rule, x[te], y[te])
        time_training = time.perf_counter() - started
        tuned, _ = train_hardware(soft, cold, x[tr], y[tr], replace(rule, initial_control=None))
        accuracy = {name: TrainTest(float(model.accuracy(x[tr], y[tr], cold)), float(model.accuracy(x[te], y[te], cold)))
                    for name, model in (("software", soft), ("rule", clf), ("rule_from_software", tuned),
                                        ("rule_error_spare", replace(clf, spare="error")))}
        unowned = float((clf.table[clf.run(x[te], cold).configuration] < 0).double().mean())
        mlp_curves = {}
        for hidden in MLP_HIDDEN:
            mlp = MLPConfig(hidden=hidden, epochs=config.mlp_epochs, restarts=config.mlp_restarts, seed=int(gen.initial_seed()))
            layer = first_layer_from_record(full.mlp_layers[hidden]) if protocol == "paper" else None
            res = train_mlp(x[tr], y[tr], x[te], y[te], mlp, groups=np.asarray(data.speakers)[tr], first_layer=layer)
            accuracy[f"mlp{hidden}"] = TrainTest(res.train_accuracy, res.test_accuracy)
            mlp_params[hidden] = res.n_parameters
            mlp_curves[hidden] = (res.epochs.tolist(), res.test_curve.tolist())
        protocols[protocol] = ProtocolSplit(accuracy, time_training, info, unowned, hist.train_accuracy.tolist(),
                                            hist.test_accuracy.tolist(), mlp_curves)
        models[protocol] = (soft, clf, hist)
    # the headline chain (paper protocol, rule from -500 uA) in detail, at 300 K and with LLGS junctions
    soft, clf, hist = models["paper"]
    chain = {"table": clf.table.tolist(), "map_weight_a_per_hz": clf.input_map.weight.tolist(), "map_bias_a": clf.input_map.bias.tolist(),
             "switching_estimate_a": clf.switching_estimate.tolist(), "control_a": clf.control.tolist()}  # A; rows: input A, input B
    pred_test = clf.predict(x[te], cold).tolist()
    # 300 K, paper pulse width, Néel–Brown: as designed, and trained with the stochastic devices in the loop
    thermal = {"thermal_deployed_test": _thermal_accuracy(clf, x[te], y[te], hot, config.thermal_trials, gen).tolist()}
    hot_clf, hot_hist = train_hardware(soft, hot, x[tr], y[tr], rule, x[te], y[te], generator=gen)
    thermal["thermal_rule_train"] = _thermal_accuracy(hot_clf, x[tr], y[tr], hot, config.thermal_trials, gen).tolist()
    thermal["thermal_rule_test"] = _thermal_accuracy(hot_clf, x[te], y[te], hot, config.thermal_trials, gen).tolist()
    thermal["thermal_curve_test"] = hot_hist.test_accuracy.tolist()
    energy_paper_pulse = float(hot.energy(hot_clf.run(x, hot, gen)).mean())
    # macrospin fidelity: one engine call per input for all samples x junctions. "deployed": the classifier
    # trained on the compact model; "rule": the ±10 uA rule run with the LLGS junctions in the loop.
    macrospin = {}
    for label, llgs in macro.items():
        started = time.perf_counter()
        res = clf.run(x, llgs, gen)
        elapsed = time.perf_counter() - started
        pred = clf.classify(res.configuration, clf.input_map(x)).numpy()
        deployed = TrainTest(float(np.mean(pred[tr] == y[tr])), float(np.mean(pred[te] == y[te])))
        energy, agreement = float(llgs.energy(res).mean()), float(np.mean(pred == clf.predict(x, cold).numpy()))
        in_loop, loop_time = None, None
        if config.macrospin_rule:
            started = time.perf_counter()
            _, mh = train_hardware(soft, llgs, x[tr], y[tr], rule, x[te], y[te], generator=gen, eval_every=0)
            in_loop, loop_time = TrainTest(float(mh.train_accuracy[-1]), float(mh.test_accuracy[-1])), time.perf_counter() - started
        macrospin[label] = MacrospinSplit(deployed, elapsed, energy, agreement, in_loop, loop_time)
    return SplitRecord(protocols=protocols, mlp_params=mlp_params, chain=chain, curve_control=hist.control.tolist(), pred_test=pred_test,
                       true_test=y[te].tolist(), thermal=thermal, energy_paper_pulse_j=energy_paper_pulse, macrospin=macrospin)


def _sweeps(config: VowelsConfig, data, splits, gen: torch.Generator) -> dict:
    """Accuracy vs threshold spread (compact, 0 K) and vs number of junctions."""
    x, y = data.features, data.labels
    rule = HardwareRuleConfig(steps=config.hardware_steps, step_current=config.step_current)
    var = {s: {"deployed": [], "retrained": []} for s in config.sweep_sigmas}
    by_n = {n: {"software": [], "rule": []} for n in config.sweep_devices}
    maps = {n: fit_smoothed(x, y, paper_switching_currents(n), SmoothedTrainingConfig(seed=config.seed))[0] for n in config.sweep_devices}
    for tr, te in splits[: config.sweep_splits]:
        for n in config.sweep_devices:  # paper protocol: the map of all data, thresholds and table on the split
            i_sw = paper_switching_currents(n)
            nominal = CompactSwitching(i_sw=i_sw, pulse=config.paper_pulse)
            soft = refit_thresholds(maps[n], x[tr], y[tr])
            clf, _ = train_hardware(soft, _chain(nominal), x[tr], y[tr], rule)
            by_n[n]["software"].append(float(soft.accuracy(x[te], y[te], _chain(nominal))))
            by_n[n]["rule"].append(float(clf.accuracy(x[te], y[te], _chain(nominal))))
            if n != config.n_devices:
                continue
            reference = torch.as_tensor(i_sw) - PAPER_CONTROL_CURRENT  # input thresholds at -500 uA, A
            for sigma in config.sweep_sigmas:
                eps = torch.randn((config.sweep_realisations, n), generator=gen, dtype=torch.float64)
                spread = _chain(nominal.with_offsets(sigma * reference * eps))
                var[sigma]["deployed"] += clf.accuracy(x[te], y[te], spread).tolist()
                retrained, _ = train_hardware(clf, spread, x[tr], y[tr], replace(rule, initial_control=None))
                var[sigma]["retrained"] += retrained.accuracy(x[te], y[te], spread).tolist()
    return {"variability": var, "devices": by_n}


def _crosscheck(hot: MacrospinSwitching, compact: CompactSwitching, gen: torch.Generator) -> Crosscheck:
    """Thermal LLGS switching probability vs current (the 300 K-calibrated junctions, ``hot.pulse``) against
    the Néel–Brown form of the compact model.

    For beta = 1 the compact law is a Gumbel curve, P(I) = 1 - exp(-ln2 exp((I - I_50)/w)), with
    w = i_c/Delta the current per e-fold of the escape rate; (I_50, w) are fitted to the LLGS points of
    each junction and compared with the compact model's w.
    """
    from scipy.optimize import curve_fit

    i_sw = torch.as_tensor(paper_switching_currents(hot.n_devices), dtype=torch.float64)
    offsets = torch.linspace(-120e-6, 120e-6, 13, dtype=torch.float64)
    trials = 96
    current = (i_sw[None, None, :] + offsets[:, None, None]).expand(len(offsets), trials, hot.n_devices).contiguous()
    p = hot.switch(current, gen).to(torch.float64).mean(1).numpy()  # (P, N)

    def gumbel(i, i50, w):
        return 1.0 - np.exp(-np.log(2.0) * np.exp(np.clip((i - i50) / w, -50, 50)))

    fits = []
    for n in range(hot.n_devices):
        x = (i_sw[n] + offsets).numpy()
        try:
            (i50, w), _ = curve_fit(gumbel, x, p[:, n], p0=(float(i_sw[n]), 10e-6), bounds=((-1e-3, 1e-7), (1e-3, 1e-3)))
        except RuntimeError:
            i50, w = math.nan, math.nan
        fits.append(GumbelFit(float(i50), float(w)))
    return Crosscheck(temperature_k=hot.temperature, pulse_s=hot.pulse, trials=trials, i_sw_a=i_sw.tolist(), offsets_a=offsets.tolist(),
                      p_llgs=p.T.tolist(), fits=fits, barrier=hot.barrier().tolist(), compact_w_a=compact.i_c / compact.delta,
                      compact_delta=compact.delta, compact_i_c_a=compact.i_c)


def classifier_record(clf: ChainClassifier) -> dict:
    """A chain classifier as plain lists (for checkpoints and metrics)."""
    return {"weight_a_per_hz": clf.input_map.weight.tolist(), "bias_a": clf.input_map.bias.tolist(), "control_a": clf.control.tolist(),
            "table": clf.table.tolist(), "switching_estimate_a": clf.switching_estimate.tolist(), "spare": clf.spare}


def classifier_from_record(rec: dict) -> ChainClassifier:
    return ChainClassifier(InputMap(torch.tensor(rec["weight_a_per_hz"]), torch.tensor(rec["bias_a"])), torch.tensor(rec["control_a"]),
                           torch.tensor(rec["table"]), torch.tensor(rec["switching_estimate_a"]), rec["spare"])


def first_layer_from_record(rec: dict) -> FirstLayer:
    return FirstLayer(*(np.asarray(rec[k]) for k in ("mean", "std", "weight", "bias")))


def _full_data_fits(config: VowelsConfig, data) -> FullDataFits:
    """The ``paper`` protocol's preprocessing, fitted once on all samples: the chain's input map (with the
    thresholds and table of that fit, which the splits refit) and the MLPs' input layers."""
    x, y = data.features, data.labels
    started = time.perf_counter()
    clf, report = fit_smoothed(x, y, paper_switching_currents(config.n_devices), SmoothedTrainingConfig(seed=config.seed))
    chain, chain_time = classifier_record(clf), time.perf_counter() - started
    layers, accuracy = {}, {}
    for hidden in MLP_HIDDEN:
        mlp = MLPConfig(hidden=hidden, epochs=config.mlp_epochs, restarts=config.mlp_restarts, seed=config.seed)
        res = train_mlp(x, y, x, y, mlp, groups=np.asarray(data.speakers))
        layers[hidden] = {k: np.asarray(v).tolist() for k, v in res.first_layer._asdict().items()}
        accuracy[hidden] = res.train_accuracy
    return FullDataFits(chain, report.train_accuracy, chain_time, layers, accuracy)


def _saved_config(folder: Path) -> VowelsConfig:
    """The ``VowelsConfig`` saved in a run folder's config.json."""
    data = saved_config(folder, "vowels")
    return VowelsConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def run(config: VowelsConfig = VowelsConfig(), out_root: str | Path = "results", resume: str | Path | None = None) -> dict:
    """Run the experiment; write results under ``out_root/vowels/<stamp>`` (or continue ``resume``)."""
    from tqdm.auto import tqdm

    if resume is not None:
        config = _saved_config(Path(resume))
    seed_everything(config.seed)
    data = load_corpus(config)
    splits = make_splits(data, config.splits, config.test_fraction, config.seed, config.split_by)
    if resume is None:
        out = results_dir("vowels", out_root)
        write_config(out, "vowels", config)
    else:  # the resume rule (cli.MtjnnCommand): the configuration saved in the folder, nothing else
        out = reopen_run_folder(resume, "vowels")
    ckpt = Checkpoint(out / "checkpoint.pt")
    state = ckpt.load() or {"splits": [], "setup": None}
    if state["setup"] is None:
        cold = thermal = None
        if config.macrospin:
            started = time.perf_counter()
            macro = MacrospinSwitching.calibrate(paper_switching_currents(config.n_devices), pulse=config.macrospin_pulse,
                                                 dt=config.macrospin_dt)
            cold = MacrospinCalibration(macro.anisotropy_field.tolist(), macro.thresholds().tolist(), time.perf_counter() - started)
            if config.macrospin_thermal:
                started = time.perf_counter()
                hot = MacrospinSwitching.calibrate(paper_switching_currents(config.n_devices), pulse=config.macrospin_pulse,
                                                   dt=config.macrospin_dt, temperature=config.temperature, rounds=5,
                                                   generator=torch.Generator().manual_seed(config.seed + 3))
                probe = torch.as_tensor(paper_switching_currents(config.n_devices))[None, :].expand(256, -1).contiguous()
                p50 = hot.switch(probe, torch.Generator().manual_seed(config.seed + 5)).to(torch.float64).mean(0)
                thermal = ThermalCalibration(hot.anisotropy_field.tolist(), hot.barrier().tolist(), p50.tolist(), time.perf_counter() - started)
        state["setup"] = VowelSetup(cold, thermal).to_json()  # plain dicts on disk
        ckpt.save(state)
    setup = VowelSetup.from_json(state["setup"])
    macro_chains: dict = {}
    if setup.macrospin is not None:
        macro_params = MacrospinSwitching(anisotropy_field=torch.tensor(setup.macrospin.anisotropy_field_t),
                                          pulse=config.macrospin_pulse, dt=config.macrospin_dt)
        macro_chains["macrospin_0k"] = _chain(macro_params)
        if setup.thermal is not None:
            hk = torch.tensor(setup.thermal.anisotropy_field_t)
            macro_chains["macrospin_300k"] = _chain(replace(macro_params, anisotropy_field=hk, temperature=config.temperature))
    if "full_data" not in state:
        state["full_data"] = _full_data_fits(config, data).to_json()
        ckpt.save(state)
    full = FullDataFits.from_json(state["full_data"])
    for i in tqdm(range(len(state["splits"]), config.splits), desc="vowels: splits", initial=len(state["splits"]), total=config.splits):
        split_gen = torch.Generator().manual_seed(config.seed * 1000 + i)
        state["splits"].append(_split(config, data, *splits[i], macro_chains, full, split_gen).to_json())  # flat on disk
        ckpt.save(state)
    per = [SplitRecord.from_json(p, PROTOCOLS) for p in state["splits"]]
    if config.sweep and "sweeps" not in state:
        state["sweeps"] = _sweeps(config, data, splits, torch.Generator().manual_seed(config.seed + 7))
        ckpt.save(state)
    if config.crosscheck and "macrospin_300k" in macro_chains and "crosscheck" not in state:
        state["crosscheck"] = _crosscheck(macro_chains["macrospin_300k"].device.switching,
                                          CompactSwitching(pulse=config.paper_pulse, temperature=config.temperature),
                                          torch.Generator().manual_seed(config.seed + 11)).to_json()  # a plain dict on disk
        ckpt.save(state)
    if config.analysis and "analysis" not in state:
        state["analysis"] = ceiling_analysis(config, data, splits)
        ckpt.save(state)
    metrics = vowel_metrics(config, data, per, setup, full, state)
    save_json(out / "metrics.json", metrics)
    plot_confusion(per, data.vowels, out / "confusion.png")
    plot_switching_map(config, data, splits[0], per[0], out / "switching_map.png")
    plot_learning_curves(per, out / "learning_curves.png")
    if "sweeps" in state:
        plot_robustness(state["sweeps"], out / "robustness.png")
    if "crosscheck" in state:
        plot_crosscheck(Crosscheck.from_json(state["crosscheck"]), out / "llgs_vs_neel_brown.png")
    print(vowel_summary(config, metrics, out))
    metrics["output_dir"] = str(out)
    return metrics
