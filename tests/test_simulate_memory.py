"""`mtjnn simulate` streams (issue 11): memory per junction stays at the state and the per-junction results, not
the 801 trajectory samples of every junction (that was ~19 kB per junction: 3 x 8 bytes x 801)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def _peak_rss_mib(junctions: int, out) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "mtjnn.cli", "simulate", "--junctions", str(junctions), "--temperature", "300",
            "--duration-ns", "0.1", "--pulse-ns", "0.1", "--out", str(out)]
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (folder,) = (out / "simulate").iterdir()
    return json.loads((folder / "metrics.json").read_text())["peak_rss_mib"]


def test_peak_memory_grows_by_well_under_4_kb_per_junction(tmp_path):
    small = _peak_rss_mib(1_000, tmp_path / "small")
    big = _peak_rss_mib(101_000, tmp_path / "big")
    per_junction = (big - small) * 2**20 / 100_000
    # measured ~1.0 kB (peak, with the stepper's copies); storing every junction's samples would add ~19 kB
    assert per_junction < 4096, f"{per_junction:.0f} bytes per junction (small {small:.0f} MiB, big {big:.0f} MiB)"
