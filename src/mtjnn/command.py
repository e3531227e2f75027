"""The behaviour every mtjnn command shares (``MtjnnCommand``, used by ``cli``):
* a value out of range (a ``ValueError`` from the library) is a usage error: one line naming the flag the
  user typed, its value and what is allowed, exit code 2, no traceback (``mtjnn --debug ...`` shows it);
* ``--out`` that is a file is refused before any work;
* the resume rule: with ``--resume FOLDER`` the run continues with the configuration saved in FOLDER; the
  folder must belong to the same job; an option given on the command line other than ``--resume``,
  ``--out``, ``--threads`` and the command's ``RESUME_SAFE`` options is refused, listed with its saved value,
  unless it equals the saved field of the same name; a command without a checkpoint refuses ``--resume``,
  saying why;
* run folders are closed with a status (complete / failed with the reason / interrupted) and their
  cumulative wall time (``experiments.results``); Ctrl-C says where the partial results are and how to
  continue them (exit code 130).
"""

from __future__ import annotations

import re
from pathlib import Path

import typer
from typer._click.core import ParameterSource
from typer.core import TyperCommand

#: Options a resume may change, per command: ones whose new value gives the same result as an uninterrupted run
#: started with it (docs/architecture.md, "The resume rule"). ``iris``: every (model, seed, fold) run is keyed by
#: its own settings in the checkpoint, so more (or fewer) seeds, baselines or sweeps reuse the finished runs and
#: train the missing ones. Not ``--epochs`` anywhere: the cosine learning-rate schedule of iris, mnist and the
#: SNNs spans the total epochs, so extending a run is not the same as a longer run.
RESUME_SAFE: dict[str, tuple[str, ...]] = {
    "iris": ("seeds", "sweep_seeds", "compare", "sweep"),
    # where a sweep's tasks run is not part of its spec: a resumed sweep may run elsewhere
    "switching": ("scheduler", "workers", "connect_timeout"),
}
_ALWAYS_ALLOWED_ON_RESUME = ("resume", "out", "threads")
_debug = False
_invoked: list = []  # contexts of the MtjnnCommands running (innermost last)


class MtjnnCommand(TyperCommand):
    """A typer command with mtjnn's error, resume and run-status handling (module docstring)."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if not any(p.name == "resume" for p in self.params) and any(a == "--resume" or a.startswith("--resume=") for a in args):
            raise typer.BadParameter(f"--resume: `{ctx.command_path}` keeps no checkpoint (it writes its results at the end "
                                     "and a run takes seconds to minutes); run it again: the same options and seed give "
                                     "the same result")
        return super().parse_args(ctx, args)

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        from .experiments.results import finish_runs

        _check_out(ctx)
        _check_resume(ctx, self.name or "")
        _invoked.append(ctx)
        try:
            result = super().invoke(ctx)
        except ValueError as err:
            finish_runs("failed", str(err))
            if _debug:
                raise
            raise typer.BadParameter(_name_the_flag(str(err), ctx)) from None
        except KeyboardInterrupt:
            folders = finish_runs("interrupted", "Ctrl-C")
            if not folders and ctx.params.get("resume") is not None:  # stopped before the folder was reopened
                folders = [Path(ctx.params["resume"])]
            where = ", ".join(str(f) for f in folders) or "no results folder yet"
            hint = f"; continue with --resume {folders[0]}" if folders and "resume" in ctx.params else ""
            typer.echo(f"interrupted: partial results in {where}{hint}", err=True)
            raise typer.Exit(130) from None
        except BaseException as err:
            if not isinstance(err, typer.Exit) or err.exit_code:
                finish_runs("failed", f"{type(err).__name__}: {err}")
            raise
        finally:
            _invoked.pop()
        finish_runs("complete")
        return result


def _name_the_flag(message: str, ctx) -> str:  # type: ignore[no-untyped-def]
    """Prefix a library message ("dt = -1e-12 s is out of range; ...") with the flag the user typed for it."""
    match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)", message)
    if match:
        name = match.group(1)
        for param in ctx.command.params:
            if param.name == name or (param.name or "").startswith(name + "_"):
                return f"{param.opts[0]}: {message}"
    return message


def _check_out(ctx) -> None:  # type: ignore[no-untyped-def]
    out = ctx.params.get("out")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise typer.BadParameter(f"--out {out}: is a file; allowed: a folder (or a path that does not exist yet)")


def _check_resume(ctx, command: str) -> None:  # type: ignore[no-untyped-def]
    """Refuse options that contradict the configuration saved in the --resume folder, listing each with its
    saved value. An option equal to the saved field of the same name is no contradiction and passes."""
    if ctx.params.get("resume") is None:
        return
    allowed = _ALWAYS_ALLOWED_ON_RESUME + RESUME_SAFE.get(command, ())
    saved = _flat_saved_config(Path(ctx.params["resume"]))
    given = [p for p in ctx.command.params if p.name in explicit_options(ctx) and p.name not in allowed]
    refused = []
    for p in given:
        value = ctx.params[p.name]
        matches = [v for k, v in saved.items() if k == p.name or k.endswith("." + p.name)]
        if len(matches) == 1 and matches[0] == value:
            continue  # the saved value again
        was = f" (saved: {matches[0]})" if len(matches) == 1 else " (saved: not a field of this name)"
        refused.append(f"{p.opts[0]} {value}{was}")
    if refused:
        raise typer.BadParameter(f"--resume continues with the saved configuration; refused: {', '.join(refused)} "
                                 f"(allowed with --resume: {', '.join('--' + a for a in allowed)})")


def _flat_saved_config(folder: Path) -> dict[str, object]:
    """config.json of a run folder as {dotted field: value} (empty if there is none)."""
    import json

    from .experiments.results import job_config

    try:
        data = job_config(json.loads((folder / "config.json").read_text()))
    except (OSError, ValueError):
        return {}
    flat: dict[str, object] = {}

    def walk(d: dict, prefix: str) -> None:
        for k, v in d.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            else:
                flat[f"{prefix}{k}"] = v

    walk(data, "")
    return flat


def set_debug(debug: bool) -> None:
    """``mtjnn --debug``: let library errors through with their tracebacks."""
    global _debug
    _debug = debug


def explicit_options(ctx) -> set[str]:  # type: ignore[no-untyped-def]
    """Names of the options given on the command line (not defaults)."""
    return {p.name for p in ctx.command.params if p.name and ctx.get_parameter_source(p.name) == ParameterSource.COMMANDLINE}


def resume_changes() -> dict[str, object]:
    """The ``RESUME_SAFE`` options of the running command given on its command line, {name: value} (empty
    without ``--resume``): what a resumed job changes in its saved configuration."""
    ctx = _invoked[-1]
    if ctx.params.get("resume") is None:
        return {}
    safe = RESUME_SAFE.get(ctx.command.name or "", ())
    return {name: ctx.params[name] for name in explicit_options(ctx) if name in safe}
