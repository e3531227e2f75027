"""Command-line interface: ``mtjnn simulate``, ``mtjnn run <experiment>``, ``mtjnn neuron``."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="mtjnn: neuromorphic hardware from magnetic tunnel junctions (SI units throughout).", no_args_is_help=True)
run_app = typer.Typer(help="Reproduce a published system end to end on real data.", no_args_is_help=True)
app.add_typer(run_app, name="run")


@app.command()
def simulate(
    current_ua: float = typer.Option(500.0, help="Pulse amplitude in uA (positive favours the parallel state)."),
    pulse_ns: float = typer.Option(5.0, help="Pulse width in ns."),
    duration_ns: float = typer.Option(8.0, help="Simulated time in ns."),
    dt_ps: float = typer.Option(1.0, help="Integration step in ps."),
    temperature: float = typer.Option(0.0, help="Temperature in K (> 0 uses the stochastic Heun integrator)."),
    junctions: int = typer.Option(1, help="Number of junctions simulated in one batch (thermal ensembles)."),
    field_mt: float = typer.Option(6.0, help="Easy-axis bias field mu0*H in mT."),
    seed: int = typer.Option(0, help="Random seed (thermal field)."),
    out: Path = typer.Option(Path("results"), help="Root folder for results."),
) -> None:
    """Simulate an in-plane MTJ switching under a current pulse; writes trajectory.png and summary.json."""
    from .experiments.switching import SwitchingConfig, run

    config = SwitchingConfig(
        current=current_ua * 1e-6, pulse=pulse_ns * 1e-9, duration=duration_ns * 1e-9, dt=dt_ps * 1e-12,
        temperature=temperature, junctions=junctions, field=field_mt * 1e-3, seed=seed,
    )
    run(config, out)


# --- run commands: one per experiment, each a thin wrapper around experiments.<name>.run ---
# (vowels)
# (iris / mnist)
# (xor)
# --- end run commands ---


def main() -> None:  # pragma: no cover - entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
