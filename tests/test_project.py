"""Project-level guarantees: the README's test command is what CI runs; the CLI documents itself."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from mtjnn.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    command = ci.split("--- README test command")[1].splitlines()[1].strip()
    assert command in readme, f"README must show the exact CI test command: {command}"


def test_readme_first_screen_has_install_and_test_commands() -> None:
    first_screen = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert len(re.findall(r"python3 -m venv \.venv && .+", first_screen)) == 2


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "simulate" in result.output and "run" in result.output
    sim = CliRunner().invoke(app, ["simulate", "--help"])
    assert sim.exit_code == 0
    for option in ("--current-ua", "--pulse-ns", "--temperature", "--junctions", "--seed", "--out"):
        assert option in sim.output
