"""``mtjnn sweep switching | robustness``: parameter sweeps of batched thermal simulations (``experiments.sweep``)
and robustness of trained networks to device variability (``experiments.sweep_robustness``); ``cli.py`` mounts
``sweep_app`` as ``mtjnn sweep``."""

from __future__ import annotations

from pathlib import Path

import typer

from .command import MtjnnCommand

# --- sweep commands: parameter sweeps of batched thermal simulations (experiments.sweep) ---
sweep_app = typer.Typer(help="Parameter sweeps: many points x trials, chunked and resumable.", no_args_is_help=True,
                        rich_markup_mode=None)


@sweep_app.command("switching", cls=MtjnnCommand)
def sweep_switching_cmd(
    currents_ua: str = typer.Option("100:1500:16", help="Currents in µA as START:STOP:COUNT (or one value)."),
    pulses_ns: str = typer.Option("0.5:8:16", help="Pulse widths in ns as START:STOP:COUNT (or one value)."),
    temperature: float = typer.Option(300.0, help="Temperature in K."),
    trials: int = typer.Option(1000, help="Junctions simulated per point in the first round (>= 1)."),
    dt_ps: float = typer.Option(1.0, help="Integration step in ps."),
    relax_ns: float = typer.Option(2.0, help="Zero-current time after the longest pulse before the state is read, ns."),
    seed: int = typer.Option(0, help="Sweep seed; every task's noise derives from it."),
    points_per_task: int = typer.Option(16, help="Task size in points x trials junctions (one batched simulation)."),
    device: list[str] = typer.Option([], help="Device override NAME=VALUE in SI units (repeatable), e.g. field=0, alpha=0.02; "
                                             "names: field, length, width, thickness, ms, alpha, eta."),
    axis: str = typer.Option(None, help="A device parameter as a third sweep axis, NAME=START:STOP:COUNT in SI units "
                                        "(evenly spaced), e.g. alpha=0.01:0.03:3; names as for --device."),
    axis_random: str = typer.Option(None, help="Like --axis but NAME=LOW:HIGH:COUNT values drawn uniformly from --seed "
                                               "(recorded in the spec)."),
    wer_floor: float = typer.Option(0.0, help="Adaptive write-error-rate rounds down to this WER (e.g. 1e-4); 0: off."),
    max_trials: int = typer.Option(200_000, help="Most trials per point over all adaptive rounds."),
    max_rounds: int = typer.Option(8, help="Most adaptive rounds after the first."),
    scheduler: str = typer.Option("auto", help="auto (LocalCluster for big sweeps), local (Dask LocalCluster), "
                                               "none (in-process) or tcp://host:port (an existing Dask scheduler)."),
    workers: int | None = typer.Option(None, help="Worker processes of the LocalCluster (default: all cores)."),
    connect_timeout: float = typer.Option(5.0, help="Seconds to wait for a --scheduler address before giving up."),
    resume: Path | None = typer.Option(None, help="A results/sweep-switching/<stamp> folder to finish (its saved spec is used)."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Switching probability over (current, pulse width) at a temperature; writes table.parquet/.csv, fits.json,
    switching_map.png (P heat map, P = 0.5 and write-error-rate contours, Néel–Brown and Sun fits) and metrics.json."""
    from .experiments.sweep import SweepSpec, parse_range, run

    spec = None
    if resume is None:
        spec = SweepSpec(currents=parse_range("currents_ua", currents_ua, 1e-6), pulses=parse_range("pulses_ns", pulses_ns, 1e-9),
                         temperature=temperature, trials=trials, dt=dt_ps * 1e-12, relax=relax_ns * 1e-9, seed=seed,
                         points_per_task=points_per_task, wer_floor=wer_floor, max_trials=max_trials, max_rounds=max_rounds,
                         device=tuple(_device_override(text) for text in device), **_axis_fields(axis, axis_random, seed))
    run(spec, out, scheduler=None if scheduler == "none" else scheduler, workers=workers, resume=resume,
        connect_timeout=connect_timeout, progress=True)


@sweep_app.command("robustness", cls=MtjnnCommand)
def sweep_robustness_cmd(
    task: str = typer.Argument(..., help="The trained network: vowels (the MTJ chain of `mtjnn run vowels`), iris (the "
                               "MTJ-activation MLP of `mtjnn run iris`) or xor (the spiking XOR of `mtjnn run xor`)."),
    sigmas_pct: str = typer.Option("0:20:9", help="Relative device spread in % as START:STOP:COUNT (or one value); "
                                   "iris and xor: at most 20."),
    temperatures: str = typer.Option(None, help="Temperatures in K, comma-separated (0: noise-free switching). "
                                               "Default 0,300 for vowels; iris and xor have no thermal model: 0 only."),
    draws: int = typer.Option(200, help="Device realisations per point (>= 2)."),
    seed: int = typer.Option(0, help="Seed of the split, the training and the device draws."),
    corpus: str = typer.Option("hillenbrand", help="hillenbrand (the seed's data) or synthetic."),
    quick_fit: bool = typer.Option(False, help="A short software fit (smoke runs): faster, a few % less accurate."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Accuracy of a trained network vs device-to-device spread and temperature, many device draws per point;
    writes table.parquet/.csv, robustness.png (mean with 95 % CI and 5-95 % band of the draws) and metrics.json."""
    from .experiments.sweep import parse_range
    from .experiments.sweep_robustness import RobustnessSpec, run_robustness

    try:
        temps = None if temperatures is None else tuple(float(t) for t in temperatures.split(","))
    except ValueError:
        raise ValueError(f"temperatures = {temperatures!r}; allowed: comma-separated numbers in K, e.g. 0,300") from None
    run_robustness(RobustnessSpec(task=task, sigmas=parse_range("sigmas_pct", sigmas_pct, 0.01), temperatures=temps, draws=draws,
                                  seed=seed, corpus=corpus, quick_fit=quick_fit), out)


def _axis_fields(axis: str | None, axis_random: str | None, seed: int) -> dict:
    """SweepSpec's axis_name / axis_values / axis_sampling from ``--axis`` or ``--axis-random`` (not both)."""
    from .experiments.sweep import parse_range, random_axis_values

    if axis is not None and axis_random is not None:
        raise ValueError("--axis and --axis-random are both given; allowed: one of them")
    text, option = (axis, "axis") if axis is not None else (axis_random, "axis_random")
    if text is None:
        return {}
    name, sep, values = text.partition("=")
    if not sep:
        raise ValueError(f"{option} = {text!r}; allowed: NAME=START:STOP:COUNT, e.g. alpha=0.01:0.03:3")
    if option == "axis":
        return {"axis_name": name.strip(), "axis_values": parse_range(option, values), "axis_sampling": "grid"}
    return {"axis_name": name.strip(), "axis_values": random_axis_values(option, values, seed), "axis_sampling": "random"}


def _device_override(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value)
    except ValueError:
        raise ValueError(f"device = {text!r}; allowed: NAME=VALUE with a number, e.g. field=0.006") from None
