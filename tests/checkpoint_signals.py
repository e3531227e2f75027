"""Test helper (not a test module): run an ``mtjnn`` command in a subprocess that sends itself a real signal
(SIGKILL, SIGINT) when it is about to write a checkpoint for the (after + 1)-th time, i.e. once a unit of work
(an Iris run, an epoch, a vowel split) is computed but not yet saved. Every job's checkpoint goes through
``experiments.common.Checkpoint.save``, which the subprocess wraps; deterministic, unlike a signal on a timer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_VICTIM = """
import os, signal, sys
from mtjnn.experiments import common
after, sig = int(sys.argv[1]), getattr(signal, sys.argv[2])
calls = 0
original = common.Checkpoint.save
def save(self, state):
    global calls
    calls += 1
    if calls > after:  # the work since the last checkpoint is done but not saved
        os.kill(os.getpid(), sig)
    original(self, state)
common.Checkpoint.save = save
from mtjnn.cli import app
app(args=sys.argv[3:], prog_name="mtjnn")
"""


def run_until_checkpoint(args: list[str], after: int, signal_name: str, out: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    """``mtjnn <args> --out <out>``, signalled with ``signal_name`` at checkpoint number ``after + 1``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", _VICTIM, str(after), signal_name, *args, "--out", str(out)], capture_output=True,
                          text=True, env=env, timeout=timeout)
