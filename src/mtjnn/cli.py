"""Command-line interface: ``mtjnn simulate``, ``mtjnn run <experiment>``, ``mtjnn neuron``, ``mtjnn sweep``.

Every command runs through ``command.MtjnnCommand``: usage errors naming the flag the user typed (exit 2),
``--out`` checked before any work, one resume rule (``command.RESUME_SAFE``: the options a resume may
change), run folders closed with a status, Ctrl-C with a hint to resume (exit 130).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from .command import MtjnnCommand, resume_changes, set_debug
from .command import explicit_options as _explicit
from .cli_sweep import sweep_app
from .experiments.contract import quick_config

# plain (not rich) output: errors stay one grep-able line whatever the terminal width
app = typer.Typer(help="mtjnn: neuromorphic hardware from magnetic tunnel junctions (SI units throughout).", no_args_is_help=True,
                  rich_markup_mode=None)
run_app = typer.Typer(help="Reproduce a published system end to end on real data.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(run_app, name="run")


def _version(value: bool) -> None:
    if value:
        from . import __version__
        from .experiments.results import _git_commit

        typer.echo(f"mtjnn {__version__} (git {_git_commit() or 'unknown'})")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks instead of one-line errors."),
) -> None:
    """mtjnn: neuromorphic hardware from magnetic tunnel junctions (SI units throughout)."""
    set_debug(debug)


@app.command(cls=MtjnnCommand)
def simulate(
    current_ua: float = typer.Option(500.0, help="Pulse amplitude in µA (positive favours the parallel state)."),
    pulse_ns: float = typer.Option(5.0, help="Pulse width in ns."),
    duration_ns: float = typer.Option(8.0, help="Simulated time in ns."),
    dt_ps: float = typer.Option(1.0, help="Integration step in ps; refused when too coarse for the junction's fastest precession (docs/physics.md, 'Time step')."),
    allow_coarse_dt: bool = typer.Option(False, "--allow-coarse-dt", help="Run with a --dt-ps above the trusted limit anyway (warns; results may be wrong)."),
    temperature: float = typer.Option(0.0, help="Temperature in K (> 0 uses the stochastic Heun integrator)."),
    junctions: int = typer.Option(1, help="Number of junctions simulated in one batch (thermal ensembles), 1 to 10^7."),
    trajectories: int = typer.Option(20, help="Junctions whose trajectories are kept and plotted (the rest keep switching time and final state)."),
    field_mt: float = typer.Option(6.0, help="Easy-axis bias field mu0*H in mT."),
    seed: int = typer.Option(0, help="Random seed (thermal field)."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Simulate an in-plane MTJ switching under a current pulse; writes config.json, metrics.json, trajectory.png
    (and switching_times.png for a thermal ensemble)."""
    from .experiments.switching import SwitchingConfig, run
    from .physics.timestep import MIN_STEPS_PER_PERIOD, CoarseTimeStepError

    config = SwitchingConfig(
        current=current_ua * 1e-6, pulse=pulse_ns * 1e-9, duration=duration_ns * 1e-9, dt=dt_ps * 1e-12,
        temperature=temperature, junctions=junctions, field=field_mt * 1e-3, seed=seed, trajectories=trajectories,
        dt_check="warn" if allow_coarse_dt else "error",
    )
    try:
        run(config, out)
    except CoarseTimeStepError as err:
        steps = MIN_STEPS_PER_PERIOD[err.method]
        raise ValueError(
            f"dt_ps = {dt_ps:g} ps is too coarse for the junction's fastest precession (period >= "
            f"{err.limit * steps * 1e12:.3g} ps, {steps} steps per period for {err.method}); allowed: --dt-ps <= "
            f"{err.limit * 1e12:.3g} ps, or --allow-coarse-dt to run anyway (the physics may then be wrong)"
        ) from None


# --- run commands: one per experiment, each a thin wrapper around run(config, out, resume) of experiments.<name>
# (experiments.contract); --quick applies the config class's QUICK preset through contract.quick_config ---
_THREADS = "torch CPU threads (0 = torch default)."


