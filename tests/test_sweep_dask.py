"""Sweeps on separate processes: a real Dask LocalCluster, an unreachable scheduler, a sweep process killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mtjnn.experiments import sweep
from mtjnn.experiments.sweep import SweepSpec, execute, read_table

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

SRC = str(Path(sweep.__file__).resolve().parents[2])


def _spec(**kw) -> SweepSpec:
    base = dict(currents=(1e-6, 0.6e-3, 2e-3), pulses=(0.3e-9, 3e-9), temperature=300.0, trials=16, relax=1e-9,
                seed=3, points_per_task=2, device=(("field", 0.0),))
    return SweepSpec(**{**base, **kw})


def test_local_cluster_of_two_worker_processes_matches_in_process(tmp_path) -> None:
    spec = _spec(wer_floor=0.05, max_trials=64, max_rounds=2)  # adaptive rounds included
    list(execute(spec, tmp_path / "in-process"))
    lines: list[str] = []
    finished = list(execute(spec, tmp_path / "dask", scheduler="local", workers=2, report=lines.append))
    assert lines[0].startswith("running on Dask LocalCluster, 2 workers") and "dashboard" in lines[0]
    assert len({t.name for t in finished}) == len(finished) >= 3
    local, dask = read_table(tmp_path / "in-process", spec), read_table(tmp_path / "dask", spec)
    for column in ("trials", "switched"):
        assert np.array_equal(local[column], dask[column]), column
    assert 0 < local["switched"].sum() < local["trials"].sum()  # the grid has both outcomes


def test_unreachable_scheduler_fails_fast_and_clearly(tmp_path) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"scheduler = 'tcp://127\.0\.0\.1:9' is unreachable within 1 s"):
        list(execute(_spec(), tmp_path, scheduler="tcp://127.0.0.1:9", connect_timeout=1.0))
    assert time.perf_counter() - started < 15


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from mtjnn.cli import main; main()", "sweep", "switching", *args]


def test_resume_after_the_sweep_process_is_killed_equals_an_uninterrupted_sweep(tmp_path) -> None:
    grid = ["--currents-ua", "1:2000:4", "--pulses-ns", "0.3:3:3", "--trials", "200", "--relax-ns", "1",
            "--points-per-task", "1", "--seed", "11", "--scheduler", "none"]
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_cli(*grid, "--out", str(tmp_path / "killed")), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    chunks: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        chunks = list((tmp_path / "killed").glob(f"{sweep.JOB}/*/{sweep.CHUNKS}/*.parquet"))
        if len(chunks) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    folder = next((tmp_path / "killed" / sweep.JOB).iterdir())
    spec = SweepSpec.from_dict(__import__("json").loads((folder / sweep.MANIFEST).read_text())["spec"])
    done = len(list((folder / sweep.CHUNKS).glob("*.parquet")))
    assert 2 <= done < 12, done  # killed mid-sweep
    resumed = subprocess.run(_cli("--resume", str(folder), "--scheduler", "none"), env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"({done} found on disk)" in resumed.stdout
    list(execute(spec, tmp_path / "whole"))
    whole, after = read_table(tmp_path / "whole", spec), read_table(folder, spec)
    for column in sweep.TABLE_COLUMNS:
        assert np.array_equal(whole[column], after[column]), column
