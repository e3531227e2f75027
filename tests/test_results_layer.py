"""The results layer and the CLI's error paths (issue 11): collision-proof run folders, provenance, status,
one resume rule, short usage errors, interrupted runs that resume to the same result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from checkpoint_signals import run_until_checkpoint
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from mtjnn.cli import app
from mtjnn.experiments.results import create_run_folder, finish_runs

MTJNN = [sys.executable, "-m", "mtjnn.cli"]


def test_runs_created_in_the_same_second_get_their_own_folders(tmp_path):
    folders: list[Path] = []
    threads = [threading.Thread(target=lambda: folders.append(create_run_folder("demo", tmp_path))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    finish_runs("complete")
    assert len(set(folders)) == 8 and all(f.is_dir() for f in folders)
    assert all(json.loads((f / "run.json").read_text())["status"] == "complete" for f in folders)


def test_two_jobs_at_once_into_the_same_out_both_survive_with_provenance(tmp_path):
    procs = [subprocess.Popen(MTJNN + ["run", "xor", "--quick", "--epochs", "2", "--seed", str(s), "--out", str(tmp_path)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for s in (0, 1)]
    assert all(p.wait(timeout=300) == 0 for p in procs)
    folders = sorted((tmp_path / "xor").iterdir())
    assert len(folders) == 2
    seeds = set()
    for folder in folders:
        config = json.loads((folder / "config.json").read_text())
        metrics = json.loads((folder / "metrics.json").read_text())
        seeds.add(config["seed"])
        assert config["job"] == "xor" and config["units"]["network.circuit.v_dd"] == "V" and config["units"]["task.t0"] == "s"
        prov = config["provenance"]
        assert {"mtjnn", "git_commit", "torch", "numpy", "numba", "python", "command", "host", "started_utc"} <= set(prov)
        assert metrics["status"] == "complete" and metrics["wall_time_s_total"] > 0
    assert seeds == {0, 1}


def test_version_and_debug_flags():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("mtjnn ")
    result = CliRunner().invoke(app, ["--debug", "simulate", "--dt-ps", "-1"])
    assert result.exit_code != 0 and isinstance(result.exception, ValueError)  # --debug lets the traceback through


def test_out_that_is_a_file_is_refused_before_any_work(tmp_path):
    target = tmp_path / "a_file"
    target.write_text("x")
    result = CliRunner().invoke(app, ["run", "xor", "--quick", "--out", str(target)])
    assert result.exit_code == 2 and "is a file" in result.output


def test_resume_takes_the_saved_configuration_and_refuses_other_options(tmp_path):
    folder = create_run_folder("xor", tmp_path)
    finish_runs("complete")
    refused = CliRunner().invoke(app, ["run", "vowels", "--resume", str(folder), "--seed", "3", "--out", str(tmp_path)])
    assert refused.exit_code == 2 and "--seed 3" in refused.output and "Traceback" not in refused.output
    wrong_job = CliRunner().invoke(app, ["run", "vowels", "--resume", str(folder)])
    assert wrong_job.exit_code == 2 and "'xor' run" in " ".join(wrong_job.output.split())


_BAD = st.one_of(
    st.tuples(st.just(["run", "vowels", "--splits"]), st.integers(-10**6, 0) | st.integers(1001, 10**6)),
    st.tuples(st.just(["run", "xor", "--inits"]), st.integers(-10**6, 0)),
    st.tuples(st.just(["run", "xor", "--epochs"]), st.integers(-10**6, 0)),
    st.tuples(st.just(["simulate", "--dt-ps"]), st.floats(-1e6, 0.0)),
    st.tuples(st.just(["simulate", "--junctions"]), st.integers(-10**6, 0)),
    st.tuples(st.just(["run", "iris", "--delta"]), st.floats(-1e3, 0.0)),
    st.tuples(st.just(["run", "iris", "--threads"]), st.integers(-10**6, -1) | st.integers(10**4, 10**6)),
    st.tuples(st.just(["run", "cifar10", "--epochs"]), st.integers(-10**6, -1)),
    st.tuples(st.just(["run", "cifar10-dvs", "--budget-min"]), st.floats(-1e6, -1e-3)),  # was taken as "no budget"
    st.tuples(st.just(["run", "mnist", "--train-subset"]), st.integers(-10**6, -1) | st.integers(55_001, 10**6)),
    st.tuples(st.just(["run", "mnist", "--lr"]), st.floats(-1e3, 0.0)),
    st.tuples(st.just(["neuron", "--dt-ps"]), st.floats(-1e6, 0.0) | st.floats(20.001, 1e6)),
    st.tuples(st.just(["run", "signed-lif", "--clock-ps"]), st.floats(-1e6, 9.99)),
    st.tuples(st.just(["simulate", "--temperature"]), st.floats(-1e6, -1e-6)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_BAD)
def test_random_bad_option_values_give_short_usage_errors(tmp_path, case):
    args, value = case
    result = CliRunner().invoke(app, args + [str(value), "--out", str(tmp_path)])
    assert result.exit_code == 2, (args, value, result.output)
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 8, result.output
    flag = args[-1]
    assert flag in result.output, result.output
    complete = [p for p in tmp_path.rglob("run.json") if json.loads(p.read_text())["status"] == "complete"]
    assert not complete


def _start(args: list[str], out: Path) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(MTJNN + args + ["--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_killed_and_interrupted_runs_resume_to_the_uninterrupted_result(tmp_path):
    args = ["run", "vowels", "--quick", "--splits", "2"]
    reference = _start(args, tmp_path / "ref")  # in parallel with the three sessions below
    # checkpoints of a vowel run: the setup, the full-data fits, then one per split
    killed = run_until_checkpoint(args, 3, "SIGKILL", tmp_path / "cut")  # split 0 saved, split 1 computed, not saved
    assert killed.returncode == -9, killed.stderr[-2000:]
    (folder,) = (tmp_path / "cut" / "vowels").iterdir()
    assert json.loads((folder / "run.json").read_text())["status"] == "running"  # killed: never marked complete
    again = run_until_checkpoint(["run", "vowels", "--resume", str(folder)], 0, "SIGINT", tmp_path / "cut")
    assert again.returncode == 130, again.stderr[-2000:]  # interrupted: says where the results are and how to resume
    assert "interrupted" in again.stderr and f"--resume {folder}" in again.stderr
    assert json.loads((folder / "run.json").read_text())["status"] == "interrupted"
    final = _start(["run", "vowels", "--resume", str(folder)], tmp_path / "cut")
    assert final.wait(timeout=900) == 0 and reference.wait(timeout=900) == 0
    ref_folder = next((tmp_path / "ref" / "vowels").iterdir())
    got = json.loads((folder / "metrics.json").read_text())
    want = json.loads((ref_folder / "metrics.json").read_text())
    assert got["status"] == "complete" and len(json.loads((folder / "run.json").read_text())["sessions"]) == 3
    assert got["accuracy"] == want["accuracy"]
    keep = ("paper_rule_test", "strict_rule_test", "paper_mlp2_test", "table", "control_a")
    assert [{k: p[k] for k in keep} for p in got["per_split"]] == [{k: p[k] for k in keep} for p in want["per_split"]]