def _use_threads(threads: int) -> None:
    """Set torch's CPU thread count (``--threads``); 0 keeps torch's default."""
    limit = 4 * (os.cpu_count() or 1)
    if not 0 <= threads <= limit:
        raise typer.BadParameter(f"--threads {threads}: allowed: 0 (torch default) to {limit} (4 x the {os.cpu_count()} CPUs)")
    if threads > 0:
        import torch

        torch.set_num_threads(threads)

# (vowels)
@run_app.command("vowels", cls=MtjnnCommand)
def run_vowels_cmd(
    ctx: typer.Context,
    splits: int = typer.Option(10, help="Random 80/20 splits (8 of 37 per vowel in the test set)."),
    split_by: str = typer.Option("sample", help="sample (8 per vowel, stratified; the paper's split) or speaker (hold out 8 whole talkers)."),
    seed: int = typer.Option(0, help="Seed of the splits and of every random draw."),
    vowels: str = typer.Option("eh,ei,ih,iy,oo,uh,uw", help="Comma-separated vowel codes (Hillenbrand 1995)."),
    macrospin: bool = typer.Option(True, help="Also evaluate with the LLGS (macrospin) junctions at 0 K and 300 K."),
    sweep: bool = typer.Option(True, help="Accuracy vs threshold spread and vs number of junctions."),
    quick: bool = typer.Option(False, help="One split, no macrospin, no sweeps, short MLP training (a smoke run)."),
    analysis: bool = typer.Option(False, help="Also: software chain on every 37-talker vowel set, LDA and oracle-chain references."),
    data: Path = typer.Option(None, help="A Hillenbrand CSV to use instead of the copy shipped with mtjnn."),
    corpus: str = typer.Option("hillenbrand", help="hillenbrand, or synthetic (Peterson & Barney 1952 means with talker spreads)."),
    resume: Path = typer.Option(None, help="A previous results/vowels/<stamp> folder to continue."),
    threads: int = typer.Option(1, help=_THREADS),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Spoken vowels with a chain of 3 MTJs and the ±10 uA rule (López et al. 2024, seed 002)."""
    from .experiments.vowels import VowelsConfig, run

    _use_threads(threads)
    config = quick_config(VowelsConfig, {"splits": splits, "split_by": split_by, "seed": seed,
                                         "vowels": tuple(v.strip() for v in vowels.split(",") if v.strip()), "macrospin": macrospin,
                                         "sweep": sweep, "analysis": analysis, "data_path": None if data is None else str(data),
                                         "corpus": corpus}, quick, _explicit(ctx))
    run(config, out, resume)


# (iris / mnist)
def _train_options(hidden: str, activation: str, gradient: str, delta: float, spread: float, read_noise: float,
                   epochs: int, batch_size: int, lr: float, seed: int, threads: int):
    from .experiments.activation_training import TrainConfig

    _use_threads(threads)
    try:
        widths = tuple(int(h) for h in hidden.split(","))
    except ValueError:
        raise typer.BadParameter(f"--hidden {hidden!r}: expected comma-separated widths such as 256,128") from None
    return TrainConfig(hidden=widths, activation=activation, gradient=gradient, delta=delta, spread=spread,
                       read_noise=read_noise, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)


_HIDDEN = "Hidden widths, comma-separated (e.g. 256 or 128,128,128,128)."
_ACT = "Hidden units: mtj (sensor-MTJ devices) or tanh (software baseline)."
_GRAD = "MTJ gradient: fd (finite difference measured on the devices) or exact (each device's true derivative)."
_DELTA = "Finite-difference step, pre-activation units (probe field = input_scale * delta)."
_SPREAD = "Device-to-device spread: relative sigma of H_K, TMR, R_P and offset (fraction of H_K)."
_NOISE = "Read noise sigma per read, fraction of the full output swing."


@run_app.command("iris", cls=MtjnnCommand)
def run_iris_cmd(
    hidden: str = typer.Option("4", help=_HIDDEN), activation: str = typer.Option("mtj", help=_ACT),
    gradient: str = typer.Option("fd", help=_GRAD), delta: float = typer.Option(0.1, help=_DELTA),
    spread: float = typer.Option(0.05, help=_SPREAD), read_noise: float = typer.Option(0.005, help=_NOISE),
    epochs: int = typer.Option(200), batch_size: int = typer.Option(8), lr: float = typer.Option(1e-2, help="Adam learning rate."),
    seeds: int = typer.Option(10, help="Repetitions of the cross-validation."), folds: int = typer.Option(5),
    compare: bool = typer.Option(True, help="Also train exact-gradient and tanh networks."),
    sweep: bool = typer.Option(True, help="Accuracy vs delta, spread and read noise."), sweep_seeds: int = typer.Option(1),
    seed: int = typer.Option(0, help="First seed (seeds seed, seed+1, ...)."),
    resume: Path = typer.Option(None, help="A previous results/iris/<stamp> folder: skip its finished runs (--seeds, --sweep-seeds, --compare and --sweep may change)."),
    threads: int = typer.Option(1, help=_THREADS), out: Path = typer.Option(Path("results")),
) -> None:
    """Iris with MTJ-activation neurons trained by device-measured finite differences (seed 003)."""
    from .experiments.activation_training import IrisConfig, run_iris

    train = _train_options(hidden, activation, gradient, delta, spread, read_noise, epochs, batch_size, lr, seed, threads)
    run_iris(IrisConfig(train=train, seeds=seeds, folds=folds, compare=compare, sweep=sweep, sweep_seeds=sweep_seeds), out, resume,
             changes=resume_changes())


@run_app.command("mnist", cls=MtjnnCommand)
def run_mnist_cmd(
    hidden: str = typer.Option("256", help=_HIDDEN), activation: str = typer.Option("mtj", help=_ACT),
    gradient: str = typer.Option("fd", help=_GRAD), delta: float = typer.Option(0.1, help=_DELTA),
    spread: float = typer.Option(0.05, help=_SPREAD), read_noise: float = typer.Option(0.005, help=_NOISE),
    epochs: int = typer.Option(20), batch_size: int = typer.Option(64), lr: float = typer.Option(1e-3, help="Adam learning rate."),
    seed: int = typer.Option(0), data_dir: Path = typer.Option(None, help="Folder holding mnist/ (default: $MTJNN_DATA)."),
    train_subset: int = typer.Option(0, help="Use the first N training images (0 = all 60000)."),
    test_subset: int = typer.Option(0, help="Use the first N test images (0 = all 10000)."),
    sweep: bool = typer.Option(False, help="Short runs: accuracy vs delta, spread and read noise."),
    resume: Path = typer.Option(None, help="A previous results/mnist/<stamp> folder to continue from its checkpoint."),
    threads: int = typer.Option(1, help=_THREADS), out: Path = typer.Option(Path("results")),
) -> None:
    """MNIST with MTJ-activation neurons, device-in-the-loop training, a checkpoint per epoch (seed 003)."""
    from .experiments.activation_training import MnistConfig, run_mnist

    train = _train_options(hidden, activation, gradient, delta, spread, read_noise, epochs, batch_size, lr, seed, threads)
    config = MnistConfig(train=train, data_dir=None if data_dir is None else str(data_dir), train_subset=train_subset,
                         test_subset=test_subset, sweep=sweep)
    run_mnist(config, out, resume)


# (xor)
@run_app.command("xor", cls=MtjnnCommand)
def run_xor_cmd(
    ctx: typer.Context,
    inits: int = typer.Option(20, help="Random initialisations trained at once (batched); the docs' headline uses 100."),
    init: str = typer.Option("broad", help="broad (every weight uniform over the whole VCA range, +-2 V/V) or favourable (gains centred on the single-input threshold)."),
    epochs: int = typer.Option(30, help="Maximum training epochs (one epoch = the 4 patterns)."),
    seed: int = typer.Option(0, help="Seed of the initial weights and pattern order."),
    quick: bool = typer.Option(False, help="4 initialisations, no macrospin check (a smoke run)."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """XOR with three SV/MTJ-nMOS neurons, time-coded spikes and spike-timing gradients (seed 000)."""
    from .experiments.xor import XorConfig, run

    config = quick_config(XorConfig, {"inits": inits, "init": init, "epochs": epochs, "seed": seed}, quick, _explicit(ctx))
    run(config, out)


@app.command("neuron", cls=MtjnnCommand)
def neuron_cmd(
    ctx: typer.Context,
    behaviour: str = typer.Option("all", help="threshold, latency, integration, refraction, inhibition, adaptation, spike_train or all."),
    fidelity: str = typer.Option("compact", help="compact (pendulum) or macrospin (LLGS engine)."),
    dt_ps: float = typer.Option(5.0, help="Integration step in ps."),
    quick: bool = typer.Option(False, help="Coarser sweeps (seconds)."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """The seven behaviours of the SV/MTJ-nMOS spiking neuron: numbers and one figure each (seed 000)."""
    from .experiments.neuron_behaviours import BehaviourConfig, run

    config = quick_config(BehaviourConfig, {"behaviour": behaviour, "fidelity": fidelity, "dt": dt_ps * 1e-12}, quick, _explicit(ctx))
    run(config, out)


# (signed LIF neuron, seed 001)
@run_app.command("signed-lif", cls=MtjnnCommand)
def run_signed_lif_cmd(
    ctx: typer.Context,
    alpha: float = typer.Option(0.5, help="Gilbert damping of the free layer (the signed LIF needs an overdamped junction, see docs/signed_lif.md)."),
    width_nm: float = typer.Option(10.0, help="Free-layer width W along the reference layer (hard axis), nm."),
    length_nm: float = typer.Option(45.0, help="Free-layer length L (intermediate axis), nm."),
    height_nm: float = typer.Option(50.0, help="Free-layer height T (easy axis; the current flows along it), nm."),
    ms: float = typer.Option(1.0e6, help="Saturation magnetization, A/m."),
    clock_ps: float = typer.Option(300.0, help="Clock period: one input value (one network step) per period, ps."),
    temperature: float = typer.Option(300.0, help="Temperature of the thermal check, K (0 skips it)."),
    sweep: bool = typer.Option(True, help="Geometry (W x L) and damping maps of where the signed behaviour holds."),
    quick: bool = typer.Option(False, help="A 20 ns bank, one thermal trial, no maps (seconds)."),
    seed: int = typer.Option(0, help="Seed of the random input sequences and of the thermal field."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Orthogonal-easy-axis MTJ as a signed spiking neuron: LLGS bank, signed-LIF fit, f-I, energy, thermal, maps (seed 001)."""
    from .devices.signed_lif_macrospin import OrthogonalMTJ
    from .experiments.signed_lif_device import SignedLIFDeviceConfig, run

    device = OrthogonalMTJ(width=width_nm * 1e-9, length=length_nm * 1e-9, height=height_nm * 1e-9, ms=ms, alpha=alpha)
    config = quick_config(SignedLIFDeviceConfig, {"device": device, "clock": clock_ps * 1e-12, "temperature": temperature, "seed": seed,
                                                  "sweep": sweep}, quick, _explicit(ctx))
    run(config, out)


# (deep SNNs, seed 001)
def _run_snn(dataset: str, recipe: str, neuron: str, epochs: int, batch_size: int, budget_min: float, spread: float, read_noise: float,
             device_reset: str, alpha: float, clock_ps: float, train_per_class: int, test_per_class: int, data_dir: Path | None, seed: int,
             resume: Path | None, threads: int, out: Path) -> None:
    from .devices.signed_lif_macrospin import OrthogonalMTJ
    from .experiments.snn_cifar import SnnConfig, run

    _use_threads(threads)
    if budget_min < 0:
        raise ValueError(f"budget_min = {budget_min} min is out of range; allowed: >= 0 (0 = no budget)")
    config = SnnConfig(
        dataset=dataset, recipe=recipe, neurons=tuple(n.strip() for n in neuron.split(",") if n.strip()),
        device=OrthogonalMTJ(alpha=alpha), clock=clock_ps * 1e-12, beta_spread=spread, theta_spread=spread,
        read_noise=read_noise, device_reset=device_reset, epochs=epochs or None, batch_size=batch_size or None,
        time_budget_s=budget_min * 60 if budget_min > 0 else None, train_per_class=train_per_class or None,
        test_per_class=test_per_class or None, data_dir=None if data_dir is None else str(data_dir), seed=seed,
    )
    run(config, out, resume)  # range errors of the options come before any training starts


_SNN_HELP = {
    "recipe": "cpu (fast conv SNN for this machine) or paper (Spikformer, the paper's size and schedule; a GPU).",
    "neuron": "Comma-separated neuron types trained in turn: device (fitted MTJ signed LIF), ideal (signed LIF), binary (LIF).",
    "epochs": "Epochs (0 = the recipe's).",
    "batch": "Global batch size (0 = the recipe's).",
    "budget": "Wall-time budget per neuron type, minutes (0 = none): training stops after the epoch that would exceed it.",
    "spread": "Device neuron: relative device-to-device sigma of beta and of the thresholds.",
    "noise": "Device neuron: read-noise sigma on the membrane, in units of the threshold.",
    "reset": "Device neuron's reset: fitted (the junction's, below rest) or zero (ablation: the ideal's hard reset).",
    "alpha": "Damping of the fitted junction (docs/signed_lif.md).",
    "clock": "Device clock (one network step), ps.",
    "resume": "A previous results folder: continue it with its saved configuration (other options are ignored).",
}


def _snn_command(dataset: str, doc: str, data_help: str, train_help: str, test_help: str):
    """The `mtjnn run <dataset>` command of a deep-SNN data set (one option list for both)."""

    def command(
        recipe: str = typer.Option("cpu", help=_SNN_HELP["recipe"]), neuron: str = typer.Option("device,ideal,binary", help=_SNN_HELP["neuron"]),
        epochs: int = typer.Option(0, help=_SNN_HELP["epochs"]), batch_size: int = typer.Option(0, help=_SNN_HELP["batch"]),
        budget_min: float = typer.Option(20.0, help=_SNN_HELP["budget"]),
        spread: float = typer.Option(0.0, help=_SNN_HELP["spread"]), read_noise: float = typer.Option(0.0, help=_SNN_HELP["noise"]),
        device_reset: str = typer.Option("fitted", help=_SNN_HELP["reset"]), alpha: float = typer.Option(0.5, help=_SNN_HELP["alpha"]), clock_ps: float = typer.Option(300.0, help=_SNN_HELP["clock"]),
        train_per_class: int = typer.Option(0, help=train_help), test_per_class: int = typer.Option(0, help=test_help),
        data_dir: Path = typer.Option(None, help=data_help), seed: int = typer.Option(0),
        resume: Path = typer.Option(None, help=_SNN_HELP["resume"]),
        threads: int = typer.Option(0, help=_THREADS), out: Path = typer.Option(Path("results")),
    ) -> None:
        _run_snn(dataset, recipe, neuron, epochs, batch_size, budget_min, spread, read_noise, device_reset, alpha, clock_ps, train_per_class,
                 test_per_class, data_dir, seed, resume, threads, out)

    command.__doc__ = doc
    return command


run_app.command("cifar10", cls=MtjnnCommand)(_snn_command(
    "cifar10", "CIFAR-10 with deep SNNs of device-fitted, ideal signed and binary LIF neurons, side by side (seed 001).",
    "Folder holding cifar10/*.npz or cifar-10-batches-py/ (default: $MTJNN_DATA).",
    "Training images per class (0 = all 5000; 10 % of them are validation).", "Test images per class (0 = all 1000)."))
run_app.command("cifar10-dvs", cls=MtjnnCommand)(_snn_command(
    "cifar10-dvs", "CIFAR10-DVS (real recordings, or EMULATED from CIFAR-10 when absent) with the three neuron types (seed 001).",
    "Folder holding CIFAR10-DVS in its published layout; without it the set is EMULATED from cifar10/.",
    "Training recordings per class (0 = all 900; 10 % of them are validation).", "Test recordings per class (0 = all 100)."))


# the sweep commands live in cli_sweep.py (mtjnn sweep switching | robustness)
app.add_typer(sweep_app, name="sweep")


# --- end run commands ---


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
